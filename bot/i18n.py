"""Translation: gettext catalogues kept as .po files, compiled in memory when first needed.

Chinese is the source language (msgids are Chinese), so Chinese needs no catalogue; English has
bot/locale/en/LC_MESSAGES/messages.po. Compiling at load time means a fresh clone needs no build
step and a stale .mo can never shadow an edited .po.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "zh"
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    po_path = resources.files("bot") / "locale" / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(chosen: str | None, telegram_language_code: str | None) -> str:
    """The user's /language choice wins; else English for English Telegram clients; else Chinese."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_language_code and telegram_language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


class Translator:
    """``tr("…{name}…", name=x)``: translate, then fill placeholders (dates in local time)."""

    def __init__(self, language: str, timezone: ZoneInfo) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.timezone = timezone
        self._translations = _catalogue(self.language)

    def __call__(self, message: str, **params: object) -> str:
        text = self._translations.gettext(message)
        if not params:
            return text
        return text.format(**{k: self._render(v) for k, v in params.items()})

    def label(self, value: object) -> object:
        """A parameter that may be a msgid (a state's name): translated; other text as it is.

        The empty string is never looked up: gettext answers it with the catalogue's header.
        """
        return self(value) if isinstance(value, str) and value else value

    def _render(self, value: object) -> object:
        if isinstance(value, datetime):
            return value.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return value


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (keyboards, command lists)."""
    return message
