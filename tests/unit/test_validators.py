"""The validators accept what a careful person types and refuse the rest with the right reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import validators
from domain.errors import Invalid
from tests.unit.strategies import (
    CREDIT_ALPHABET,
    ID_LAST_CHARS,
    TODAY,
    credit_codes,
    full_width,
    id_numbers,
    mobiles,
    single_substitutions,
    with_spaces,
)

VALID_ID = "11010519491231002X"
VALID_CREDIT_CODE = "91350100M000100Y43"

examples = settings(max_examples=150, deadline=None)


def refusal(parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(*args, **kwargs)
    return caught.value


def id_with_birth(birth: str, area: str = "420106", sequence: str = "123") -> str:
    first17 = area + birth + sequence
    return first17 + validators.id_number_check_char(first17)


# --- normalise_input -----------------------------------------------------------------------------


def test_normalise_input_turns_full_width_into_ascii_and_strips() -> None:
    assert validators.normalise_input("\u3000ＡＢＣ　１２３\u200b ") == "ABC 123"


def test_normalise_input_keeps_chinese_text() -> None:
    assert validators.normalise_input(" 武汉市 江岸区 ") == "武汉市 江岸区"


# --- ID-card number ------------------------------------------------------------------------------


def test_known_id_number_is_valid() -> None:
    assert validators.id_number_check_char(VALID_ID[:17]) == "X"
    assert validators.parse_id_number(VALID_ID, TODAY) == VALID_ID


def test_id_number_with_lower_x_full_width_and_spaces_is_normalised() -> None:
    typed = "１１０１０５ １９４９１２３１ ００２ｘ"
    assert validators.parse_id_number(typed, TODAY) == VALID_ID


@examples
@given(id_numbers())
def test_every_well_formed_id_number_passes(id_number: str) -> None:
    assert validators.parse_id_number(id_number, TODAY) == id_number


@examples
@given(id_numbers(), st.data())
def test_id_number_variants_normalise_back(id_number: str, data: st.DataObject) -> None:
    lower = id_number.lower()
    spaced = data.draw(with_spaces(full_width(lower)))
    assert validators.parse_id_number(lower, TODAY) == id_number
    assert validators.parse_id_number(full_width(id_number), TODAY) == id_number
    assert validators.parse_id_number(spaced, TODAY) == id_number


@examples
@given(id_numbers(), st.data())
def test_any_single_character_change_of_an_id_number_is_refused(
    id_number: str, data: st.DataObject
) -> None:
    changed = data.draw(single_substitutions(id_number, ID_LAST_CHARS))
    assert refusal(validators.parse_id_number, changed, TODAY).field == "id_number"


def test_id_area_code_is_not_checked_against_a_list() -> None:
    retired = id_with_birth("19800101", area="429099")
    assert validators.parse_id_number(retired, TODAY) == retired


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", validators.EMPTY_REASONS["id_number"]),
        ("   ", validators.EMPTY_REASONS["id_number"]),
        ("4.20106199001011E+17", validators.ID_EXCEL_NUMBER),
        ("4.20106199001011e+17", validators.ID_EXCEL_NUMBER),
        ("420106900101123", validators.ID_FIRST_GENERATION),
        ("42010619900101123", validators.ID_WRONG_LENGTH),
        ("4201061990010112345", validators.ID_WRONG_LENGTH),
        ("42010619900101123-", validators.ID_BAD_CHARACTERS),
        ("4201061990010112X4", validators.ID_BAD_CHARACTERS),
        ("42010619900101123Y", validators.ID_BAD_CHARACTERS),
        ("110105194912310021", validators.ID_WRONG_CHECK_CHAR),
    ],
)
def test_id_number_refusal_reasons(typed: str, key: str) -> None:
    refused = refusal(validators.parse_id_number, typed, TODAY)
    assert (refused.field, refused.key) == ("id_number", key)


def test_wrong_length_reason_says_how_many_characters_were_typed() -> None:
    assert refusal(validators.parse_id_number, "42010619900101123", TODAY).params == {"length": 17}


@pytest.mark.parametrize("birth", ["19901301", "19900230", "19900000", "20250229"])
def test_id_number_with_impossible_birth_date_is_refused(birth: str) -> None:
    refused = refusal(validators.parse_id_number, id_with_birth(birth), TODAY)
    assert refused.key == validators.ID_IMPOSSIBLE_BIRTH_DATE
    assert refused.params == {"birth": birth}


def test_id_number_born_tomorrow_is_refused_and_born_today_accepted() -> None:
    tomorrow = id_with_birth(f"{TODAY + timedelta(days=1):%Y%m%d}")
    today = id_with_birth(f"{TODAY:%Y%m%d}")
    assert (
        refusal(validators.parse_id_number, tomorrow, TODAY).key == validators.ID_FUTURE_BIRTH_DATE
    )
    assert validators.parse_id_number(today, TODAY) == today


def test_id_number_born_before_1900_is_refused() -> None:
    refused = refusal(validators.parse_id_number, id_with_birth("18991231"), TODAY)
    assert refused.key == validators.ID_BIRTH_BEFORE_1900
    assert validators.parse_id_number(id_with_birth("19000101"), TODAY)


def test_id_refusal_reasons_are_distinct() -> None:
    keys = {
        validators.ID_EXCEL_NUMBER,
        validators.ID_FIRST_GENERATION,
        validators.ID_WRONG_LENGTH,
        validators.ID_BAD_CHARACTERS,
        validators.ID_IMPOSSIBLE_BIRTH_DATE,
        validators.ID_FUTURE_BIRTH_DATE,
        validators.ID_BIRTH_BEFORE_1900,
        validators.ID_WRONG_CHECK_CHAR,
    }
    assert len(keys) == 8


def test_check_char_helper_refuses_wrong_input() -> None:
    with pytest.raises(ValueError):
        validators.id_number_check_char("1234")


def _reference_id_check_char(first17: str) -> str:
    """GB 11643-1999 as the standard states it: weights 2^(n-1) mod 11, check (12 - S) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


