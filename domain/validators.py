"""Pure validators: raw text a person typed (or a spreadsheet cell held) in, a normalised value out.

Each refusal is an ``Invalid(field, reason)`` whose reason says precisely what is wrong and how to
fix it, because the admins fill these forms on a phone and rarely know the rule behind a code.
Inputs arrive messy (full-width digits from Chinese keyboards, spaces copied from documents, a
lower-case x, ID numbers that Excel turned into floats), so every parser accepts what a careful
person would accept and stores one canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from domain.errors import Invalid
from domain.messages import N_

# --- reasons -------------------------------------------------------------------------------------
# Module constants so callers (the Excel import marks cells) and tests can name a reason exactly.

EMPTY_REASONS: Final[dict[str, str]] = {
    "id_number": N_("请输入身份证号码。"),
    "credit_code": N_("请输入统一社会信用代码。"),
    "mobile": N_("请输入手机号码。"),
    "phone": N_("请输入联系电话。"),
    "region": N_("请输入所在市州。"),
    "date": N_("请输入日期。"),
    "hours": N_("请输入学时。"),
    "score": N_("请输入成绩。"),
    "name": N_("请输入姓名。"),
    "text": N_("请输入内容。"),
    "password": N_("请输入密码。"),
    "capacity": N_("请输入人数。"),
    "fee": N_("请输入费用（元），免费请填 0。"),
    "year": N_("请输入年份。"),
    "base_name": N_("请输入机构名称。"),
    "contact_person": N_("请输入联系人姓名。"),
    "role_name": N_("请输入角色名称。"),
    "address": N_("请输入地址。"),
    "location": N_("请输入培训地点。"),
}
EMPTY_DEFAULT: Final = N_("请填写此项。")

ID_EXCEL_NUMBER: Final = N_(
    "这个身份证号码被 Excel 当成了数字（科学计数法），后几位已经丢失。"
    "请把该列设置为“文本”格式，重新填写完整的 18 位号码。"
)
ID_FIRST_GENERATION: Final = N_("15 位的第一代身份证号码已停止使用，请输入 18 位身份证号码。")
ID_WRONG_LENGTH: Final = N_("身份证号码应为 18 位，您输入了 {length} 位。")
ID_BAD_CHARACTERS: Final = N_(
    "身份证号码前 17 位只能是数字，最后一位是数字或字母 X，请检查是否输入了其他字符。"
)
ID_IMPOSSIBLE_BIRTH_DATE: Final = N_(
    "身份证号码第 7–14 位应为出生日期，“{birth}”不是有效的日期，请核对。"
)
ID_FUTURE_BIRTH_DATE: Final = N_("身份证号码中的出生日期晚于今天，请核对第 7–14 位。")
ID_BIRTH_BEFORE_1900: Final = N_("身份证号码中的出生日期早于 1900 年，请核对第 7–14 位。")
ID_WRONG_CHECK_CHAR: Final = N_("身份证号码校验位不正确，请核对最后一位。")

CREDIT_FORBIDDEN_LETTERS: Final = N_(
    "统一社会信用代码不使用字母 I、O、S、V、Z，您输入的代码中有 {letters}。"
    "请核对是否应为数字（例如 O 应为 0，I 应为 1）。"
)
CREDIT_BAD_CHARACTERS: Final = N_(
    "统一社会信用代码只能包含数字和英文字母，请检查是否输入了其他字符。"
)
CREDIT_WRONG_LENGTH: Final = N_("统一社会信用代码应为 18 位，您输入了 {length} 位。")
CREDIT_WRONG_CHECK_CHAR: Final = N_("统一社会信用代码校验位不正确，请核对最后一位。")

MOBILE_BAD_CHARACTERS: Final = N_("手机号码只能包含数字，请检查是否输入了其他字符。")
MOBILE_WRONG_LENGTH: Final = N_("手机号码应为 11 位，您输入了 {length} 位。")
MOBILE_WRONG_PREFIX: Final = N_("手机号码应以 13–19 开头，请核对。")
PHONE_INVALID: Final = N_(
    "请填写 11 位手机号码，或带区号的固定电话（例如 027-87654321，分机可写作 027-87654321-123）。"
)

REGION_UNKNOWN: Final = N_("“{value}”不是湖北省的市州，请从列表中选择。")
REGION_AMBIGUOUS: Final = N_("“{value}”可能是 {choices}，请输入完整名称。")

DATE_UNRECOGNISED: Final = N_("无法识别日期“{value}”，请按 2026-03-01 或 2026年3月1日 的格式填写。")
DATE_BAD_YEAR: Final = N_("日期中的年份 {year} 不在合理范围内，请核对。")
DATE_BAD_MONTH: Final = N_("日期中的月份 {month} 不正确，月份应在 1 到 12 之间。")
DATE_BAD_DAY: Final = N_("{year} 年 {month} 月没有 {day} 日，请核对日期。")

NUMBER_TOO_LONG: Final = N_("输入的数字过长，请核对。")
HOURS_NOT_A_NUMBER: Final = N_("学时应为数字，例如 24 或 1.5。")
HOURS_NOT_POSITIVE: Final = N_("学时必须大于 0。")
HOURS_NEGATIVE: Final = N_("学时不能为负数。")
HOURS_NOT_HALF: Final = N_("学时的最小单位是 0.5，请填写如 1、1.5、2 这样的数。")
HOURS_TOO_MANY: Final = N_("学时不能超过 {maximum}。")

SCORE_NOT_A_NUMBER: Final = N_("成绩应为 0 到 100 之间的数字，例如 85 或 92.5。")
SCORE_OUT_OF_RANGE: Final = N_("成绩应在 0 到 100 之间。")
SCORE_TOO_PRECISE: Final = N_("成绩最多保留一位小数。")

NAME_TOO_LONG: Final = N_("名称不能超过 {max_length} 个字，您输入了 {length} 个字。")
NAME_CONTROL_CHARS: Final = N_("名称中含有无法显示的控制字符，请删除后重新输入。")
NAME_DIGITS_ONLY: Final = N_("名称不能只有数字。")
NAME_NO_LETTERS: Final = N_("名称中应包含文字，不能只有符号或表情。")

TEXT_TOO_LONG: Final = N_("内容不能超过 {max_length} 个字，您输入了 {length} 个字。")
TEXT_CONTROL_CHARS: Final = N_("内容中含有无法显示的控制字符，请删除后重新输入。")
TEXT_NO_NEWLINES: Final = N_("此处只能填写一行，请不要换行。")

INT_NOT_AN_INTEGER: Final = N_("请填写整数，例如 30。")
INT_NOT_POSITIVE: Final = N_("数量必须大于 0。")
INT_TOO_LARGE: Final = N_("不能超过 {maximum}。")

MONEY_NOT_A_NUMBER: Final = N_("金额应为数字（单位：元），例如 0、200 或 199.50。")
MONEY_NEGATIVE: Final = N_("金额不能为负数。")
MONEY_TOO_PRECISE: Final = N_("金额最多保留两位小数（精确到分）。")
MONEY_TOO_LARGE: Final = N_("金额不能超过 {maximum} 元。")

YEAR_NOT_A_YEAR: Final = N_("年份应为四位数字，例如 {example}。")
YEAR_OUT_OF_RANGE: Final = N_("年份应在 {earliest} 到 {latest} 之间。")

# --- shared helpers ------------------------------------------------------------------------------

# Invisible characters that copy-paste from Word, web pages or WeChat leaves inside codes.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad"), None)
# Bidirectional overrides can disguise a name as another one in a chat list.
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Longest raw input a code or number parser will even look at: NFKC is not free.
_CODE_RAW_LIMIT: Final = 64


def normalise_input(raw: str) -> str:
    """NFKC turns full-width digits, letters, punctuation and spaces into ASCII; then strip."""
    return unicodedata.normalize("NFKC", raw).translate(_INVISIBLE).strip()


def _compact(text: str) -> str:
    return "".join(text.split())


def _empty(field: str) -> Invalid:
    return Invalid(field, EMPTY_REASONS.get(field, EMPTY_DEFAULT))


def _code(raw: str, field: str, too_long: str) -> str:
    """A code or number: normalised with every space removed, refused early when absurdly long."""
    if len(raw) > _CODE_RAW_LIMIT:
        raise Invalid(field, too_long, length=len(raw))
    text = _compact(normalise_input(raw))
    if not text:
        raise _empty(field)
    return text


# --- ID-card number (GB 11643-1999) --------------------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"
_EXCEL_NUMBER: Final = re.compile(r"\d+(?:\.\d*)?[eE]\+?\d+", re.ASCII)
_EARLIEST_BIRTH: Final = date(1900, 1, 1)


def id_number_check_char(first17: str) -> str:
    """The 18th character that GB 11643-1999 derives from the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("id_number_check_char needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_id_number(raw: str, today: date) -> str:
    """Format, birth date and check character only: retired area codes stay valid for life."""
    field = "id_number"
    text = _code(raw, field, ID_WRONG_LENGTH).lstrip("'‘").upper()
    if _EXCEL_NUMBER.fullmatch(text):
        raise Invalid(field, ID_EXCEL_NUMBER)
    if not text.isascii() or any(c not in "0123456789X" for c in text):
        raise Invalid(field, ID_BAD_CHARACTERS)
    if len(text) == 15 and text.isdigit():
        raise Invalid(field, ID_FIRST_GENERATION)
    if len(text) != 18:
        raise Invalid(field, ID_WRONG_LENGTH, length=len(text))
    if not text[:17].isdigit():
        raise Invalid(field, ID_BAD_CHARACTERS)
    birth_text = text[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise Invalid(field, ID_IMPOSSIBLE_BIRTH_DATE, birth=birth_text) from None
    if birth > today:
        raise Invalid(field, ID_FUTURE_BIRTH_DATE)
    if birth < _EARLIEST_BIRTH:
        raise Invalid(field, ID_BIRTH_BEFORE_1900)
    if id_number_check_char(text[:17]) != text[17]:
        raise Invalid(field, ID_WRONG_CHECK_CHAR)
    return text


def _mask(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(id_number: str) -> str:
    """First 3 and last 4 characters: enough for a person to recognise their own number."""
    return _mask(id_number)


def mask_mobile(mobile: str) -> str:
    return _mask(mobile)


# --- Unified social credit code (GB 32100-2015) --------------------------------------------------

_CREDIT_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final = {char: value for value, char in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_FORBIDDEN: Final = "IOSVZ"


def credit_code_check_char(first17: str) -> str:
    """The 18th character that GB 32100-2015 derives from the first 17."""
    if len(first17) != 17 or any(c not in _CREDIT_VALUES for c in first17):
        raise ValueError("credit_code_check_char needs 17 characters of the code alphabet")
    total = sum(
        _CREDIT_VALUES[char] * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(raw: str) -> str:
    field = "credit_code"
    text = _code(raw, field, CREDIT_WRONG_LENGTH).lstrip("'‘").upper()
    if not text.isascii() or not text.isalnum():
        raise Invalid(field, CREDIT_BAD_CHARACTERS)
    forbidden = sorted({c for c in text if c in _CREDIT_FORBIDDEN})
    if forbidden:
        raise Invalid(field, CREDIT_FORBIDDEN_LETTERS, letters="、".join(forbidden))
    if len(text) != 18:
        raise Invalid(field, CREDIT_WRONG_LENGTH, length=len(text))
    if credit_code_check_char(text[:17]) != text[17]:
        raise Invalid(field, CREDIT_WRONG_CHECK_CHAR)
    return text


# --- Telephone numbers ---------------------------------------------------------------------------

_MOBILE: Final = re.compile(r"1[3-9]\d{9}", re.ASCII)
# Area codes of 3 digits (with the 0) are 010 and 02x; all others have 4.
_LANDLINE: Final = re.compile(
    r"\(?(?P<area>0\d{2,3})\)?-?(?P<local>\d{7,8})(?:(?:-|转|ext\.?|x)(?P<ext>\d{1,6}))?",
    re.IGNORECASE | re.ASCII,
)


def _strip_country_code(text: str) -> str:
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    if text.startswith("86") and len(text) == 13:
        return text[2:]
    return text


def parse_mobile(raw: str) -> str:
    field = "mobile"
    text = _code(raw, field, MOBILE_WRONG_LENGTH)
    digits = _strip_country_code(text.replace("-", ""))
    if not digits.isascii() or not digits.isdigit():
        raise Invalid(field, MOBILE_BAD_CHARACTERS)
    if len(digits) != 11:
        raise Invalid(field, MOBILE_WRONG_LENGTH, length=len(digits))
    if not _MOBILE.fullmatch(digits):
        raise Invalid(field, MOBILE_WRONG_PREFIX)
    return digits


def _split_area(digits: str) -> tuple[str, str] | None:
    area_length = 3 if digits[1] in "12" else 4
    area, local = digits[:area_length], digits[area_length:]
    return (area, local) if 7 <= len(local) <= 8 else None


def parse_phone(raw: str) -> str:
    """A mobile, or a landline normalised to ``area-local[-extension]``."""
    field = "phone"
    text = _code(raw, field, PHONE_INVALID)
    if text.startswith(("1", "+86", "0086")) or (text.startswith("86") and len(text) >= 13):
        try:
            return parse_mobile(text)
        except Invalid as refused:
            raise Invalid(field, refused.key, **refused.params) from None
    if text.isascii() and text.isdigit() and text.startswith("0"):
        split = _split_area(text)
        if split is not None:
            return "-".join(split)
        raise Invalid(field, PHONE_INVALID)
    match = _LANDLINE.fullmatch(text)
    if match is None:
        raise Invalid(field, PHONE_INVALID)
    parts = [match["area"], match["local"]]
    if match["ext"]:
        parts.append(match["ext"])
    return "-".join(parts)


# --- Regions of Hubei ----------------------------------------------------------------------------

HUBEI_REGIONS: Final[tuple[str, ...]] = (
    "武汉市",
    "黄石市",
    "十堰市",
    "宜昌市",
    "襄阳市",
    "鄂州市",
    "荆门市",
    "孝感市",
    "荆州市",
    "黄冈市",
    "咸宁市",
    "随州市",
    "恩施土家族苗族自治州",
    "仙桃市",
    "潜江市",
    "天门市",
    "神农架林区",
)
_REGION_ALIASES: Final = {
    "恩施州": "恩施土家族苗族自治州",
    "恩施自治州": "恩施土家族苗族自治州",
    "襄樊": "襄阳市",  # renamed in 2010; older documents still say 襄樊
    "襄樊市": "襄阳市",
}


def parse_region(raw: str) -> str:
    field = "region"
    text = _compact(normalise_input(raw[:_CODE_RAW_LIMIT]))
    if not text:
        raise _empty(field)
    for province in ("湖北省", "湖北"):
        if text.startswith(province) and len(text) > len(province):
            text = text[len(province) :]
            break
    if text in HUBEI_REGIONS:
        return text
    if text in _REGION_ALIASES:
        return _REGION_ALIASES[text]
    matches = [region for region in HUBEI_REGIONS if region.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Invalid(field, REGION_AMBIGUOUS, value=text, choices="、".join(matches))
    raise Invalid(field, REGION_UNKNOWN, value=text)


# --- Dates ---------------------------------------------------------------------------------------

# A trailing midnight is what str() of a spreadsheet datetime cell adds.
_MIDNIGHT: Final = re.compile(r"[ T]0?0:00(?::00)?$", re.ASCII)
_DATE_FORMATS: Final = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})", re.ASCII),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?", re.ASCII),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})", re.ASCII),
)
_EARLIEST_YEAR: Final = 1900
_LATEST_YEAR: Final = 2099


