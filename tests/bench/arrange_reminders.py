"""Thousands of bases, their admins and a pending outbox, inserted in bulk on a migrated database.

The services would take minutes for 5,000 bases (a password hash per admin, a commit per step),
and arranging is not what is measured, so the rows go in as Core bulk inserts. They are the rows
the services would have written: users through ``storage.mappers`` (ID numbers and mobiles
encrypted, the blind index set; one cheap password hash shared by all), deadlines and mutes through
their repositories, and the dispatch benchmark's outbox by ``scheduler.gather.enqueue_due`` itself.

Every base has three admins: its super admin (every permission), a 年度报送 clerk (plans,
summaries, materials) and a 成绩管理 clerk (classes, scores); so each annual deadline reminds two
people per base, and each class's scores two. Every base has one approved class of 2026 (ending on
one of 60 days from October on, so some scores are overdue, some due soon, some not yet) and every
fourth a draft class besides; some bases have filed their plan, summary or a material, half of the
classes have their scores in, and a few clerks have muted score reminders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import validators
from domain.clock import FixedClock
from domain.model import Deadline, DeadlineKind, MaterialKind, User
from domain.permissions import Permission
from domain.workflow import Status
from scheduler.gather import enqueue_due
from scheduler.planning import ReminderRules
from storage import mappers
from storage.crypto import FieldCipher
from storage.models import (
    AnnualSubmissionRow,
    BaseRow,
    LoginSessionRow,
    MembershipRow,
    RoleRow,
    ScoreSheetRow,
    TrainingClassRow,
    UserRow,
)
from storage.uow import UnitOfWorkFactory
from tests.bench.arrange import UnitsOfWork

RULES = ReminderRules()
ZONE = RULES.timezone
NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
"""2026-11-29 09:00 in Asia/Shanghai: past the 08:30 morning, before the quiet hours."""
YEAR = 2026
EARLIER = NOW - timedelta(days=200)

DEADLINES = (
    # NOW falls on the 7-day, the 3-day and the 1-day morning of the three annual deadlines.
    Deadline(
        year=YEAR, kind=DeadlineKind.ANNUAL_PLAN, due_at=datetime(2026, 12, 6, 17, tzinfo=ZONE)
    ),
    Deadline(
        year=YEAR, kind=DeadlineKind.ANNUAL_SUMMARY, due_at=datetime(2026, 12, 2, 17, tzinfo=ZONE)
    ),
    Deadline(
        year=YEAR,
        kind=DeadlineKind.ANNUAL_MATERIALS,
        due_at=datetime(2026, 11, 30, 17, tzinfo=ZONE),
    ),
    # Scores are due 30 days after a class ends: 10-31 to 12-29 for the classes below.
    Deadline(year=YEAR, kind=DeadlineKind.CLASS_SCORES, days_after_end=30),
)

FILING_ROLE = sorted(
    p.value
    for p in (Permission.PLANS_MANAGE, Permission.SUMMARIES_MANAGE, Permission.MATERIALS_MANAGE)
)
SCORES_ROLE = sorted(p.value for p in (Permission.CLASSES_MANAGE, Permission.SCORES_MANAGE))
REGIONS = ("武汉市", "宜昌市", "襄阳市", "荆州市", "黄石市", "十堰市", "孝感市", "恩施州")
FIRST_CHAT = 800_000_000
"""Telegram user ids of the dispatch benchmark's recipients start here."""


@dataclass(frozen=True)
class Census:
    """What was arranged, for the details of a row."""

    bases: int
    admins: int
    approved_classes: int
    classes_with_scores_in: int
    plans_filed: int
    mutes: int


def make_id(n: int) -> str:
    first17 = f"42{n:015d}"
    return first17 + validators.id_number_check_char(first17)


def users(
    cipher: FieldCipher, first_id: int, count: int, password_hash: str
) -> list[dict[str, Any]]:
    """Rows for users ``first_id`` … as ``SqlUserRepository.add`` writes them, ready to insert."""
    rows = []
    for user_id in range(first_id, first_id + count):
        row = UserRow(row_uuid=uuid.uuid4().hex)
        person = User(
            name=f"管理员{user_id}",
            id_number=make_id(user_id),
            mobile=f"138{user_id:08d}",
            password_hash=password_hash,
            credentials_changed_at=EARLIER,
            created_at=EARLIER,
        )
        mappers.user_to_row(person, row, cipher)
        values = {column.key: getattr(row, column.key) for column in UserRow.__table__.columns}
        rows.append({**values, "id": user_id})
    return rows


