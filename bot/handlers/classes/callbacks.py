"""The buttons of /classes and the steps of declaring a class: every one is declared here."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from bot.callbacks import CallbackAction

DRAFT_KEY: Final = "draft:classes"
"""The declaration being typed (``user_data``, persisted and encrypted): see ``form``."""

LIST = CallbackAction("cls:ls", ids=3)  # page, year (0: all), status index + 1 (0: all)
PICK_YEAR = CallbackAction("cls:fy", ids=1)  # status filter kept
PICK_STATUS = CallbackAction("cls:fs", ids=1)  # year filter kept
CARD = CallbackAction("cls:card", ids=1)
NEW = CallbackAction("cls:new")
EDIT = CallbackAction("cls:edit", ids=1)
SUBMIT = CallbackAction("cls:sub", ids=1)
WITHDRAW = CallbackAction("cls:wd", ids=1)
DELETE = CallbackAction("cls:del", ids=1)
DELETE_OK = CallbackAction("cls:delok", ids=1)
COPY = CallbackAction("cls:copy", ids=1)
COPY_TO = CallbackAction("cls:copyto", ids=2)  # class id, year
PLAN = CallbackAction("cls:plan", ids=1)
VALUE = CallbackAction("cls:v", words=1)  # a choice for the field being asked
FIX = CallbackAction("cls:fix", words=1)  # a field to type again
SAVE = CallbackAction("cls:save")
SKIP: Final = "skip"
"""The word ``VALUE`` carries for 跳过 (an optional field left empty)."""


class State(IntEnum):
    ASK = 1
    SUMMARY = 2