def parse_date(raw: str, *, field: str = "date") -> date:
    if len(raw) > _CODE_RAW_LIMIT:
        raise Invalid(field, DATE_UNRECOGNISED, value=raw[:20] + "…")
    text = _compact(_MIDNIGHT.sub("", normalise_input(raw)))
    if not text:
        raise _empty(field)
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match is not None:
            break
    else:
        raise Invalid(field, DATE_UNRECOGNISED, value=text)
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        raise Invalid(field, DATE_BAD_YEAR, year=year)
    if not 1 <= month <= 12:
        raise Invalid(field, DATE_BAD_MONTH, month=month)
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid(field, DATE_BAD_DAY, year=year, month=month, day=day) from None


# --- Numbers -------------------------------------------------------------------------------------

_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_THOUSANDS: Final = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
_INTEGER: Final = re.compile(r"[+-]?\d+", re.ASCII)
_YEAR: Final = re.compile(r"\d{4}", re.ASCII)
HOURS_MAXIMUM: Final = Decimal(999)
MONEY_MAXIMUM: Final = Decimal(1_000_000)


def _number(raw: str, field: str, not_a_number: str, units: tuple[str, ...] = ()) -> Decimal:
    """A plain decimal as people write it; no exponents, NaN or infinities sneak through."""
    text = _code(raw, field, NUMBER_TOO_LONG)
    for unit in units:
        if text.endswith(unit) and len(text) > len(unit):
            text = text[: -len(unit)]
            break
    if not _DECIMAL.fullmatch(text):
        raise Invalid(field, not_a_number)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise Invalid(field, not_a_number) from None


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _plain(value: Decimal) -> Decimal:
    """``24`` not ``24.0`` or ``2.4E+1``: what the person would write themselves."""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return normal.quantize(Decimal(1))
    return normal


