"""Register a base, log in (with lock-out), choose a base, change the password, log out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import validators
from domain.clock import Clock
from domain.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    NotLoggedIn,
    NotPermitted,
    Throttled,
    recorded,
)
from domain.messages import N_
from domain.model import Base, LoginSession, Membership, SessionEnd, User
from domain.passwords import check_password_policy
from domain.ports import FailedLogin, PasswordHasher, UnitOfWork
from domain.services import audit
from domain.services.profile import parse_base_field
from domain.services.sessions import REVIEWER_DEACTIVATED, SessionPolicy, current_session


@dataclass(frozen=True)
class LoginPolicy:
    """OWASP-style lock-out: per account, and per Telegram user guessing across accounts."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    max_failures_per_telegram_user: int = 10
    telegram_user_window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, kw_only=True)
class Registration:
    """What /register collects; every field is validated again here, whatever the caller did.

    The password arrives already hashed (see ``prepare_password``): a conversation's draft is
    persisted between messages, and a plaintext password must never be.
    """

    base_name: str
    credit_code: str
    region: str
    address: str
    contact_person: str
    contact_phone: str
    admin_name: str
    admin_id_number: str
    admin_mobile: str
    password_hash: str


@dataclass(frozen=True)
class LoginOutcome:
    session: LoginSession
    user: User
    bases: list[Base]

    @property
    def needs_base_choice(self) -> bool:
        return self.session.base_id is None

    @property
    def needs_password_change(self) -> bool:
        return self.user.must_change_password


@dataclass(frozen=True, kw_only=True)
class NewBase:
    """The base's own fields of /register, for a person who already has an account."""

    base_name: str
    credit_code: str
    region: str
    address: str
    contact_person: str
    contact_phone: str


@dataclass(frozen=True)
class IdentityProof:
    """A person registering another base proved, with their password, who they are.

    It is kept in the registration's draft between messages, so it holds no secret: it names
    the account and when the password was checked. It stops counting once the account's
    credentials change (a new password, a reset) — see ``check_proof``.
    """

    user_id: int
    id_number: str
    proven_at: datetime


@dataclass(frozen=True)
class ProvenAccount:
    proof: IdentityProof
    name: str
    mobile: str


REVIEWER_CANNOT_REGISTER = N_(
    "该身份证号码是主管部门审核员的账号，不能用于注册继续教育基地。请使用其他管理员的身份证号码。"
)
PROOF_STALE = N_("该账号的密码在确认身份后已变更，请重新输入该账号的登录密码确认身份。")
WRONG_PROOF = N_(
    "密码不正确，还可尝试 {remaining} 次。"
    "请重新输入该账号的登录密码，或点击“◀ 上一项”改用其他身份证号码。"
)


async def register_base(
    uow: UnitOfWork,
    clock: Clock,
    form: Registration,
    *,
    telegram_user_id: int,
) -> LoginOutcome:
    """The base, its first admin as super admin, and a session for the person who registered."""
    now = clock.now()
    id_number = validators.parse_id_number(form.admin_id_number, now.date())
    mobile = validators.parse_mobile(form.admin_mobile)
    credit_code = validators.parse_credit_code(form.credit_code)
    await ensure_registrable(uow, credit_code=credit_code, id_number=id_number)
    base = await _add_base(uow, clock, form)
    user = await uow.users.add(
        User(
            name=validators.parse_name(form.admin_name),
            id_number=id_number,
            mobile=mobile,
            password_hash=form.password_hash,
            credentials_changed_at=now,
            created_at=now,
        )
    )
    assert base.id is not None and user.id is not None
    await uow.memberships.add(
        Membership(base_id=base.id, user_id=user.id, is_super=True, created_at=now)
    )
    session = await _open_session(uow, clock, telegram_user_id, user, base.id)
    await audit.record(
        uow,
        clock,
        action="base.register",
        base_id=base.id,
        actor_user_id=user.id,
        subject=base.name,
    )
    return LoginOutcome(session, user, [base])


