"""/register's conversation states, callback data and step names, declared once."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from bot.callbacks import CallbackAction
from bot.i18n import N_


class State(IntEnum):
    FIELD = 0
    REGION = 1
    PASSWORD = 2
    PASSWORD_AGAIN = 3
    CONFIRM = 4
    PROVE = 5


DRAFT_KEY = "draft:register"
REGION_PICK = CallbackAction("reg:region", ids=1)
EDIT_FIELD = CallbackAction("reg:edit", words=1)
CONFIRM = CallbackAction("reg:ok")
ABORT = CallbackAction("reg:cancel")

PASSWORD_STEP: Final = "password"
AGAIN_STEP: Final = "password_again"
PROVE_STEP: Final = "prove"
SUMMARY_STEP: Final = "summary"
STEP_GONE: Final = N_("这一步已失效，请重新发送 /register。")