def parse_hours(raw: str, *, maximum: Decimal | None = None, allow_zero: bool = False) -> Decimal:
    """Credit hours (学时) in steps of 0.5; ``maximum`` is e.g. the class's hours for an award."""
    field = "hours"
    value = _number(raw, field, HOURS_NOT_A_NUMBER, units=("学时", "小时"))
    if value < 0:
        raise Invalid(field, HOURS_NEGATIVE if allow_zero else HOURS_NOT_POSITIVE)
    if value == 0 and not allow_zero:
        raise Invalid(field, HOURS_NOT_POSITIVE)
    if (value * 2) % 1 != 0:
        raise Invalid(field, HOURS_NOT_HALF)
    limit = HOURS_MAXIMUM if maximum is None else min(maximum, HOURS_MAXIMUM)
    if value > limit:
        raise Invalid(field, HOURS_TOO_MANY, maximum=_plain(limit))
    return _plain(value)


def parse_score(raw: str) -> Decimal:
    field = "score"
    value = _number(raw, field, SCORE_NOT_A_NUMBER, units=("分",))
    if not 0 <= value <= 100:
        raise Invalid(field, SCORE_OUT_OF_RANGE)
    if _decimal_places(value) > 1:
        raise Invalid(field, SCORE_TOO_PRECISE)
    return _plain(value)


