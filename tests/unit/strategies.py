"""Hypothesis strategies for the personal numbers and codes that users type.

Valid values are built the way the standards build them (the check character computed from the
first 17), so a test that they pass is not a test of the validator against itself only: the
fixtures in the tests pin the check-character functions to published examples.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from domain.validators import credit_code_check_char, id_number_check_char

TODAY = date(2026, 3, 1)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_LAST_CHARS = "0123456789X"


@st.composite
def id_numbers(draw: st.DrawFn, today: date = TODAY) -> str:
    area = draw(st.integers(110000, 659999))
    birth = draw(st.dates(date(1900, 1, 1), today))
    sequence = draw(st.integers(0, 999))
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_char(first17)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    first17 = "".join(draw(st.lists(st.sampled_from(CREDIT_ALPHABET), min_size=17, max_size=17)))
    return first17 + credit_code_check_char(first17)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    second = draw(st.sampled_from("3456789"))
    rest = draw(st.text("0123456789", min_size=9, max_size=9))
    return "1" + second + rest


def full_width(text: str) -> str:
    """What a Chinese input method in full-width mode types for ASCII characters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def with_spaces(draw: st.DrawFn, text: str) -> str:
    """The same text with ASCII and ideographic spaces scattered through it."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(chars)))
        chars.insert(position, draw(st.sampled_from([" ", "  ", "\u3000", "\t"])))
    return "".join(chars)


@st.composite
def single_substitutions(draw: st.DrawFn, value: str, allowed: str) -> str:
    """``value`` with exactly one position replaced by a different allowed character."""
    position = draw(st.integers(0, len(value) - 1))
    replacement = draw(st.sampled_from([c for c in allowed if c != value[position]]))
    return value[:position] + replacement + value[position + 1 :]
