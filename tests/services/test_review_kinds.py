"""The review kinds as one table: every kind lists, approves and returns through the same flow,
and refuses what is not the reviewer's to decide on — on real storage.

Each kind's own details (its card, its notices' words, its downloads) are tested in
test_review.py, test_scores.py and test_submissions.py; here only what the table promises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.errors import Invalid, InvalidTransition, NotFound
from domain.model import Actor, OutboxState, ReviewerActor, SubmissionKind
from domain.ports import PasswordHasher
from domain.services import classes, review, scores, submissions
from domain.workflow import Action, Status
from storage.crypto import FieldCipher
from storage.filestore import LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import id_of
from tests.services.test_classes import declared, wuhan_admin
from tests.services.test_review import ID_PROVINCE, reviewer
from tests.services.test_scores import learner
from tests.unit import samples

YEAR = 2026
KEYS = [kind.key for kind in review.KINDS]


@dataclass(frozen=True)
class Scene:
    """A base in 武汉市 (its super admin ``admin``), its reviewer and another region's."""

    uow_factory: Any
    clock: Any
    blobs: LocalFileStore
    admin: Actor
    judge: ReviewerActor
    outsider: ReviewerActor


@dataclass(frozen=True)
class Draft:
    """An item of a kind that the base has not submitted yet, and how the base submits it."""

    item_id: int
    submit: Callable[[], Awaitable[object]]


async def _in(scene: Scene, step: Callable[[Any], Awaitable[object]]) -> Any:
    async with scene.uow_factory() as uow:
        return await step(uow)


async def class_draft(scene: Scene) -> Draft:
    klass = await declared(scene.uow_factory, scene.clock, scene.admin)
    return Draft(
        id_of(klass),
        lambda: _in(
            scene, lambda uow: classes.submit_class(uow, scene.clock, scene.admin, id_of(klass))
        ),
    )


async def scores_draft(scene: Scene) -> Draft:
    """An approved class with one learner: its score sheet is a draft until submitted."""
    klass = (await class_draft(scene)).item_id
    await _in(scene, lambda uow: classes.submit_class(uow, scene.clock, scene.admin, klass))
    await _in(scene, lambda uow: review.approve(uow, scene.clock, scene.judge, klass))
    await _in(
        scene, lambda uow: scores.add_learner(uow, scene.clock, scene.admin, klass, learner(1))
    )
    return Draft(
        klass,
        lambda: _in(scene, lambda uow: scores.submit_scores(uow, scene.clock, scene.admin, klass)),
    )


async def submission_draft(scene: Scene) -> Draft:
    plan = SubmissionKind.PLAN
    view = await _in(
        scene,
        lambda uow: submissions.upload(
            uow, scene.blobs, scene.clock, scene.admin, plan, YEAR, samples.pdf(), "计划.pdf"
        ),
    )
    return Draft(
        view.submission.id,
        lambda: _in(
            scene, lambda uow: submissions.submit(uow, scene.clock, scene.admin, plan, YEAR)
        ),
    )


DRAFTS: dict[str, Callable[[Scene], Awaitable[Draft]]] = {
    "class": class_draft,
    "scores": scores_draft,
    "submission": submission_draft,
}


@pytest.fixture
async def scene(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    tmp_path: Path,
    cipher: FieldCipher,
) -> Scene:
    admin = await wuhan_admin(uow_factory, hasher, clock)
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    outsider = await reviewer(
        uow_factory, hasher, clock, regions=["宜昌市"], id_number=ID_PROVINCE, telegram_user_id=5006
    )
    blobs = LocalFileStore(tmp_path / "files", cipher)
    return Scene(uow_factory, clock, blobs, admin, judge, outsider)


async def submitted(scene: Scene, key: str) -> int:
    draft = await DRAFTS[key](scene)
    await draft.submit()
    return draft.item_id


async def audit_actions(scene: Scene, kind: review.ReviewKind[Any, Any, Any]) -> list[str]:
    async with scene.uow_factory(readonly=True) as uow:
        events = await uow.audit.list(scene.admin.base_id, action_prefix=f"{kind.what}.", limit=50)
    return [e.action for e in reversed(events)]


def test_the_table_names_each_kind_once_and_the_trail_keeps_its_names() -> None:
    """Keys are stored in drafts and audit actions in the trail: renaming either loses data."""
    assert KEYS == ["class", "scores", "submission"] == list(DRAFTS)
    assert [review.BY_KEY[key] for key in KEYS] == list(review.KINDS)
    assert [k.audit_action(Action.APPROVE) for k in review.KINDS] == [
        "class.approve",
        "score.approve",
        "submission.approve",
    ]
    assert [k.audit_action(Action.RETURN) for k in review.KINDS] == [
        "class.return",
        "score.return",
        "submission.return",
    ]


