"""What must hold in the database whatever anyone typed, checked with SQL on the tables themselves.

Read straight from the tables, not through the repositories: a repository that hides a broken
row (a filter, a join) would hide exactly what these checks look for. Every failure names the
rows, so a hypothesis counterexample says what went wrong and not only that something did.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.workflow import REASON_MAX_LENGTH, TRANSITIONS, Action, Status
from storage.models import Model


@dataclass(frozen=True)
class History:
    """One kind of reviewed row: where its status, its changes and its base are."""

    table: str
    """The table with the current status…"""
    key: str
    """…and its key."""
    changes: str
    """The table of changes (append-only)…"""
    change_key: str
    """…and its column naming the row."""
    base: str
    """SQL for the row's base id, given the row as ``t``."""
    notice: str
    """What the outbox calls a decision on it: ``<notice>:<key>`` (review.ReviewKind.what)."""


HISTORIES: tuple[History, ...] = (
    History("training_classes", "id", "class_status_changes", "class_id", "t.base_id", "class"),
    History(
        "score_sheets",
        "class_id",
        "score_sheet_changes",
        "class_id",
        "(SELECT c.base_id FROM training_classes c WHERE c.id = t.class_id)",
        "score",
    ),
    History(
        "annual_submissions",
        "id",
        "submission_status_changes",
        "submission_id",
        "t.base_id",
        "submission",
    ),
)
DECISIONS = (Action.APPROVE.value, Action.RETURN.value)


async def violations(engine: AsyncEngine) -> list[str]:
    """Every broken invariant, as a sentence with the rows concerned; empty when all hold."""
    problems: list[str] = []
    async with engine.connect() as conn:
        problems += await _super_admins(conn)
        problems += await _roles_of_the_same_base(conn)
        for history in HISTORIES:
            problems += await _histories(
                conn, history.table, history.key, history.changes, history.change_key
            )
            problems += await _submitted_at(conn, history)
            problems += await _reasons(conn, history)
            problems += await _decided_by_covering_reviewers(conn, history)
            problems += await _decisions_told(conn, history)
        problems += await _scores_of_approved_classes(conn)
        problems += await _orphans(conn)
    return problems


async def decisions(engine: AsyncEngine) -> Counter[tuple[str, str]]:
    """How many approvals and returns each history table holds: (table of changes, action)."""
    found: Counter[tuple[str, str]] = Counter()
    async with engine.connect() as conn:
        for history in HISTORIES:
            for action, count in await _rows(
                conn,
                f"SELECT action, COUNT(*) FROM {history.changes} "
                "WHERE action IN ('approve', 'return') GROUP BY action",
            ):
                found[(history.changes, action)] = count
    return found


async def _rows(conn: AsyncConnection, sql: str) -> Sequence[Any]:
    return (await conn.execute(text(sql))).all()


async def _super_admins(conn: AsyncConnection) -> list[str]:
    rows = await _rows(
        conn,
        "SELECT base_id, SUM(CASE WHEN is_super THEN 1 ELSE 0 END) FROM memberships "
        "GROUP BY base_id HAVING SUM(CASE WHEN is_super THEN 1 ELSE 0 END) <> 1",
    )
    return [f"base {base} has {count} super admins" for base, count in rows]


async def _roles_of_the_same_base(conn: AsyncConnection) -> list[str]:
    rows = await _rows(
        conn,
        "SELECT m.id, m.base_id, r.id, r.base_id FROM memberships m "
        "JOIN roles r ON r.id = m.role_id WHERE r.base_id <> m.base_id",
    )
    return [f"membership {m} of base {mb} holds role {r} of base {rb}" for m, mb, r, rb in rows]


async def _histories(
    conn: AsyncConnection, table: str, key: str, changes: str, change_key: str
) -> list[str]:
    current = {row[0]: row[1] for row in await _rows(conn, f"SELECT {key}, status FROM {table}")}
    steps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for owner, status, action in await _rows(
        conn, f"SELECT {change_key}, status, action FROM {changes} ORDER BY id"
    ):
        steps[owner].append((status, action))
    problems = [f"{changes} rows for missing {table} {owner}" for owner in steps.keys() - current]
    for owner, status in current.items():
        walked = walk(steps.get(owner, []))
        if not isinstance(walked, Status):  # a Status is a str too: test for it first
            problems.append(f"{table} {owner}: {walked}")
        elif walked.value != status:
            problems.append(f"{table} {owner} is {status} but its history ends in {walked.value}")
    return problems


def walk(history: Iterable[tuple[str, str]]) -> Status | str:
    """The state a history leads to from a draft, or a sentence naming its first illegal step."""
    state = Status.DRAFT
    for number, (status, action) in enumerate(history, 1):
        try:
            step = TRANSITIONS[(state, Action(action))]
        except (KeyError, ValueError):
            return f"step {number} {action!r} is not allowed from {state.value}"
        if step.value != status:
            return f"step {number} {action!r} from {state.value} recorded {status!r}, not {step}"
        state = step
    return state


async def _submitted_at(conn: AsyncConnection, h: History) -> list[str]:
    """``submitted_at`` mirrors the latest submission in the history (the queue is ordered by
    it): NULL when there is none, and set whenever the row waits for review."""
    rows = await _rows(
        conn,
        f"SELECT t.{h.key}, t.status, t.submitted_at, "
        f"(SELECT s.at FROM {h.changes} s WHERE s.{h.change_key} = t.{h.key} "
        "AND s.action = 'submit' ORDER BY s.id DESC LIMIT 1) "
        f"FROM {h.table} t",
    )
    problems = []
    for owner, status, submitted_at, last_submit in rows:
        if submitted_at != last_submit:
            problems.append(
                f"{h.table} {owner} ({status}) says submitted_at {submitted_at!r}, "
                f"its last submission in {h.changes} is at {last_submit!r}"
            )
    return problems


