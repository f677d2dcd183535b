"""The business of a continuing-education base, in plain Python (no Telegram, no SQL)."""
