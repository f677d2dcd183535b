"""The review state machine: only the allowed transitions, with reasons where required."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Invalid, InvalidTransition
from domain.workflow import (
    TRANSITIONS,
    Action,
    Reviewable,
    Status,
    allowed_actions,
    next_status,
    submitter_actions,
)

AT = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def test_a_class_goes_from_draft_to_approved() -> None:
    item = Reviewable()
    item.apply(Action.SUBMIT, AT, by_user_id=1)
    item.apply(Action.APPROVE, AT, by_user_id=9)
    assert item.status is Status.APPROVED
    assert [c.action for c in item.history] == [Action.SUBMIT, Action.APPROVE]
    assert not item.is_editable


def test_returned_item_can_be_edited_and_resubmitted() -> None:
    item = Reviewable()
    item.apply(Action.SUBMIT, AT, 1)
    item.apply(Action.RETURN, AT, 9, reason="培训计划缺少课程安排")
    assert item.is_editable
    assert item.history[-1].reason == "培训计划缺少课程安排"
    item.apply(Action.SUBMIT, AT, 1)
    assert item.status is Status.SUBMITTED


def test_withdraw_before_review_returns_to_draft() -> None:
    item = Reviewable()
    item.apply(Action.SUBMIT, AT, 1)
    item.apply(Action.WITHDRAW, AT, 1)
    assert item.status is Status.DRAFT


@pytest.mark.parametrize("reason", [None, "", "   ", "长" * 501])
def test_return_needs_a_reason_of_sensible_length(reason: str | None) -> None:
    item = Reviewable(status=Status.SUBMITTED)
    with pytest.raises(Invalid):
        item.apply(Action.RETURN, AT, 9, reason=reason)
    assert item.status is Status.SUBMITTED
    assert item.history == []


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for s in Status for a in Action if (s, a) not in TRANSITIONS],
)
def test_every_other_transition_is_refused_with_both_names(status: Status, action: Action) -> None:
    item = Reviewable(status=status)
    with pytest.raises(InvalidTransition) as refused:
        item.apply(action, AT, 1, reason="原因")
    assert refused.value.params == {"current": status.value, "action": action.value}
    assert item.status is status


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_moves_only_along_allowed_transitions(actions: list[Action]) -> None:
    item = Reviewable()
    for action in actions:
        before = item.status
        if action in allowed_actions(before):
            item.apply(action, AT, 1, reason="原因")
            assert item.status is next_status(before, action)
        else:
            with pytest.raises(InvalidTransition):
                item.apply(action, AT, 1, reason="原因")
            assert item.status is before
    assert len(item.history) <= len(actions)


@pytest.mark.parametrize(
    ("status", "moves"),
    [
        (Status.DRAFT, [Action.SUBMIT]),
        (Status.RETURNED, [Action.SUBMIT]),
        (Status.SUBMITTED, [Action.WITHDRAW]),
        (Status.APPROVED, []),
    ],
)
def test_the_owner_is_offered_its_own_moves_only(status: Status, moves: list[Action]) -> None:
    assert submitter_actions(status) == moves
    assert Action.APPROVE in allowed_actions(Status.SUBMITTED)  # the reviewer's, never offered


@pytest.mark.parametrize("status", list(Status))
def test_only_a_draft_is_deletable(status: Status) -> None:
    item = Reviewable(status=status)
    assert item.is_deletable is (status is Status.DRAFT)
    assert item.is_editable is (status in (Status.DRAFT, Status.RETURNED))