async def _reasons(conn: AsyncConnection, h: History) -> list[str]:
    """A return carries the reason the base will read (trimmed, not empty, at most
    REASON_MAX_LENGTH characters); no other step carries one."""
    problems = []
    for step, owner, action, reason in await _rows(
        conn, f"SELECT id, {h.change_key}, action, reason FROM {h.changes}"
    ):
        where = f"{h.changes} {step} ({action} of {owner})"
        if action != Action.RETURN.value:
            if reason is not None:
                problems.append(f"{where} carries a reason {reason!r}")
        elif reason is None or not reason.strip():
            problems.append(f"{where} has no reason")
        elif reason != reason.strip() or len(reason) > REASON_MAX_LENGTH:
            problems.append(f"{where} keeps an untrimmed or too long reason ({len(reason)})")
    return problems


async def _decided_by_covering_reviewers(conn: AsyncConnection, h: History) -> list[str]:
    """Every approval and return was made by a reviewer whose regions hold a region the base has
    had (no regions: the whole province), never by an admin or another region's reviewer.

    A base may move (profile.region, in its audit trail) after a decision that was right then;
    the steps carry no region and the clock is fixed, so any region the base ever had counts."""
    had: dict[int, set[str]] = defaultdict(set)
    for base, region in await _rows(conn, "SELECT id, region FROM bases"):
        had[base].add(region)
    for base, old, new in await _rows(
        conn,
        "SELECT base_id, old_value, new_value FROM audit_events WHERE action = 'profile.region'",
    ):
        had[base].update(value for value in (old, new) if value)
    rows = await _rows(
        conn,
        f"SELECT s.id, s.{h.change_key}, s.action, s.by_user_id, u.is_reviewer, "
        f"u.reviewer_regions, {h.base} "
        f"FROM {h.changes} s JOIN {h.table} t ON t.{h.key} = s.{h.change_key} "
        "LEFT JOIN users u ON u.id = s.by_user_id "
        "WHERE s.action IN ('approve', 'return')",
    )
    problems = []
    for step, owner, action, by, is_reviewer, regions, base in rows:
        covered = regions_of(regions)
        if not is_reviewer or (covered and not had[base] & set(covered)):
            problems.append(
                f"{h.changes} {step}: {action} of {owner} (base in {sorted(had[base])}) by user "
                f"{by}, who is {'a reviewer of ' + str(covered) if is_reviewer else 'no reviewer'}"
            )
    return problems


def regions_of(raw: Any) -> tuple[str, ...]:
    """``users.reviewer_regions`` as the driver returns it: a list already, or its JSON text."""
    if raw is None:
        return ()
    found = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(str(region) for region in found)


async def _decisions_told(conn: AsyncConnection, h: History) -> list[str]:
    """Each decision put its notices in the outbox in its own transaction: at least one (the
    super admin holds every permission), under ``<what>:<id>`` and ``<action>:<step number>``."""
    told = {
        (subject, occasion)
        for subject, occasion in await _rows(
            conn, f"SELECT subject, occasion FROM outbox WHERE kind = 'decision:{h.notice}'"
        )
    }
    numbered: dict[int, int] = defaultdict(int)
    problems = []
    for step, owner, action in await _rows(
        conn, f"SELECT id, {h.change_key}, action FROM {h.changes} ORDER BY id"
    ):
        numbered[owner] += 1
        if action in DECISIONS:
            wanted = (f"{h.notice}:{owner}", f"{action}:{numbered[owner]}")
            if wanted not in told:
                problems.append(f"{h.changes} {step}: {action} of {owner} left no notice {wanted}")
    return problems


async def _scores_of_approved_classes(conn: AsyncConnection) -> list[str]:
    """Only approved classes take scores, and only their score sheets go to review."""
    rows = await _rows(
        conn,
        "SELECT c.id, c.status, "
        "(SELECT COUNT(*) FROM score_records r WHERE r.class_id = c.id), "
        "(SELECT s.status FROM score_sheets s WHERE s.class_id = c.id) "
        "FROM training_classes c WHERE c.status <> 'approved'",
    )
    return [
        f"training_classes {class_id} is {status} but has {learners} learners' scores "
        f"and a score sheet {sheet}"
        for class_id, status, learners, sheet in rows
        if learners or sheet not in (None, Status.DRAFT.value)
    ]


async def _orphans(conn: AsyncConnection) -> list[str]:
    """Every foreign key the models declare, checked by a LEFT JOIN: SQLite may not enforce them,
    and a row pointing nowhere is a bug whether or not the database noticed."""
    problems: list[str] = []
    for table in Model.metadata.sorted_tables:
        for fk in table.foreign_keys:
            child = fk.parent
            parent = fk.column
            sql = (
                f"SELECT COUNT(*) FROM {table.name} c LEFT JOIN {parent.table.name} p "
                f"ON p.{parent.name} = c.{child.name} "
                f"WHERE c.{child.name} IS NOT NULL AND p.{parent.name} IS NULL"
            )
            (count,) = (await _rows(conn, sql))[0]
            if count:
                problems.append(
                    f"{count} {table.name} rows point to a missing "
                    f"{parent.table.name}.{parent.name} through {child.name}"
                )
    return problems
