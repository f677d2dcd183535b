"""Deadlines: reminder planning (pure) and outbox dispatch."""
