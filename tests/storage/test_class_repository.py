"""The class repository against a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.errors import NotFound
from domain.model import Base, ClassCategory, TeachingMode, TrainingClass
from domain.workflow import Action, Status
from storage.models import ClassStatusChangeRow
from storage.repositories.classes import HistoryMismatch
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import a_base, a_user

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def a_class(base_id: int, n: int = 1, **changes: object) -> TrainingClass:
    values: dict[str, object] = {
        "base_id": base_id,
        "name": f"专业技术人员继续教育培训班（第{n}期）",
        "year": 2026,
        "category": ClassCategory.PROFESSIONAL,
        "mode": TeachingMode.BLENDED,
        "start_date": date(2026, 3, 1),
        "end_date": date(2026, 3, 3),
        "location": "武汉市洪山区珞喻路 1 号",
        "hours": Decimal("24.5"),
        "capacity": 120,
        "fee": Decimal("1999.50"),
        "audience": "全省中级职称专业技术人员",
        "description": "三天集中面授。",
        "plan_text": "第一天：政策解读\n第二天：专业课程",
        "plan_file_id": 7,
        "created_at": T0,
    }
    values.update(changes)
    return TrainingClass(**values)  # type: ignore[arg-type]


async def bases_and_reviewer(uow_factory: UnitOfWorkFactory) -> tuple[Base, Base, int]:
    """A base in 武汉市, one in 宜昌市, and a user to sign history entries."""
    async with uow_factory() as uow:
        wuhan = await uow.bases.add(a_base(1))
        yichang = await uow.bases.add(a_base(2, region="宜昌市"))
        user = await uow.users.add(a_user(1))
        await uow.commit()
    assert wuhan.id and yichang.id and user.id
    return wuhan, yichang, user.id


async def test_class_round_trips_every_field_with_history(uow_factory: UnitOfWorkFactory) -> None:
    wuhan, _, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None
    klass = a_class(wuhan.id, updated_at=T0 + timedelta(hours=1))
    klass.apply(Action.SUBMIT, T0 + timedelta(hours=2), user_id)
    klass.apply(Action.RETURN, T0 + timedelta(hours=3), user_id, "地点不详")
    async with uow_factory() as uow:
        added = await uow.classes.add(klass)
        await uow.commit()
    assert added.id is not None
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.classes.get(added.id)
    assert loaded == added
    assert loaded is not None
    assert loaded.hours == Decimal("24.5") and str(loaded.fee) == "1999.50"
    assert (loaded.start_date, loaded.end_date) == (date(2026, 3, 1), date(2026, 3, 3))
    assert loaded.status is Status.RETURNED
    assert [(c.action, c.reason, c.by_user_id) for c in loaded.history] == [
        (Action.SUBMIT, None, user_id),
        (Action.RETURN, "地点不详", user_id),
    ]
    assert loaded.submitted_at == T0 + timedelta(hours=2)
    assert loaded.updated_at == T0 + timedelta(hours=1)


async def test_whole_hours_read_back_as_typed_and_optional_fields_stay_empty(
    uow_factory: UnitOfWorkFactory,
) -> None:
    wuhan, _, _ = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None
    async with uow_factory() as uow:
        added = await uow.classes.add(
            a_class(
                wuhan.id,
                mode=TeachingMode.ONLINE,
                location=None,
                hours=Decimal(24),
                fee=Decimal("0.00"),
                plan_text=None,
                audience="",
                description="",
            )
        )
        await uow.commit()
    assert added.id is not None
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.classes.get(added.id)
    assert loaded is not None
    assert str(loaded.hours) == "24" and str(loaded.fee) == "0.00"
    assert (loaded.location, loaded.plan_text, loaded.plan_file_id) == (None, None, 7)
    assert loaded.history == [] and loaded.submitted_at is None
    assert loaded.updated_at == T0


async def test_update_writes_fields_and_appends_only_new_history(
    uow_factory: UnitOfWorkFactory,
) -> None:
    wuhan, _, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None
    async with uow_factory() as uow:
        added = await uow.classes.add(a_class(wuhan.id))
        await uow.commit()
    assert added.id is not None
    for step, action in enumerate((Action.SUBMIT, Action.WITHDRAW, Action.SUBMIT), start=1):
        async with uow_factory() as uow:
            klass = await uow.classes.get_for_update(added.id)
            assert klass is not None
            klass.apply(action, T0 + timedelta(hours=step), user_id)
            klass.name = f"改名{step}"
            await uow.classes.update(klass)
            await uow.commit()
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.classes.get(added.id)
        rows = await uow.session.scalar(
            select(func.count()).where(ClassStatusChangeRow.class_id == added.id)
        )
    assert loaded is not None
    assert rows == 3
    assert [c.action for c in loaded.history] == [Action.SUBMIT, Action.WITHDRAW, Action.SUBMIT]
    assert loaded.name == "改名3" and loaded.status is Status.SUBMITTED
    assert loaded.submitted_at == T0 + timedelta(hours=3)


async def test_update_refuses_a_class_missing_stored_history(
    uow_factory: UnitOfWorkFactory,
) -> None:
    wuhan, _, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None
    klass = a_class(wuhan.id)
    klass.apply(Action.SUBMIT, T0, user_id)
    async with uow_factory() as uow:
        added = await uow.classes.add(klass)
        await uow.commit()
    added.history = []
    async with uow_factory() as uow:
        with pytest.raises(HistoryMismatch):
            await uow.classes.update(added)
        with pytest.raises(NotFound):
            await uow.classes.update(a_class(wuhan.id, id=10_000))


async def test_delete_takes_the_history_along(uow_factory: UnitOfWorkFactory) -> None:
    wuhan, _, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None
    klass = a_class(wuhan.id)
    klass.apply(Action.SUBMIT, T0, user_id)
    klass.apply(Action.WITHDRAW, T0, user_id)
    async with uow_factory() as uow:
        added = await uow.classes.add(klass)
        await uow.commit()
    assert added.id is not None
    async with uow_factory() as uow:
        await uow.classes.delete(added.id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.classes.get(added.id) is None
        assert await uow.session.scalar(select(func.count()).select_from(ClassStatusChangeRow)) == 0
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await uow.classes.delete(added.id)


async def test_base_list_is_newest_first_filtered_and_paged(uow_factory: UnitOfWorkFactory) -> None:
    wuhan, yichang, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None and yichang.id is not None
    async with uow_factory() as uow:
        ids = []
        for n in range(1, 8):
            klass = a_class(wuhan.id, n, year=2025 if n <= 2 else 2026)
            if n % 2 == 0:
                klass.apply(Action.SUBMIT, T0, user_id)
            ids.append((await uow.classes.add(klass)).id)
        await uow.classes.add(a_class(yichang.id, 99, year=2024))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        first = await uow.classes.list_for_base(wuhan.id, offset=0, limit=3)
        second = await uow.classes.list_for_base(wuhan.id, offset=3, limit=3)
        assert [c.id for c in first + second] == ids[::-1][:6]
        assert await uow.classes.count_for_base(wuhan.id) == 7
        of_2026 = await uow.classes.list_for_base(wuhan.id, year=2026, limit=50)
        assert [c.id for c in of_2026] == ids[2:][::-1]
        submitted = await uow.classes.list_for_base(wuhan.id, status=Status.SUBMITTED, limit=50)
        assert [c.id for c in submitted] == [ids[5], ids[3], ids[1]]
        assert all(len(c.history) == 1 for c in submitted)
        count = await uow.classes.count_for_base(wuhan.id, year=2025, status=Status.SUBMITTED)
        assert count == 1
        assert await uow.classes.years_for_base(wuhan.id) == [2026, 2025]
        assert await uow.classes.years_for_base(yichang.id) == [2024]
        assert await uow.classes.list_for_base(10_000) == []


async def test_submitted_list_by_region_is_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    wuhan, yichang, user_id = await bases_and_reviewer(uow_factory)
    assert wuhan.id is not None and yichang.id is not None
    # Submitted in the order: wuhan B (oldest), yichang, wuhan A; and one wuhan draft.
    plan = [(wuhan.id, 3), (yichang.id, 2), (wuhan.id, 1), (wuhan.id, None)]
    async with uow_factory() as uow:
        ids = []
        for base_id, hours_ago in plan:
            klass = a_class(base_id)
            if hours_ago is not None:
                klass.apply(Action.SUBMIT, T0 - timedelta(hours=hours_ago), user_id)
            ids.append((await uow.classes.add(klass)).id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        every = await uow.classes.list_submitted_for_regions(None, limit=50)
        assert [c.id for c in every] == ids[:3]
        assert await uow.classes.count_submitted_for_regions(None) == 3
        in_wuhan = await uow.classes.list_submitted_for_regions(["武汉市"], limit=50)
        assert [c.id for c in in_wuhan] == [ids[0], ids[2]]
        both = await uow.classes.list_submitted_for_regions(["宜昌市", "武汉市"], offset=1, limit=1)
        assert [c.id for c in both] == [ids[1]]
        assert await uow.classes.count_submitted_for_regions(["宜昌市"]) == 1
        assert await uow.classes.list_submitted_for_regions([], limit=50) == []
        assert await uow.classes.count_submitted_for_regions(["十堰市"]) == 0
