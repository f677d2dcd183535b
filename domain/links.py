"""Where a pushed message's button leads, named without Telegram.

The outbox outlives the bot's screens: a reminder written today is sent tomorrow, perhaps by a
newer version of the bot. So a message keeps a link to the *thing* (a class, a year's plan, a
module) and the bot turns it into its current callback data only when it sends
(``bot/links.py``); a link the bot no longer knows sends the message without a button.
"""

from __future__ import annotations

from domain.model import SubmissionKind


def module(key: str) -> str:
    """A module of the function list: ``plan``, ``scores``…"""
    return f"module:{key}"


def training_class(class_id: int) -> str:
    return f"class:{class_id}"


def score_sheet(class_id: int) -> str:
    return f"scores:{class_id}"


def annual(year: int, kind: SubmissionKind) -> str:
    """A year's plan or summary; materials are one link each (``material``)."""
    return f"annual:{year}:{kind.value}"


def material(submission_id: int) -> str:
    return f"material:{submission_id}"
