"""Length and a blocklist, never composition rules (NIST SP 800-63B, OWASP ASVS 5)."""

from __future__ import annotations

import string
from importlib.resources import files

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain import passwords
from domain.errors import Invalid
from tests.unit.strategies import id_numbers, mobiles

examples = settings(max_examples=150, deadline=None)

ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"


def reason(password: str, **context: str) -> str:
    with pytest.raises(Invalid) as caught:
        passwords.check_password_policy(password, **context)
    assert caught.value.field == "password"
    return caught.value.key


# --- what is accepted ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # lower-case only: no composition rules
        "tulip-lantern",
        "黄鹤楼下的春天很美",  # 9 Chinese characters
        "🌸🌸🌸 spring",
        "  spaced out  ",
        "Zq8!" + "x" * 124,  # exactly 128
    ],
)
def test_long_enough_uncommon_passwords_of_any_characters_are_accepted(password: str) -> None:
    passwords.check_password_policy(password, id_number=ID_NUMBER, mobile=MOBILE, name="张三")


@examples
@given(st.text(string.ascii_lowercase + " ", min_size=20, max_size=128))
def test_lower_case_letters_alone_make_a_good_password_when_long(password: str) -> None:
    assume(len("".join(password.split())) >= 20 and len(set(password)) >= 5)
    passwords.check_password_policy(password)


# --- length --------------------------------------------------------------------------------------


def test_seven_characters_are_too_short_and_the_reason_says_how_many() -> None:
    with pytest.raises(Invalid) as caught:
        passwords.check_password_policy("k7#Lm2q")
    assert caught.value.key == passwords.TOO_SHORT
    assert caught.value.params == {"minimum": 8, "length": 7}


def test_length_is_counted_in_code_points_after_nfkc() -> None:
    typed = "".join(letter + "\u0301" for letter in "aeiouyc")  # á é í ó ú ý ć, decomposed
    assert len(typed) == 14
    with pytest.raises(Invalid) as caught:
        passwords.check_password_policy(typed)
    assert (caught.value.key, caught.value.params["length"]) == (passwords.TOO_SHORT, 7)


def test_emoji_count_as_one_character_each() -> None:
    assert reason("🌸🍵🐼🎋🏮🧧🐉") == passwords.TOO_SHORT
    passwords.check_password_policy("🌸🍵🐼🎋🏮🧧🐉🥟")


def test_more_than_128_characters_are_refused() -> None:
    assert reason("Zq8!" + "x" * 125) == passwords.TOO_LONG
    assert reason("Zq8!" * 10_000) == passwords.TOO_LONG


def test_empty_password_is_refused_with_the_please_enter_reason() -> None:
    assert reason("") == passwords.EMPTY
    assert reason("        ") == passwords.EMPTY


# --- trivial patterns ----------------------------------------------------------------------------


@examples
@given(st.characters(exclude_categories=["Cs"]), st.integers(8, 128))
def test_a_single_repeated_character_is_refused(char: str, count: int) -> None:
    password = char * count
    if len(passwords.normalise_password(password)) == count and password.strip():
        assert reason(password) == passwords.REPEATED_CHARACTER


@pytest.mark.parametrize("password", ["aaaaaaaa", "AAAAaaaa", "😀😀😀😀😀😀😀😀", "11111111"])
def test_repeated_character_examples(password: str) -> None:
    assert reason(password) == passwords.REPEATED_CHARACTER


@examples
@given(
    st.sampled_from([string.digits, string.ascii_lowercase, string.ascii_uppercase]),
    st.data(),
)
def test_a_plain_ascending_or_descending_run_is_refused(alphabet: str, data: st.DataObject) -> None:
    length = data.draw(st.integers(8, len(alphabet)))
    start = data.draw(st.integers(0, len(alphabet) - length))
    run = alphabet[start : start + length]
    assert reason(run) == passwords.SEQUENCE
    assert reason(run[::-1]) == passwords.SEQUENCE


@pytest.mark.parametrize("password", ["12345678", "87654321", "abcdefgh", "HGFEDCBA", "23456789"])
def test_sequence_examples(password: str) -> None:
    assert reason(password) == passwords.SEQUENCE


