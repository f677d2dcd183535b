"""The buttons of /roles and the steps of naming a role and choosing its permissions."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from bot.callbacks import CallbackAction
from domain.permissions import Permission

DRAFT_KEY: Final = "draft:roles"
"""The role being named or given permissions (``user_data``, persisted): see ``drafts``."""
PERMISSIONS: Final[tuple[Permission, ...]] = tuple(Permission)
"""The order of the toggles; a toggle carries an index into this tuple, checked on arrival."""

LIST = CallbackAction("role:list", ids=1)  # page
CARD = CallbackAction("role:card", ids=1)  # role id
NEW = CallbackAction("role:new")
RENAME = CallbackAction("role:ren", ids=1)
EDIT = CallbackAction("role:perm", ids=1)
DELETE = CallbackAction("role:del", ids=1)
DELETE_OK = CallbackAction("role:delok", ids=1)
TOGGLE = CallbackAction("role:tg", ids=2)  # role id (0 for a new role), permission index
SAVE = CallbackAction("role:save", ids=1)
ABORT = CallbackAction("role:abort", ids=1)
ANY_ROLE_BUTTON: Final = r"^role:"


class State(IntEnum):
    NAME = 0
    PERMISSIONS = 1
