"""The English catalogue keeps up with the Chinese source.

Extraction runs here on the code as it is now (same babel.cfg and keywords as `make catalogs`), so a
string added without a translation fails this test by name, before an English user ever sees
Chinese.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import Translator
from domain.validators import HUBEI_REGIONS

ROOT = Path(__file__).resolve().parents[2]
PO_PATH = ROOT / "bot" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}  # the Makefile's -k N_ -k _ -k ngettext:1,2

# Han, CJK punctuation and full-width forms: a translation containing any of these is unfinished.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]+\b")
# A proper noun (a region's name) may stay as it is, should one ever become a msgid.
PROPER_NOUNS = frozenset(HUBEI_REGIONS)


def _source_msgids() -> Iterator[tuple[str, str]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")  # type: ignore[no-untyped-call]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                yield msgid, f"{filename}:{lineno}"


@cache
def source_msgids() -> dict[str, str]:
    """msgid → where it first occurs."""
    found: dict[str, str] = {}
    for msgid, where in _source_msgids():
        found.setdefault(msgid, where)
    return found


@cache
def catalogue() -> Catalog:
    with PO_PATH.open("rb") as po_file:
        return read_po(po_file, locale="en")


def translations() -> dict[str, str]:
    return {
        str(message.id): str(message.string)
        for message in catalogue()
        if message.id and isinstance(message.id, str)
    }


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_source_has_strings_to_translate() -> None:
    assert len(source_msgids()) > 50


def test_every_source_string_has_an_english_translation() -> None:
    english = translations()
    missing = [
        f"{where}: {msgid!r}" for msgid, where in source_msgids().items() if not english.get(msgid)
    ]
    assert not missing, (
        f"{len(missing)} string(s) have no English translation; run `make catalogs` and translate "
        "them in bot/locale/en/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_no_translation_is_fuzzy() -> None:
    fuzzy = [message.id for message in catalogue() if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy entries are ignored at run time; review and unflag: {fuzzy}"


def test_placeholders_are_kept() -> None:
    wrong = []
    for msgid, text in translations().items():
        try:
            translated = fields(text)
        except ValueError as error:  # unbalanced braces would raise at .format() time
            wrong.append(f"{msgid!r}: {error}")
            continue
        if text and translated != fields(msgid):
            wrong.append(f"{msgid!r}: {sorted(fields(msgid))} became {sorted(translated)}")
    assert not wrong, "\n".join(wrong)


def test_commands_and_line_breaks_are_kept() -> None:
    wrong = [
        msgid
        for msgid, text in translations().items()
        if text
        and (
            sorted(COMMAND.findall(text)) != sorted(COMMAND.findall(msgid))
            or text.count("\n") != msgid.count("\n")
        )
    ]
    assert not wrong, f"commands or line breaks differ from the Chinese: {wrong}"


def test_translations_contain_no_chinese() -> None:
    leftovers = {
        msgid: text
        for msgid, text in translations().items()
        if msgid not in PROPER_NOUNS and CJK.search(text)
    }
    assert not leftovers, f"Chinese characters or full-width punctuation left: {leftovers}"


@pytest.mark.parametrize(
    ("msgid", "params", "english"),
    [
        ("取消", {}, "Cancel"),
        ("登录成功，欢迎您，{name}！", {"name": "张三"}, "You are logged in. Welcome, 张三!"),
        (
            "尝试次数过多，请于 {until} 后再试。",
            {"until": datetime(2026, 3, 1, 2, 30, tzinfo=UTC)},
            "Too many attempts. Please try again after 2026-03-01 10:30.",
        ),
    ],
)
def test_translator_speaks_english(msgid: str, params: dict[str, object], english: str) -> None:
    assert Translator("en", ZoneInfo("Asia/Shanghai"))(msgid, **params) == english


def test_chinese_is_the_source_and_needs_no_catalogue() -> None:
    zh = Translator("zh", ZoneInfo("Asia/Shanghai"))
    assert zh("取消") == "取消"
    assert zh("登录成功，欢迎您，{name}！", name="张三") == "登录成功，欢迎您，张三！"


def test_an_unknown_string_falls_back_to_itself() -> None:
    assert Translator("en", ZoneInfo("Asia/Shanghai"))("不在目录中的句子") == "不在目录中的句子"


def test_a_parameter_is_translated_when_it_is_a_msgid_and_an_empty_one_stays_empty() -> None:
    t = Translator("en", ZoneInfo("UTC"))
    assert t.label("待审核") == "Awaiting review"
    assert t.label("王芳") == "王芳"
    assert t.label("") == ""  # gettext("") would be the catalogue's header
    assert t.label(3) == 3
