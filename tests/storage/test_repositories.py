"""Every repository of domain.ports against a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import Conflict, NotFound, NotPermitted, recorded
from domain.model import AuditEvent, Base, LoginSession, Membership, Role, SessionEnd, User
from domain.permissions import ALL_PERMISSIONS, Permission
from storage.uow import ReadOnlyViolation, SqlUnitOfWork, UnitOfWorkFactory

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def a_base(n: int = 1, **changes: object) -> Base:
    values: dict[str, object] = {
        "name": f"武汉市继续教育基地{n}",
        "credit_code": f"91420100MA4K{n:06d}",
        "region": "武汉市",
        "address": "武汉市洪山区珞喻路1号",
        "contact_person": "张三",
        "contact_phone": "027-87654321",
        "created_at": T0,
    }
    values.update(changes)
    return Base(**values)  # type: ignore[arg-type]


def a_user(n: int = 1, **changes: object) -> User:
    values: dict[str, object] = {
        "name": f"李四{n}",
        "id_number": f"4201061990010{n:04d}"[:17] + "X",
        "mobile": f"1381234{n:04d}",
        "password_hash": f"$argon2id$v=19$m=1024,t=1,p=1$hash{n}",
        "credentials_changed_at": T0,
        "created_at": T0,
    }
    values.update(changes)
    return User(**values)  # type: ignore[arg-type]


async def add_base_and_user(uow: SqlUnitOfWork, n: int = 1) -> tuple[Base, User]:
    base = await uow.bases.add(a_base(n))
    user = await uow.users.add(a_user(n))
    return base, user


def membership(base: Base, user: User, **changes: object) -> Membership:
    assert base.id is not None and user.id is not None
    values: dict[str, object] = {"base_id": base.id, "user_id": user.id, "created_at": T0}
    values.update(changes)
    return Membership(**values)  # type: ignore[arg-type]


def login(user: User, telegram_user_id: int, **changes: object) -> LoginSession:
    assert user.id is not None
    values: dict[str, object] = {
        "telegram_user_id": telegram_user_id,
        "user_id": user.id,
        "started_at": T0,
        "last_seen_at": T0,
    }
    values.update(changes)
    return LoginSession(**values)  # type: ignore[arg-type]


# --- bases -------------------------------------------------------------------------------------


async def test_base_round_trips_every_field(uow_factory: UnitOfWorkFactory) -> None:
    created_in_shanghai = datetime(2026, 11, 29, 9, 0, 30, 123456, tzinfo=SHANGHAI)
    async with uow_factory() as uow:
        added = await uow.bases.add(a_base(created_at=created_in_shanghai))
        await uow.commit()
    assert added.id is not None
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.bases.get(added.id)
    assert loaded == added
    assert loaded is not None
    assert loaded.created_at == created_in_shanghai
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_base_found_by_credit_code_and_many_ids(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        first = await uow.bases.add(a_base(1))
        second = await uow.bases.add(a_base(2))
        await uow.commit()
    assert first.id is not None and second.id is not None
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(second.credit_code) == second
        assert await uow.bases.get_by_credit_code("91420100MA4K999999") is None
        assert await uow.bases.get_many([second.id, first.id, 10_000]) == [first, second]
        assert await uow.bases.get_many([]) == []
        assert await uow.bases.get(10_000) is None


async def test_base_update_and_get_for_update(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        await uow.commit()
    assert base.id is not None
    base.address = "武汉市武昌区中北路2号"
    base.contact_phone = "13900001111"
    async with uow_factory() as uow:
        await uow.bases.update(base)
        await uow.commit()
    async with uow_factory() as uow:
        locked = await uow.bases.get_for_update(base.id)
        assert await uow.bases.get_for_update(10_000) is None
    assert locked == base


async def test_duplicate_credit_code_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.bases.add(a_base(1))
        with pytest.raises(Conflict) as raised:
            await uow.bases.add(a_base(2, credit_code=a_base(1).credit_code))
        assert raised.value.params["constraint"] == "uq_bases_credit_code"
        # The savepoint kept the transaction usable: the first base still commits.
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(a_base(1).credit_code) is not None


async def test_updating_a_missing_base_is_not_found(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await uow.bases.update(a_base(id=10_000))


async def test_naive_datetime_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(Exception, match="naive datetime"):
            await uow.bases.add(a_base(created_at=datetime(2026, 11, 29, 9, 0)))


# --- users -------------------------------------------------------------------------------------


async def test_user_round_trips_every_field(uow_factory: UnitOfWorkFactory) -> None:
    user = a_user(
        must_change_password=True,
        failed_logins=3,
        locked_until=datetime(2026, 11, 29, 9, 15, tzinfo=SHANGHAI),
        credentials_changed_at=T0 - timedelta(days=3),
        is_reviewer=True,
        reviewer_regions=("武汉市", "恩施土家族苗族自治州"),
    )
    async with uow_factory() as uow:
        added = await uow.users.add(user)
        await uow.commit()
    assert added.id is not None
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.users.get(added.id)
    assert loaded == added
    assert loaded is not None
    assert (loaded.id_number, loaded.mobile) == (user.id_number, user.mobile)
    assert loaded.locked_until == datetime(2026, 11, 29, 1, 15, tzinfo=UTC)
    assert loaded.reviewer_regions == ("武汉市", "恩施土家族苗族自治州")
    assert loaded.is_locked(T0)


async def test_user_found_by_id_number_and_many_ids(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        first = await uow.users.add(a_user(1))
        second = await uow.users.add(a_user(2))
        await uow.commit()
    assert first.id is not None and second.id is not None
    async with uow_factory(readonly=True) as uow:
        assert await uow.users.get_by_id_number(a_user(2).id_number) == second
        assert await uow.users.get_by_id_number("11010519491231002X") is None
        assert await uow.users.get_many([second.id, first.id, 10_000]) == [first, second]
        assert await uow.users.get_many([]) == []


async def test_reviewers_are_the_users_marked_so_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.users.reviewers() == []
        first = await uow.users.add(a_user(1, is_reviewer=True, reviewer_regions=("武汉市",)))
        await uow.users.add(a_user(2))
        third = await uow.users.add(a_user(3, is_reviewer=True))
    async with uow_factory(readonly=True) as uow:
        assert await uow.users.reviewers() == [first, third]


async def test_user_update_changes_numbers_and_index(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        user = await uow.users.add(a_user(1))
        await uow.commit()
    old_id_number = user.id_number
    user.id_number = "11010519491231002X"
    user.mobile = "13900009999"
    user.failed_logins = 1
    user.locked_until = None
    async with uow_factory() as uow:
        await uow.users.update(user)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.users.get_by_id_number(old_id_number) is None
        assert await uow.users.get_by_id_number("11010519491231002X") == user


async def test_duplicate_id_number_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.users.add(a_user(1))
        with pytest.raises(Conflict) as raised:
            await uow.users.add(a_user(2, id_number=a_user(1).id_number))
    assert raised.value.params["constraint"] == "uq_users_id_number_idx"


# --- roles -------------------------------------------------------------------------------------


async def test_failed_logins_are_counted_by_the_database(uow_factory: UnitOfWorkFactory) -> None:
    """Each call adds one in the row itself; the limit-th locks and resets; a locked account is
    not counted, its lock returned; the loaded user follows the row."""
    until = T0 + timedelta(minutes=15)
    async with uow_factory() as uow:
        user = await uow.users.add(a_user())
    assert user.id is not None
    for expected in (1, 2):
        async with uow_factory() as uow:
            loaded = await uow.users.get(user.id)
            counted = await uow.users.count_failed_login(user.id, now=T0, limit=3, lock_until=until)
            assert counted.failures == expected and counted.locked_until is None
            assert not counted.locked_now
            again = await uow.users.get(user.id)
            assert loaded is not None and again is not None
            assert again.failed_logins == expected
    async with uow_factory() as uow:
        counted = await uow.users.count_failed_login(user.id, now=T0, limit=3, lock_until=until)
    assert counted.locked_now and counted.locked_until == until and counted.failures == 3
    async with uow_factory() as uow:
        later = T0 + timedelta(minutes=1)
        counted = await uow.users.count_failed_login(
            user.id, now=later, limit=3, lock_until=later + timedelta(minutes=15)
        )
    assert not counted.locked_now and counted.locked_until == until
    async with uow_factory(readonly=True) as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None and stored.failed_logins == 0 and stored.locked_until == until
    async with uow_factory() as uow:  # once the lock is over, the count starts again
        after = until + timedelta(seconds=1)
        counted = await uow.users.count_failed_login(
            user.id, now=after, limit=3, lock_until=after + timedelta(minutes=15)
        )
    assert counted.failures == 1 and counted.locked_until is None


async def test_role_round_trips_permissions(uow_factory: UnitOfWorkFactory) -> None:
    permissions = frozenset({Permission.CLASSES_MANAGE, Permission.SCORES_MANAGE})
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务", permissions=permissions))
        everything = await uow.roles.add(
            Role(base_id=base.id, name="全部", permissions=ALL_PERMISSIONS)
        )
        nothing = await uow.roles.add(Role(base_id=base.id, name="无"))
        await uow.commit()
    assert role.id is not None
    async with uow_factory(readonly=True) as uow:
        assert await uow.roles.get(role.id) == role
        assert await uow.roles.get_by_name(base.id, "全部") == everything
        assert await uow.roles.get_by_name(base.id, "不存在") is None
        assert await uow.roles.list_for_base(base.id) == [role, everything, nothing]
    assert role.permissions == permissions
    assert nothing.permissions == frozenset()


async def test_role_rename_change_and_delete(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        await uow.commit()
    assert role.id is not None
    role.name = "教务处"
    role.permissions = frozenset({Permission.PLANS_MANAGE})
    async with uow_factory() as uow:
        await uow.roles.update(role)
        assert await uow.roles.get(role.id) == role
        await uow.roles.delete(role.id)
        assert await uow.roles.get(role.id) is None
        with pytest.raises(NotFound):
            await uow.roles.delete(role.id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.roles.list_for_base(base.id) == []


async def test_duplicate_role_name_in_a_base_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        first = await uow.bases.add(a_base(1))
        second = await uow.bases.add(a_base(2))
        assert first.id is not None and second.id is not None
        await uow.roles.add(Role(base_id=first.id, name="教务"))
        await uow.roles.add(Role(base_id=second.id, name="教务"))
        with pytest.raises(Conflict) as raised:
            await uow.roles.add(Role(base_id=first.id, name="教务"))
    assert raised.value.params["constraint"] == "uq_roles_base_id_name"


async def test_deleting_an_assigned_role_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        await uow.memberships.add(membership(base, user, role_id=role.id))
        assert role.id is not None
        with pytest.raises(Conflict):
            await uow.roles.delete(role.id)
        assert await uow.roles.get(role.id) == role


# --- memberships -------------------------------------------------------------------------------


async def test_membership_round_trip_and_lookups(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        assert base.id is not None and user.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        other_base = await uow.bases.add(a_base(2))
        assert other_base.id is not None
        created = datetime(2026, 11, 29, 17, 30, tzinfo=SHANGHAI)
        super_m = await uow.memberships.add(membership(base, user, is_super=True))
        with_role = await uow.memberships.add(
            membership(other_base, user, role_id=role.id, created_at=created)
        )
        await uow.commit()
    assert super_m.id is not None and with_role.id is not None and role.id is not None
    async with uow_factory(readonly=True) as uow:
        assert await uow.memberships.get(with_role.id) == with_role
        assert await uow.memberships.get_for(base.id, user.id) == super_m
        assert await uow.memberships.get_for(other_base.id, 10_000) is None
        assert await uow.memberships.get_super(base.id) == super_m
        assert await uow.memberships.get_super(other_base.id) is None
        assert await uow.memberships.list_for_user(user.id) == [super_m, with_role]
        assert await uow.memberships.list_for_role(role.id) == [with_role]
    assert with_role.created_at == created


async def test_members_come_with_their_user_and_role(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, chief = await add_base_and_user(uow, 1)
        clerk = await uow.users.add(a_user(2))
        outsider = await uow.users.add(a_user(3))
        other_base = await uow.bases.add(a_base(2))
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        with_role = await uow.memberships.add(membership(base, clerk, role_id=role.id))
        super_m = await uow.memberships.add(membership(base, chief, is_super=True))
        await uow.memberships.add(membership(other_base, outsider, is_super=True))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        members, total = await uow.memberships.list_members(base.id)
        assert (members, total) == ([(super_m, chief, None), (with_role, clerk, role)], 2)
        assert await uow.memberships.list_members(base.id, offset=1, limit=5) == ([members[1]], 2)
        assert await uow.memberships.list_members(base.id, limit=1) == ([members[0]], 2)
        assert await uow.memberships.list_members(base.id, offset=2) == ([], 2)  # past the end
        assert members[1].user.id_number == clerk.id_number  # decrypted like users.get


async def test_memberships_of_a_base_are_paged_super_first(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        users = [await uow.users.add(a_user(n)) for n in range(1, 8)]
        added = [await uow.memberships.add(membership(base, u)) for u in users[:6]]
        chief = await uow.memberships.add(membership(base, users[6], is_super=True))
        elsewhere = await uow.bases.add(a_base(2))
        await uow.memberships.add(membership(elsewhere, users[0]))
        await uow.commit()
    assert base.id is not None
    async with uow_factory(readonly=True) as uow:
        pages = [await uow.memberships.list_for_base(base.id, offset, 3) for offset in (0, 3, 6)]
        assert await uow.memberships.count_for_base(base.id) == 7
        assert await uow.memberships.list_for_base(base.id) == [chief, *added]
    assert pages == [[chief, *added[:2]], added[2:5], added[5:]]


async def test_second_super_admin_of_a_base_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, first = await add_base_and_user(uow, 1)
        second = await uow.users.add(a_user(2))
        await uow.memberships.add(membership(base, first, is_super=True))
        with pytest.raises(Conflict) as raised:
            await uow.memberships.add(membership(base, second, is_super=True))
        assert raised.value.params["constraint"] == "uq_memberships_one_super"
        plain = await uow.memberships.add(membership(base, second))
        plain.is_super = True
        with pytest.raises(Conflict):
            await uow.memberships.update(plain)


async def test_super_admin_hand_over_in_one_unit_of_work(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, first = await add_base_and_user(uow, 1)
        second = await uow.users.add(a_user(2))
        current = await uow.memberships.add(membership(base, first, is_super=True))
        target = await uow.memberships.add(membership(base, second))
        await uow.commit()
    assert base.id is not None
    async with uow_factory() as uow:
        assert await uow.bases.get_for_update(base.id) == base
        current.is_super = False
        await uow.memberships.update(current)
        target.is_super = True
        await uow.memberships.update(target)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.memberships.get_super(base.id) == target


async def test_one_membership_per_person_and_base(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        await uow.memberships.add(membership(base, user))
        with pytest.raises(Conflict) as raised:
            await uow.memberships.add(membership(base, user))
    assert raised.value.params["constraint"] == "uq_memberships_base_id_user_id"


async def test_membership_update_and_delete(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        member = await uow.memberships.add(membership(base, user))
        await uow.commit()
    assert member.id is not None
    member.role_id = role.id
    async with uow_factory() as uow:
        await uow.memberships.update(member)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.memberships.get(member.id) == member
        await uow.memberships.delete(member.id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.memberships.get(member.id) is None
        assert await uow.memberships.count_for_base(base.id) == 0


# --- sessions ----------------------------------------------------------------------------------


async def test_session_round_trip_and_open_lookup(uow_factory: UnitOfWorkFactory) -> None:
    telegram_id = 7_000_000_001  # above 2**31: Telegram ids need BIGINT
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        opened = await uow.sessions.add(login(user, telegram_id, base_id=base.id))
        await uow.commit()
    assert opened.id is not None and opened.is_open
    async with uow_factory() as uow:
        assert await uow.sessions.get_open_for_telegram_user(telegram_id) == opened
        assert await uow.sessions.get_open_for_telegram_user(42) is None
        opened.last_seen_at = datetime(2026, 11, 29, 9, 20, tzinfo=SHANGHAI)
        opened.ended_at = T0 + timedelta(minutes=30)
        opened.end_reason = SessionEnd.LOGOUT
        await uow.sessions.update(opened)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.sessions.get_open_for_telegram_user(telegram_id) is None
        again = await uow.sessions.add(login(user, telegram_id))
        assert await uow.sessions.get_open_for_telegram_user(telegram_id) == again
    assert again.base_id is None


async def test_an_open_session_comes_with_user_membership_and_role(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow, 1)
        other_base = await uow.bases.add(a_base(2))
        assert base.id is not None
        role = await uow.roles.add(Role(base_id=base.id, name="教务"))
        member = await uow.memberships.add(membership(base, user, role_id=role.id))
        in_base = await uow.sessions.add(login(user, 1, base_id=base.id))
        elsewhere = await uow.sessions.add(login(user, 2, base_id=other_base.id))
        no_base = await uow.sessions.add(login(user, 3))
        await uow.sessions.add(login(user, 4, ended_at=T0, end_reason=SessionEnd.LOGOUT))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.sessions.open_for_telegram_user(1) == (
            in_base,
            user,
            member,
            role,
            base.name,
        )
        assert await uow.sessions.open_for_telegram_user(2) == (
            elsewhere,
            user,
            None,
            None,
            other_base.name,
        )
        assert await uow.sessions.open_for_telegram_user(3) == (no_base, user, None, None, None)
        assert await uow.sessions.open_for_telegram_user(4) is None
        assert await uow.sessions.open_for_telegram_user(5) is None


async def test_second_open_session_of_a_telegram_user_is_a_conflict(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        _, user = await add_base_and_user(uow)
        await uow.sessions.add(login(user, 555))
        with pytest.raises(Conflict) as raised:
            await uow.sessions.add(login(user, 555))
        assert raised.value.params["constraint"] == "uq_login_sessions_one_open"
        await uow.sessions.add(login(user, 556))
        closed = login(user, 555, ended_at=T0, end_reason=SessionEnd.REPLACED)
        await uow.sessions.add(closed)


async def test_end_all_for_user_spares_the_current_session(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow, 1)
        other = await uow.users.add(a_user(2))
        current = await uow.sessions.add(login(user, 1, base_id=base.id))
        await uow.sessions.add(login(user, 2, base_id=base.id))
        await uow.sessions.add(login(user, 3))
        await uow.sessions.add(login(other, 4))
        await uow.commit()
    assert user.id is not None
    at = T0 + timedelta(hours=1)
    async with uow_factory() as uow:
        ended = await uow.sessions.end_all_for_user(
            user.id, at, SessionEnd.PASSWORD_CHANGED, except_session_id=current.id
        )
        await uow.commit()
    assert ended == 2
    async with uow_factory() as uow:
        assert await uow.sessions.get_open_for_telegram_user(1) == current
        assert await uow.sessions.get_open_for_telegram_user(2) is None
        assert await uow.sessions.get_open_for_telegram_user(4) is not None
        assert await uow.sessions.end_all_for_user(user.id, at, SessionEnd.LOGOUT) == 1
        assert await uow.sessions.get_open_for_telegram_user(1) is None


async def test_bulk_end_is_seen_by_sessions_already_loaded(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow)
        opened = await uow.sessions.add(login(user, 1, base_id=base.id))
        # Loaded into this unit of work before the bulk UPDATE: must not stay stale.
        assert await uow.sessions.get_open_for_telegram_user(1) == opened
        assert base.id is not None and user.id is not None
        at = datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI)
        ended = await uow.sessions.end_for_membership(
            user.id, base.id, at, SessionEnd.MEMBERSHIP_REMOVED
        )
        assert ended == 1
        assert await uow.sessions.get_open_for_telegram_user(1) is None
        opened.ended_at = at
        opened.end_reason = SessionEnd.MEMBERSHIP_REMOVED
        await uow.sessions.update(opened)  # the row exists and says the same
        await uow.commit()


async def test_end_for_membership_only_touches_that_base(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow, 1)
        other_base = await uow.bases.add(a_base(2))
        await uow.sessions.add(login(user, 1, base_id=base.id))
        await uow.sessions.add(login(user, 2, base_id=other_base.id))
        await uow.sessions.add(login(user, 3))
        await uow.commit()
    assert base.id is not None and user.id is not None
    async with uow_factory() as uow:
        assert await uow.sessions.end_for_membership(user.id, base.id, T0, SessionEnd.LOGOUT) == 1
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.sessions.get_open_for_telegram_user(1) is None
        assert await uow.sessions.get_open_for_telegram_user(2) is not None
        assert await uow.sessions.get_open_for_telegram_user(3) is not None


# --- login failures ----------------------------------------------------------------------------


async def test_login_failures_count_latest_and_clear(uow_factory: UnitOfWorkFactory) -> None:
    telegram_id = 9_000_000_000
    async with uow_factory() as uow:
        for minutes in (0, 5, 10):
            await uow.login_failures.record(telegram_id, T0 + timedelta(minutes=minutes))
        await uow.login_failures.record(1, T0 + timedelta(hours=1))
        await uow.commit()
    async with uow_factory() as uow:
        since = datetime(2026, 11, 29, 9, 5, tzinfo=SHANGHAI)  # = T0 + 5 min
        assert await uow.login_failures.count_since(telegram_id, since) == 2
        assert await uow.login_failures.count_since(telegram_id, T0 - timedelta(days=1)) == 3
        assert await uow.login_failures.latest(telegram_id) == T0 + timedelta(minutes=10)
        assert await uow.login_failures.latest(2) is None
        await uow.login_failures.clear(telegram_id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.login_failures.count_since(telegram_id, T0 - timedelta(days=1)) == 0
        assert await uow.login_failures.latest(1) == T0 + timedelta(hours=1)


# --- audit -------------------------------------------------------------------------------------


async def test_audit_events_listed_newest_first_with_filters(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        base, user = await add_base_and_user(uow, 1)
        other_base = await uow.bases.add(a_base(2))
        assert base.id is not None
        actions = ["role.create", "admin.add", "role.rename", "role_x.create", "admin.delete"]
        for minute, action in enumerate(actions):
            await uow.audit.add(
                AuditEvent(
                    at=T0 + timedelta(minutes=minute),
                    base_id=base.id,
                    actor_user_id=user.id if minute % 2 == 0 else None,
                    action=action,
                    subject=f"对象{minute}",
                    old_value="旧" if minute else None,
                    new_value="新",
                )
            )
        await uow.audit.add(
            AuditEvent(at=T0, base_id=other_base.id, actor_user_id=None, action="role.create")
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        everything = await uow.audit.list(base.id)
        roles = await uow.audit.list(base.id, action_prefix="role.")
        by_user = await uow.audit.list(base.id, actor_user_id=user.id)
        page = await uow.audit.list(base.id, offset=1, limit=2)
        underscored = await uow.audit.list(base.id, action_prefix="role_")
    assert [e.action for e in everything] == list(reversed(actions))
    assert [e.action for e in roles] == ["role.rename", "role.create"]
    assert [e.action for e in by_user] == ["admin.delete", "role.rename", "role.create"]
    assert [e.action for e in underscored] == ["role_x.create"]  # "_" is no LIKE wildcard here
    assert page == everything[1:3]
    first = everything[-1]
    assert (first.at, first.subject, first.old_value, first.new_value) == (T0, "对象0", None, "新")
    assert first.id is not None and first.base_id == base.id and first.actor_user_id == user.id


# --- the unit of work --------------------------------------------------------------------------


async def test_unit_of_work_commits_when_its_block_ends(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.bases.add(a_base())
    async with uow_factory() as uow:
        await uow.bases.add(a_base(2))
        await uow.rollback()
        await uow.bases.add(a_base(3))
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(a_base(1).credit_code) is not None
        assert await uow.bases.get_by_credit_code(a_base(2).credit_code) is None
        assert await uow.bases.get_by_credit_code(a_base(3).credit_code) is not None


async def test_a_refusal_rolls_back_unless_it_is_recorded(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(NotPermitted):
        async with uow_factory() as uow:
            await uow.bases.add(a_base(1))
            raise NotPermitted()
    with pytest.raises(NotPermitted):
        async with uow_factory() as uow:
            await uow.bases.add(a_base(2))
            raise recorded(NotPermitted())
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(a_base(1).credit_code) is None
        assert await uow.bases.get_by_credit_code(a_base(2).credit_code) is not None


async def test_unit_of_work_rolls_back_when_the_block_raises(
    uow_factory: UnitOfWorkFactory,
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with uow_factory() as uow:
            await uow.bases.add(a_base())
            raise RuntimeError("boom")
    async with uow_factory(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(a_base().credit_code) is None


async def test_read_after_commit_sees_other_writers(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        await uow.commit()
        assert base.id is not None
        async with uow_factory() as other:
            await other.bases.update(a_base(id=base.id, name="改名后的基地"))
            await other.commit()
        loaded = await uow.bases.get(base.id)
    assert loaded is not None and loaded.name == "改名后的基地"


async def test_readonly_unit_of_work_refuses_writes(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base())
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(ReadOnlyViolation):
            await uow.bases.add(a_base(2))
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(ReadOnlyViolation):
            await uow.login_failures.record(1, T0)
    base.name = "不应保存"
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(ReadOnlyViolation):
            await uow.bases.update(base)