@examples
@given(st.text("0123456789", min_size=17, max_size=17))
def test_id_check_char_agrees_with_the_standards_formula(first17: str) -> None:
    assert validators.id_number_check_char(first17) == _reference_id_check_char(first17)


@pytest.mark.parametrize(
    "id_number",
    [
        "420106199001010060",
        "420106199001010001",
        "420106199001010052",
        "420106199001010183",
        "420106199001010044",
        "420106199001010095",
        "420106199001010036",
        "420106199001010087",
        "420106199001010028",
        "420106199001010079",
        "42010619900101001X",
    ],
)
def test_id_numbers_ending_in_each_check_character_are_valid(id_number: str) -> None:
    assert validators.parse_id_number(id_number, TODAY) == id_number


# --- masking -------------------------------------------------------------------------------------


def test_mask_id_number_shows_first_three_and_last_four() -> None:
    assert validators.mask_id_number("42010619900101123X") == "420***********123X"


def test_mask_mobile_shows_first_three_and_last_four() -> None:
    assert validators.mask_mobile("13812345678") == "138****5678"


@examples
@given(id_numbers())
def test_masking_keeps_length_and_hides_the_birth_date(id_number: str) -> None:
    masked = validators.mask_id_number(id_number)
    assert len(masked) == len(id_number)
    assert masked[:3] == id_number[:3]
    assert masked[-4:] == id_number[-4:]
    assert set(masked[3:-4]) == {"*"}


@examples
@given(mobiles())
def test_mobile_masking_keeps_length_and_hides_the_middle(mobile: str) -> None:
    masked = validators.mask_mobile(mobile)
    assert (len(masked), masked[:3], masked[3:7], masked[7:]) == (
        11,
        mobile[:3],
        "****",
        mobile[7:],
    )


def test_masking_a_short_value_hides_everything() -> None:
    assert validators.mask_mobile("12345") == "*****"


# --- unified social credit code ------------------------------------------------------------------


def test_known_credit_code_is_valid() -> None:
    assert validators.credit_code_check_char(VALID_CREDIT_CODE[:17]) == "3"
    assert validators.parse_credit_code(VALID_CREDIT_CODE) == VALID_CREDIT_CODE


