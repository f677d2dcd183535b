"""The reviewer's side as the random chat sees it: the review buttons and the world in SQL.

``World`` is a snapshot of what a decision depends on and changes, read from the tables after
every step (as the invariants are): each reviewed item's status, the number of steps in its
history and its base's region, and who is logged in from which Telegram account. The state
machine's preconditions read it (is a reviewer logged in, does anything wait for him), and its
rules compare the snapshots before and after a press to say what a press may have changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.callbacks import BadCallbackData, CallbackAction
from bot.handlers.review.kinds import KINDS as VIEWS
from bot.handlers.review.view import KindView
from domain.workflow import Status
from tests.fuzz.invariants import HISTORIES, History, regions_of

Key = tuple[str, int]
"""An item: (its kind's key, as domain.services.review.ReviewKind.key says it, its id)."""


@dataclass(frozen=True)
class Reviewed:
    """One kind: the bot's buttons for it and the tables it lives in."""

    view: KindView[Any, Any]
    history: History

    @property
    def key(self) -> str:
        return self.view.kind.key

    def buttons(self) -> dict[str, CallbackAction]:
        return {
            "queue": self.view.buttons.queue,
            "open": self.view.buttons.open,
            "approve": self.view.buttons.approve,
            "return": self.view.buttons.give_back,
        }


_TABLES = {
    "class": "training_classes",
    "scores": "score_sheets",
    "submission": "annual_submissions",
}
KINDS: tuple[Reviewed, ...] = tuple(
    Reviewed(view, next(h for h in HISTORIES if h.table == _TABLES[view.kind.key]))
    for view in VIEWS
)
BY_KEY = {r.key: r for r in KINDS}


@dataclass(frozen=True)
class Pressed:
    """What a review button's data says: which kind, which button, which id (a page for queue)."""

    reviewed: Reviewed
    what: str
    number: int

    @property
    def item(self) -> Key:
        return (self.reviewed.key, self.number)


def parse(data: str | None) -> Pressed | None:
    """A review button's meaning, or None for any other data (or a malformed review one)."""
    for reviewed in KINDS:
        for what, action in reviewed.buttons().items():
            try:
                return Pressed(reviewed, what, action.parse_id(data))
            except BadCallbackData:
                continue
    return None


@dataclass(frozen=True)
class Item:
    status: str
    steps: int
    region: str | None


@dataclass(frozen=True)
class Session:
    """The newest open session of a Telegram account."""

    user_id: int
    base_id: int | None
    is_reviewer: bool
    regions: tuple[str, ...]
    must_change_password: bool


@dataclass(frozen=True)
class Step:
    """The last step of an item's history."""

    status: str
    action: str
    by_user_id: int | None
    reason: str | None


@dataclass(frozen=True)
class World:
    items: dict[Key, Item]
    sessions: dict[int, Session]

    def reviewer(self, telegram_id: int) -> Session | None:
        """The account's session when it acts as a reviewer (no base chosen, password set)."""
        found = self.sessions.get(telegram_id)
        if found and found.is_reviewer and found.base_id is None and not found.must_change_password:
            return found
        return None

    def admin(self, telegram_id: int) -> Session | None:
        found = self.sessions.get(telegram_id)
        return found if found and found.base_id is not None else None

    def covers(self, telegram_id: int, item: Key) -> bool:
        """Whether that account may decide on the item now: a reviewer of its region."""
        reviewer = self.reviewer(telegram_id)
        found = self.items.get(item)
        return (
            reviewer is not None
            and found is not None
            and found.region is not None
            and (not reviewer.regions or found.region in reviewer.regions)
        )

    def waiting(self, telegram_id: int, key: str | None = None) -> set[Key]:
        """What the account's review queue must list (of one kind, or of all)."""
        return {
            item
            for item, found in self.items.items()
            if found.status == Status.SUBMITTED.value
            and (key is None or item[0] == key)
            and self.covers(telegram_id, item)
        }

    def to_resubmit(self) -> list[Key]:
        """Items the base could send (again): drafts and returned ones, in a stable order."""
        wanted = (Status.DRAFT.value, Status.RETURNED.value)
        return sorted(item for item, found in self.items.items() if found.status in wanted)

    def changed(self, before: World) -> set[Key]:
        """Items whose status or history differs from ``before`` (new and gone ones too)."""
        keys = self.items.keys() | before.items.keys()
        return {key for key in keys if self.items.get(key) != before.items.get(key)}


async def world(engine: AsyncEngine) -> World:
    items: dict[Key, Item] = {}
    sessions: dict[int, Session] = {}
    async with engine.connect() as conn:
        for reviewed in KINDS:
            h = reviewed.history
            rows = await conn.execute(
                text(
                    f"SELECT t.{h.key}, t.status, "
                    f"(SELECT COUNT(*) FROM {h.changes} s WHERE s.{h.change_key} = t.{h.key}), "
                    f"(SELECT b.region FROM bases b WHERE b.id = {h.base}) FROM {h.table} t"
                )
            )
            for owner, status, steps, region in rows:
                items[(reviewed.key, owner)] = Item(status, steps, region)
        rows = await conn.execute(
            text(
                "SELECT s.telegram_user_id, s.user_id, s.base_id, u.is_reviewer, "
                "u.reviewer_regions, u.must_change_password FROM login_sessions s "
                "JOIN users u ON u.id = s.user_id WHERE s.ended_at IS NULL ORDER BY s.id"
            )
        )
        for telegram_id, user_id, base_id, is_reviewer, regions, must_change in rows:
            sessions[telegram_id] = Session(
                user_id, base_id, bool(is_reviewer), regions_of(regions), bool(must_change)
            )
    return World(items, sessions)


async def last_step(engine: AsyncEngine, item: Key) -> Step | None:
    h = BY_KEY[item[0]].history
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"SELECT status, action, by_user_id, reason FROM {h.changes} "
                    f"WHERE {h.change_key} = :owner ORDER BY id DESC LIMIT 1"
                ),
                {"owner": item[1]},
            )
        ).first()
    return Step(*row) if row is not None else None
