"""Registration, login with lock-out, sessions, password change, logout — on real storage."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from domain.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    Invalid,
    NotLoggedIn,
    SessionExpired,
    Throttled,
)
from domain.model import Actor
from domain.permissions import ALL_PERMISSIONS
from domain.ports import PasswordHasher
from domain.services import auth
from domain.services.sessions import (
    TOUCH_INTERVAL,
    BaseChoiceRequired,
    PasswordChangeRequired,
    SessionWriteNeeded,
    resolve_actor,
)
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import (
    CODE_ONE,
    CODE_TWO,
    ID_ALICE,
    ID_BOB,
    PASSWORD,
    POLICY,
    actor_of,
    id_of,
    register,
)


async def login(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    *,
    tg: int = 1001,
    id_number: str = ID_ALICE,
    password: str = PASSWORD,
) -> auth.LoginOutcome:
    async with uow_factory() as uow:
        return await auth.login(
            uow, hasher, clock, telegram_user_id=tg, id_number=id_number, password=password
        )


async def test_registration_makes_the_registrant_super_admin_and_logs_in(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    outcome = await register(uow_factory, hasher, clock)
    actor = await actor_of(uow_factory, clock, 1001)
    assert actor.is_super
    assert actor.permissions == ALL_PERMISSIONS
    assert actor.base_id == outcome.bases[0].id
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(actor.base_id)
    assert [e.action for e in events] == ["base.register"]


async def test_registered_credit_code_and_id_number_are_refused(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    with pytest.raises(Conflict):
        await register(uow_factory, hasher, clock, id_number=ID_BOB)
    with pytest.raises(Conflict):
        await register(uow_factory, hasher, clock, credit_code=CODE_TWO)


async def test_registration_validates_every_field_again(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    with pytest.raises(Invalid) as caught:
        await register(uow_factory, hasher, clock, credit_code="91350100M000100Y44")
    assert caught.value.field == "credit_code"


async def test_login_with_full_width_lower_case_id_number(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    outcome = await login(uow_factory, hasher, clock, tg=2002, id_number=full_width)
    assert outcome.user.id_number == ID_ALICE
    assert not outcome.needs_base_choice


async def test_unknown_person_and_wrong_password_get_the_same_error(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    with pytest.raises(AuthenticationFailed) as unknown:
        await login(uow_factory, hasher, clock, tg=2002, id_number=ID_BOB)
    with pytest.raises(AuthenticationFailed) as wrong:
        await login(uow_factory, hasher, clock, tg=2002, password="wrong password")
    assert unknown.value.key == wrong.value.key


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed) as refused:
            await login(uow_factory, hasher, clock, tg=3000, password="not it at all")
        assert refused.value.remaining == left
        assert refused.value.params == {"remaining": left}
    with pytest.raises(AccountLocked) as locked:
        await login(uow_factory, hasher, clock, tg=3001, password="not it at all")
    assert locked.value.until == clock.now() + timedelta(minutes=15)
    with pytest.raises(AccountLocked):  # even the right password, while locked
        await login(uow_factory, hasher, clock, tg=3002)
    clock.advance(timedelta(minutes=15, seconds=1))
    outcome = await login(uow_factory, hasher, clock, tg=3002)
    assert outcome.user.failed_logins == 0


async def test_one_telegram_user_guessing_across_accounts_is_throttled(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    for _ in range(10):
        # An unknown number answers as an account would: four tries, then a (decoy) lock.
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            await login(uow_factory, hasher, clock, tg=4000, id_number=ID_BOB)
    with pytest.raises(Throttled):
        await login(uow_factory, hasher, clock, tg=4000)  # even the right account
    other_user = await login(uow_factory, hasher, clock, tg=4001)
    assert other_user.session.telegram_user_id == 4001
    clock.advance(timedelta(minutes=16))
    assert (await login(uow_factory, hasher, clock, tg=4000)).session.telegram_user_id == 4000


async def test_session_ends_after_idle_time_and_lifetime(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    clock.advance(POLICY.idle_timeout + timedelta(seconds=1))
    with pytest.raises(SessionExpired):
        await actor_of(uow_factory, clock, 1001)
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 1001)
    await login(uow_factory, hasher, clock)
    for _ in range(60):  # active all along, but the absolute lifetime still ends it
        clock.advance(POLICY.idle_timeout / 2)
        try:
            await actor_of(uow_factory, clock, 1001)
        except SessionExpired:
            break
    else:
        pytest.fail("session outlived its absolute lifetime")


async def test_a_read_only_guard_asks_for_a_writing_one_only_to_touch_or_end(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)

    async def read_only_actor() -> Actor:
        async with uow_factory(readonly=True) as uow:
            return await resolve_actor(uow, clock, 1001, POLICY)

    clock.advance(TOUCH_INTERVAL / 2)
    assert (await read_only_actor()).permissions == ALL_PERMISSIONS  # nothing to write
    clock.advance(TOUCH_INTERVAL)
    with pytest.raises(SessionWriteNeeded):  # the session is due a touch
        await read_only_actor()
    await actor_of(uow_factory, clock, 1001)  # a writing guard touches it
    assert (await read_only_actor()).permissions == ALL_PERMISSIONS
    clock.advance(POLICY.idle_timeout + timedelta(seconds=1))
    with pytest.raises(SessionWriteNeeded):  # ending it is a write too
        await read_only_actor()
    with pytest.raises(SessionExpired):
        await actor_of(uow_factory, clock, 1001)
    with pytest.raises(NotLoggedIn):
        await read_only_actor()


async def test_password_change_needs_old_password_and_ends_other_sessions(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock, telegram_user_id=1001)
    await login(uow_factory, hasher, clock, tg=5005)  # the same person on another phone
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as wrong_old:
            await auth.change_password(
                uow,
                hasher,
                clock,
                telegram_user_id=1001,
                old_password="nope nope",
                new_password="新的密码很长很长",
                new_password_again="新的密码很长很长",
                policy=POLICY,
            )
    assert wrong_old.value.field == "old_password"
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as mismatch:
            await auth.change_password(
                uow,
                hasher,
                clock,
                telegram_user_id=1001,
                old_password=PASSWORD,
                new_password="新的密码很长很长",
                new_password_again="新的密码很长很短",
                policy=POLICY,
            )
    assert mismatch.value.field == "password_again"
    async with uow_factory() as uow:
        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=1001,
            old_password=PASSWORD,
            new_password="新的密码很长很长",
            new_password_again="新的密码很长很长",
            policy=POLICY,
        )
    assert (await actor_of(uow_factory, clock, 1001)).is_super  # this session survives
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 5005)
    with pytest.raises(AuthenticationFailed):
        await login(uow_factory, hasher, clock, tg=6006)
    assert (await login(uow_factory, hasher, clock, tg=6006, password="新的密码很长很长")).user


async def test_weak_new_password_is_refused(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as weak:
            await auth.change_password(
                uow,
                hasher,
                clock,
                telegram_user_id=1001,
                old_password=PASSWORD,
                new_password="12345678",
                new_password_again="12345678",
                policy=POLICY,
            )
    assert weak.value.field == "password"


async def test_logout_ends_the_session(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        await auth.logout(uow, clock, 1001)
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 1001)
    async with uow_factory() as uow:
        with pytest.raises(NotLoggedIn):
            await auth.logout(uow, clock, 1001)


async def test_person_with_two_bases_chooses_one(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    first = await register(uow_factory, hasher, clock)
    # The super admin of a second base adds the same person as an admin there.
    from domain.services import admins

    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=7007,
        credit_code=CODE_TWO,
        id_number=ID_BOB,
        base_name="黄石技师学院",
        mobile="13912345678",
    )
    other = await actor_of(uow_factory, clock, 7007)
    async with uow_factory() as uow:
        match = await admins.find_person(uow, clock, other, ID_ALICE)
        await admins.add_existing_admin(uow, clock, other, user_id=match.user_id, role_id=None)
    outcome = await login(uow_factory, hasher, clock, tg=1001)
    assert outcome.needs_base_choice
    assert {b.name for b in outcome.bases} == {"武汉职业培训学院", "黄石技师学院"}
    with pytest.raises(BaseChoiceRequired):
        await actor_of(uow_factory, clock, 1001)
    async with uow_factory() as uow:
        chosen = await auth.choose_base(uow, clock, 1001, id_of(first.bases[0]), POLICY)
    assert chosen.name == "武汉职业培训学院"
    assert (await actor_of(uow_factory, clock, 1001)).is_super


async def test_initial_password_forces_a_change_first(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    boss = await actor_of(uow_factory, clock, 1001)
    from domain.services import admins

    async with uow_factory() as uow:
        await admins.add_new_admin(
            uow,
            hasher,
            clock,
            boss,
            name="赵磊",
            id_number=ID_BOB,
            mobile="13912345678",
            initial_password="初始密码 abc 123",
            role_id=None,
        )
    outcome = await login(
        uow_factory, hasher, clock, tg=8008, id_number=ID_BOB, password="初始密码 abc 123"
    )
    assert outcome.needs_password_change
    async with uow_factory() as uow:
        with pytest.raises(PasswordChangeRequired):
            await resolve_actor(uow, clock, 8008, POLICY)
    async with uow_factory() as uow:
        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=8008,
            old_password="初始密码 abc 123",
            new_password="我自己的全新密码",
            new_password_again="我自己的全新密码",
            policy=POLICY,
        )
    assert not (await actor_of(uow_factory, clock, 8008)).is_super


async def test_credit_code_lookup_is_exact(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(CODE_ONE) is not None
        assert await uow.bases.get_by_credit_code(CODE_TWO) is None


async def test_guessing_the_old_password_locks_the_account_and_ends_sessions(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    # Each refusal leaves its unit of work, as it leaves the guard's: it is recorded, so it counts.
    for _ in range(4):
        with pytest.raises(Invalid):
            async with uow_factory() as uow:
                await auth.verify_old_password(
                    uow,
                    hasher,
                    clock,
                    telegram_user_id=1001,
                    password="guess guess",
                    policy=POLICY,
                )
    with pytest.raises(AccountLocked):
        async with uow_factory() as uow:
            await auth.verify_old_password(
                uow, hasher, clock, telegram_user_id=1001, password="guess guess", policy=POLICY
            )
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 1001)
    with pytest.raises(AccountLocked):
        await login(uow_factory, hasher, clock)


async def test_wrong_passwords_sent_at_once_from_several_chats_all_count(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, engine: AsyncEngine
) -> None:
    """Seven wrong passwords for one account at once, each from its own Telegram user and unit
    of work: four are told how many tries remain (4, 3, 2, 1), the fifth locks, and the rest
    find it locked; the lock is audited once. A counter read and written back by each attempt
    would count several of them as one."""
    await register(uow_factory, hasher, clock)

    async def wrong(tg: int) -> Exception:
        try:
            await login(uow_factory, hasher, clock, tg=tg, password="not it at all")
        except (AuthenticationFailed, AccountLocked) as refused:
            return refused
        raise AssertionError("a wrong password was accepted")

    answers = await asyncio.gather(*(wrong(7000 + n) for n in range(7)))
    failures = [a for a in answers if isinstance(a, AuthenticationFailed)]
    remaining = sorted(a.remaining for a in failures if a.remaining is not None)
    assert len(remaining) == len(failures)
    assert remaining == [1, 2, 3, 4]
    locks = [a for a in answers if isinstance(a, AccountLocked)]
    assert len(locks) == 3
    assert {a.until for a in locks} == {clock.now() + timedelta(minutes=15)}
    async with uow_factory(readonly=True) as uow:
        user = await uow.users.get_by_id_number(ID_ALICE)
    assert user is not None
    assert user.locked_until == clock.now() + timedelta(minutes=15)
    assert user.failed_logins == 0
    async with engine.connect() as conn:
        audited = await conn.scalar(
            text("SELECT count(*) FROM audit_events WHERE action = 'user.locked'")
        )
    assert audited == 1
    with pytest.raises(AccountLocked):  # the right password too, while locked
        await login(uow_factory, hasher, clock, tg=7100)


async def test_wrong_passwords_at_once_below_the_limit_count_each(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """Four at once leave four on the count: the next wrong one is the fifth and locks."""
    await register(uow_factory, hasher, clock)

    async def wrong(tg: int) -> None:
        with pytest.raises(AuthenticationFailed):
            await login(uow_factory, hasher, clock, tg=tg, password="not it at all")

    await asyncio.gather(*(wrong(7200 + n) for n in range(4)))
    async with uow_factory(readonly=True) as uow:
        user = await uow.users.get_by_id_number(ID_ALICE)
    assert user is not None and user.failed_logins == 4
    with pytest.raises(AccountLocked):
        await login(uow_factory, hasher, clock, tg=7300, password="not it at all")


async def test_the_old_password_refusal_says_how_many_tries_remain(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    with pytest.raises(AuthenticationFailed):  # one wrong at the login counts too
        await login(uow_factory, hasher, clock, tg=7400, password="one wrong at login")
    for left in (3, 2, 1):
        with pytest.raises(Invalid) as refused:
            async with uow_factory() as uow:
                await auth.verify_old_password(
                    uow, hasher, clock, telegram_user_id=1001, password="guess", policy=POLICY
                )
        assert refused.value.field == "old_password"
        assert refused.value.params == {"remaining": left}
    with pytest.raises(AccountLocked):
        async with uow_factory() as uow:
            await auth.verify_old_password(
                uow, hasher, clock, telegram_user_id=1001, password="guess", policy=POLICY
            )


async def test_an_unknown_number_counts_down_like_an_account(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """The same person guessing one unknown number sees what a real account would show."""
    await register(uow_factory, hasher, clock)
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed) as refused:
            await login(uow_factory, hasher, clock, tg=7500, id_number=ID_BOB)
        assert refused.value.remaining == left
    with pytest.raises(AccountLocked) as locked:
        await login(uow_factory, hasher, clock, tg=7500, id_number=ID_BOB)
    assert locked.value.until == clock.now() + timedelta(minutes=15)