@pytest.mark.parametrize("key", KEYS)
async def test_a_draft_is_neither_listed_nor_decided(scene: Scene, key: str) -> None:
    kind = review.BY_KEY[key]
    draft = await DRAFTS[key](scene)
    before = await audit_actions(scene, kind)
    async with scene.uow_factory(readonly=True) as uow:
        assert await kind.count(uow, scene.judge) == 0
        assert await kind.queue(uow, scene.judge) == ([], 0)
        with pytest.raises(NotFound):
            await kind.get(uow, scene.judge, draft.item_id)
    async with scene.uow_factory() as uow:
        with pytest.raises(NotFound):
            await kind.approve(uow, scene.clock, scene.judge, draft.item_id)
        with pytest.raises(NotFound):
            await kind.give_back(uow, scene.clock, scene.judge, draft.item_id, "不符合要求")
        with pytest.raises(NotFound):
            await kind.approve(uow, scene.clock, scene.judge, 10_000)
    assert await audit_actions(scene, kind) == before


@pytest.mark.parametrize("key", KEYS)
async def test_each_kind_lists_approves_and_refuses_a_second_decision(
    scene: Scene, key: str
) -> None:
    kind = review.BY_KEY[key]
    item_id = await submitted(scene, key)
    async with scene.uow_factory(readonly=True) as uow:
        assert await kind.count(uow, scene.judge) == 1
        listed, total = await kind.queue(uow, scene.judge)
        item = await kind.get(uow, scene.judge, item_id)
        pending = (await uow.outbox.counts()).get(OutboxState.PENDING, 0)
    assert total == 1 and len(listed) == 1
    assert (item.base_name, item.base_region) == ("武汉职业培训学院", "武汉市")
    before = await audit_actions(scene, kind)

    async with scene.uow_factory() as uow:
        decision = await kind.approve(uow, scene.clock, scene.judge, item_id)
    assert decision.action is Action.APPROVE and decision.reason is None
    assert decision.reviewed.status is Status.APPROVED
    assert decision.recipients == (scene.admin.user_id,)
    assert decision.base_name == "武汉职业培训学院"
    assert await audit_actions(scene, kind) == [*before, f"{kind.what}.approve"]

    async with scene.uow_factory() as uow:
        assert await kind.count(uow, scene.judge) == 0
        with pytest.raises(NotFound):  # decided: out of the queue
            await kind.get(uow, scene.judge, item_id)
        with pytest.raises(InvalidTransition):
            await kind.approve(uow, scene.clock, scene.judge, item_id)
        with pytest.raises(InvalidTransition):
            await kind.give_back(uow, scene.clock, scene.judge, item_id, "再看看")
        assert (await uow.outbox.counts()).get(OutboxState.PENDING, 0) == pending + 1
        told = await uow.outbox.claim(FAR_FUTURE, limit=100, lease=timedelta(seconds=1))
    (notice,) = [m for m in told if m.subject == f"{kind.what}:{item_id}"]
    assert notice.kind == f"decision:{kind.what}" and notice.occasion.startswith("approve:")
    assert notice.user_id == scene.admin.user_id


FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("key", KEYS)
async def test_each_kind_returns_with_a_reason_and_only_with_one(scene: Scene, key: str) -> None:
    kind = review.BY_KEY[key]
    item_id = await submitted(scene, key)
    before = await audit_actions(scene, kind)
    async with scene.uow_factory() as uow:
        with pytest.raises(Invalid) as no_reason:
            await kind.give_back(uow, scene.clock, scene.judge, item_id, "   ")
    assert no_reason.value.field == "reason"
    async with scene.uow_factory() as uow:
        decision = await kind.give_back(uow, scene.clock, scene.judge, item_id, " 请补充材料。 ")
    assert decision.action is Action.RETURN and decision.reason == "请补充材料。"
    assert decision.reviewed.status is Status.RETURNED
    assert await audit_actions(scene, kind) == [*before, f"{kind.what}.return"]
    async with scene.uow_factory(readonly=True) as uow:
        assert await kind.queue(uow, scene.judge) == ([], 0)
        with pytest.raises(NotFound):
            await kind.get(uow, scene.judge, item_id)


@pytest.mark.parametrize("key", KEYS)
async def test_another_regions_reviewer_neither_sees_nor_decides(scene: Scene, key: str) -> None:
    kind = review.BY_KEY[key]
    item_id = await submitted(scene, key)
    before = await audit_actions(scene, kind)
    async with scene.uow_factory() as uow:
        assert await kind.count(uow, scene.outsider) == 0
        assert await kind.queue(uow, scene.outsider) == ([], 0)
        with pytest.raises(NotFound):
            await kind.get(uow, scene.outsider, item_id)
        with pytest.raises(NotFound):
            await kind.approve(uow, scene.clock, scene.outsider, item_id)
        with pytest.raises(NotFound):
            await kind.give_back(uow, scene.clock, scene.outsider, item_id, "不符合要求")
    assert await audit_actions(scene, kind) == before
    async with scene.uow_factory(readonly=True) as uow:
        assert await kind.count(uow, scene.judge) == 1  # still waiting for its own reviewer
