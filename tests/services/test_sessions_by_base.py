"""A person who administers several bases, removed from one: that base's session ends, saying
which base, and the person stays logged in to the others (on real storage)."""

import pytest

from domain.clock import FixedClock
from domain.errors import NotFound, NotLoggedIn
from domain.model import Actor
from domain.ports import PasswordHasher
from domain.services import admins, auth
from domain.services.admins import AdminView
from domain.services.sessions import BaseChoiceRequired, resolve_actor, resolve_home
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import (
    CODE_TWO,
    ID_ALICE,
    ID_CAROL,
    PASSWORD,
    POLICY,
    actor_of,
    id_of,
    register,
)

BASE_ONE = "武汉职业培训学院"
BASE_TWO = "荆州继续教育中心"


async def two_bases_for_alice(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> tuple[Actor, AdminView, int]:
    """Alice (Telegram 1001) registers base one; Carol (3003) registers base two and adds Alice;
    Alice logs in again from 1001 and chooses base two. Returns Carol and Alice's base ids."""
    first = await register(uow_factory, hasher, clock)
    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=3003,
        base_name=BASE_TWO,
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        admin_name="陈静",
        mobile="13712345678",
    )
    carol = await actor_of(uow_factory, clock, 3003)
    alice_user_id = id_of(first.user)
    async with uow_factory() as uow:
        view = await admins.add_existing_admin(
            uow, clock, carol, user_id=alice_user_id, role_id=None
        )
    async with uow_factory() as uow:
        outcome = await auth.login(
            uow, hasher, clock, telegram_user_id=1001, id_number=ID_ALICE, password=PASSWORD
        )
    assert outcome.needs_base_choice
    async with uow_factory() as uow:
        await auth.choose_base(uow, clock, 1001, carol.base_id, POLICY)
    return carol, view, id_of(first.bases[0])


async def test_removed_from_one_base_stays_logged_in_to_the_other(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    carol, alice_there, base_one = await two_bases_for_alice(uow_factory, hasher, clock)
    assert (await actor_of(uow_factory, clock, 1001)).base_id == carol.base_id
    async with uow_factory() as uow:
        await admins.remove_admin(uow, clock, carol, alice_there.membership_id)

    with pytest.raises(BaseChoiceRequired) as refused:
        await actor_of(uow_factory, clock, 1001)
    assert refused.value.params == {"base": BASE_TWO}
    assert "/base" in refused.value.key
    # Still logged in: the session left the base, it did not end.
    with pytest.raises(BaseChoiceRequired) as again:
        await actor_of(uow_factory, clock, 1001)
    assert again.value.key == BaseChoiceRequired.default_key
    async with uow_factory() as uow:
        bases = await auth.list_own_bases(uow, clock, 1001, POLICY)
    assert [b.name for b in bases] == [BASE_ONE]
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await auth.choose_base(uow, clock, 1001, carol.base_id, POLICY)
    async with uow_factory() as uow:
        await auth.choose_base(uow, clock, 1001, base_one, POLICY)
    alice = await actor_of(uow_factory, clock, 1001)
    assert alice.base_id == base_one and alice.is_super


async def test_removed_from_the_only_base_is_logged_out_saying_which(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    carol, alice_there, base_one = await two_bases_for_alice(uow_factory, hasher, clock)
    # Alice's own base one goes too (by hand here: a super admin is never removed in the chat).
    async with uow_factory() as uow:
        own = await uow.memberships.get_for(base_one, alice_there.user_id)
        assert own is not None
        await uow.memberships.delete(id_of(own))
    async with uow_factory() as uow:
        await admins.remove_admin(uow, clock, carol, alice_there.membership_id)
    with pytest.raises(NotLoggedIn) as refused:
        async with uow_factory() as uow:
            await resolve_home(uow, clock, 1001, POLICY)
    assert refused.value.params == {"base": BASE_TWO}
    async with uow_factory(readonly=True) as uow:
        assert await uow.sessions.get_open_for_telegram_user(1001) is None
    with pytest.raises(NotLoggedIn):
        async with uow_factory() as uow:
            await resolve_actor(uow, clock, 1001, POLICY)
