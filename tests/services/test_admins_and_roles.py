"""Administrators, roles and the hand-over of the super admin — on real storage."""

import asyncio
from collections.abc import Iterable
from datetime import timedelta

import pytest

from domain.clock import FixedClock
from domain.errors import (
    AuthenticationFailed,
    Conflict,
    Invalid,
    NotFound,
    NotLoggedIn,
    NotPermitted,
)
from domain.model import Actor, Role
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.services import admins, auth, roles
from domain.services.admins import AdminView
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import (
    CODE_TWO,
    ID_BOB,
    ID_CAROL,
    PASSWORD,
    actor_of,
    id_of,
    register,
)

BOB_PASSWORD = "初始密码 abc 123"
BOB_NEW_PASSWORD = "春风十里不如你呀"


async def setup_base_with_bob(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    *,
    permissions: Iterable[Permission] = (),
) -> tuple[Actor, Role, AdminView]:
    """Alice registers a base; Bob joins with a role holding ``permissions`` and logs in."""
    await register(uow_factory, hasher, clock)
    alice = await actor_of(uow_factory, clock, 1001)
    async with uow_factory() as uow:
        role = await roles.create_role(uow, clock, alice, "培训专员", permissions)
    async with uow_factory() as uow:
        bob_view = await admins.add_new_admin(
            uow,
            hasher,
            clock,
            alice,
            name="赵磊",
            id_number=ID_BOB,
            mobile="13912345678",
            initial_password=BOB_PASSWORD,
            role_id=role.id,
        )
    async with uow_factory() as uow:
        await auth.login(
            uow, hasher, clock, telegram_user_id=2002, id_number=ID_BOB, password=BOB_PASSWORD
        )
    async with uow_factory() as uow:
        from tests.services.helpers import POLICY

        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=2002,
            old_password=BOB_PASSWORD,
            new_password=BOB_NEW_PASSWORD,
            new_password_again=BOB_NEW_PASSWORD,
            policy=POLICY,
        )
    return alice, role, bob_view


