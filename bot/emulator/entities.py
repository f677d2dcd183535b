"""Formatted text as Telegram's server parses it: HTML, MarkdownV2 and legacy Markdown into plain
text plus entities, and the entities the server adds to what a person types (commands, links,
mentions).

The parsers follow tdlib's rules closely enough that text Telegram would refuse is refused here with
the same kind of message ("can't parse entities: ..."), because a bot that escapes badly fails only
in production otherwise. Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.limits import utf16_len

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """The text of a Bad Request: can't parse entities: ..."""


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[Entity] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[Entity]]:
        return "".join(self.parts), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise EntityParseError(f"Unsupported parse_mode: {parse_mode}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


# --- HTML -------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR = re.compile(r"""\s*([A-Za-z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")


@dataclass
class _Open:
    tag: str
    start: int
    attrs: dict[str, str]


def parse_html(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    stack: list[_Open] = []
    i = 0
    while i < len(src):
        c = src[i]
        if c == "&":
            ref = _CHAR_REF.match(src, i)
            out.add(html.unescape(ref.group(0)) if ref else "&")
            i = ref.end() if ref else i + 1
            continue
        if c != "<":
            j = i
            while j < len(src) and src[j] not in "<&":
                j += 1
            out.add(src[i:j])
            i = j
            continue
        at = _byte_offset(src, i)
        if src.startswith("</", i):
            end = src.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {at}")
            name = src[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {at}")
            top = stack.pop()
            if name != top.tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{top.tag}>", '
                    f'found "</{name}>"'
                )
            _close_html(out, top, stack)
            i = end + 1
            continue
        name_match = _TAG_NAME.match(src, i + 1)
        name = name_match.group(0).lower() if name_match else ""
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        j = name_match.end() if name_match else i + 1
        attrs: dict[str, str] = {}
        while True:
            if j >= len(src):
                raise EntityParseError(f"Unclosed start tag at byte offset {at}")
            if src[j] == ">":
                break
            attr = _ATTR.match(src, j)
            if not attr or attr.end() == j:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {at}'
                )
            value = attr.group(2) or ""
            if value[:1] in "\"'" and value:
                value = value[1:-1]
            attrs[attr.group(1).lower()] = html.unescape(value)
            j = attr.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        stack.append(_Open(name, out.pos, attrs))
        i = j + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


def _close_html(out: _Builder, tag: _Open, stack: list[_Open]) -> None:
    kind = _HTML_TAGS[tag.tag]
    if kind == "text_link":
        url = tag.attrs.get("href", "")
        if url:
            out.entity("text_link", tag.start, url=url)
        return
    if kind == "code" and stack and stack[-1].tag == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].attrs["language"] = language.removeprefix("language-")
            return
    if kind == "pre" and tag.attrs.get("language"):
        out.entity("pre", tag.start, language=tag.attrs["language"])
        return
    if kind == "blockquote" and "expandable" in tag.attrs:
        out.entity("expandable_blockquote", tag.start)
        return
    if kind == "custom_emoji":
        out.entity(kind, tag.start, custom_emoji_id=tag.attrs.get("emoji-id", ""))
        return
    out.entity(kind, tag.start)


# --- MarkdownV2 -------------------------------------------------------------------------------

_RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}
_V2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    stack: list[_Mark] = []
    i = 0
    n = len(src)
    at_line_start = True
    quote_start: int | None = None
    while i < n:
        c = src[i]
        top = stack[-1] if stack else None
        if top is not None and top.kind in ("code", "pre"):
            if c == "\\" and i + 1 < n and src[i + 1] in "`\\":
                out.add(src[i + 1])
                i += 2
                continue
            closing = "```" if top.kind == "pre" else "`"
            if src.startswith(closing, i):
                stack.pop()
                extra = {"language": top.language} if top.language else {}
                out.entity(top.kind, top.start, **extra)
                i += len(closing)
                continue
            out.add(c)
            i += 1
            continue
        if at_line_start:
            at_line_start = False
            if c == ">":
                if quote_start is None:
                    quote_start = out.pos
                i += 1
                continue
            if quote_start is not None:
                out.entity("blockquote", quote_start)
                quote_start = None
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) < 127:
            out.add(src[i + 1])
            i += 2
            continue
        if c == "\n":
            if quote_start is not None and not src.startswith(">", i + 1):
                out.entity("blockquote", quote_start)  # the newline ending a quote stays outside
                quote_start = None
            out.add(c)
            at_line_start = True
            i += 1
            continue
        if c not in _RESERVED_V2:
            out.add(c)
            i += 1
            continue
        if c == "`":
            if src.startswith("```", i):
                end_of_line = src.find("\n", i + 3)
                language = src[i + 3 : end_of_line].strip() if end_of_line != -1 else ""
                stack.append(_Mark("pre", out.pos, i, language))
                i = end_of_line + 1 if language else i + 3
                continue
            stack.append(_Mark("code", out.pos, i))
            i += 1
            continue
        if c == "[":
            stack.append(_Mark("text_link", out.pos, i))
            i += 1
            continue
        if c == "]" and top is not None and top.kind == "text_link":
            i = _close_v2_link(src, i, out, stack)
            continue
        marker = src[i : i + 2] if src[i : i + 2] in ("__", "||") else c
        kind = _V2_MARKERS.get(marker)
        if kind is None:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        if top is not None and top.kind == kind:
            stack.pop()
            out.entity(kind, top.start)
        elif top is not None and any(mark.kind == kind for mark in stack):
            raise EntityParseError(
                f"Can't find end of {_V2_NAMES[top.kind]} entity at byte offset "
                f"{_byte_offset(src, top.source)}"
            )
        else:
            stack.append(_Mark(kind, out.pos, i))
        i += len(marker)
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_V2_NAMES[top.kind]} entity at byte offset "
            f"{_byte_offset(src, top.source)}"
        )
    return out.result()


@dataclass
class _Mark:
    kind: str
    start: int
    source: int
    language: str = ""


def _close_v2_link(src: str, i: int, out: _Builder, stack: list[_Mark]) -> int:
    """At the ``]`` of ``[text](url)``: reads the URL and returns the index after ``)``."""
    mark = stack.pop()
    if not src.startswith("(", i + 1):
        raise EntityParseError(
            f"Can't find end of TextUrl entity at byte offset {_byte_offset(src, mark.source)}"
        )
    url: list[str] = []
    j = i + 2
    while j < len(src) and src[j] != ")":
        if src[j] == "\\" and j + 1 < len(src):
            j += 1
        url.append(src[j])
        j += 1
    if j >= len(src):
        raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}")
    out.entity("text_link", mark.start, url="".join(url))
    return j + 1


# --- legacy Markdown --------------------------------------------------------------------------


def parse_markdown(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        start_byte = _byte_offset(src, i)
        error = EntityParseError(
            f"Can't find end of the entity starting at byte offset {start_byte}"
        )
        if c == "[":
            close = src.find("](", i + 1)
            end = src.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise error
            start = out.pos
            out.add(src[i + 1 : close])
            out.entity("text_link", start, url=src[close + 2 : end])
            i = end + 1
            continue
        marker = "```" if src.startswith("```", i) else c
        end = src.find(marker, i + len(marker))
        if end == -1:
            raise error
        body = src[i + len(marker) : end]
        start = out.pos
        if marker == "```":
            first, newline, rest = body.partition("\n")
            language = first.strip() if newline and first.strip() and " " not in first else ""
            out.add(rest if language else body)
            out.entity("pre", start, **({"language": language} if language else {}))
        else:
            out.add(body)
            out.entity({"*": "bold", "_": "italic", "`": "code"}[marker], start)
        i = end + len(marker)
    return out.result()


# --- what the server adds to a person's message -----------------------------------------------

_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>\bhttps?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9\-_~/#=&%])"
    r"|(?P<email>\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)


def detect(text: str) -> list[Entity]:
    """Commands, links, e-mail addresses, mentions and hashtags, as the server marks them."""
    found: list[Entity] = []
    for match in _AUTO.finditer(text):
        kind = match.lastgroup or ""
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return found
