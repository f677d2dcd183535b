"""Which commands a person may use now: by where they stand (logged out, a password to change,
a base to choose, an admin by permission, a reviewer). /help lists exactly these."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import DomainError
from domain.model import Actor, ReviewerActor
from domain.permissions import Permission


@dataclass(frozen=True)
class Standing:
    """Where a Telegram user stands at this moment.

    ``home`` is set once the person can work: an admin with a chosen base, or a reviewer.
    ``notice`` is a refusal the guard raised on the way that the person should read (removed
    from the session's base, say).
    """

    home: Actor | ReviewerActor | None = None
    logged_in: bool = False
    must_change_password: bool = False
    base_choice_required: bool = False
    notice: DomainError | None = None


MODULE_COMMANDS: tuple[tuple[str, Permission], ...] = (
    ("profile", Permission.PROFILE_EDIT),
    ("admins", Permission.ADMINS_MANAGE),
    ("roles", Permission.ROLES_MANAGE),
    ("classes", Permission.CLASSES_MANAGE),
    ("scores", Permission.SCORES_MANAGE),
    ("plan", Permission.PLANS_MANAGE),
    ("summary", Permission.SUMMARIES_MANAGE),
    ("materials", Permission.MATERIALS_MANAGE),
)
"""A function's command and the permission it needs (the menu's entries)."""

ALWAYS = ("language", "help", "cancel")
LOGGED_OUT = ("login", "register")
ACCOUNT = ("password", "logout")


def commands_for(standing: Standing) -> tuple[str, ...]:
    """The commands, in the order /help shows them, that this person may use now."""
    if not standing.logged_in:
        return (*LOGGED_OUT, *ALWAYS)
    if standing.must_change_password:
        return (*ACCOUNT, *ALWAYS)
    home = standing.home
    if isinstance(home, ReviewerActor):
        return ("menu", "review", "deadlines", *ACCOUNT, *ALWAYS)
    if home is None:  # a base to choose first
        return ("base", *ACCOUNT, *ALWAYS)
    allowed = [command for command, permission in MODULE_COMMANDS if home.can(permission)]
    if home.is_super:
        allowed.append("audit")
    return ("menu", *allowed, "deadlines", "base", *ACCOUNT, *ALWAYS)
