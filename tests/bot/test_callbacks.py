import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import MAX_CALLBACK_BYTES, BadCallbackData, CallbackAction

DELETE = CallbackAction("adm:del", ids=1)
EDIT = CallbackAction("reg:edit", words=1)
PAGE = CallbackAction("adm:page", ids=2)


def test_ids_round_trip() -> None:
    assert DELETE.parse(DELETE.encode(42)) == (42,)
    assert PAGE.parse(PAGE.encode(3, 10)) == (3, 10)
    assert EDIT.parse_word(EDIT.encode("credit_code")) == "credit_code"


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "adm:del",
        "adm:del:",
        "adm:del:-1",
        "adm:del:01",
        "adm:del:1:2",
        "adm:delete:1",
        "adm:del:1e3",
        "adm:del:４２",
        "adm:del:" + "9" * 30,
        "x" * (MAX_CALLBACK_BYTES + 1),
    ],
)
def test_forged_data_is_refused(forged: str | None) -> None:
    with pytest.raises(BadCallbackData):
        DELETE.parse(forged)


def test_words_are_restricted_to_a_small_vocabulary() -> None:
    with pytest.raises(BadCallbackData):
        EDIT.parse("reg:edit:../../etc")
    with pytest.raises(BadCallbackData):
        EDIT.parse("reg:edit:DROP TABLE")


def test_encode_refuses_data_over_64_bytes() -> None:
    with pytest.raises(ValueError):
        CallbackAction("x" * 60, ids=1).encode(123456)


@given(st.text(max_size=80))
def test_parse_never_raises_anything_but_bad_callback_data(data: str) -> None:
    try:
        values = DELETE.parse(data)
    except BadCallbackData:
        return
    assert len(values) == 1 and isinstance(values[0], int)


def test_pattern_matches_exactly_the_encoded_shape() -> None:
    import re

    assert re.match(DELETE.pattern, DELETE.encode(7))
    assert not re.match(DELETE.pattern, "adm:del:7:8")
    assert re.match(CallbackAction("menu").pattern, "menu")
    assert not re.match(CallbackAction("menu").pattern, "menu:open:x")
