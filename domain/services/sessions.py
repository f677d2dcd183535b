"""The guard: who is acting, resolved from the Telegram user on every action.

Permissions are recomputed from the membership and role each time, so a change of role takes
effect on the admin's next action without a new login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from domain.clock import Clock
from domain.commands import Standing
from domain.errors import (
    DomainError,
    NotFound,
    NotLoggedIn,
    NotPermitted,
    SessionExpired,
    recorded,
)
from domain.messages import N_
from domain.model import Actor, LoginSession, ReviewerActor, SessionEnd, User
from domain.permissions import Permission
from domain.ports import OpenSession, UnitOfWork

TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    """Defaults a government back office would expect; configurable through the environment."""

    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)


class SessionWriteNeeded(Exception):
    """The guard has to write (touch or end the session) in a read-only unit of work.

    Not a user's error: the caller runs the guard again in a writing unit of work. A session is
    touched at most once a ``TOUCH_INTERVAL``, so screens that only read rarely need one.
    """


def _writing(uow: UnitOfWork) -> None:
    if uow.readonly:
        raise SessionWriteNeeded()


class BaseChoiceRequired(DomainError):
    default_key = N_("请先选择要管理的继续教育基地。")


REVIEWER_DEACTIVATED = N_("您的审核员账号已被停用，无法登录。如有疑问，请联系运维人员。")


class PasswordChangeRequired(DomainError):
    default_key = N_("首次登录请先修改初始密码：/password")


async def current_session(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> tuple[LoginSession, User]:
    """The open session of this Telegram user, ended here when it has run out."""
    found, user = await _open_session(uow, clock, telegram_user_id, policy)
    return found.session, user


async def _open_session(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> tuple[OpenSession, User]:
    found = await uow.sessions.open_for_telegram_user(telegram_user_id)
    if found is None:
        raise NotLoggedIn()
    session, user = found.session, found.user
    now = clock.now()
    reason: SessionEnd | None = None
    if user is None:
        reason = SessionEnd.MEMBERSHIP_REMOVED
    elif now - session.started_at > policy.absolute_lifetime:
        reason = SessionEnd.LIFETIME
    elif now - session.last_seen_at > policy.idle_timeout:
        reason = SessionEnd.IDLE
    elif user.credentials_changed_at > session.started_at:
        reason = SessionEnd.PASSWORD_CHANGED
    if reason is not None or user is None:
        _writing(uow)
        session.ended_at = now
        session.end_reason = reason
        await uow.sessions.update(session)
        raise recorded(SessionExpired())
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        _writing(uow)
        session.last_seen_at = now
        await uow.sessions.update(session)
    return found, user


async def resolve_actor(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> Actor:
    """A logged-in admin with a chosen base and a password that needs no change."""
    found, user = await _open_session(uow, clock, telegram_user_id, policy)
    return await _as_admin(uow, clock, found, user)


async def _as_admin(uow: UnitOfWork, clock: Clock, found: OpenSession, user: User) -> Actor:
    session, membership = found.session, found.membership
    if user.must_change_password:
        raise PasswordChangeRequired()
    if session.base_id is None:
        raise BaseChoiceRequired()
    if membership is None or membership.id is None:
        await _removed_from_base(uow, clock, found, user)
    return Actor(
        session_id=session.id or 0,
        user_id=user.id or 0,
        user_name=user.name,
        base_id=session.base_id,
        base_name=found.base_name or "",
        membership_id=membership.id,
        is_super=membership.is_super,
        permissions=membership.effective_permissions(found.role),
    )


async def _removed_from_base(
    uow: UnitOfWork, clock: Clock, found: OpenSession, user: User
) -> NoReturn:
    """The session's base no longer counts the person among its admins.

    The session leaves that base and says so, naming it. A person who still administers other
    bases (or reviews) stays logged in and chooses one with /base; anyone else is logged out.
    Either way the refusal is recorded, so the session's new state stands.
    """
    _writing(uow)
    session = found.session
    base = found.base_name or ""
    others = await uow.memberships.list_for_user(user.id or 0)
    if others or user.is_reviewer:
        session.base_id = None
        await uow.sessions.update(session)
        raise recorded(
            BaseChoiceRequired(
                N_(
                    "您已不再是“{base}”的管理员，该基地的操作已结束。"
                    "您仍登录着，发送 /base 选择您管理的其他基地。"
                ),
                base=base,
            )
        )
    session.ended_at = clock.now()
    session.end_reason = SessionEnd.MEMBERSHIP_REMOVED
    await uow.sessions.update(session)
    raise recorded(NotLoggedIn(N_("您已不再是“{base}”的管理员，已退出登录。"), base=base))


async def resolve_reviewer(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> ReviewerActor:
    """A logged-in reviewer; the regions are read afresh so the operator's changes apply at once."""
    session, user = await current_session(uow, clock, telegram_user_id, policy)
    return await _as_reviewer(uow, clock, session, user)


async def _as_reviewer(
    uow: UnitOfWork, clock: Clock, session: LoginSession, user: User
) -> ReviewerActor:
    if user.is_reviewer and not user.reviewer_active and session.base_id is None:
        # Deactivated: their sessions ended then; one opened since ends here.
        _writing(uow)
        session.ended_at = clock.now()
        session.end_reason = SessionEnd.DEACTIVATED
        await uow.sessions.update(session)
        raise recorded(NotLoggedIn(REVIEWER_DEACTIVATED))
    if user.must_change_password:
        raise PasswordChangeRequired()
    if not user.acts_as_reviewer:
        raise NotPermitted(N_("只有主管部门审核员可以执行此操作。"))
    return ReviewerActor(
        session_id=session.id or 0,
        user_id=user.id or 0,
        user_name=user.name,
        regions=user.reviewer_regions,
    )


async def resolve_home(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> Actor | ReviewerActor:
    """Whose function list to show: a reviewer logged in without a base gets the reviewer's.

    A reviewer who is also a base's admin and chose that base acts as that admin.
    """
    found, user = await _open_session(uow, clock, telegram_user_id, policy)
    if found.session.base_id is None and user.is_reviewer:
        return await _as_reviewer(uow, clock, found.session, user)
    return await _as_admin(uow, clock, found, user)


async def standing(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> Standing:
    """Where the person stands, for /start and /help: never refused, only described.

    The guard's own writes (a session ended or leaving a removed base) stand: its refusal is
    kept as the ``notice``, not raised.
    """
    try:
        home = await resolve_home(uow, clock, telegram_user_id, policy)
    except PasswordChangeRequired:
        return Standing(logged_in=True, must_change_password=True)
    except BaseChoiceRequired as pending:
        notice = pending if pending.params else None
        return Standing(logged_in=True, base_choice_required=True, notice=notice)
    except SessionExpired as expired:
        return Standing(notice=expired)
    except NotLoggedIn as out:
        return Standing(notice=out if out.params else None)
    return Standing(home=home, logged_in=True)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotPermitted()


def require_super(actor: Actor) -> None:
    if not actor.is_super:
        raise NotPermitted(N_("只有超级管理员可以执行此操作。"))


def ensure_own_base(actor: Actor, base_id: int | None) -> None:
    """An object of another base is reported as not found: its existence is not our business."""
    if base_id != actor.base_id:
        raise NotFound()