def _reference_credit_check_char(first17: str) -> str:
    """GB 32100-2015 as the standard states it: weights 3^i mod 31, check value (-S) mod 31."""
    total = sum(CREDIT_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CREDIT_ALPHABET[-total % 31]


@examples
@given(st.text(CREDIT_ALPHABET, min_size=17, max_size=17))
def test_credit_check_char_agrees_with_the_standards_formula(first17: str) -> None:
    assert validators.credit_code_check_char(first17) == _reference_credit_check_char(first17)


@pytest.mark.parametrize("code", ["91420100MA4K000120", "91420100MA4K00002Y"])
def test_credit_codes_whose_check_value_wraps_are_valid(code: str) -> None:
    """Check value 31 is written 0, and 30 is Y: the edges of the modulo."""
    assert validators.parse_credit_code(code) == code


@examples
@given(credit_codes(), st.data())
def test_every_well_formed_credit_code_passes_in_any_typed_form(
    code: str, data: st.DataObject
) -> None:
    assert validators.parse_credit_code(code) == code
    assert validators.parse_credit_code(code.lower()) == code
    assert validators.parse_credit_code(data.draw(with_spaces(full_width(code.lower())))) == code


@examples
@given(credit_codes(), st.data())
def test_any_single_character_change_of_a_credit_code_is_refused(
    code: str, data: st.DataObject
) -> None:
    changed = data.draw(single_substitutions(code, CREDIT_ALPHABET))
    assert refusal(validators.parse_credit_code, changed).key == validators.CREDIT_WRONG_CHECK_CHAR


@pytest.mark.parametrize(
    ("typed", "letters"),
    [("91350100MOOO100Y43", "O"), ("9135010OM000I00Y43", "I、O"), ("9135Z100M000100V43", "V、Z")],
)
def test_credit_code_reason_names_the_forbidden_letters(typed: str, letters: str) -> None:
    refused = refusal(validators.parse_credit_code, typed)
    assert (refused.field, refused.key) == ("credit_code", validators.CREDIT_FORBIDDEN_LETTERS)
    assert refused.params == {"letters": letters}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", validators.EMPTY_REASONS["credit_code"]),
        ("91350100M000100Y4", validators.CREDIT_WRONG_LENGTH),
        ("91350100M000100Y433", validators.CREDIT_WRONG_LENGTH),
        ("91350100-M000100Y4", validators.CREDIT_BAD_CHARACTERS),
        ("91350100M000100Y44", validators.CREDIT_WRONG_CHECK_CHAR),
    ],
)
def test_credit_code_refusal_reasons(typed: str, key: str) -> None:
    assert refusal(validators.parse_credit_code, typed).key == key


# --- mobile and phone ----------------------------------------------------------------------------


@examples
@given(mobiles(), st.sampled_from(["{}", "+86{}", "86{}", "+86 {}", "0086{}"]))
def test_mobile_with_country_code_hyphens_and_full_width_digits(mobile: str, form: str) -> None:
    hyphenated = f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    assert validators.parse_mobile(form.format(mobile)) == mobile
    assert validators.parse_mobile(form.format(hyphenated)) == mobile
    assert validators.parse_mobile(full_width(form.format(mobile))) == mobile


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", validators.EMPTY_REASONS["mobile"]),
        ("1381234567", validators.MOBILE_WRONG_LENGTH),
        ("138123456789", validators.MOBILE_WRONG_LENGTH),
        ("12812345678", validators.MOBILE_WRONG_PREFIX),
        ("23812345678", validators.MOBILE_WRONG_PREFIX),
        ("1381234567a", validators.MOBILE_BAD_CHARACTERS),
    ],
)
def test_mobile_refusal_reasons(typed: str, key: str) -> None:
    refused = refusal(validators.parse_mobile, typed)
    assert (refused.field, refused.key) == ("mobile", key)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("027-87654321", "027-87654321"),
        ("02787654321", "027-87654321"),
        ("010 12345678", "010-12345678"),
        ("(027)87654321", "027-87654321"),
        ("（０２７）８７６５４３２１", "027-87654321"),
        ("0716-8234567", "0716-8234567"),
        ("07168234567", "0716-8234567"),
        ("07108234567", "0710-8234567"),
        ("027-87654321-123", "027-87654321-123"),
        ("027-87654321转8001", "027-87654321-8001"),
    ],
)
def test_phone_accepts_mobiles_and_landlines(typed: str, normal: str) -> None:
    assert validators.parse_phone(typed) == normal


@pytest.mark.parametrize(
    "typed", ["87654321", "027-123456", "0271234567890", "+1 555 1234", "电话"]
)
def test_phone_refuses_numbers_without_area_code_or_wrong_length(typed: str) -> None:
    refused = refusal(validators.parse_phone, typed)
    assert (refused.field, refused.key) == ("phone", validators.PHONE_INVALID)


