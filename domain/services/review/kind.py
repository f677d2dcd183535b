"""The review flow every kind shares: the queue, an item, a decision and what follows it.

A kind of thing reviewers decide on (training classes, learners' scores, annual submissions) is
a ``ReviewKind``: a table of what differs from kind to kind (where its things are found, how one
is shown, stored, named in the base's audit trail and announced to the base), run by the one
flow below. Whatever is not submitted, or belongs to a base outside the reviewer's regions, is
not found; a thing already decided refuses a second decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from domain.clock import Clock
from domain.errors import NotFound
from domain.model import Base, OutboxMessage, ReviewerActor
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.services import audit
from domain.services.classes import history_names
from domain.workflow import Action, Reviewable, Status, StatusChange

Found = TypeVar("Found")
"""What a kind loads for an id: the reviewed object, with whatever else names it."""
Item = TypeVar("Item")
"""An item as the reviewer sees it, with its base."""
Made = TypeVar("Made")
"""A decision on an item, and whom it was told to."""

Regions = Sequence[str] | None
"""The regions a query keeps; None: every region of the province."""
Row = TypeVar("Row", covariant=True)
"""What a ``Submitted`` finds."""


class Submitted(Protocol[Row]):
    """The queries a kind's things are found by. The repositories of classes and of annual
    submissions answer them as they are; score sheets through ``scores.ScoreSheets``."""

    async def get(self, item_id: int, /) -> Row | None: ...
    async def get_for_update(self, item_id: int, /) -> Row | None:
        """Locked, so a decision never races another change of state."""
        ...

    async def list_submitted_for_regions(
        self, regions: Regions, *, offset: int = 0, limit: int = 10
    ) -> Sequence[Row]:
        """Submitted ones of bases in ``regions``, longest waiting first."""
        ...

    async def count_submitted_for_regions(self, regions: Regions) -> int: ...


@dataclass(frozen=True)
class About:
    """What the shared flow reads of a loaded thing, whatever its kind."""

    reviewed: Reviewable
    """What moves through the workflow: a class, a class's score sheet, a submission."""
    base_id: int
    subject: str
    """How the base's audit trail names it."""
    told: Permission
    """The base's admins who hold this hear of a decision."""


@dataclass(frozen=True)
class Notice:
    """What the base's admins are told of a decision, as the outbox keeps it: a msgid, its
    parameters (msgids among them are translated for each reader), and a link to the item."""

    item_id: int
    text_key: str
    params: dict[str, str]
    button_key: str
    link: str


class Decided:
    """The reviewer's step just taken, read from the reviewed object's history."""

    base_name: str

    @property
    def reviewed(self) -> Reviewable:
        raise NotImplementedError

    @property
    def action(self) -> Action:
        return self.reviewed.history[-1].action

    @property
    def reason(self) -> str | None:
        return self.reviewed.history[-1].reason


