"""Persistence: SQLAlchemy models, repositories, unit of work, crypto at rest, file store."""
