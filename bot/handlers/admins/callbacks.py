"""The buttons of /admins and the steps of adding an admin, handing over the super admin or
resetting an admin's password."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from bot.callbacks import CallbackAction

DRAFT_KEY: Final = "draft:admins"
"""The add or hand-over step in progress (``user_data``, persisted): see ``drafts``."""
SECRET_KEY: Final = "_admins"
"""The new admin's initial password, in memory only (``runtime.MemoryOnly``)."""

LIST = CallbackAction("adm:list", ids=1)  # page
CARD = CallbackAction("adm:card", ids=1)  # membership
ROLES = CallbackAction("adm:roles", ids=1)  # membership
SET_ROLE = CallbackAction("adm:role", ids=2)  # membership, role (0: no role)
DELETE = CallbackAction("adm:del", ids=1)  # membership: asks for confirmation
DELETE_OK = CallbackAction("adm:delok", ids=1)  # membership
SUPER = CallbackAction("adm:super", ids=1)  # membership: asks for the password
RESET = CallbackAction("adm:reset", ids=1)  # membership: asks for the actor's own password
ADD = CallbackAction("adm:add")
ADD_NEW = CallbackAction("adm:new")
ADD_EXISTING = CallbackAction("adm:old")
PERSON_OK = CallbackAction("adm:person")
PICK_ROLE = CallbackAction("adm:pick", ids=1)  # role (0: no role)
ABORT = CallbackAction("adm:cancel")


class State(IntEnum):
    NAME = 0
    ID_NUMBER = 1
    MOBILE = 2
    PASSWORD = 3
    PASSWORD_AGAIN = 4
    FIND = 5
    CONFIRM_PERSON = 6
    ROLE = 7
    SUPER_PASSWORD = 8
    RESET_PASSWORD = 9
