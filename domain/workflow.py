"""The review state machine shared by classes, score sheets and annual submissions.

draft → submitted → approved | returned; returned → submitted again; submitted → draft (withdraw).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import Invalid, InvalidTransition
from domain.messages import N_


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    RETURN = "return"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.DRAFT: N_("草稿"),
    Status.SUBMITTED: N_("待审核"),
    Status.APPROVED: N_("已通过"),
    Status.RETURNED: N_("已退回"),
}

ACTION_LABELS: dict[Action, str] = {
    Action.SUBMIT: N_("提交审核"),
    Action.WITHDRAW: N_("撤回"),
    Action.APPROVE: N_("审核通过"),
    Action.RETURN: N_("退回"),
}

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
    (Status.RETURNED, Action.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Action.WITHDRAW): Status.DRAFT,
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.RETURN): Status.RETURNED,
}

EDITABLE: frozenset[Status] = frozenset({Status.DRAFT, Status.RETURNED})

DELETABLE: frozenset[Status] = frozenset({Status.DRAFT})
"""What a reviewer has seen (even if withdrawn or returned since) stays on record."""

SUBMITTER_ACTIONS: frozenset[Action] = frozenset({Action.SUBMIT, Action.WITHDRAW})
"""The owner's moves; approving and returning are the reviewers'."""

REASON_MAX_LENGTH = 500


def next_status(current: Status, action: Action) -> Status:
    """The state after ``action``, or InvalidTransition naming both in the user's words."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(current.value, action.value) from None


def allowed_actions(current: Status) -> list[Action]:
    return [action for (status, action) in TRANSITIONS if status == current]


def submitter_actions(current: Status) -> list[Action]:
    """What the owner may do from ``current``: the moves its card offers, never a reviewer's."""
    return [action for action in allowed_actions(current) if action in SUBMITTER_ACTIONS]


@dataclass(frozen=True)
class StatusChange:
    status: Status
    action: Action
    at: datetime
    by_user_id: int | None
    reason: str | None = None


@dataclass
class Reviewable:
    """Mixin state for anything that goes through review; keeps its history of changes."""

    status: Status = Status.DRAFT
    history: list[StatusChange] = field(default_factory=list)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_deletable(self) -> bool:
        return self.status in DELETABLE

    @property
    def submitted_at(self) -> datetime | None:
        """When it was last submitted: the review queue serves the longest-waiting first."""
        for change in reversed(self.history):
            if change.action is Action.SUBMIT:
                return change.at
        return None

    def apply(
        self, action: Action, at: datetime, by_user_id: int | None, reason: str | None = None
    ) -> StatusChange:
        new_status = next_status(self.status, action)
        if action is Action.RETURN:
            reason = (reason or "").strip()
            if not reason:
                raise Invalid("reason", N_("退回时请填写退回原因。"))
            if len(reason) > REASON_MAX_LENGTH:
                raise Invalid("reason", N_("原因最多 {max} 个字。"), max=REASON_MAX_LENGTH)
        change = StatusChange(new_status, action, at, by_user_id, reason)
        self.status = new_status
        self.history.append(change)
        return change
