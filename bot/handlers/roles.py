"""Placeholder: filled in by the account-management work (issue 4)."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:  # type: ignore[type-arg]
    return None