async def _add_base(uow: UnitOfWork, clock: Clock, form: NewBase | Registration) -> Base:
    credit_code = validators.parse_credit_code(form.credit_code)
    await ensure_registrable(uow, credit_code=credit_code)
    return await uow.bases.add(
        Base(
            name=parse_base_field("name", form.base_name),
            credit_code=credit_code,
            region=parse_base_field("region", form.region),
            address=parse_base_field("address", form.address),
            contact_person=parse_base_field("contact_person", form.contact_person),
            contact_phone=parse_base_field("contact_phone", form.contact_phone),
            created_at=clock.now(),
        )
    )


async def claims_account(uow: UnitOfWork, id_number: str) -> bool:
    """/register's ID-card number: False for a new person; True for an admin of another base,
    who is then asked to prove it with their password (``prove_registrant``). A reviewer's
    number is refused: a reviewer does not administer the bases they review."""
    user = await uow.users.get_by_id_number(id_number)
    if user is None:
        return False
    if user.is_reviewer:
        raise Conflict(REVIEWER_CANNOT_REGISTER)
    return True


async def prove_registrant(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    telegram_user_id: int,
    id_number: str,
    password: str,
    policy: LoginPolicy = LoginPolicy(),
) -> ProvenAccount:
    """The password of the account ``id_number`` names, checked as at login: a wrong one counts
    towards the account's lock-out and the Telegram user's throttle."""
    now = clock.now()
    await _ensure_not_throttled(uow, telegram_user_id, now, policy)
    user = await uow.users.get_by_id_number(validators.parse_id_number(id_number, now.date()))
    if user is None:
        await hasher.verify_decoy(password)
        raise Invalid("admin_id_number", N_("该身份证号码尚未注册，请重新输入。"))
    if user.is_reviewer:
        raise Conflict(REVIEWER_CANNOT_REGISTER)
    await _verify_counting_failures(
        uow,
        hasher,
        clock,
        user,
        password,
        telegram_user_id,
        policy,
        wrong=lambda remaining: Invalid("password", WRONG_PROOF, remaining=remaining),
    )
    await uow.users.update(user)
    await uow.login_failures.clear(telegram_user_id)
    assert user.id is not None
    return ProvenAccount(IdentityProof(user.id, user.id_number, now), user.name, user.mobile)


async def check_proof(uow: UnitOfWork, clock: Clock, proof: IdentityProof) -> User:
    """A proof still stands: same account, not a reviewer, not locked, no credential changed
    since (a draft resumed days later is checked again, not trusted)."""
    user = await uow.users.get(proof.user_id)
    if user is None or user.id_number != proof.id_number:
        raise Invalid("admin_id_number", N_("该账号已不存在，请重新输入管理员身份证号码。"))
    if user.is_reviewer:
        raise Conflict(REVIEWER_CANNOT_REGISTER)
    if user.is_locked(clock.now()):
        assert user.locked_until is not None
        raise AccountLocked(user.locked_until)
    if user.credentials_changed_at > proof.proven_at:
        raise Invalid("password", PROOF_STALE)
    return user


async def register_another_base(
    uow: UnitOfWork,
    clock: Clock,
    form: NewBase,
    proof: IdentityProof,
    *,
    telegram_user_id: int,
) -> LoginOutcome:
    """A person who already administers a base registers another: they become its super admin
    and are logged in to it; their other bases stay theirs (/base lists them all)."""
    user = await check_proof(uow, clock, proof)
    base = await _add_base(uow, clock, form)
    assert base.id is not None and user.id is not None
    await uow.memberships.add(
        Membership(base_id=base.id, user_id=user.id, is_super=True, created_at=clock.now())
    )
    session = await _open_session(uow, clock, telegram_user_id, user, base.id)
    await audit.record(
        uow,
        clock,
        action="base.register_existing",
        base_id=base.id,
        actor_user_id=user.id,
        subject=base.name,
    )
    memberships = await uow.memberships.list_for_user(user.id)
    bases = await uow.bases.get_many([m.base_id for m in memberships])
    return LoginOutcome(session, user, [base, *(b for b in bases if b.id != base.id)])