def test_phone_that_looks_like_a_mobile_gets_the_mobile_reason_under_the_phone_field() -> None:
    refused = refusal(validators.parse_phone, "1381234567")
    assert (refused.field, refused.key) == ("phone", validators.MOBILE_WRONG_LENGTH)


# --- regions -------------------------------------------------------------------------------------


def test_there_are_seventeen_regions_in_the_documented_order() -> None:
    assert len(validators.HUBEI_REGIONS) == len(set(validators.HUBEI_REGIONS)) == 17
    assert validators.HUBEI_REGIONS[0] == "武汉市"
    assert validators.HUBEI_REGIONS[12] == "恩施土家族苗族自治州"
    assert validators.HUBEI_REGIONS[-1] == "神农架林区"


@pytest.mark.parametrize("region", validators.HUBEI_REGIONS)
def test_every_region_is_found_by_full_and_short_name(region: str) -> None:
    short = region.removesuffix("市").removesuffix("林区").removesuffix("土家族苗族自治州")
    assert validators.parse_region(region) == region
    assert validators.parse_region(f" {short} ") == region
    assert validators.parse_region("湖北省" + region) == region


@pytest.mark.parametrize(
    ("typed", "region"),
    [("恩施州", "恩施土家族苗族自治州"), ("襄樊", "襄阳市"), ("神农架", "神农架林区")],
)
def test_region_aliases(typed: str, region: str) -> None:
    assert validators.parse_region(typed) == region


@pytest.mark.parametrize(("typed", "choices"), [("荆", "荆门市、荆州市"), ("黄", "黄石市、黄冈市")])
def test_ambiguous_region_prefix_lists_the_choices(typed: str, choices: str) -> None:
    refused = refusal(validators.parse_region, typed)
    assert refused.key == validators.REGION_AMBIGUOUS
    assert refused.params == {"value": typed, "choices": choices}


@pytest.mark.parametrize("typed", ["长沙市", "武汉县", "湖北省"])
def test_region_outside_hubei_is_refused(typed: str) -> None:
    assert refusal(validators.parse_region, typed).key == validators.REGION_UNKNOWN


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "2026-03-01",
        "2026-3-1",
        "2026/3/1",
        "2026/03/01",
        "2026.3.1",
        "2026年3月1日",
        "2026年03月01日",
        "2026年3月1号",
        "2026 年 3 月 1 日",
        "20260301",
        "２０２６－０３－０１",
        "２０２６年３月１日",
        "2026-03-01 00:00:00",
        "2026/3/1 0:00",
    ],
)
def test_each_documented_date_format_parses(typed: str) -> None:
    assert validators.parse_date(typed) == date(2026, 3, 1)


@examples
@given(st.dates(date(1900, 1, 1), date(2099, 12, 31)))
def test_any_date_parses_in_every_format(day: date) -> None:
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        full_width(day.isoformat()),
    ]
    assert {validators.parse_date(form) for form in forms} == {day}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("2026-02-30", validators.DATE_BAD_DAY),
        ("2025-02-29", validators.DATE_BAD_DAY),
        ("2026年4月31日", validators.DATE_BAD_DAY),
        ("20260230", validators.DATE_BAD_DAY),
        ("2026-13-01", validators.DATE_BAD_MONTH),
        ("2026/0/10", validators.DATE_BAD_MONTH),
        ("0226-03-01", validators.DATE_BAD_YEAR),
        ("2026-3/1", validators.DATE_UNRECOGNISED),
        ("3/1/2026", validators.DATE_UNRECOGNISED),
        ("明天", validators.DATE_UNRECOGNISED),
        ("", validators.EMPTY_REASONS["date"]),
    ],
)
def test_impossible_or_unrecognised_dates_are_refused(typed: str, key: str) -> None:
    assert refusal(validators.parse_date, typed).key == key


def test_impossible_day_reason_names_the_date() -> None:
    assert refusal(validators.parse_date, "2026-02-30").params == {
        "year": 2026,
        "month": 2,
        "day": 30,
    }


def test_date_refusal_carries_the_callers_field() -> None:
    assert refusal(validators.parse_date, "2026-02-30", field="end_date").field == "end_date"


