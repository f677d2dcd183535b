"""学员成绩管理's callback data, conversation states and draft, declared once.

Every sub-flow (the sheet, the import, one learner) encodes and parses its buttons through these,
and :mod:`bot.links` opens a class's sheet with :data:`SHEET`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Final

from bot.callbacks import CallbackAction
from bot.i18n import N_
from bot.runtime import Ctx
from domain.errors import Invalid

DRAFT_KEY: Final = "draft:scores"
"""A learner being typed, or the class an import is for (persisted, encrypted)."""
IMPORT_KEY: Final = "_scores_import"
"""An import's checked rows until 确认导入 (memory only: see docs/decisions.md, Scores)."""
STEP_GONE: Final = N_("这一步已经失效，请重新打开成绩表。")

LIST = CallbackAction("sc:ls", ids=1)  # page
SHEET = CallbackAction("sc:sheet", ids=1)
"""A class's score sheet (the class id); what a reviewer's decision on scores links to."""
TEMPLATE = CallbackAction("sc:tpl", ids=1)
IMPORT = CallbackAction("sc:imp", ids=1)
CONFIRM = CallbackAction("sc:ok", ids=1)
EXPORT = CallbackAction("sc:exp", ids=1)
SUBMIT = CallbackAction("sc:sub", ids=1)
SUBMIT_OK = CallbackAction("sc:subok", ids=1)
WITHDRAW = CallbackAction("sc:wd", ids=1)
LEARNERS = CallbackAction("sc:ppl", ids=2)  # class, page
LEARNER = CallbackAction("sc:one", ids=2)  # class, record
ADD = CallbackAction("sc:add", ids=1)
FIND = CallbackAction("sc:find", ids=1)
EDIT = CallbackAction("sc:edit", ids=2, words=1)  # class, record, column
DELETE = CallbackAction("sc:del", ids=2)
DELETE_OK = CallbackAction("sc:delok", ids=2)
VALUE = CallbackAction("sc:v", words=1)  # a choice for the value being asked
SKIP: Final = "skip"
PASS_CHOICE: Final = "pass"
FAIL_CHOICE: Final = "fail"


class State(IntEnum):
    """The steps of the ``scores`` conversation (persisted: the numbers must not change)."""

    IMPORT_FILE = 1
    IMPORT_CONFIRM = 2
    ADD = 3
    EDIT = 4
    FIND = 5


def draft_of(context: Ctx) -> dict[str, Any]:
    """The step's draft; refused when it is gone (cancelled, timed out, another step began)."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or not isinstance(draft.get("class_id"), int):
        raise Invalid("field", STEP_GONE)
    return draft


def drop_draft(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