async def ensure_registrable(
    uow: UnitOfWork, *, credit_code: str | None = None, id_number: str | None = None
) -> None:
    """Refuses, as soon as it is typed, a credit code or ID-card number already registered."""
    if credit_code is not None and await uow.bases.get_by_credit_code(credit_code) is not None:
        raise Conflict(N_("该统一社会信用代码已注册，请直接登录或联系该基地的超级管理员。"))
    if id_number is not None and await uow.users.get_by_id_number(id_number) is not None:
        raise Conflict(
            N_("该身份证号码已注册。请先登录，或请已注册基地的超级管理员将您添加为管理员。")
        )


async def prepare_password(
    hasher: PasswordHasher,
    password: str,
    *,
    id_number: str | None,
    mobile: str | None,
    name: str | None,
) -> str:
    """Checks the policy and hashes at once, so only the hash is ever kept between messages."""
    check_password_policy(password, id_number=id_number, mobile=mobile, name=name)
    return await hasher.hash(password)


async def login(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    telegram_user_id: int,
    id_number: str,
    password: str,
    policy: LoginPolicy = LoginPolicy(),
) -> LoginOutcome:
    """Same answer, same cost, for an unknown ID-card number and a wrong password."""
    now = clock.now()
    recent = await _ensure_not_throttled(uow, telegram_user_id, now, policy)
    normalised = validators.parse_id_number(id_number, now.date())
    user = await uow.users.get_by_id_number(normalised)
    if user is None:
        await hasher.verify_decoy(password)
        await _fail(uow, telegram_user_id, now)
        raise recorded(_unknown_account(recent, now, policy))
    await _verify_counting_failures(
        uow,
        hasher,
        clock,
        user,
        password,
        telegram_user_id,
        policy,
        wrong=lambda remaining: AuthenticationFailed(remaining=remaining),
    )
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = await hasher.hash(password)
    await uow.users.update(user)
    await uow.login_failures.clear(telegram_user_id)
    memberships = await uow.memberships.list_for_user(user.id or 0)
    if not memberships and not user.acts_as_reviewer:
        # The password was right: the reset counter and a rehash stand.
        if user.is_reviewer:  # deactivated by the operator (cebot reviewer deactivate)
            raise recorded(NotPermitted(REVIEWER_DEACTIVATED))
        raise recorded(NotFound(N_("该账号目前不是任何继续教育基地的管理员。")))
    bases = await uow.bases.get_many([m.base_id for m in memberships])
    base_id = bases[0].id if len(bases) == 1 else None
    session = await _open_session(uow, clock, telegram_user_id, user, base_id)
    await audit.record(uow, clock, action="user.login", base_id=base_id, actor_user_id=user.id)
    return LoginOutcome(session, user, bases)


async def choose_base(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, base_id: int, policy: SessionPolicy
) -> Base:
    """For a person who administers several bases; the base id is re-checked, never trusted."""
    session, user = await current_session(uow, clock, telegram_user_id, policy)
    membership = await uow.memberships.get_for(base_id, user.id or 0)
    base = await uow.bases.get(base_id)
    if membership is None or base is None:
        raise NotFound()
    session.base_id = base_id
    await uow.sessions.update(session)
    return base


async def list_own_bases(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, policy: SessionPolicy
) -> list[Base]:
    _session, user = await current_session(uow, clock, telegram_user_id, policy)
    memberships = await uow.memberships.list_for_user(user.id or 0)
    return await uow.bases.get_many([m.base_id for m in memberships])


