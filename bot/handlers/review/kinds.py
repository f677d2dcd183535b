"""What reviewers decide on, as the bot shows it, in the overview's order."""

from __future__ import annotations

from typing import Any

from bot.handlers.review.classes import CLASSES
from bot.handlers.review.scores import SCORES
from bot.handlers.review.submissions import SUBMISSIONS
from bot.handlers.review.view import KindView

KINDS: tuple[KindView[Any, Any], ...] = (CLASSES, SCORES, SUBMISSIONS)
BY_KEY: dict[str, KindView[Any, Any]] = {view.kind.key: view for view in KINDS}
"""A kind by the key a return's draft stored (``domain.services.review.ReviewKind.key``)."""
