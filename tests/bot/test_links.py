"""A pushed message's link becomes today's callback data, or no button at all."""

from __future__ import annotations

import pytest

from bot.links import callback_data
from domain import links
from domain.model import SubmissionKind


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (links.module("plan"), "menu:open:plan"),
        (links.module("scores"), "menu:open:scores"),
        (links.training_class(17), "cls:card:17"),
        (links.score_sheet(17), "sc:sheet:17"),
        (links.annual(2026, SubmissionKind.SUMMARY), "sb:ov:2026:summary"),
        (links.material(42), "sb:mat:42"),
    ],
)
def test_every_kind_of_link_opens_its_screen(link: str, expected: str) -> None:
    assert callback_data(link) == expected


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "module:nowhere",
        "class:",
        "class:-1",
        "class:1:2",
        "annual:2026:material",
        "annual:year:plan",
        "menu:open:plan",  # callback data is not a link
        "unknown:1",
        "class:" + "9" * 80,
    ],
)
def test_an_unknown_or_malformed_link_gives_no_button(link: str | None) -> None:
    assert callback_data(link) is None