async def bulk(
    engine: AsyncEngine, tables: Iterable[tuple[Any, Sequence[Mapping[str, Any]]]]
) -> None:
    """One transaction, one executemany a table."""
    async with engine.begin() as conn:
        for model, rows in tables:
            if rows:
                await conn.execute(insert(model), list(rows))


def base(n: int) -> dict[str, Any]:
    """Base ``n``'s row (its id is ``n``), ready to insert."""
    return {
        "id": n,
        "name": f"湖北省继续教育基地{n:04d}",
        "credit_code": f"91420100{n:09d}X",
        "region": REGIONS[n % len(REGIONS)],
        "address": f"{REGIONS[n % len(REGIONS)]}学院路 {n} 号",
        "contact_person": "李明",
        "contact_phone": "027-87654321",
        "created_at": EARLIER,
    }


def admin_tables(
    cipher: FieldCipher,
    password_hash: str,
    bases: int,
    admins: int,
    roles: Sequence[Mapping[str, Any]],
    memberships: Sequence[Mapping[str, Any]],
) -> list[tuple[Any, Sequence[Mapping[str, Any]]]]:
    """Bases 1 … ``bases``, users 1 … ``admins`` (see ``users``), then ``roles`` and
    ``memberships``: the tables for ``bulk``, each after those it refers to."""
    return [
        (BaseRow, [base(n) for n in range(1, bases + 1)]),
        (UserRow, users(cipher, 1, admins, password_hash)),
        (RoleRow, roles),
        (MembershipRow, memberships),
    ]


async def bases_with_admins(
    engine: AsyncEngine,
    units: UnitOfWorkFactory,
    password_hash: str,
    bases: int,
    *,
    deadlines: Sequence[Deadline] = DEADLINES,
    filings: bool = True,
) -> Census:
    """``bases`` bases as the module says, ``deadlines`` and the mutes; ``filings`` False leaves
    out every plan, summary and material filed, so every base owes every annual deadline."""
    role_rows, memberships, classes, sheets, filed = [], [], [], [], []
    for n in range(1, bases + 1):
        filing_role, scores_role = 2 * n - 1, 2 * n
        role_rows += [
            {"id": filing_role, "base_id": n, "name": "年度报送", "permissions": FILING_ROLE},
            {"id": scores_role, "base_id": n, "name": "成绩管理", "permissions": SCORES_ROLE},
        ]
        boss, filer, scorer = 3 * n - 2, 3 * n - 1, 3 * n
        memberships += [
            membership(n, boss, is_super=True, role_id=None),
            membership(n, filer, is_super=False, role_id=filing_role),
            membership(n, scorer, is_super=False, role_id=scores_role),
        ]
        approved = 2 * n - 1
        classes.append(
            training_class(approved, n, Status.APPROVED, date(2026, 10, 1) + timedelta(days=n % 60))
        )
        if n % 4 == 0:
            classes.append(training_class(2 * n, n, Status.DRAFT, date(2026, 12, 20)))
        if n % 2 == 0:  # half the classes have their scores in: submitted, or approved already
            status = Status.APPROVED if n % 4 == 0 else Status.SUBMITTED
            sheets.append({"class_id": approved, "status": status.value, "submitted_at": EARLIER})
        if not filings:
            continue
        if n % 5 == 0:
            filed.append(submission(n, "plan", Status.SUBMITTED))
        if n % 7 == 0:
            filed.append(submission(n, "summary", Status.APPROVED))
        if n % 3 == 0:  # a material in draft is not filed: its reminder still goes
            filed.append(submission(n, "material", Status.DRAFT if n % 6 else Status.SUBMITTED))
    await bulk(
        engine,
        [
            *admin_tables(units.cipher, password_hash, bases, 3 * bases, role_rows, memberships),
            (TrainingClassRow, classes),
            (ScoreSheetRow, sheets),
            (AnnualSubmissionRow, filed),
        ],
    )
    muted = [3 * n for n in range(1, bases + 1) if n % 40 == 1]
    async with units() as uow:
        for deadline in deadlines:
            await uow.deadlines.set(deadline)
        for user_id in muted:
            await uow.mutes.mute(user_id, DeadlineKind.CLASS_SCORES)
        await uow.commit()
    return Census(
        bases=bases,
        admins=3 * bases,
        approved_classes=bases,
        classes_with_scores_in=len(sheets),
        plans_filed=sum(1 for row in filed if row["kind"] == "plan"),
        mutes=len(muted),
    )