# --- hours and scores ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.5", "0.5"),
        ("1", "1"),
        ("24.0", "24"),
        ("1.50", "1.5"),
        ("999", "999"),
        ("３２学时", "32"),
    ],
)
def test_hours_in_half_steps_are_accepted(typed: str, value: str) -> None:
    assert validators.parse_hours(typed) == Decimal(value)
    assert str(validators.parse_hours(typed)) == value


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("0", validators.HOURS_NOT_POSITIVE),
        ("-1", validators.HOURS_NOT_POSITIVE),
        ("1.25", validators.HOURS_NOT_HALF),
        ("0.3", validators.HOURS_NOT_HALF),
        ("999.5", validators.HOURS_TOO_MANY),
        ("1000", validators.HOURS_TOO_MANY),
        ("abc", validators.HOURS_NOT_A_NUMBER),
        ("1e2", validators.HOURS_NOT_A_NUMBER),
        ("NaN", validators.HOURS_NOT_A_NUMBER),
        ("Infinity", validators.HOURS_NOT_A_NUMBER),
        ("", validators.EMPTY_REASONS["hours"]),
    ],
)
def test_hours_refusal_reasons(typed: str, key: str) -> None:
    assert refusal(validators.parse_hours, typed).key == key


def test_zero_hours_only_when_allowed() -> None:
    assert validators.parse_hours("0", allow_zero=True) == 0
    assert refusal(validators.parse_hours, "-0.5", allow_zero=True).key == validators.HOURS_NEGATIVE


def test_hours_at_most_the_given_maximum() -> None:
    assert validators.parse_hours("24", maximum=Decimal(24)) == 24
    refused = refusal(validators.parse_hours, "24.5", maximum=Decimal(24))
    assert (refused.key, refused.params) == (validators.HOURS_TOO_MANY, {"maximum": Decimal(24)})


@examples
@given(st.integers(1, 1998))
def test_every_half_step_up_to_999_round_trips(halves: int) -> None:
    hours = Decimal(halves) / 2
    assert validators.parse_hours(str(hours)) == hours


@examples
@given(st.integers(0, 99_899).filter(lambda n: n % 50 != 0))
def test_hours_off_the_half_step_are_refused(hundredths: int) -> None:
    assert (
        refusal(validators.parse_hours, str(Decimal(hundredths) / 100)).key
        == validators.HOURS_NOT_HALF
    )


@pytest.mark.parametrize(
    ("typed", "value"),
    [("0", "0"), ("100", "100"), ("85.5", "85.5"), ("92.50", "92.5"), ("60分", "60")],
)
def test_scores_from_0_to_100_with_one_decimal(typed: str, value: str) -> None:
    assert validators.parse_score(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("100.1", validators.SCORE_OUT_OF_RANGE),
        ("101", validators.SCORE_OUT_OF_RANGE),
        ("-0.5", validators.SCORE_OUT_OF_RANGE),
        ("85.55", validators.SCORE_TOO_PRECISE),
        ("优秀", validators.SCORE_NOT_A_NUMBER),
        ("", validators.EMPTY_REASONS["score"]),
    ],
)
def test_score_refusal_reasons(typed: str, key: str) -> None:
    assert refusal(validators.parse_score, typed).key == key


@examples
@given(st.integers(0, 1000))
def test_every_tenth_from_0_to_100_is_a_score(tenths: int) -> None:
    assert validators.parse_score(str(Decimal(tenths) / 10)) == Decimal(tenths) / 10


# --- names and text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("  张三  ", "张三"),
        ("阿卜杜拉·艾尼", "阿卜杜拉·艾尼"),
        ("湖北省  继续教育\n基地", "湖北省 继续教育 基地"),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"),
        ("3M 中国", "3M 中国"),
    ],
)
def test_names_are_trimmed_and_inner_whitespace_collapsed(typed: str, name: str) -> None:
    assert validators.parse_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", validators.EMPTY_REASONS["name"]),
        ("张\x00三", validators.NAME_CONTROL_CHARS),
        ("张三\u202e", validators.NAME_CONTROL_CHARS),
        ("12345", validators.NAME_DIGITS_ONLY),
        ("１２ ３４", validators.NAME_DIGITS_ONLY),
        ("😀😀", validators.NAME_NO_LETTERS),
        ("---", validators.NAME_NO_LETTERS),
    ],
)
def test_name_refusal_reasons(typed: str, key: str) -> None:
    refused = refusal(validators.parse_name, typed)
    assert (refused.field, refused.key) == ("name", key)


def test_name_length_is_limited() -> None:
    assert validators.parse_name("张" * 50) == "张" * 50
    refused = refusal(validators.parse_name, "张" * 51)
    assert (refused.key, refused.params) == (
        validators.NAME_TOO_LONG,
        {"max_length": 50, "length": 51},
    )