def parse_positive_int(raw: str, *, field: str, maximum: int) -> int:
    text = _code(raw, field, NUMBER_TOO_LONG)
    if not _INTEGER.fullmatch(text):
        raise Invalid(field, INT_NOT_AN_INTEGER)
    value = int(text)
    if value <= 0:
        raise Invalid(field, INT_NOT_POSITIVE)
    if value > maximum:
        raise Invalid(field, INT_TOO_LARGE, maximum=maximum)
    return value


def parse_money(raw: str) -> Decimal:
    """Yuan to the fen; ``¥1,200.50元`` is how fees appear in notices, so that form is accepted."""
    field = "fee"
    text = _code(raw, field, NUMBER_TOO_LONG).lstrip("¥")
    if _THOUSANDS.fullmatch(text.removesuffix("元")):
        text = text.replace(",", "")
    value = _number(text, field, MONEY_NOT_A_NUMBER, units=("元",))
    if value < 0:
        raise Invalid(field, MONEY_NEGATIVE)
    if _decimal_places(value) > 2:
        raise Invalid(field, MONEY_TOO_PRECISE)
    if value > MONEY_MAXIMUM:
        raise Invalid(field, MONEY_TOO_LARGE, maximum=MONEY_MAXIMUM)
    return value.quantize(Decimal("0.01"))


