"""Roles: the card with its holders, names checked as typed, and no granting beyond one's own."""

import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, Invalid, NotFound, NotPermitted
from domain.model import Actor, Role
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.services import roles
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import CODE_TWO, ID_CAROL, actor_of, id_of, register
from tests.services.test_admins_and_roles import setup_base_with_bob


async def second_base(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> tuple[Actor, Role]:
    """Carol registers another base and creates a role there."""
    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=3003,
        base_name="宜昌继续教育中心",
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        admin_name="陈静",
        mobile="13712345678",
    )
    carol = await actor_of(uow_factory, clock, 3003)
    async with uow_factory() as uow:
        role = await roles.create_role(uow, clock, carol, "宜昌专员", {Permission.SCORES_MANAGE})
    return carol, role


async def test_role_card_names_its_holders(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        empty = await roles.create_role(uow, clock, alice, "空角色", ())
    async with uow_factory(readonly=True) as uow:
        card = await roles.role_card(uow, alice, id_of(role))
        nobody = await roles.role_card(uow, alice, id_of(empty))
    assert card.role.name == "培训专员"
    assert card.holder_names == ("赵磊",)
    assert nobody.holder_names == ()


async def test_another_bases_role_is_not_found_anywhere(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, _, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    carol, foreign = await second_base(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await roles.role_card(uow, alice, id_of(foreign))
        with pytest.raises(NotFound):
            await roles.check_role_name(uow, alice, "新名字", role_id=foreign.id)
        with pytest.raises(NotFound):
            await roles.set_permissions(uow, clock, alice, id_of(foreign), set(Permission))
        with pytest.raises(NotFound):
            await roles.delete_role(uow, clock, alice, id_of(foreign))
    async with uow_factory(readonly=True) as uow:
        (still,) = await roles.list_roles(uow, carol)
    assert still.name == "宜昌专员"
    assert still.permissions == frozenset({Permission.SCORES_MANAGE})


async def test_name_is_checked_as_typed(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice, role, _ = await setup_base_with_bob(uow_factory, hasher, clock)
    await second_base(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(Conflict) as taken:
            await roles.check_role_name(uow, alice, " 培训专员 ")
        assert taken.value.params == {"name": "培训专员"}
        with pytest.raises(Invalid):
            await roles.check_role_name(uow, alice, "12345")
        with pytest.raises(Invalid):
            await roles.check_role_name(uow, alice, "角" * (roles.ROLE_NAME_MAX + 1))
        # Keeping its own name on rename is no clash; another base's name is no clash either.
        assert await roles.check_role_name(uow, alice, "培训专员", role_id=role.id) == "培训专员"
        assert await roles.check_role_name(uow, alice, "宜昌专员") == "宜昌专员"


async def test_roles_manager_cannot_grant_what_they_do_not_hold(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """Bob holds roles.manage and classes.manage only; his own role must not become everything."""
    alice, role, _ = await setup_base_with_bob(
        uow_factory,
        hasher,
        clock,
        permissions={Permission.ROLES_MANAGE, Permission.CLASSES_MANAGE},
    )
    bob = await actor_of(uow_factory, clock, 2002)
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await roles.set_permissions(uow, clock, bob, id_of(role), set(Permission))
        with pytest.raises(NotPermitted):
            await roles.create_role(uow, clock, bob, "万能角色", {Permission.ADMINS_MANAGE})
    bob = await actor_of(uow_factory, clock, 2002)
    assert bob.permissions == frozenset({Permission.ROLES_MANAGE, Permission.CLASSES_MANAGE})
    async with uow_factory(readonly=True) as uow:
        assert [r.name for r in await roles.list_roles(uow, bob)] == ["培训专员"]

    async with uow_factory() as uow:
        helper = await roles.create_role(uow, clock, bob, "班务助理", {Permission.CLASSES_MANAGE})
    async with uow_factory() as uow:
        await roles.set_permissions(uow, clock, alice, id_of(helper), {Permission.PLANS_MANAGE})
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):  # taking away what he does not hold is refused too
            await roles.set_permissions(uow, clock, bob, id_of(helper), ())
    async with uow_factory() as uow:  # adding one he holds, leaving the other as it is, is fine
        changed = await roles.set_permissions(
            uow, clock, bob, id_of(helper), {Permission.PLANS_MANAGE, Permission.CLASSES_MANAGE}
        )
    assert changed.permissions == {Permission.PLANS_MANAGE, Permission.CLASSES_MANAGE}
