"""主管部门审核: reviewers, their regions, and their decisions on classes — on real storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from domain.model import Actor, OutboxMessage, OutboxState, ReviewerActor, TrainingClass
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.services import auth, classes, review
from domain.services.sessions import PasswordChangeRequired, resolve_reviewer
from domain.workflow import REASON_MAX_LENGTH, Action, Status
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import POLICY, id_of
from tests.services.test_classes import (
    INITIAL_PASSWORD,
    NEW_PASSWORD,
    add_admin,
    declared,
    make_id,
    validated,
    wuhan_admin,
    yichang_admin,
)

ID_REVIEWER = make_id("42010019750505002")
ID_PROVINCE = make_id("42010019700202003")


async def reviewer(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    *,
    regions: Sequence[str],
    id_number: str = ID_REVIEWER,
    telegram_user_id: int = 5005,
) -> ReviewerActor:
    """Created by the operator, logged in, initial password changed."""
    async with uow_factory() as uow:
        await review.create_reviewer(
            uow,
            hasher,
            clock,
            name="审核员" + str(telegram_user_id),
            id_number=id_number,
            mobile="13600001111",
            initial_password=INITIAL_PASSWORD,
            regions=regions,
        )
    async with uow_factory() as uow:
        await auth.login(
            uow,
            hasher,
            clock,
            telegram_user_id=telegram_user_id,
            id_number=id_number,
            password=INITIAL_PASSWORD,
        )
    async with uow_factory() as uow:
        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=telegram_user_id,
            old_password=INITIAL_PASSWORD,
            new_password=NEW_PASSWORD,
            new_password_again=NEW_PASSWORD,
            policy=POLICY,
        )
    async with uow_factory() as uow:
        actor = await resolve_reviewer(uow, clock, telegram_user_id, POLICY)
        await uow.commit()
    return actor


async def submitted(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, admin: Actor, **changes: object
) -> TrainingClass:
    klass = await declared(uow_factory, clock, admin, **changes)
    async with uow_factory() as uow:
        return await classes.submit_class(uow, clock, admin, id_of(klass))


# --- reviewers ---------------------------------------------------------------------------------


async def test_operator_creates_a_reviewer_who_must_change_the_password(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        user = await review.create_reviewer(
            uow,
            hasher,
            clock,
            name="周审核",
            id_number=ID_REVIEWER.lower(),
            mobile="+86 136 0000 1111",
            initial_password=INITIAL_PASSWORD,
            regions=["恩施州", "武汉", " ", "宜昌市", "武汉市"],
        )
    assert user.is_reviewer and user.must_change_password
    assert user.reviewer_regions == ("武汉市", "宜昌市", "恩施土家族苗族自治州")
    assert (user.id_number, user.mobile) == (ID_REVIEWER, "13600001111")
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await review.create_reviewer(
                uow,
                hasher,
                clock,
                name="周审核",
                id_number=ID_REVIEWER,
                mobile="13600001111",
                initial_password=INITIAL_PASSWORD,
            )
        with pytest.raises(Invalid) as bad_region:
            await review.create_reviewer(
                uow,
                hasher,
                clock,
                name="吴审核",
                id_number=ID_PROVINCE,
                mobile="13600002222",
                initial_password=INITIAL_PASSWORD,
                regions=["长沙市"],
            )
    assert bad_region.value.field == "region"
    async with uow_factory(readonly=True) as uow:
        assert await uow.users.get_by_id_number(ID_PROVINCE) is None
    async with uow_factory() as uow:
        await auth.login(
            uow,
            hasher,
            clock,
            telegram_user_id=5005,
            id_number=ID_REVIEWER,
            password=INITIAL_PASSWORD,
        )
    async with uow_factory() as uow:
        with pytest.raises(PasswordChangeRequired):
            await resolve_reviewer(uow, clock, 5005, POLICY)


async def test_an_admin_is_not_a_reviewer(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(NotPermitted):
            await resolve_reviewer(uow, clock, 1001, POLICY)


async def test_reviewer_actor_carries_the_regions(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    actor = await reviewer(uow_factory, hasher, clock, regions=["宜昌"])
    assert actor.regions == ("宜昌市",) and actor.user_name == "审核员5005"
    assert actor.covers("宜昌市") and not actor.covers("武汉市")


# --- decisions ---------------------------------------------------------------------------------


async def test_declare_submit_approve(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await submitted(uow_factory, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    async with uow_factory(readonly=True) as uow:
        item = await review.get_for_review(uow, judge, id_of(klass))
    assert (item.base_name, item.base_region) == ("武汉职业培训学院", "武汉市")
    async with uow_factory() as uow:
        decision = await review.approve(uow, clock, judge, id_of(klass))
    assert decision.action is Action.APPROVE and decision.reason is None
    assert decision.training_class.status is Status.APPROVED
    assert decision.base_name == "武汉职业培训学院"
    assert decision.recipients == (alice.user_id,)
    async with uow_factory(readonly=True) as uow:
        card = await classes.class_card(uow, alice, id_of(klass))
        events = await uow.audit.list(alice.base_id, action_prefix="class.approve")
    assert [ch.action for ch in card.training_class.history] == [Action.SUBMIT, Action.APPROVE]
    assert card.training_class.history[-1].by_user_id == judge.user_id
    assert card.names[judge.user_id] == "审核员5005"
    assert len(events) == 1 and events[0].actor_user_id == judge.user_id
    # Decided: gone from the queue, refused a second decision, closed to the base's edits.
    async with uow_factory() as uow:
        assert await review.review_queue(uow, judge) == ([], 0)
        with pytest.raises(NotFound):
            await review.get_for_review(uow, judge, id_of(klass))
        with pytest.raises(InvalidTransition) as twice:
            await review.return_class(uow, clock, judge, id_of(klass), "再看看")
        assert twice.value.params == {"current": "approved", "action": "return"}
        with pytest.raises(InvalidTransition) as withdraw:
            await classes.withdraw_class(uow, clock, alice, id_of(klass))
        assert withdraw.value.params == {"current": "approved", "action": "withdraw"}
        with pytest.raises(classes.ClassNotEditable):
            await classes.update_class(uow, clock, alice, id_of(klass), validated(name="改名"))
        with pytest.raises(classes.ClassNotDeletable):
            await classes.delete_class(uow, clock, alice, id_of(klass))


async def test_returned_class_is_edited_and_resubmitted(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await submitted(uow_factory, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=[])
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as no_reason:
            await review.return_class(uow, clock, judge, id_of(klass), "   ")
        assert no_reason.value.field == "reason"
        with pytest.raises(Invalid) as long_reason:
            await review.return_class(
                uow, clock, judge, id_of(klass), "长" * (REASON_MAX_LENGTH + 1)
            )
        assert long_reason.value.params == {"max": REASON_MAX_LENGTH}
    async with uow_factory() as uow:
        decision = await review.return_class(
            uow, clock, judge, id_of(klass), "  请补充培训地点的门牌号。 "
        )
    assert decision.action is Action.RETURN and decision.reason == "请补充培训地点的门牌号。"
    assert decision.training_class.status is Status.RETURNED
    async with uow_factory() as uow:
        edited = await classes.update_class(
            uow, clock, alice, id_of(klass), validated(location="武汉市洪山区珞喻路 1 号 3 号楼")
        )
    assert edited.status is Status.RETURNED
    async with uow_factory() as uow:
        again = await classes.submit_class(uow, clock, alice, id_of(klass))
    assert again.status is Status.SUBMITTED
    async with uow_factory() as uow:
        await review.approve(uow, clock, judge, id_of(klass))
    async with uow_factory(readonly=True) as uow:
        final = await classes.get_class(uow, alice, id_of(klass))
        events = await uow.audit.list(alice.base_id, action_prefix="class.", limit=50)
    assert [(ch.action, ch.reason) for ch in final.history] == [
        (Action.SUBMIT, None),
        (Action.RETURN, "请补充培训地点的门牌号。"),
        (Action.SUBMIT, None),
        (Action.APPROVE, None),
    ]
    assert final.location == "武汉市洪山区珞喻路 1 号 3 号楼"
    assert [e.action for e in reversed(events)] == [
        "class.declare",
        "class.submit",
        "class.return",
        "class.update",
        "class.submit",
        "class.approve",
    ]
    assert events[3].new_value == "请补充培训地点的门牌号。"


async def decision_notices(uow_factory: UnitOfWorkFactory) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        found = await uow.outbox.claim(FAR_FUTURE, limit=100, lease=timedelta(seconds=1))
        await uow.rollback()  # the claim was only a way to read them: no trace left
    return sorted(
        (m for m in found if m.kind.startswith("decision:")), key=lambda m: (m.occasion, m.user_id)
    )


FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


async def test_each_decision_queues_its_notice_in_its_own_transaction(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    """Written with the decision, one per manager and per step: the return and the later
    approval of the same class are two notices, a refused second decision adds none."""
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await submitted(uow_factory, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=[])
    assert await decision_notices(uow_factory) == []
    async with uow_factory() as uow:
        await review.return_class(uow, clock, judge, id_of(klass), "请补充培训地点。")
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(klass))
    async with uow_factory() as uow:
        await review.approve(uow, clock, judge, id_of(klass))
    async with uow_factory() as uow:
        with pytest.raises(InvalidTransition):
            await review.approve(uow, clock, judge, id_of(klass))

    approved, returned = await decision_notices(uow_factory)
    assert (returned.occasion, approved.occasion) == ("return:2", "approve:4")
    for notice in (returned, approved):
        assert notice.user_id == alice.user_id and notice.kind == "decision:class"
        assert notice.subject == f"class:{klass.id}" and notice.link == f"class:{klass.id}"
        assert notice.button_key == review.SEE_CLASS and notice.state is OutboxState.PENDING
    assert returned.text_key == review.CLASS_RETURNED
    assert returned.params == {
        "name": klass.name,
        "reason": "请补充培训地点。",
        "base": "武汉职业培训学院",
    }
    assert approved.text_key == review.CLASS_APPROVED


async def test_withdrawn_class_leaves_the_queue_and_cannot_be_decided(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await submitted(uow_factory, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    async with uow_factory() as uow:
        await classes.withdraw_class(uow, clock, alice, id_of(klass))
    async with uow_factory() as uow:
        assert await review.review_queue(uow, judge) == ([], 0)
        with pytest.raises(NotFound):
            await review.get_for_review(uow, judge, id_of(klass))
        with pytest.raises(NotFound):
            await review.approve(uow, clock, judge, id_of(klass))
        with pytest.raises(NotFound):
            await review.approve(uow, clock, judge, 10_000)
    async with uow_factory(readonly=True) as uow:
        assert (await classes.get_class(uow, alice, id_of(klass))).status is Status.DRAFT


async def test_reviewer_of_another_region_neither_sees_nor_decides(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await submitted(uow_factory, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=["宜昌市", "十堰市"])
    async with uow_factory() as uow:
        assert await review.review_queue(uow, judge) == ([], 0)
        with pytest.raises(NotFound):
            await review.get_for_review(uow, judge, id_of(klass))
        with pytest.raises(NotFound):
            await review.approve(uow, clock, judge, id_of(klass))
        with pytest.raises(NotFound):
            await review.return_class(uow, clock, judge, id_of(klass), "不符合要求")
    async with uow_factory(readonly=True) as uow:
        after = await classes.get_class(uow, alice, id_of(klass))
        events = await uow.audit.list(alice.base_id, action_prefix="class.", limit=50)
    assert after.status is Status.SUBMITTED and len(after.history) == 1
    assert [e.action for e in events] == ["class.submit", "class.declare"]


async def test_queue_is_oldest_first_and_a_reviewer_without_regions_sees_all(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    from datetime import timedelta

    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    first = await submitted(uow_factory, clock, alice, name="武汉一班")
    clock.advance(timedelta(minutes=5))
    second = await submitted(uow_factory, clock, mallory, name="宜昌一班")
    clock.advance(timedelta(minutes=5))
    late_draft = await declared(uow_factory, clock, alice, name="武汉二班")
    clock.advance(timedelta(minutes=5))
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(late_draft))
    province = await reviewer(uow_factory, hasher, clock, regions=[])
    yichang = await reviewer(
        uow_factory, hasher, clock, regions=["宜昌市"], id_number=ID_PROVINCE, telegram_user_id=5006
    )
    async with uow_factory(readonly=True) as uow:
        everything, total = await review.review_queue(uow, province)
        page, _ = await review.review_queue(uow, province, offset=1, limit=1)
        local, local_total = await review.review_queue(uow, yichang)
    assert total == 3
    assert [(i.training_class.id, i.base_name) for i in everything] == [
        (first.id, "武汉职业培训学院"),
        (second.id, "宜昌职业技术学院"),
        (late_draft.id, "武汉职业培训学院"),
    ]
    assert [i.training_class.id for i in page] == [second.id]
    assert local_total == 1 and [i.training_class.id for i in local] == [second.id]
    async with uow_factory() as uow:
        decision = await review.approve(uow, clock, province, id_of(second))
    assert decision.recipients == (mallory.user_id,)


async def test_decision_goes_exactly_to_the_admins_who_manage_classes(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    await yichang_admin(uow_factory, hasher, clock)
    bob = await add_admin(
        uow_factory,
        hasher,
        clock,
        alice,
        name="赵磊",
        id_number=make_id("42010619900101123"),
        telegram_user_id=2002,
        permissions={Permission.CLASSES_MANAGE},
    )
    carol = await add_admin(
        uow_factory,
        hasher,
        clock,
        alice,
        name="钱敏",
        id_number=make_id("42010619920303456"),
        telegram_user_id=3003,
        permissions={Permission.SCORES_MANAGE, Permission.PROFILE_EDIT},
    )
    klass = await submitted(uow_factory, clock, bob)
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    async with uow_factory() as uow:
        decision = await review.return_class(uow, clock, judge, id_of(klass), "费用说明不清。")
    assert set(decision.recipients) == {alice.user_id, bob.user_id}
    assert carol.user_id not in decision.recipients
