"""学员成绩管理 on real storage: approved classes only, all-or-nothing import, locking, review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pytest

from domain import validators
from domain.clock import FixedClock
from domain.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from domain.model import Actor, ReviewerActor, ScoreRecord
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.scores import (
    CERTIFICATE_TAKEN,
    LEARNER_EXISTS,
    NOT_EDITABLE,
    ImportCheck,
    ImportPreview,
)
from domain.scoresheet import Column, RawCell, SheetRow
from domain.services import classes, review, scores
from domain.workflow import Status
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import id_of
from tests.services.test_classes import add_admin, declared, make_id, wuhan_admin, yichang_admin
from tests.services.test_review import reviewer


def an_id(serial: int) -> str:
    first17 = f"420101199001{1 + serial // 1000:02d}{serial % 1000:03d}"  # up to 27,999
    return first17 + validators.id_number_check_char(first17)


def learner(serial: int, score: str = "80", certificate: str | None = None) -> dict[Column, str]:
    values = {Column.NAME: f"学员{serial}", Column.ID_NUMBER: an_id(serial), Column.SCORE: score}
    if certificate:
        values[Column.CERTIFICATE_NO] = certificate
    return values


async def approved(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, actor: Actor
) -> int:
    training_class = await declared(uow_factory, clock, actor)
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, actor, id_of(training_class))
    checker = await reviewer(uow_factory, hasher, clock, regions=())
    async with uow_factory() as uow:
        await review.approve(uow, clock, checker, id_of(training_class))
    return id_of(training_class)


async def add(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    actor: Actor,
    class_id: int,
    values: dict[Column, str],
) -> ScoreRecord:
    async with uow_factory() as uow:
        return await scores.add_learner(uow, clock, actor, class_id, values)


async def stored(uow_factory: UnitOfWorkFactory, class_id: int) -> list[ScoreRecord]:
    async with uow_factory(readonly=True) as uow:
        return await uow.scores.list_for_class(class_id)


def preview_of(
    existing: Iterable[ScoreRecord], *rows: dict[Column, str], hours: Decimal = Decimal(24)
) -> ImportPreview:
    checking = ImportCheck(existing, hours, date(2026, 11, 29))
    for number, values in enumerate(rows, start=5):
        checking.add(SheetRow(number, {k: RawCell(t) for k, t in values.items()}))
    return checking.finish()


async def test_only_an_approved_class_of_ones_own_base_takes_scores(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    draft = await declared(uow_factory, clock, alice)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await scores.add_learner(uow, clock, alice, id_of(draft), learner(1))
    assert refused.value.key == scores.NOT_APPROVED
    class_id = await approved(uow_factory, hasher, clock, alice)
    await add(uow_factory, clock, alice, class_id, learner(1))

    mallory = await yichang_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await scores.open_sheet(uow, mallory, class_id)
        with pytest.raises(NotFound):
            await scores.add_learner(uow, clock, mallory, class_id, learner(2))
    clerk = await add_admin(
        uow_factory,
        hasher,
        clock,
        alice,
        name="李专员",
        id_number=make_id("42010019800303001"),
        telegram_user_id=2002,
        permissions={Permission.CLASSES_MANAGE},
    )
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await scores.list_learners(uow, clerk, class_id)
    assert len(await stored(uow_factory, class_id)) == 1


async def test_import_replaces_learners_in_one_transaction_and_counts(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    class_id = await approved(uow_factory, hasher, clock, alice)
    await add(uow_factory, clock, alice, class_id, learner(1, "70", "ZS-1"))
    await add(uow_factory, clock, alice, class_id, learner(2, "90"))

    existing = await stored(uow_factory, class_id)
    preview = preview_of(existing, learner(1, "75", "ZS-1"), learner(2, "90"), learner(3, "50"))
    assert (len(preview.new), len(preview.changed), preview.unchanged) == (1, 1, 1)
    async with uow_factory() as uow:
        count = await scores.confirm_import(uow, clock, alice, class_id, preview)
    assert count == 2
    records = {r.id_number: r for r in await stored(uow_factory, class_id)}
    assert records[an_id(1)].score == 75 and records[an_id(1)].certificate_no == "ZS-1"
    assert records[an_id(3)].passed is False and records[an_id(3)].hours == 0
    async with uow_factory(readonly=True) as uow:
        counts = (await scores.open_sheet(uow, alice, class_id)).counts
    assert (counts.learners, counts.passed, counts.failed, counts.hours) == (3, 2, 1, Decimal(48))


async def test_a_failure_while_storing_leaves_nothing_half_written(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """2,500 learners, the last one's certificate taken meanwhile: the third batch fails."""
    alice = await wuhan_admin(uow_factory, hasher, clock)
    class_id = await approved(uow_factory, hasher, clock, alice)
    rows = [learner(i, "80", f"ZS-{i}") for i in range(1, 2501)]
    preview = preview_of([], *rows)
    assert len(preview.new) == 2500 and preview.wrong == 0
    # Someone adds another learner holding the last certificate after the preview was made.
    await add(uow_factory, clock, alice, class_id, learner(2600, "80", "ZS-2500"))
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as clashed:
            await scores.confirm_import(uow, clock, alice, class_id, preview)
    assert clashed.value.key == scores.CLASHED
    assert [r.id_number for r in await stored(uow_factory, class_id)] == [an_id(2600)]


