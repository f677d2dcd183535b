"""How a review kind looks to the reviewer: the bot's half of a domain ``ReviewKind``.

The screens and decisions (``screens.py``, ``decisions.py``) are the same for every kind; a
``KindView`` gives them what differs: the kind's buttons, its texts, and small renderers for a
queue's line, the card, the card's downloads and the item's name. A new kind is one more module
like ``classes.py`` and one more entry in ``kinds.KINDS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.handlers.review.buttons import Buttons
from bot.i18n import Translator
from bot.runtime import Services
from domain.model import ReviewerActor
from domain.ports import UnitOfWork
from domain.services.review import Decided, ReviewKind

Item = TypeVar("Item")
Made = TypeVar("Made", bound=Decided)


@dataclass(frozen=True)
class Entry:
    """One line of a queue page, and the label of the button that opens the item."""

    line: str
    label: str
    item_id: int


@dataclass(frozen=True)
class Attachment:
    """A file the reviewer asked for, as it is sent."""

    data: bytes
    filename: str
    caption: str


@dataclass(frozen=True)
class Texts:
    """A kind's msgids: ``button`` takes {count}; ``heading`` {total} {page} {pages}."""

    button: str
    heading: str
    empty: str
    hint: str


Download = Callable[
    [UnitOfWork, Services, ReviewerActor, tuple[int, ...], Translator], Awaitable[Attachment]
]
"""Fetches a file of an item (the download button's ids) and writes the base's audit trail."""


@dataclass(frozen=True)
class KindView(Generic[Item, Made]):
    """One kind as the reviewer sees it."""

    kind: ReviewKind[Any, Item, Made]
    buttons: Buttons
    texts: Texts
    entry: Callable[[Item, int, Translator], Entry]
    """An item's line in its queue, numbered from 1 across pages."""
    card: Callable[[Item, Translator], str]
    files: Callable[[Item, Translator], list[tuple[str, tuple[int, ...]]]]
    """The card's download buttons: each one's label and the ids its data carries."""
    title: Callable[[Item | Made, Translator], str]
    """How the return's prompt, the confirmation and a download's caption name the item."""
    download: Download