@dataclass(frozen=True)
class ReviewKind(Generic[Found, Item, Made]):
    """One kind of thing reviewers decide on: its queries and its words; the flow is shared."""

    key: str
    """Names the kind where it is stored (a return's draft), so never renamed."""
    what: str
    """The audit actions are ``<what>.approve`` and ``<what>.return``; the outbox's kind is
    ``decision:<what>`` and its subject ``<what>:<item id>``."""
    rows: Callable[[UnitOfWork], Submitted[Found]]
    about: Callable[[Found], About]
    item: Callable[[UnitOfWork, Found, Base, Mapping[int, str]], Awaitable[Item]]
    """An item from what was found, its base and the names of who appears in it."""
    store: Callable[[UnitOfWork, Found, datetime], Awaitable[Found]]
    """Writes a decision just applied (at the given time) and returns what was stored."""
    notice: Callable[[Found, StatusChange], Notice]
    decision: Callable[[Found, str, tuple[int, ...]], Made]
    """A decision from what was decided on, its base's name and whom it was told to."""
    people: Callable[[UnitOfWork, Found], Awaitable[Mapping[int, str]]] | None = None
    """Who appears in it, by user id, for its card; None: who took each step of its history."""

    def audit_action(self, action: Action) -> str:
        return f"{self.what}.{action.value}"

    async def count(self, uow: UnitOfWork, reviewer: ReviewerActor) -> int:
        """How many wait for this reviewer."""
        return await self.rows(uow).count_submitted_for_regions(_regions(reviewer))

    async def queue(
        self, uow: UnitOfWork, reviewer: ReviewerActor, *, offset: int = 0, limit: int = 10
    ) -> tuple[list[Item], int]:
        """What waits in the reviewer's regions, longest waiting first, with the total."""
        rows, regions = self.rows(uow), _regions(reviewer)
        found = await rows.list_submitted_for_regions(regions, offset=offset, limit=limit)
        total = await rows.count_submitted_for_regions(regions)
        wanted = sorted({self.about(one).base_id for one in found})
        bases = {base.id: base for base in await uow.bases.get_many(wanted)}
        items = [
            await self.item(uow, one, bases[self.about(one).base_id], {})
            for one in found
            if self.about(one).base_id in bases
        ]
        return items, total

    async def get(self, uow: UnitOfWork, reviewer: ReviewerActor, item_id: int) -> Item:
        """A submitted one of the reviewer's regions, with everyone's names; else not found."""
        found = await self.rows(uow).get(item_id)
        if found is None or self.about(found).reviewed.status is not Status.SUBMITTED:
            raise NotFound()
        base = await covered_base(uow, reviewer, self.about(found).base_id)
        return await self.item(uow, found, base, await self._names(uow, found))

    async def _names(self, uow: UnitOfWork, found: Found) -> Mapping[int, str]:
        if self.people is not None:
            return await self.people(uow, found)
        return await history_names(uow, self.about(found).reviewed)

    async def approve(
        self, uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, item_id: int
    ) -> Made:
        return await self._decide(uow, clock, reviewer, item_id, Action.APPROVE, None)

    async def give_back(
        self, uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, item_id: int, reason: str
    ) -> Made:
        """退回 with a reason the base will read (required, at most 500 characters)."""
        return await self._decide(uow, clock, reviewer, item_id, Action.RETURN, reason)

    async def _decide(
        self,
        uow: UnitOfWork,
        clock: Clock,
        reviewer: ReviewerActor,
        item_id: int,
        action: Action,
        reason: str | None,
    ) -> Made:
        """A draft is the base's own business (not found); a decided one refuses (the workflow)."""
        found = await self.rows(uow).get_for_update(item_id)
        if found is None or self.about(found).reviewed.status is Status.DRAFT:
            raise NotFound()
        base = await covered_base(uow, reviewer, self.about(found).base_id)
        now = clock.now()
        change = self.about(found).reviewed.apply(action, now, reviewer.user_id, reason)
        found = await self.store(uow, found, now)
        recipients = await self._recorded(uow, clock, reviewer, found, change, base.name)
        return self.decision(found, base.name, recipients)

    async def _recorded(
        self,
        uow: UnitOfWork,
        clock: Clock,
        reviewer: ReviewerActor,
        found: Found,
        change: StatusChange,
        base_name: str,
    ) -> tuple[int, ...]:
        """Every decision's tail: the base's audit entry and the notices in the outbox.

        The notices are written in the decision's own transaction: a crash after it commits
        loses none, and one before leaves neither. Each decision is its own occasion (the
        step's place in the history), so a thing returned twice is told twice.
        """
        about = self.about(found)
        await audit.record(
            uow,
            clock,
            action=self.audit_action(change.action),
            base_id=about.base_id,
            actor_user_id=reviewer.user_id,
            subject=about.subject,
            old_value=Status.SUBMITTED.value,
            new_value=change.reason or about.reviewed.status.value,
        )
        recipients = await holders(uow, about.base_id, about.told)
        await uow.outbox.add_many(self._told(found, change, recipients, clock.now(), base_name))
        return recipients

    def _told(
        self,
        found: Found,
        change: StatusChange,
        recipients: tuple[int, ...],
        now: datetime,
        base_name: str,
    ) -> list[OutboxMessage]:
        """The decision's notice, one for each recipient, naming the base (``{base}``): a person
        may administer several."""
        notice = self.notice(found, change)
        steps = len(self.about(found).reviewed.history)
        return [
            OutboxMessage(
                user_id=user_id,
                subject=f"{self.what}:{notice.item_id}",
                occasion=f"{change.action.value}:{steps}",
                kind=f"decision:{self.what}",
                text_key=notice.text_key,
                params={**notice.params, "base": base_name},
                button_key=notice.button_key,
                link=notice.link,
                not_before=now,
                created_at=now,
            )
            for user_id in recipients
        ]


def told_of(action: Action, approved: str, returned: str) -> str:
    """A notice's text: the approval's or the return's."""
    return approved if action is Action.APPROVE else returned


async def holders(uow: UnitOfWork, base_id: int, permission: Permission) -> tuple[int, ...]:
    """User ids of the base's admins who hold ``permission``, the super admin included."""
    total = await uow.memberships.count_for_base(base_id)
    memberships = await uow.memberships.list_for_base(base_id, 0, max(total, 1))
    roles = {r.id: r for r in await uow.roles.list_for_base(base_id)}
    return tuple(
        sorted(
            m.user_id
            for m in memberships
            if permission in m.effective_permissions(roles.get(m.role_id) if m.role_id else None)
        )
    )


async def covered_base(uow: UnitOfWork, reviewer: ReviewerActor, base_id: int) -> Base:
    """The base of what is reviewed, when it lies in the reviewer's regions; else not found."""
    base = await uow.bases.get(base_id)
    if base is None or not reviewer.covers(base.region):
        raise NotFound()
    return base


def _regions(reviewer: ReviewerActor) -> Regions:
    return None if reviewer.covers_all_regions else reviewer.regions
