"""Telegram wiring: application factory, persistence, keyboards, texts, handlers."""