def parse_year(raw: str, *, today: date) -> int:
    """Years the platform can hold data for: from 2000 to next year's plan."""
    field = "year"
    earliest, latest = 2000, today.year + 1
    text = _code(raw, field, NUMBER_TOO_LONG).removesuffix("年度").removesuffix("年")
    if not _YEAR.fullmatch(text):
        raise Invalid(field, YEAR_NOT_A_YEAR, example=today.year)
    year = int(text)
    if not earliest <= year <= latest:
        raise Invalid(field, YEAR_OUT_OF_RANGE, earliest=earliest, latest=latest)
    return year


# --- Names and free text -------------------------------------------------------------------------


def _is_forbidden_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS


def _bounded(raw: str, field: str, max_length: int, too_long: str) -> str:
    """Refuse absurd input before NFKC (which may expand it), then measure the normalised text."""
    if len(raw) > max(4 * max_length, _CODE_RAW_LIMIT):
        raise Invalid(field, too_long, max_length=max_length, length=len(raw))
    return normalise_input(raw)


def parse_name(raw: str, *, field: str = "name", max_length: int = 50) -> str:
    """A person's or an institution's name, on one line with single spaces."""
    text = _bounded(raw, field, max_length, NAME_TOO_LONG)
    if any(_is_forbidden_control(c) for c in text if not c.isspace()):
        raise Invalid(field, NAME_CONTROL_CHARS)
    text = " ".join(text.split())
    if not text:
        raise _empty(field)
    if len(text) > max_length:
        raise Invalid(field, NAME_TOO_LONG, max_length=max_length, length=len(text))
    if _compact(text).isdigit():
        raise Invalid(field, NAME_DIGITS_ONLY)
    if not any(unicodedata.category(c).startswith("L") for c in text):
        raise Invalid(field, NAME_NO_LETTERS)
    return text


def parse_text(
    raw: str, *, field: str = "text", max_length: int = 200, required: bool = True
) -> str:
    """Free text; several lines only where the field is long enough to be a paragraph.

    Tabs become spaces rather than a refusal: they arrive with text pasted from spreadsheets.
    """
    multiline = max_length > 200
    text = _bounded(raw, field, max_length, TEXT_TOO_LONG)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if "\n" in text and not multiline:
        raise Invalid(field, TEXT_NO_NEWLINES)
    if any(_is_forbidden_control(c) for c in text if c != "\n"):
        raise Invalid(field, TEXT_CONTROL_CHARS)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    if not text:
        if required:
            raise _empty(field)
        return ""
    if len(text) > max_length:
        raise Invalid(field, TEXT_TOO_LONG, max_length=max_length, length=len(text))
    return text
