"""Getting back in (issue 16), on real storage: resets by the super admin and by the operator,
wrong passwords counted, a locked account opened, the one-time password."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FixedClock
from domain.errors import (
    AccountLocked,
    AuthenticationFailed,
    Invalid,
    NotFound,
    NotLoggedIn,
    NotPermitted,
)
from domain.passwords import ONE_TIME_ALPHABET, check_password_policy, one_time_password
from domain.ports import PasswordHasher
from domain.services import admins, auth
from domain.services.notices import KIND_PREFIX
from domain.services.sessions import PasswordChangeRequired, resolve_actor
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import ID_ALICE, ID_BOB, PASSWORD, POLICY, actor_of, id_of, register
from tests.services.test_admins_and_roles import setup_base_with_bob


def test_a_one_time_password_is_readable_and_meets_the_policy() -> None:
    seen = {
        one_time_password(id_number=ID_BOB, mobile="13912345678", name="赵磊") for _ in range(50)
    }
    assert len(seen) == 50
    for password in seen:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(ONE_TIME_ALPHABET)
        check_password_policy(password, id_number=ID_BOB, mobile="13912345678", name="赵磊")


async def test_wrong_passwords_at_a_reset_count_towards_the_actors_lock_out(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    _alice, _role, bob = await setup_base_with_bob(uow_factory, hasher, clock)
    alice = await actor_of(uow_factory, clock, 1001)
    for _ in range(4):
        with pytest.raises(Invalid):
            async with uow_factory() as uow:
                await admins.reset_admin_password(
                    uow,
                    hasher,
                    clock,
                    alice,
                    membership_id=bob.membership_id,
                    password="不对的密码呀",
                )
    with pytest.raises(AccountLocked):
        async with uow_factory() as uow:
            await admins.reset_admin_password(
                uow, hasher, clock, alice, membership_id=bob.membership_id, password="不对的密码呀"
            )
    with pytest.raises(NotLoggedIn):  # every session of the actor ended with the lock-out
        await actor_of(uow_factory, clock, 1001)
    async with uow_factory(readonly=True) as uow:
        assert sum((await uow.outbox.counts()).values()) == 0  # nothing reset, nobody told


async def test_the_operator_opens_a_base_whose_only_super_admin_is_locked_out(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    outcome = await register(uow_factory, hasher, clock)
    base_id = id_of(outcome.bases[0])
    for _ in range(5):
        try:
            async with uow_factory() as uow:
                await auth.login(
                    uow, hasher, clock, telegram_user_id=1001, id_number=ID_ALICE, password="忘了"
                )
        except (AccountLocked, AuthenticationFailed):
            pass
    async with uow_factory() as uow:
        person, one_time = await admins.operator_reset_password(
            uow, hasher, clock, id_number=ID_ALICE.lower()
        )
    assert person.name == "王芳"
    async with uow_factory() as uow:
        again = await auth.login(
            uow, hasher, clock, telegram_user_id=1001, id_number=ID_ALICE, password=one_time
        )
    assert again.needs_password_change  # the lock is gone; the one-time password must change
    async with uow_factory() as uow:
        with pytest.raises(PasswordChangeRequired):
            await resolve_actor(uow, clock, 1001, POLICY)
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(base_id, action_prefix="user.reset_password")
        counts = await uow.outbox.counts()
    assert [(e.action, e.subject, e.actor_user_id) for e in events] == [
        ("user.reset_password_by_operator", "王芳", None)
    ]
    assert sum(counts.values()) == 1


async def test_the_operator_is_refused_an_unknown_person(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await admins.operator_reset_password(uow, hasher, clock, id_number=ID_BOB)
        with pytest.raises(Invalid):
            await admins.operator_reset_password(uow, hasher, clock, id_number="12345")


async def test_a_reset_ends_every_session_and_is_told_once_naming_the_base(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    _alice, _role, bob = await setup_base_with_bob(uow_factory, hasher, clock)
    alice = await actor_of(uow_factory, clock, 1001)
    async with uow_factory() as uow:
        done = await admins.reset_admin_password(
            uow, hasher, clock, alice, membership_id=bob.membership_id, password=PASSWORD
        )
    assert done.admin.name == bob.name
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 2002)
    async with uow_factory() as uow:
        claimed = await uow.outbox.claim(clock.now(), limit=10, lease=timedelta(minutes=1))
    (notice,) = claimed
    assert notice.user_id == bob.user_id and notice.kind == f"{KIND_PREFIX}password_reset"
    assert notice.text_key == admins.RESET_NOTICE
    assert notice.params == {"base": "武汉职业培训学院", "by": "王芳"}
    assert done.password not in str(notice.params)


async def test_a_non_super_admin_is_refused_before_any_password_is_checked(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    from domain.permissions import Permission

    await setup_base_with_bob(uow_factory, hasher, clock, permissions={Permission.ADMINS_MANAGE})
    bob = await actor_of(uow_factory, clock, 2002)
    alice_membership = (await actor_of(uow_factory, clock, 1001)).membership_id
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await admins.reset_admin_password(
                uow, hasher, clock, bob, membership_id=alice_membership, password="随便什么"
            )
    async with uow_factory(readonly=True) as uow:
        user = await uow.users.get(bob.user_id)
    assert user is not None and user.failed_logins == 0