async def test_admin_list_masks_id_numbers(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        views, total = await admins.list_admins(uow, alice)
    assert total == 2
    assert {v.masked_id_number for v in views} == {"110***********002X", "420***********1231"}
    assert [v.is_super for v in views].count(True) == 1
    assert {v.role_name for v in views if not v.is_super} == {"培训专员"}


async def test_existing_person_cannot_be_registered_again(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await admins.add_new_admin(
                uow,
                hasher,
                clock,
                alice,
                name="赵磊",
                id_number=ID_BOB,
                mobile="13912345678",
                initial_password="另一个初始密码啊啊",
                role_id=None,
            )
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await admins.find_person(uow, clock, alice, ID_CAROL)


async def test_role_change_applies_on_the_next_action(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    bob = await actor_of(uow_factory, clock, 2002)
    assert not bob.can(Permission.CLASSES_MANAGE)
    async with uow_factory() as uow:
        await roles.set_permissions(uow, clock, alice, id_of(role), {Permission.CLASSES_MANAGE})
    bob = await actor_of(uow_factory, clock, 2002)
    assert bob.permissions == frozenset({Permission.CLASSES_MANAGE})


async def test_restricted_admin_cannot_manage_admins_or_roles(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(
        uow_factory, hasher, clock, permissions={Permission.CLASSES_MANAGE}
    )
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await admins.list_admins(uow, bob)
        with pytest.raises(NotPermitted):
            await roles.create_role(uow, clock, bob, "越权角色", set(Permission))
        with pytest.raises(NotPermitted):
            await admins.remove_admin(uow, clock, bob, alice.membership_id)


async def test_super_admin_and_oneself_cannot_be_removed(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, bob_view = await setup_base_with_bob(
        uow_factory, hasher, clock, permissions={Permission.ADMINS_MANAGE}
    )
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await admins.remove_admin(uow, clock, bob, alice.membership_id)
        with pytest.raises(NotPermitted):
            await admins.remove_admin(uow, clock, bob, bob.membership_id)
    async with uow_factory() as uow:
        await admins.remove_admin(uow, clock, alice, bob_view.membership_id)
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 2002)


async def test_a_session_whose_membership_is_gone_ends_at_the_next_action(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """A membership deleted without its sessions (by hand, say): the guard ends the session, and
    the end is recorded though the action is refused."""
    _, _, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        await uow.memberships.delete(bob_view.membership_id)
    with pytest.raises(NotLoggedIn) as refused:
        await actor_of(uow_factory, clock, 2002)
    assert "不再是“{base}”的管理员" in refused.value.key
    assert refused.value.params == {"base": "武汉职业培训学院"}
    async with uow_factory(readonly=True) as uow:
        assert await uow.sessions.get_open_for_telegram_user(2002) is None


async def test_a_removed_admin_is_refused_at_login_yet_the_right_password_resets_the_count(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """Both refusals leave their unit of work recorded: the failure counts, the success too."""
    alice, _, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        await admins.remove_admin(uow, clock, alice, bob_view.membership_id)

    async def bob_logs_in(password: str) -> None:
        async with uow_factory() as uow:
            await auth.login(
                uow, hasher, clock, telegram_user_id=2002, id_number=ID_BOB, password=password
            )

    async def counted() -> tuple[int, int]:
        async with uow_factory(readonly=True) as uow:
            bob = await uow.users.get_by_id_number(ID_BOB)
            failures = await uow.login_failures.count_since(2002, clock.now() - timedelta(hours=1))
        assert bob is not None
        return bob.failed_logins, failures

    with pytest.raises(AuthenticationFailed):
        await bob_logs_in("not the password")
    assert await counted() == (1, 1)
    with pytest.raises(NotFound):
        await bob_logs_in(BOB_NEW_PASSWORD)
    assert await counted() == (0, 0)


async def test_role_is_not_deleted_while_assigned(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Conflict) as assigned:
            await roles.delete_role(uow, clock, alice, id_of(role))
    assert "赵磊" in assigned.value.params["names"]
    async with uow_factory() as uow:
        await admins.change_role(uow, clock, alice, bob_view.membership_id, None)
    async with uow_factory() as uow:
        await roles.delete_role(uow, clock, alice, id_of(role))
    async with uow_factory(readonly=True) as uow:
        assert await roles.list_roles(uow, alice) == []


async def test_role_names_are_unique_within_a_base(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await roles.create_role(uow, clock, alice, "培训专员", ())
    async with uow_factory() as uow:
        other = await roles.create_role(uow, clock, alice, "成绩专员", ())
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await roles.rename_role(uow, clock, alice, id_of(other), "培训专员")


async def test_objects_of_another_base_are_not_found(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=9009,
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        base_name="黄石技师学院",
        mobile="13712345678",
    )
    mallory = await actor_of(uow_factory, clock, 9009)
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await roles.set_permissions(uow, clock, mallory, id_of(role), set(Permission))
        with pytest.raises(NotFound):
            await roles.delete_role(uow, clock, mallory, id_of(role))
        with pytest.raises(NotFound):
            await admins.remove_admin(uow, clock, mallory, bob_view.membership_id)
        with pytest.raises(NotFound):
            await admins.change_role(uow, clock, mallory, bob_view.membership_id, None)
        with pytest.raises(NotFound):
            await admins.get_admin(uow, mallory, bob_view.membership_id)
    async with uow_factory() as uow:
        own_role = await roles.create_role(uow, clock, mallory, "黄石角色", ())
    async with uow_factory() as uow:  # nor can a role of another base be assigned
        with pytest.raises(NotFound):
            await admins.change_role(uow, clock, alice, bob_view.membership_id, own_role.id)


async def test_hand_over_needs_the_password_and_leaves_one_super_admin(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Invalid):
            await admins.hand_over_super(
                uow,
                hasher,
                clock,
                alice,
                membership_id=bob_view.membership_id,
                password="wrong password",
            )
    async with uow_factory() as uow:
        await admins.hand_over_super(
            uow, hasher, clock, alice, membership_id=bob_view.membership_id, password=PASSWORD
        )
    bob = await actor_of(uow_factory, clock, 2002)
    former = await actor_of(uow_factory, clock, 1001)
    assert bob.is_super
    assert not former.is_super and former.permissions == frozenset()
    async with uow_factory(readonly=True) as uow:
        views, _ = await admins.list_admins(uow, bob)
    assert [v.name for v in views if v.is_super] == ["赵磊"]
    async with uow_factory() as uow:  # the former super admin can no longer hand anything over
        with pytest.raises(NotPermitted):
            await admins.hand_over_super(
                uow, hasher, clock, former, membership_id=former.membership_id, password=PASSWORD
            )


async def test_simultaneous_hand_overs_leave_exactly_one_super_admin(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """Two hand-overs started from the same super admin session at the same moment."""
    alice, role, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)

    async with uow_factory() as uow:
        carol_view = await admins.add_new_admin(
            uow,
            hasher,
            clock,
            alice,
            name="钱红",
            id_number=ID_CAROL,
            mobile="13712345678",
            initial_password="初始密码 xyz 789",
            role_id=role.id,
        )

    async def hand_over(target: int) -> object:
        async with uow_factory() as uow:
            return await admins.hand_over_super(
                uow, hasher, clock, alice, membership_id=target, password=PASSWORD
            )

    results = await asyncio.gather(
        hand_over(bob_view.membership_id),
        hand_over(carol_view.membership_id),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, NotPermitted) for r in results if isinstance(r, BaseException))
    async with uow_factory(readonly=True) as uow:
        members = await uow.memberships.list_for_base(alice.base_id)
    assert sum(m.is_super for m in members) == 1
    assert len(members) == 3


async def test_an_admin_manager_without_roles_manage_may_pick_roles_within_their_own_rights(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, _ = await setup_base_with_bob(
        uow_factory, hasher, clock, permissions={Permission.ADMINS_MANAGE}
    )
    async with uow_factory() as uow:
        wider = await roles.create_role(
            uow, clock, alice, "全能专员", {Permission.ADMINS_MANAGE, Permission.ROLES_MANAGE}
        )
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(NotPermitted):
            await roles.list_roles(uow, bob)
        offered = await admins.roles_for_assignment(uow, bob)
        everything = await admins.roles_for_assignment(uow, alice)
    assert [r.name for r in offered] == ["培训专员"]
    assert [r.id for r in everything] == [role.id, wider.id]


async def test_an_admin_without_admins_manage_gets_no_roles_to_assign(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await setup_base_with_bob(uow_factory, hasher, clock, permissions={Permission.ROLES_MANAGE})
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(NotPermitted):
            await admins.roles_for_assignment(uow, bob)
        with pytest.raises(NotPermitted):
            admins.ensure_manager(bob)


async def test_typed_numbers_are_checked_against_the_way_chosen(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        full_width = ID_CAROL.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert await admins.check_new_id_number(uow, clock, alice, full_width) == ID_CAROL
        with pytest.raises(Conflict):
            await admins.check_new_id_number(uow, clock, alice, ID_BOB)
        with pytest.raises(Invalid):
            await admins.check_new_id_number(uow, clock, alice, "420106199001011232")
        with pytest.raises(Conflict) as already:
            await admins.find_person_to_add(uow, clock, alice, ID_BOB)
        with pytest.raises(NotFound):
            await admins.find_person_to_add(uow, clock, alice, ID_CAROL)
    assert already.value.params["name"] == "赵磊"


async def test_previews_refuse_what_the_action_would_refuse(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, bob_view = await setup_base_with_bob(
        uow_factory, hasher, clock, permissions={Permission.ADMINS_MANAGE}
    )
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory(readonly=True) as uow:
        assert (await admins.removal_preview(uow, alice, bob_view.membership_id)).name == "赵磊"
        with pytest.raises(NotPermitted):
            await admins.removal_preview(uow, bob, alice.membership_id)
        with pytest.raises(NotPermitted):
            await admins.removal_preview(uow, bob, bob.membership_id)
        with pytest.raises(NotPermitted):
            await admins.role_choice(uow, bob, alice.membership_id)
        view, offered = await admins.role_choice(uow, bob, bob.membership_id)
        assert view.name == "赵磊" and [r.name for r in offered] == ["培训专员"]
        assert (await admins.hand_over_preview(uow, alice, bob_view.membership_id)).name == "赵磊"
        with pytest.raises(Invalid):
            await admins.hand_over_preview(uow, alice, alice.membership_id)
        with pytest.raises(NotPermitted):
            await admins.hand_over_preview(uow, bob, bob.membership_id)


async def test_an_admin_cannot_hand_out_a_role_stronger_than_their_own(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, bob_view = await setup_base_with_bob(
        uow_factory, hasher, clock, permissions={Permission.ADMINS_MANAGE}
    )
    async with uow_factory() as uow:
        strong = await roles.create_role(uow, clock, alice, "全能角色", set(Permission))
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await admins.change_role(uow, clock, bob, bob_view.membership_id, strong.id)
    assert not (await actor_of(uow_factory, clock, 2002)).can(Permission.ROLES_MANAGE)


async def test_wrong_passwords_at_hand_over_count_towards_the_lock_out(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    from domain.errors import AccountLocked

    alice, _, bob_view = await setup_base_with_bob(uow_factory, hasher, clock)
    for attempt in range(5):
        with pytest.raises(AccountLocked if attempt == 4 else Invalid):
            async with uow_factory() as uow:
                await admins.hand_over_super(
                    uow,
                    hasher,
                    clock,
                    alice,
                    membership_id=bob_view.membership_id,
                    password="guess again",
                )
    with pytest.raises(NotLoggedIn):
        await actor_of(uow_factory, clock, 1001)
