"""Typed errors that carry a message key (a catalogue msgid) and its parameters.

One place in the bot turns them into a polite reply in the user's language, so the domain never
formats text for a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from domain.messages import N_


class DomainError(Exception):
    """Base of every error the user may be told about."""

    default_key = N_("操作未能完成。")
    recorded = False
    """A refusal that is itself a fact to keep (a wrong password counted, a session ended, a
    damaged file noted in the trail): the unit of work commits what was written before it, where
    any other error rolls everything back. Set by :func:`recorded`."""

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.default_key
        self.params = params
        super().__init__(self.key, params)


class Invalid(DomainError):
    """A value typed by the user was refused; ``field`` names what was being entered."""

    default_key = N_("输入的内容无效。")

    def __init__(self, field: str, key: str | None = None, **params: Any) -> None:
        self.field = field
        super().__init__(key, **params)


class NotFound(DomainError):
    default_key = N_("未找到该记录，它可能已被删除。")


class NotPermitted(DomainError):
    default_key = N_("您没有执行此操作的权限。")


class NotLoggedIn(DomainError):
    default_key = N_("请先使用 /login 登录。")


class SessionExpired(NotLoggedIn):
    default_key = N_("登录已过期，请重新使用 /login 登录。")


class AuthenticationFailed(DomainError):
    """Same message for an unknown ID-card number and a wrong password, on purpose; with how
    many tries remain before the lock-out when the service says so."""

    default_key = N_("身份证号码或密码不正确。")

    def __init__(self, remaining: int | None = None) -> None:
        self.remaining = remaining
        if remaining is None:
            super().__init__(None)
        else:
            super().__init__(
                N_("身份证号码或密码不正确，还可尝试 {remaining} 次。"), remaining=remaining
            )


class AccountLocked(DomainError):
    default_key = N_("密码错误次数过多，账户已锁定，请于 {until} 后再试。")

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(None, until=until)


class Throttled(DomainError):
    default_key = N_("尝试次数过多，请于 {until} 后再试。")

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(None, until=until)


class Conflict(DomainError):
    """The change would break a uniqueness or consistency rule (already registered, in use...)."""

    default_key = N_("该记录与现有数据冲突。")


class InvalidTransition(DomainError):
    default_key = N_("当前状态为“{current}”，不能执行“{action}”。")

    def __init__(self, current: str, action: str) -> None:
        self.current = current
        self.action = action
        super().__init__(None, current=current, action=action)


class StoredFileDamaged(DomainError):
    """A stored file is missing or no longer the bytes that were uploaded: reported, never sent.

    The ``BlobStore`` adapter raises it (storage's ``FileStoreError`` is one), so every path that
    fetches a file refuses a damaged one, whichever service asked, and the bot, which may not
    know storage's exceptions, answers it like any domain error.
    """

    default_key = N_("这个文件在服务器上已损坏或被改动，无法发送。请重新上传，或联系平台管理员。")


Refusal = TypeVar("Refusal", bound=DomainError)


def recorded(error: Refusal) -> Refusal:
    """``raise recorded(AccountLocked(until))``: the refusal stands, and so do the writes before."""
    error.recorded = True
    return error