async def change_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    telegram_user_id: int,
    old_password: str,
    new_password: str,
    new_password_again: str,
    policy: SessionPolicy,
    login_policy: LoginPolicy = LoginPolicy(),
) -> None:
    """Old password first; the person's other sessions end (also those in other chats)."""
    session, user = await current_session(uow, clock, telegram_user_id, policy)
    await confirm_password(uow, hasher, clock, user, old_password, policy=login_policy)
    if new_password != new_password_again:
        raise Invalid("password_again", N_("两次输入的新密码不一致，请重新输入新密码。"))
    ensure_new_password_differs(old_password, new_password)
    check_password_policy(
        new_password, id_number=user.id_number, mobile=user.mobile, name=user.name
    )
    now = clock.now()
    user.password_hash = await hasher.hash(new_password)
    user.must_change_password = False
    user.credentials_changed_at = now
    await uow.users.update(user)
    await uow.sessions.end_all_for_user(
        user.id or 0, now, SessionEnd.PASSWORD_CHANGED, except_session_id=session.id
    )
    # The current session survives the change: it proved the old password just now.
    session.started_at = now
    session.last_seen_at = now
    await uow.sessions.update(session)
    await audit.record(
        uow, clock, action="user.password_changed", base_id=session.base_id, actor_user_id=user.id
    )


async def verify_old_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    telegram_user_id: int,
    password: str,
    policy: SessionPolicy,
    login_policy: LoginPolicy = LoginPolicy(),
) -> None:
    """Lets /password refuse a wrong old password at once, before asking for the new one."""
    _session, user = await current_session(uow, clock, telegram_user_id, policy)
    await confirm_password(uow, hasher, clock, user, password, policy=login_policy)


async def confirm_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    user: User,
    password: str,
    *,
    policy: LoginPolicy = LoginPolicy(),
    field: str = "old_password",
    wrong: str = N_("原密码不正确，还可尝试 {remaining} 次。"),
) -> None:
    """A logged-in person proving it is still them (password change, hand-over).

    Wrong answers count towards the lock-out too, so an unattended phone is no way in; on
    lock-out every session of the person ends, this one included. The refusal carries how many
    tries remain (``remaining``) for ``wrong`` to say.
    """
    if await hasher.verify(password, user.password_hash):
        return
    counted = await _count_wrong_password(uow, clock, user, policy)
    if counted.locked_until is not None:
        await uow.sessions.end_all_for_user(user.id or 0, clock.now(), SessionEnd.LOCKED)
        raise recorded(AccountLocked(counted.locked_until))
    raise recorded(Invalid(field, wrong, remaining=policy.max_failures - counted.failures))


async def _ensure_not_throttled(
    uow: UnitOfWork, telegram_user_id: int, now: datetime, policy: LoginPolicy
) -> int:
    """This Telegram user's recent failures, refused past the per-chat limit (one person trying
    many ID-card numbers)."""
    recent = await uow.login_failures.count_since(
        telegram_user_id, now - policy.telegram_user_window
    )
    if recent >= policy.max_failures_per_telegram_user:
        latest = await uow.login_failures.latest(telegram_user_id) or now
        raise Throttled(latest + policy.telegram_user_window)
    return recent


async def _verify_counting_failures(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    user: User,
    password: str,
    telegram_user_id: int,
    policy: LoginPolicy,
    *,
    wrong: Callable[[int], DomainError],
) -> None:
    """The account's password, as at login wherever it is asked: a locked account is refused at
    the cost of a verify; a wrong password counts on the account and the chat and raises
    ``wrong(tries left)``; a right one clears the account's count (the caller saves ``user``)."""
    now = clock.now()
    if user.is_locked(now):
        await hasher.verify_decoy(password)
        assert user.locked_until is not None
        raise AccountLocked(user.locked_until)
    if not await hasher.verify(password, user.password_hash):
        counted = await _count_wrong_password(uow, clock, user, policy)
        await _fail(uow, telegram_user_id, now)
        if counted.locked_until is not None:
            raise recorded(AccountLocked(counted.locked_until))
        raise recorded(wrong(policy.max_failures - counted.failures))
    user.failed_logins = 0
    user.locked_until = None


