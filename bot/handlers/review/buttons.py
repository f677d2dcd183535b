"""Every review button's callback data, all kinds in one place: ids only, checked on arrival.

A kind's buttons are ``rv:<letter><verb>``: ``q`` a page of its queue (the page number), ``o``
an item, ``ok`` approve, ``ret`` return (the item's id). The classes' letter is empty, as it was
before there were kinds, so buttons already sent keep working. A kind's download has a name of
its own and one or two ids. Every id is re-checked by the domain against the reviewer's regions
and the item's state, so forged or stale data changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callbacks import BadCallbackData, CallbackAction

OVERVIEW = CallbackAction("rv:home")
"""待审核事项: the count of each kind, one button to each queue."""


@dataclass(frozen=True)
class Buttons:
    """One kind's buttons."""

    queue: CallbackAction
    open: CallbackAction
    approve: CallbackAction
    give_back: CallbackAction
    download: CallbackAction
    """A file of an item: the item's id, and for a submission the file entry's id too."""


def _kind(letter: str, download: CallbackAction) -> Buttons:
    def verb(name: str) -> CallbackAction:
        return CallbackAction(f"rv:{letter}{name}", ids=1)

    return Buttons(verb("q"), verb("o"), verb("ok"), verb("ret"), download)


CLASSES = _kind("", download=CallbackAction("rv:plan", ids=1))
SCORES = _kind("s", download=CallbackAction("rv:sx", ids=1))
SUBMISSIONS = _kind("a", download=CallbackAction("rv:af", ids=2))


def ids(action: CallbackAction, data: str | None) -> tuple[int, ...]:
    """The ids a button of ``action`` carries; anything else is ``BadCallbackData``."""
    found = action.parse(data)
    if not all(isinstance(value, int) for value in found):
        raise BadCallbackData(data)
    return tuple(int(value) for value in found)