def membership(
    base_id: int, user_id: int, *, is_super: bool, role_id: int | None
) -> dict[str, Any]:
    return {
        "base_id": base_id,
        "user_id": user_id,
        "is_super": is_super,
        "role_id": role_id,
        "created_at": EARLIER,
    }


def training_class(class_id: int, base_id: int, status: Status, end: date) -> dict[str, Any]:
    return {
        "id": class_id,
        "base_id": base_id,
        "name": f"2026年专业技术人员继续教育培训班（第{class_id}期）",
        "year": YEAR,
        "category": "professional",
        "mode": "offline",
        "start_date": end - timedelta(days=2),
        "end_date": end,
        "location": "武汉市洪山区珞喻路 1 号",
        "hours": 24,
        "capacity": 120,
        "fee": 1200,
        "audience": "全省中级职称专业技术人员",
        "description": "三天集中面授，含结业考核。",
        "plan_text": None,
        "plan_file_id": None,
        "status": status.value,
        "submitted_at": EARLIER if status is not Status.DRAFT else None,
        "created_at": EARLIER,
        "updated_at": EARLIER,
    }


def submission(base_id: int, kind: str, status: Status) -> dict[str, Any]:
    return {
        "base_id": base_id,
        "year": YEAR,
        "kind": kind,
        "title": "培训场地照片" if kind == "material" else "",
        "material_kind": MaterialKind.OTHER.value if kind == "material" else None,
        "status": status.value,
        "submitted_at": EARLIER if status is not Status.DRAFT else None,
        "created_at": EARLIER,
        "updated_at": EARLIER,
    }


# --- the dispatch benchmark's outbox --------------------------------------------------------------


async def pending_outbox(
    engine: AsyncEngine, units: UnitOfWorkFactory, password_hash: str, count: int
) -> list[int]:
    """``count`` reminders in the outbox as planning writes them, one to each of ``count`` people.

    ``count / 2`` bases owe this year's plan and nothing else is due, so each base's super admin
    and its 年度报送 clerk get one reminder each (the 成绩管理 clerk none). Every admin has logged
    in once from a chat of their own; returns those chats' Telegram ids.
    """
    if count % 2:
        raise ValueError("two reminders a base: the count must be even")
    bases = count // 2
    plan_only = tuple(d for d in DEADLINES if d.kind is DeadlineKind.ANNUAL_PLAN)
    await bases_with_admins(engine, units, password_hash, bases, deadlines=plan_only, filings=False)
    chats = await logins(engine, 3 * bases)
    async with cast(UnitsOfWork, units)() as uow:
        added = await enqueue_due(uow, FixedClock(NOW), RULES)
    if added != count:
        raise AssertionError(f"planning wrote {added} reminders, wanted {count}")
    return chats


async def logins(engine: AsyncEngine, users: int) -> list[int]:
    """Users 1 … ``users`` each logged in (and idled out) once, from chat ``FIRST_CHAT + id``."""
    chats = [FIRST_CHAT + user_id for user_id in range(1, users + 1)]
    sessions = [
        {
            "telegram_user_id": chat,
            "user_id": user_id,
            "base_id": (user_id + 2) // 3,
            "started_at": NOW - timedelta(days=1),
            "last_seen_at": NOW - timedelta(days=1),
            "ended_at": NOW - timedelta(hours=23),
            "end_reason": "idle",
        }
        for user_id, chat in enumerate(chats, start=1)
    ]
    await bulk(engine, [(LoginSessionRow, sessions)])
    return chats