async def _count_wrong_password(
    uow: UnitOfWork, clock: Clock, user: User, policy: LoginPolicy
) -> FailedLogin:
    """One more failure on the account, counted by the database in one statement, so wrong
    passwords typed at once from several chats all count; the one that locks is audited."""
    now = clock.now()
    counted = await uow.users.count_failed_login(
        user.id or 0, now=now, limit=policy.max_failures, lock_until=now + policy.lock_for
    )
    user.failed_logins = 0 if counted.locked_until is not None else counted.failures
    user.locked_until = counted.locked_until
    if counted.locked_now:
        await audit.record(uow, clock, action="user.locked", base_id=None, actor_user_id=user.id)
    return counted


def _unknown_account(recent: int, now: datetime, policy: LoginPolicy) -> DomainError:
    """The answer to an ID-card number nobody registered, shaped like a real account's.

    An account counts down its own tries; an unknown one has none, so the count shown is this
    Telegram user's failures in the window, on the same scale: the same person guessing one
    number sees 4, 3, 2, 1 and a lock, as they would on a real account.
    """
    failures = recent % policy.max_failures + 1
    if failures >= policy.max_failures:
        return recorded(AccountLocked(now + policy.lock_for))
    return recorded(AuthenticationFailed(remaining=policy.max_failures - failures))


def ensure_new_password_differs(old_password: str, new_password: str) -> None:
    """A new password equal to the old one changes nothing: refused."""
    if new_password == old_password:
        raise Invalid("password", N_("新密码不能与原密码相同。"))


async def check_new_password(
    uow: UnitOfWork,
    clock: Clock,
    *,
    telegram_user_id: int,
    password: str,
    policy: SessionPolicy,
    old_password: str | None = None,
) -> None:
    """The new password checked as soon as it is first typed rather than after the repeat:
    different from the old one (when the caller holds it) and within the policy."""
    _session, user = await current_session(uow, clock, telegram_user_id, policy)
    if old_password is not None:
        ensure_new_password_differs(old_password, password)
    check_password_policy(password, id_number=user.id_number, mobile=user.mobile, name=user.name)


async def logout(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> None:
    session = await uow.sessions.get_open_for_telegram_user(telegram_user_id)
    if session is None:
        raise NotLoggedIn(N_("您当前没有登录。"))
    session.ended_at = clock.now()
    session.end_reason = SessionEnd.LOGOUT
    await uow.sessions.update(session)
    await audit.record(
        uow, clock, action="user.logout", base_id=session.base_id, actor_user_id=session.user_id
    )


async def _open_session(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, user: User, base_id: int | None
) -> LoginSession:
    """One open session per Telegram user: a new login replaces the previous one.

    Whoever logs in from a chat is talking to the bot: if the chat was recorded as blocked,
    reminders may reach it again.
    """
    now = clock.now()
    await uow.blocked_chats.unblock(telegram_user_id)
    previous = await uow.sessions.get_open_for_telegram_user(telegram_user_id)
    if previous is not None:
        previous.ended_at = now
        previous.end_reason = SessionEnd.REPLACED
        await uow.sessions.update(previous)
    return await uow.sessions.add(
        LoginSession(
            telegram_user_id=telegram_user_id,
            user_id=user.id or 0,
            base_id=base_id,
            started_at=now,
            last_seen_at=now,
        )
    )


async def _fail(uow: UnitOfWork, telegram_user_id: int, now: datetime) -> None:
    """One more failure of this Telegram user: the caller raises its refusal ``recorded``, or the
    failure would be rolled back with it and the throttle would never count."""
    await uow.login_failures.record(telegram_user_id, now)
