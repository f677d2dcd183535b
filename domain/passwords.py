"""Password policy after NIST SP 800-63B and OWASP ASVS 5: length and a blocklist, no composition.

Composition rules ("one upper, one digit, one symbol") push people to ``Password1!``; what stops
guessing is length plus refusing what attackers try first: leaked favourites, trivial patterns and
the person's own numbers. Any character is allowed, spaces and emoji included, so a passphrase in
Chinese is as welcome as one in English.
"""

from __future__ import annotations

import secrets
import unicodedata
from importlib.resources import files
from itertools import pairwise
from typing import Final

from domain.errors import Invalid
from domain.messages import N_

MIN_LENGTH: Final = 8
MAX_LENGTH: Final = 128

EMPTY: Final = N_("请输入密码。")
TOO_SHORT: Final = N_("密码至少需要 {minimum} 个字符，您输入了 {length} 个。")
TOO_LONG: Final = N_("密码不能超过 {maximum} 个字符。")
REPEATED_CHARACTER: Final = N_("密码不能由同一个字符重复组成，请换一个更难猜的密码。")
SEQUENCE: Final = N_("密码不能是连续的数字或字母（如 12345678、abcdefgh），请换一个更难猜的密码。")
CONTAINS_ID_NUMBER: Final = N_("密码不能包含您的身份证号码或其中的后几位。")
CONTAINS_MOBILE: Final = N_("密码不能包含您的手机号码。")
CONTAINS_NAME: Final = N_("密码不能包含您的姓名。")
COMMON: Final = N_("这个密码太常见，很容易被猜中，请换一个。可以用几个词组成一句只有您知道的话。")

_FIELD: Final = "password"
# How much of an ID-card number's end is too much: six digits are a common "memorable" choice.
_ID_TAIL: Final = 6


def _load_common_passwords() -> frozenset[str]:
    text = files("domain").joinpath("data", "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


COMMON_PASSWORDS: Final[frozenset[str]] = _load_common_passwords()


def normalise_password(password: str) -> str:
    """NFKC, as SP 800-63B asks, so a full-width keyboard types the same password; the hasher
    must hash this form, not the raw text."""
    return unicodedata.normalize("NFKC", password)


def _is_sequence(text: str) -> bool:
    """``12345678``, ``abcdefgh``, ``87654321``: every step one up, or every step one down."""
    folded = text.casefold()
    if len(folded) < 2 or not (folded.isascii() and (folded.isdigit() or folded.isalpha())):
        return False
    steps = {ord(b) - ord(a) for a, b in pairwise(folded)}
    return steps in ({1}, {-1})


def _squeezed(text: str) -> str:
    return "".join(normalise_password(text).split()).casefold()


def check_password_policy(
    password: str,
    *,
    id_number: str | None = None,
    mobile: str | None = None,
    name: str | None = None,
) -> None:
    """Raise ``Invalid("password", reason)`` with the first rule the password breaks."""
    if len(password) > MAX_LENGTH * 8:  # before NFKC, which may expand the text
        raise Invalid(_FIELD, TOO_LONG, maximum=MAX_LENGTH)
    normal = normalise_password(password)
    if not normal.strip():
        raise Invalid(_FIELD, EMPTY)
    if len(normal) < MIN_LENGTH:
        raise Invalid(_FIELD, TOO_SHORT, minimum=MIN_LENGTH, length=len(normal))
    if len(normal) > MAX_LENGTH:
        raise Invalid(_FIELD, TOO_LONG, maximum=MAX_LENGTH)
    if len(set(normal.casefold())) == 1:
        raise Invalid(_FIELD, REPEATED_CHARACTER)
    if _is_sequence(normal):
        raise Invalid(_FIELD, SEQUENCE)
    squeezed = _squeezed(normal)
    if id_number:
        tail = _squeezed(id_number)[-_ID_TAIL:]
        if len(tail) == _ID_TAIL and tail in squeezed:
            raise Invalid(_FIELD, CONTAINS_ID_NUMBER)
    if mobile:
        own_mobile = _squeezed(mobile)
        if len(own_mobile) >= MIN_LENGTH and own_mobile in squeezed:
            raise Invalid(_FIELD, CONTAINS_MOBILE)
    if name:
        own_name = _squeezed(name)
        # Two Chinese characters name a person; two Latin letters ("li") are inside many words.
        shortest = 4 if own_name.isascii() else 2
        if len(own_name) >= shortest and own_name in squeezed:
            raise Invalid(_FIELD, CONTAINS_NAME)
    if normal.strip().casefold() in COMMON_PASSWORDS or squeezed in COMMON_PASSWORDS:
        raise Invalid(_FIELD, COMMON)


ONE_TIME_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/l/I: read off a screen and typed on a phone without a second guess."""


def one_time_password(
    *, id_number: str | None = None, mobile: str | None = None, name: str | None = None
) -> str:
    """A fresh initial password after a reset, as ``xxxx-xxxx-xxxx`` (about 70 bits): shown once,
    changed at the next login. Drawn again in the unlikely case the policy refuses it."""
    while True:
        groups = ("".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(3))
        password = "-".join(groups)
        try:
            check_password_policy(password, id_number=id_number, mobile=mobile, name=name)
        except Invalid:
            continue
        return password
