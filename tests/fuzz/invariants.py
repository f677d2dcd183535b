"""What must hold in the database whatever anyone typed, checked with SQL on the tables themselves.

Read straight from the tables, not through the repositories: a repository that hides a broken
row (a filter, a join) would hide exactly what these checks look for. Every failure names the
rows, so a hypothesis counterexample says what went wrong and not only that something did.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.workflow import TRANSITIONS, Action, Status
from storage.models import Model

HISTORIES: tuple[tuple[str, str, str, str], ...] = (
    # (table with the current status, its key, the table of changes, the changes' key)
    ("training_classes", "id", "class_status_changes", "class_id"),
    ("score_sheets", "class_id", "score_sheet_changes", "class_id"),
    ("annual_submissions", "id", "submission_status_changes", "submission_id"),
)


async def violations(engine: AsyncEngine) -> list[str]:
    """Every broken invariant, as a sentence with the rows concerned; empty when all hold."""
    problems: list[str] = []
    async with engine.connect() as conn:
        problems += await _super_admins(conn)
        problems += await _roles_of_the_same_base(conn)
        for table, key, changes, change_key in HISTORIES:
            problems += await _histories(conn, table, key, changes, change_key)
        problems += await _orphans(conn)
    return problems


async def decisions(engine: AsyncEngine) -> Counter[tuple[str, str]]:
    """How many approvals and returns each history table holds: (table of changes, action)."""
    found: Counter[tuple[str, str]] = Counter()
    async with engine.connect() as conn:
        for _table, _key, changes, _change_key in HISTORIES:
            for action, count in await _rows(
                conn,
                f"SELECT action, COUNT(*) FROM {changes} "
                "WHERE action IN ('approve', 'return') GROUP BY action",
            ):
                found[(changes, action)] = count
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