def test_a_run_with_a_break_is_not_a_sequence() -> None:
    passwords.check_password_policy("abcdefgz-lantern")
    assert reason("12345679") == passwords.COMMON  # on the list, but not a plain run


# --- the person's own numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [ID_NUMBER, f"me{ID_NUMBER.lower()}", "hello231002X", "hello231002x!", "1002x-1231002x"],
)
def test_password_containing_the_id_number_or_its_last_six_is_refused(password: str) -> None:
    assert reason(password, id_number=ID_NUMBER) == passwords.CONTAINS_ID_NUMBER


def test_last_five_characters_of_the_id_number_are_allowed() -> None:
    passwords.check_password_policy("lantern-1002x", id_number=ID_NUMBER)


@examples
@given(id_numbers(), st.integers(6, 18), st.text("qwz!", min_size=2, max_size=6))
def test_any_id_number_tail_of_six_or_more_is_refused(
    id_number: str, tail_length: int, padding: str
) -> None:
    password = padding + id_number[-tail_length:] + padding
    assert reason(password, id_number=id_number) == passwords.CONTAINS_ID_NUMBER


@examples
@given(mobiles(), st.sampled_from(["{}", "tel{}", "{}!!", "my {} phone"]))
def test_password_containing_the_mobile_number_is_refused(mobile: str, form: str) -> None:
    assert reason(form.format(mobile), mobile=mobile) == passwords.CONTAINS_MOBILE


def test_password_containing_the_name_is_refused() -> None:
    assert reason("我是张三我爱学习", name="张三") == passwords.CONTAINS_NAME
    assert reason("Mary Smith 2026", name="mary smith") == passwords.CONTAINS_NAME


def test_a_short_latin_name_inside_a_word_is_not_the_name() -> None:
    passwords.check_password_policy("lightning-over-lake", name="Li")


def test_without_context_personal_numbers_are_not_checked() -> None:
    passwords.check_password_policy("hello231002X")


# --- the common-password list --------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PassWord",
        "P@ssw0rd",
        "qwertyui",
        "1qaz2wsx",
        "iloveyou",
        "woaini1314",
        "5201314520",
        "a1234567",
        "qq123456",
        "aa123456",
        "abc12345",
        "password1",
        "1314520a",
        "88888888a",
        "147258369",
        "123456789a",
        "WoAiNi520",
        "pass word",
    ],
)
def test_common_passwords_are_refused_case_insensitively(password: str) -> None:
    assert reason(password) == passwords.COMMON


def test_every_listed_password_is_refused() -> None:
    specific = {passwords.REPEATED_CHARACTER, passwords.SEQUENCE}
    for listed in passwords.COMMON_PASSWORDS:
        assert reason(listed) in specific | {passwords.COMMON}, listed
        assert reason(listed.upper()) in specific | {passwords.COMMON}, listed


def test_shipped_list_is_large_lower_case_and_only_eight_or_more_characters() -> None:
    text = (files("domain") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("#")
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) >= 1000
    assert len(set(entries)) == len(entries)
    assert all(entry == entry.lower() and len(entry) >= 8 for entry in entries)
    assert frozenset(entries) == passwords.COMMON_PASSWORDS


def test_reasons_are_distinct_chinese_sentences() -> None:
    keys = [
        passwords.EMPTY,
        passwords.TOO_SHORT,
        passwords.TOO_LONG,
        passwords.REPEATED_CHARACTER,
        passwords.SEQUENCE,
        passwords.CONTAINS_ID_NUMBER,
        passwords.CONTAINS_MOBILE,
        passwords.CONTAINS_NAME,
        passwords.COMMON,
    ]
    assert len(set(keys)) == len(keys)
    assert all(key.endswith("。") for key in keys)


def test_normalise_password_maps_full_width_to_ascii() -> None:
    assert passwords.normalise_password("ｌａｎｔｅｒｎ　１") == "lantern 1"
    assert reason("ｐａｓｓｗｏｒｄ") == passwords.COMMON