async def test_submission_locks_every_change_until_returned(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    class_id = await approved(uow_factory, hasher, clock, alice)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as empty:
            await scores.submit_scores(uow, clock, alice, class_id)
    assert empty.value.key == scores.NOTHING_TO_SUBMIT
    record = await add(uow_factory, clock, alice, class_id, learner(1))
    async with uow_factory() as uow:
        await scores.submit_scores(uow, clock, alice, class_id)

    preview = preview_of([], learner(2))
    async with uow_factory() as uow:
        for attempt in (
            scores.add_learner(uow, clock, alice, class_id, learner(3)),
            scores.edit_learner(uow, clock, alice, class_id, id_of(record), {Column.SCORE: "99"}),
            scores.delete_learner(uow, clock, alice, class_id, id_of(record)),
            scores.confirm_import(uow, clock, alice, class_id, preview),
            scores.prepare_import(uow, alice, class_id),
        ):
            with pytest.raises(scores.ScoresLocked):
                await attempt
        with pytest.raises(InvalidTransition):
            await scores.submit_scores(uow, clock, alice, class_id)

    outsider = await reviewer(
        uow_factory,
        hasher,
        clock,
        regions=("宜昌市",),
        id_number=make_id("42010019700202003"),
        telegram_user_id=6006,
    )
    async with uow_factory() as uow:
        queue, total = await review.scores_queue(uow, outsider)
        assert (queue, total) == ([], 0)
        with pytest.raises(NotFound):
            await review.approve_scores(uow, clock, outsider, class_id)

    checker = ReviewerActor(
        session_id=0, user_id=outsider.user_id, user_name="x", regions=("武汉市",)
    )
    async with uow_factory() as uow:
        queue, total = await review.scores_queue(uow, checker)
        assert (
            total == 1 and queue[0].training_class.id == class_id and queue[0].counts.learners == 1
        )
        decision = await review.return_scores(uow, clock, checker, class_id, "请补充证书编号")
    assert decision.reason == "请补充证书编号" and alice.user_id in decision.recipients
    await add(uow_factory, clock, alice, class_id, learner(3))  # unlocked again
    async with uow_factory() as uow:
        sheet = await scores.submit_scores(uow, clock, alice, class_id)
    assert [h.action.value for h in sheet.history] == ["submit", "return", "submit"]
    async with uow_factory() as uow:
        await review.approve_scores(uow, clock, checker, class_id)
    async with uow_factory(readonly=True) as uow:
        assert (await scores.sheet_of(uow, class_id)).status is Status.APPROVED


async def test_one_learner_clashes_are_found_by_index(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    class_id = await approved(uow_factory, hasher, clock, alice)
    first = await add(uow_factory, clock, alice, class_id, learner(1, "80", "ZS-1"))
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as same:
            await scores.add_learner(uow, clock, alice, class_id, learner(1, "90"))
        with pytest.raises(Invalid) as taken:
            await scores.add_learner(uow, clock, alice, class_id, learner(2, "90", "zs-1"))
    assert same.value.key == LEARNER_EXISTS and taken.value.key == CERTIFICATE_TAKEN
    async with uow_factory() as uow:  # the learner's own certificate is no clash
        edited = await scores.edit_learner(
            uow, clock, alice, class_id, id_of(first), {Column.SCORE: "95"}
        )
    assert edited.certificate_no == "ZS-1" and edited.score == 95


async def test_an_edit_never_changes_the_id_number(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    class_id = await approved(uow_factory, hasher, clock, alice)
    record = await add(uow_factory, clock, alice, class_id, learner(1))
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await scores.edit_learner(
                uow, clock, alice, class_id, id_of(record), {Column.ID_NUMBER: an_id(2)}
            )
    assert refused.value.key == NOT_EDITABLE
    assert [r.id_number for r in await stored(uow_factory, class_id)] == [an_id(1)]
