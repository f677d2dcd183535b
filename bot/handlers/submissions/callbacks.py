"""Annual submissions' callback data, conversation states and draft, declared once.

:mod:`bot.links` opens a year's plan or summary with :data:`OVERVIEW` and a material with
:data:`MATERIAL`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Final

from bot.callbacks import CallbackAction
from bot.i18n import N_
from bot.runtime import Ctx
from domain.errors import Invalid
from domain.model import SubmissionKind

DRAFT_KEY: Final = "draft:submissions"
STEP_GONE: Final = N_("这一步已经失效，请重新打开。")
ANNUAL_KINDS: Final = {k.value: k for k in (SubmissionKind.PLAN, SubmissionKind.SUMMARY)}
MATERIAL_WORD: Final = "material"

OVERVIEW = CallbackAction("sb:ov", ids=1, words=1)
"""The year's plan or summary: (year, "plan" | "summary")."""
MATERIAL = CallbackAction("sb:mat", ids=1)
"""One material's card: (material id)."""
YEARS = CallbackAction("sb:yrs", words=1)  # "plan" | "summary" | "material"
UPLOAD = CallbackAction("sb:up", ids=1, words=1)  # year, kind
VERSION = CallbackAction("sb:ver", ids=2, words=1)  # year, version, kind
SUBMIT = CallbackAction("sb:sub", ids=1, words=1)
WITHDRAW = CallbackAction("sb:wd", ids=1, words=1)
MLIST = CallbackAction("sb:ml", ids=2)  # year, page
MNEW = CallbackAction("sb:mnew", ids=1)  # year
MKIND = CallbackAction("sb:mk", words=1)  # the kind chosen while adding or editing
MFILE = CallbackAction("sb:mf", ids=2)  # material, entry: download
MADD = CallbackAction("sb:madd", ids=1)
MREPLACE = CallbackAction("sb:mrep", ids=2)
MREMOVE = CallbackAction("sb:mrm", ids=2)
MTITLE = CallbackAction("sb:mtt", ids=1)
MKINDASK = CallbackAction("sb:mka", ids=1)
MDELETE = CallbackAction("sb:mdel", ids=1)
MDELETE_OK = CallbackAction("sb:mdelok", ids=1)
MSUBMIT = CallbackAction("sb:msub", ids=1)
MWITHDRAW = CallbackAction("sb:mwd", ids=1)
DONE = CallbackAction("sb:done")


class State(IntEnum):
    """The steps of the ``submissions`` conversation: one per thing awaited, so each handler
    knows what it serves (persisted: a number keeps its meaning)."""

    MATERIAL_FILE = 1
    """More files for a material (after 添加文件, or after a new material's first file)."""
    NEW_TITLE = 2
    NEW_KIND = 3
    ANNUAL_FILE = 4
    """A new version of the year's plan or summary."""
    FIRST_FILE = 5
    """A new material's first file: the material is created with it."""
    REPLACEMENT = 6
    """The file that replaces one of a material's files."""
    TITLE = 7
    """A material's new title."""
    KIND = 8
    """A material's new kind."""


def annual_kind(word: object) -> SubmissionKind:
    """The plan or the summary, as named in callback data or a draft."""
    kind = ANNUAL_KINDS.get(str(word))
    if kind is None:
        raise Invalid("kind", STEP_GONE)
    return kind


def draft_of(context: Ctx, *needed: str) -> dict[str, Any]:
    """The step's draft, holding ``needed``; refused when it is gone (cancelled, timed out, another
    step began)."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or any(key not in draft for key in needed):
        raise Invalid("field", STEP_GONE)
    return draft


def drop_draft(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
