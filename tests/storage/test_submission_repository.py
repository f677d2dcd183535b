"""The submission repository against a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.errors import Conflict
from domain.model import (
    AnnualSubmission,
    FileEnd,
    MaterialKind,
    StoredFile,
    SubmissionKind,
)
from domain.workflow import Action, Status
from storage.models import StoredFileRow, SubmissionFileRow, SubmissionStatusChangeRow
from storage.repositories.submissions import SubmissionMismatch
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import a_base, a_user

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


async def setting(uow_factory: UnitOfWorkFactory) -> tuple[int, int, int, list[StoredFile]]:
    """A base in 武汉市, one in 宜昌市, a user, and three stored files of the first base."""
    async with uow_factory() as uow:
        wuhan = await uow.bases.add(a_base(1))
        yichang = await uow.bases.add(a_base(2, region="宜昌市"))
        user = await uow.users.add(a_user(1))
        assert wuhan.id and yichang.id and user.id
        stored = [
            await uow.files.add(
                StoredFile(
                    sha256=f"{n:064x}",
                    size=100 + n,
                    original_name=f"文件{n}.pdf",
                    safe_name=f"文件{n}.pdf",
                    content_type="application/pdf",
                    uploaded_by=user.id,
                    uploaded_at=T0,
                ),
                base_id=wuhan.id,
            )
            for n in range(1, 4)
        ]
        await uow.commit()
    return wuhan.id, yichang.id, user.id, stored


def a_plan(
    base_id: int, year: int = 2026, kind: SubmissionKind = SubmissionKind.PLAN
) -> AnnualSubmission:
    return AnnualSubmission(base_id=base_id, year=year, kind=kind, created_at=T0)


def a_material(base_id: int, title: str = "学习指南") -> AnnualSubmission:
    return AnnualSubmission(
        base_id=base_id,
        year=2026,
        kind=SubmissionKind.MATERIAL,
        title=title,
        material_kind=MaterialKind.STUDY_GUIDE,
        created_at=T0,
    )


async def test_round_trip_with_versions_and_history(uow_factory: UnitOfWorkFactory) -> None:
    base_id, _, user_id, stored = await setting(uow_factory)
    plan = a_plan(base_id)
    plan.add_version(stored[0], T0, user_id)
    async with uow_factory() as uow:
        added = await uow.submissions.add(plan)
        await uow.commit()
    assert added.id is not None and added.files[0].id is not None
    assert added.files[0].stored == stored[0]

    added.add_version(stored[1], T0 + timedelta(hours=1), user_id)
    added.apply(Action.SUBMIT, T0 + timedelta(hours=2), user_id)
    async with uow_factory() as uow:
        updated = await uow.submissions.update(added)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        loaded = await uow.submissions.find(base_id, 2026, SubmissionKind.PLAN)
    assert loaded == updated
    assert loaded is not None and loaded.status is Status.SUBMITTED
    assert loaded.submitted_at == T0 + timedelta(hours=2)
    assert [(f.number, f.end, f.stored.id) for f in loaded.files] == [
        (1, FileEnd.REPLACED, stored[0].id),
        (2, None, stored[1].id),
    ]
    assert loaded.files[0].ended_at == T0 + timedelta(hours=1)
    assert loaded.current_version == loaded.files[1]


async def test_one_plan_and_one_summary_per_base_and_year_many_materials(
    uow_factory: UnitOfWorkFactory,
) -> None:
    base_id, other_base, _, _ = await setting(uow_factory)
    async with uow_factory() as uow:
        await uow.submissions.add(a_plan(base_id))
        await uow.submissions.add(a_plan(base_id, kind=SubmissionKind.SUMMARY))
        await uow.submissions.add(a_plan(base_id, year=2027))
        await uow.submissions.add(a_plan(other_base))
        for n in range(3):
            await uow.submissions.add(a_material(base_id, f"材料{n}"))
        with pytest.raises(Conflict) as clash:
            await uow.submissions.add(a_plan(base_id))
        assert clash.value.params["constraint"] == "uq_annual_submissions_once_a_year"
        await uow.commit()  # the savepoint kept the rest
    async with uow_factory(readonly=True) as uow:
        kind = SubmissionKind.MATERIAL
        assert await uow.submissions.count_for_base(base_id, kind=kind) == 3
        assert await uow.submissions.years_for_base(base_id, SubmissionKind.PLAN) == [2027, 2026]


async def test_two_writers_cannot_both_create_the_years_plan(
    uow_factory: UnitOfWorkFactory,
) -> None:
    base_id, _, _, _ = await setting(uow_factory)
    async with uow_factory() as first:
        await first.submissions.add(a_plan(base_id))
        await first.commit()
    async with uow_factory() as second:
        assert await second.submissions.find(base_id, 2026, SubmissionKind.PLAN) is not None
        with pytest.raises(Conflict):
            await second.submissions.add(a_plan(base_id))


async def test_two_current_files_never_share_a_place(uow_factory: UnitOfWorkFactory) -> None:
    base_id, _, user_id, stored = await setting(uow_factory)
    item = a_material(base_id)
    item.add_file(stored[0], T0, user_id)
    async with uow_factory() as uow:
        added = await uow.submissions.add(item)
        await uow.commit()
    first = added.files[0]
    added.replace_file(first, stored[1], T0 + timedelta(minutes=1), user_id)
    async with uow_factory() as uow:
        replaced = await uow.submissions.update(added)
        await uow.commit()
    assert [(f.number, f.is_current) for f in replaced.files] == [(1, False), (1, True)]

    forged = a_material(base_id)
    forged.add_file(stored[0], T0, user_id)
    forged.files.append(forged.files[0])  # the same place twice, both current
    async with uow_factory() as uow:
        with pytest.raises(Conflict) as clash:
            await uow.submissions.add(forged)
    assert clash.value.params["constraint"] == "uq_submission_files_one_current"


async def test_update_refuses_a_stale_submission(uow_factory: UnitOfWorkFactory) -> None:
    base_id, _, user_id, stored = await setting(uow_factory)
    plan = a_plan(base_id)
    plan.add_version(stored[0], T0, user_id)
    async with uow_factory() as uow:
        added = await uow.submissions.add(plan)
        await uow.commit()
    stale = a_plan(base_id)
    stale.id = added.id
    async with uow_factory() as uow:
        with pytest.raises(SubmissionMismatch):
            await uow.submissions.update(stale)  # lost the stored file entry
    ended = added.files[0].ended(FileEnd.REMOVED, T0, user_id)
    added.files = [ended]
    async with uow_factory() as uow:
        await uow.submissions.update(added)
        await uow.commit()
    revived = a_plan(base_id)
    revived.id = added.id
    revived.files = [replace(ended, ended_at=None, ended_by=None, end=None)]
    async with uow_factory() as uow:
        with pytest.raises(SubmissionMismatch):
            await uow.submissions.update(revived)  # a file never becomes current again


async def test_delete_takes_history_and_entries_but_not_the_stored_files(
    uow_factory: UnitOfWorkFactory,
) -> None:
    base_id, _, user_id, stored = await setting(uow_factory)
    item = a_material(base_id)
    item.add_file(stored[0], T0, user_id)
    item.add_file(stored[1], T0, user_id)
    item.apply(Action.SUBMIT, T0, user_id)
    item.apply(Action.WITHDRAW, T0, user_id)
    async with uow_factory() as uow:
        added = await uow.submissions.add(item)
        await uow.commit()
    assert added.id is not None
    async with uow_factory() as uow:
        await uow.submissions.delete(added.id)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.submissions.get(added.id) is None
        session = uow.session
        assert await session.scalar(select(func.count()).select_from(SubmissionFileRow)) == 0
        changes = select(func.count()).select_from(SubmissionStatusChangeRow)
        assert await session.scalar(changes) == 0
        assert await session.scalar(select(func.count()).select_from(StoredFileRow)) == 3


async def test_queue_by_region_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    wuhan, yichang, user_id, _ = await setting(uow_factory)
    late, early, draft = a_plan(wuhan), a_material(yichang), a_material(wuhan, "草稿")
    late.apply(Action.SUBMIT, T0 + timedelta(hours=2), user_id)
    early.apply(Action.SUBMIT, T0 + timedelta(hours=1), user_id)
    async with uow_factory() as uow:
        for item in (late, early, draft):
            await uow.submissions.add(item)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        repo = uow.submissions
        everywhere = await repo.list_submitted_for_regions(None)
        assert [(s.base_id, s.kind) for s in everywhere] == [
            (yichang, SubmissionKind.MATERIAL),
            (wuhan, SubmissionKind.PLAN),
        ]
        assert await repo.count_submitted_for_regions(None) == 2
        assert [s.base_id for s in await repo.list_submitted_for_regions(["武汉市"])] == [wuhan]
        assert await repo.count_submitted_for_regions(["宜昌市", "十堰市"]) == 1
        assert await repo.list_submitted_for_regions([]) == []