def test_name_field_and_empty_reason_follow_the_caller() -> None:
    refused = refusal(validators.parse_name, " ", field="base_name", max_length=100)
    assert (refused.field, refused.key) == ("base_name", validators.EMPTY_REASONS["base_name"])


def test_huge_name_is_refused_before_normalisation() -> None:
    refused = refusal(validators.parse_name, "ﷺ" * 10_000)
    assert refused.key == validators.NAME_TOO_LONG
    assert refused.params["length"] == 10_000


def test_single_line_text_refuses_newlines() -> None:
    assert refusal(validators.parse_text, "武汉市\n江岸区").key == validators.TEXT_NO_NEWLINES


def test_long_text_keeps_newlines_and_turns_tabs_into_spaces() -> None:
    typed = "第一段  \r\n第二段\t内容"
    assert validators.parse_text(typed, max_length=2000) == "第一段\n第二段 内容"


@pytest.mark.parametrize("typed", ["地址\x07", "地址\x1b[31m", "说明\x0b内容"])
def test_text_refuses_control_characters(typed: str) -> None:
    assert (
        refusal(validators.parse_text, typed, max_length=2000).key == validators.TEXT_CONTROL_CHARS
    )


def test_text_length_and_required() -> None:
    assert validators.parse_text("字" * 200) == "字" * 200
    assert refusal(validators.parse_text, "字" * 201).key == validators.TEXT_TOO_LONG
    assert (
        refusal(validators.parse_text, "  ", field="address").key
        == validators.EMPTY_REASONS["address"]
    )
    assert validators.parse_text("  ", required=False) == ""


# --- integers, money, years ----------------------------------------------------------------------


def test_positive_int() -> None:
    assert validators.parse_positive_int(" ５０ ", field="capacity", maximum=10_000) == 50
    assert (
        refusal(validators.parse_positive_int, "0", field="capacity", maximum=9).key
        == validators.INT_NOT_POSITIVE
    )
    assert (
        refusal(validators.parse_positive_int, "-3", field="capacity", maximum=9).key
        == validators.INT_NOT_POSITIVE
    )
    assert refusal(validators.parse_positive_int, "1.5", field="capacity", maximum=9).key == (
        validators.INT_NOT_AN_INTEGER
    )
    too_large = refusal(validators.parse_positive_int, "10", field="capacity", maximum=9)
    assert (too_large.field, too_large.key, too_large.params) == (
        "capacity",
        validators.INT_TOO_LARGE,
        {"maximum": 9},
    )


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0", "0.00"),
        ("200", "200.00"),
        ("199.5", "199.50"),
        ("￥1,200.50元", "1200.50"),
        ("¥ 80", "80.00"),
    ],
)
def test_money_in_yuan_to_the_fen(typed: str, value: str) -> None:
    assert str(validators.parse_money(typed)) == value


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("-1", validators.MONEY_NEGATIVE),
        ("1.005", validators.MONEY_TOO_PRECISE),
        ("1,20", validators.MONEY_NOT_A_NUMBER),
        ("免费", validators.MONEY_NOT_A_NUMBER),
        ("1000000.01", validators.MONEY_TOO_LARGE),
        ("", validators.EMPTY_REASONS["fee"]),
    ],
)
def test_money_refusal_reasons(typed: str, key: str) -> None:
    refused = refusal(validators.parse_money, typed)
    assert (refused.field, refused.key) == ("fee", key)


def test_year_from_2000_to_next_year() -> None:
    assert validators.parse_year("2000", today=TODAY) == 2000
    assert validators.parse_year("２０２７年", today=TODAY) == 2027
    assert validators.parse_year("2026年度", today=TODAY) == 2026
    for typed in ("1999", "2028"):
        refused = refusal(validators.parse_year, typed, today=TODAY)
        assert (refused.key, refused.params) == (
            validators.YEAR_OUT_OF_RANGE,
            {"earliest": 2000, "latest": 2027},
        )
    assert refusal(validators.parse_year, "26", today=TODAY).key == validators.YEAR_NOT_A_YEAR


def test_every_reason_is_a_chinese_sentence() -> None:
    reasons = [
        value
        for name, value in vars(validators).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    ]
    reasons += list(validators.EMPTY_REASONS.values())
    assert len(reasons) > 40
    for reason in reasons:
        assert reason.endswith("。"), reason
