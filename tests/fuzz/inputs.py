"""Hypothesis strategies for what people (and forgers) send a Telegram bot.

Half junk, half plausible: pure junk only ever meets the first "please type X" of a
conversation, so the plausible values (ID-card numbers, dates, amounts, yes and no, the scene's
own names) let random walks get several steps deep before the junk arrives.
"""

from __future__ import annotations

import importlib
import pkgutil

from hypothesis import strategies as st

import bot.handlers
from bot.app import COMMANDS
from bot.callbacks import CallbackAction
from bot.emulator import utf16_len
from tests.e2e.test_classes import PDF
from tests.fuzz.scene import BOSS_ID, CLERK_ID, CREDIT_CODE, PASSWORD, REVIEWER_PASSWORD
from tests.storage import spreadsheet_samples
from tests.storage.spreadsheet_samples import HEADER


def _actions() -> list[CallbackAction]:
    found: dict[str, CallbackAction] = {}
    for module in pkgutil.walk_packages(bot.handlers.__path__, "bot.handlers."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, CallbackAction):
                found[value.prefix] = value
    return sorted(found.values(), key=lambda action: action.prefix)


ACTIONS = _actions()
COMMAND_NAMES = ["start", *(name for name, _ in COMMANDS), "nonexistent", "START", "menu@cebot"]

PLAUSIBLE = [
    "武汉职业培训学院",
    "2026年武汉新培训班",
    CREDIT_CODE,
    BOSS_ID,
    CLERK_ID,
    PASSWORD,
    REVIEWER_PASSWORD,
    "13812345678",
    "027-87654321",
    "王芳",
    "李明",
    "武汉市洪山区珞喻路 1 号",
    "2026-03-01",
    "2026/3/3",
    "2026年3月5日",
    "24",
    "0",
    "-1",
    "120",
    "¥1,200.50元",
    "是",
    "否",
    "确认",
    "合格",
    "不合格",
    "88",
    "全省中级职称专业技术人员",
    "第一天 政策解读\n第二天 专业课程",
    "新角色",
    "专员",
    "4.20106199001011E+17",
    "1" * 19,
    "９１３５０１００Ｍ０００１００Ｙ４３",
]


def _sendable(text: str) -> bool:
    """What a client can send: something besides blanks, at most 4096 UTF-16 code units."""
    return bool(text.strip()) and utf16_len(text) <= 4096


short_text = st.text(min_size=1, max_size=200).filter(_sendable)


@st.composite
def long_text(draw: st.DrawFn) -> str:
    """Near Telegram's 4096 UTF-16 units, cheaply: a short random piece repeated. Drawing 4,000
    random characters would spend hypothesis' whole byte budget on one step."""
    piece = draw(st.text(min_size=1, max_size=12).filter(lambda t: bool(t.strip())))
    target = draw(st.sampled_from([4096, 4095, 4000]))
    text = piece * (target // max(utf16_len(piece), 1) + 1)
    while utf16_len(text) > target:
        text = text[:-1]
    return text if _sendable(text) else piece


texts = st.one_of(
    st.sampled_from(PLAUSIBLE),
    short_text,
    long_text(),
    st.sampled_from(["😀" * 2048, "\u202e" + "fdp.exe", "<b>x</b>", "*_[`", "\x00\x01 a"]),
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(COMMAND_NAMES))
    args = draw(st.one_of(st.just(""), st.sampled_from(PLAUSIBLE), short_text))
    text = f"/{name} {args}".rstrip() if args else f"/{name}"
    return text if _sendable(text) else f"/{name}"


WORDS = ["name", "year", "en", "zh", "zh-hans", "plan", "summary", "x", "a" * 24, "0", "materials"]
IDS = st.one_of(
    st.integers(0, 12), st.integers(0, 10**18 - 1), st.sampled_from(["-1", "01", "1e3", "", "x"])
)


@st.composite
def forged_data(draw: st.DrawFn) -> str:
    """Callback data no button carried: a real action with wrong ids, or junk, or too long."""
    kind = draw(st.sampled_from(["action", "junk", "oversized"]))
    if kind == "junk":
        return draw(st.text(min_size=1, max_size=64))
    if kind == "oversized":
        return draw(st.text(min_size=65, max_size=300))
    action = draw(st.sampled_from(ACTIONS))
    values = [str(draw(IDS)) for _ in range(action.ids)]
    values += [draw(st.sampled_from(WORDS)) for _ in range(action.words)]
    if draw(st.booleans()):  # a wrong number of parts
        values = values[: draw(st.integers(0, len(values)))] + draw(st.lists(st.just("1")))
    return ":".join([action.prefix, *values])


FILENAMES = st.one_of(
    st.sampled_from(
        ["成绩.xlsx", "scores.csv", "计划.pdf", "a.doc", "b.docx", "c.xls", "d.et", "e.png", "f"]
    ),
    st.text(min_size=1, max_size=80),
)


XLSX = spreadsheet_samples.workbook_of([HEADER, ["学员3", BOSS_ID, 90, "合格", 24, None, None]])


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["random", "pdf", "xlsx", "csv", "broken-xlsx"]))
    name = draw(FILENAMES)
    if kind == "random":
        piece = draw(st.binary(min_size=1, max_size=256))
        return piece * draw(st.sampled_from([1, 1, 16])), name
    if kind == "pdf":
        return PDF, name
    if kind == "csv":
        body = ",".join(HEADER) + "\n学员3,11010519491231002X,90,合格,24,,\n"
        return body.encode(), name
    workbook = XLSX
    if kind == "broken-xlsx":
        cut = draw(st.integers(1, len(workbook) - 1))
        return workbook[:cut], name
    return workbook, name
