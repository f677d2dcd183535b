"""培训班管理: the class form's rules and the class services, on real storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain import validators
from domain.clock import Clock, FixedClock
from domain.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from domain.model import Actor, ClassCategory, TeachingMode, TrainingClass
from domain.permissions import Permission
from domain.ports import PasswordHasher, UnitOfWork
from domain.services import admins, auth, classes, files, profile, roles
from domain.uploads import FileKind
from domain.workflow import Action, Status
from storage.crypto import FieldCipher
from storage.filestore import LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW
from tests.services.helpers import CODE_TWO, ID_CAROL, POLICY, actor_of, id_of, register
from tests.services.test_files import PDF

TODAY = NOW.date()
NEW_PASSWORD = "春风十里不如你呀"
INITIAL_PASSWORD = "初始密码 abc 123"
# A service call on a unit of work, tried and refused; and a step of the class's workflow.
Attempt = Callable[[UnitOfWork], Awaitable[object]]
ClassTransition = Callable[[UnitOfWork, Clock, Actor, int], Awaitable[TrainingClass]]


def make_id(first17: str) -> str:
    return first17 + validators.id_number_check_char(first17)


def a_form(**changes: object) -> classes.ClassForm:
    values: dict[str, object] = {
        "name": "2026年专业技术人员继续教育专业科目培训班",
        "year": "2026",
        "category": "专业科目",
        "mode": "线下",
        "start_date": "2026年3月1日",
        "end_date": "2026/3/3",
        "location": "武汉市洪山区珞喻路 1 号",
        "hours": "24",
        "capacity": "120",
        "fee": "¥1,200.50元",
        "audience": "全省中级职称专业技术人员",
        "description": "三天集中面授，含结业考核。",
        "plan_text": "第一天：政策解读\n第二天：专业课程\n第三天：考核",
    }
    values.update(changes)
    return classes.ClassForm(**values)  # type: ignore[arg-type]


def validated(**changes: object) -> classes.ValidatedClass:
    return classes.parse_class_form(a_form(**changes), TODAY)


# --- people and bases --------------------------------------------------------------------------


async def wuhan_admin(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> Actor:
    """王芳, super admin of a base in 武汉市 (Telegram user 1001)."""
    await register(uow_factory, hasher, clock)
    return await actor_of(uow_factory, clock, 1001)


async def yichang_admin(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> Actor:
    """马力, super admin of another base, in 宜昌市 (Telegram user 9009)."""
    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=9009,
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        base_name="宜昌职业技术学院",
        admin_name="马力",
        mobile="13712345678",
    )
    mallory = await actor_of(uow_factory, clock, 9009)
    async with uow_factory() as uow:
        await profile.update_field(uow, clock, mallory, "region", "宜昌市")
    return mallory


async def add_admin(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    boss: Actor,
    *,
    name: str,
    id_number: str,
    telegram_user_id: int,
    permissions: set[Permission],
) -> Actor:
    """A second admin of ``boss``'s base with a role of their own, logged in and ready."""
    async with uow_factory() as uow:
        role = await roles.create_role(uow, clock, boss, f"角色{telegram_user_id}", permissions)
    async with uow_factory() as uow:
        await admins.add_new_admin(
            uow,
            hasher,
            clock,
            boss,
            name=name,
            id_number=id_number,
            mobile="13912345678",
            initial_password=INITIAL_PASSWORD,
            role_id=role.id,
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
    return await actor_of(uow_factory, clock, telegram_user_id)


async def declared(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, actor: Actor, **changes: object
) -> TrainingClass:
    async with uow_factory() as uow:
        return await classes.declare(uow, clock, actor, validated(**changes))


async def audit_actions(uow_factory: UnitOfWorkFactory, base_id: int) -> list[str]:
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(base_id, action_prefix="class.", limit=100)
    return [e.action for e in reversed(events)]


# --- the form ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2026-03-01",
        "2026-3-1",
        "2026/3/1",
        "2026.03.01",
        "2026年3月1日",
        "2026年03月01号",
        "20260301",
        "２０２６－０３－０１",
        " 2026 年 3 月 1 日 ",
        "2026-03-01 00:00:00",
    ],
)
def test_start_date_accepts_the_usual_chinese_forms(raw: str) -> None:
    assert validated(start_date=raw).start_date == date(2026, 3, 1)


def test_form_normalises_every_field() -> None:
    form = a_form(
        category="公需科目",
        mode="线上线下结合",
        hours="1.5学时",
        capacity="１２０",
        fee="¥1,200.50元",
        plan_text="",
        plan_file_id=42,
    )
    clean = classes.parse_class_form(form, TODAY)
    assert clean.category is ClassCategory.GENERAL
    assert clean.mode is TeachingMode.BLENDED
    assert clean.hours == Decimal("1.5") and clean.capacity == 120
    assert str(clean.fee) == "1200.50"
    assert (clean.plan_text, clean.plan_file_id) == (None, 42)
    assert validated(category="professional", mode="online").mode is TeachingMode.ONLINE
    assert str(validated(fee="0").fee) == "0.00"


def test_end_before_start_is_refused_on_the_end_date() -> None:
    with pytest.raises(Invalid) as refused:
        validated(start_date="2026-03-05", end_date="2026-03-04")
    assert refused.value.field == "end_date"
    assert refused.value.key == classes.END_BEFORE_START
    assert refused.value.params == {"end": "2026-03-04", "start": "2026-03-05"}
    assert validated(start_date="2026-03-05", end_date="2026-03-05").end_date == date(2026, 3, 5)


def test_start_date_must_fall_in_the_class_year() -> None:
    with pytest.raises(Invalid) as refused:
        validated(year="2025", start_date="2026-03-01")
    assert (refused.value.field, refused.value.key) == ("start_date", classes.START_OUTSIDE_YEAR)
    # A class over new year belongs to the year it starts in.
    spanning = validated(year="2026", start_date="2026-12-28", end_date="2027-01-03")
    assert spanning.end_date == date(2027, 1, 3)


@pytest.mark.parametrize("mode", ["线下", "线上线下结合"])
def test_location_is_required_unless_the_class_is_online(mode: str) -> None:
    with pytest.raises(Invalid) as refused:
        validated(mode=mode, location="  ")
    assert (refused.value.field, refused.value.key) == ("location", classes.LOCATION_REQUIRED)
    assert validated(mode="线上", location="").location is None
    assert validated(mode="线上", location="湖北省专业技术人员继续教育平台").location is not None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1.25", validators.HOURS_NOT_HALF),
        ("0", validators.HOURS_NOT_POSITIVE),
        ("-2", validators.HOURS_NOT_POSITIVE),
        ("两天", validators.HOURS_NOT_A_NUMBER),
    ],
)
def test_hours_come_in_half_hour_steps(raw: str, reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        validated(hours=raw)
    assert (refused.value.field, refused.value.key) == ("hours", reason)
    assert validated(hours="2.5").hours == Decimal("2.5")


def test_plan_is_text_or_a_file_but_not_nothing() -> None:
    with pytest.raises(Invalid) as refused:
        validated(plan_text="   ", plan_file_id=None)
    assert (refused.value.field, refused.value.key) == ("plan", classes.PLAN_MISSING)
    with pytest.raises(Invalid) as too_long:
        validated(plan_text="方" * (classes.PLAN_TEXT_MAX + 1))
    assert (too_long.value.field, too_long.value.key) == ("plan_text", validators.TEXT_TOO_LONG)
    assert (
        validated(plan_text="方" * classes.PLAN_TEXT_MAX).plan_text == "方" * classes.PLAN_TEXT_MAX
    )


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        ("name", "  ", classes.NAME_EMPTY),
        ("year", "1999", validators.YEAR_OUT_OF_RANGE),
        ("year", "2028", validators.YEAR_OUT_OF_RANGE),
        ("category", "选修", classes.CATEGORY_UNKNOWN),
        ("mode", "函授", classes.MODE_UNKNOWN),
        ("start_date", "", classes.START_EMPTY),
        ("end_date", "2026-02-30", validators.DATE_BAD_DAY),
        ("capacity", "10001", validators.INT_TOO_LARGE),
        ("capacity", "0", validators.INT_NOT_POSITIVE),
        ("fee", "-1", validators.MONEY_NEGATIVE),
        ("fee", "1.005", validators.MONEY_TOO_PRECISE),
    ],
)
def test_each_refusal_names_its_field(field: str, raw: str, reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        validated(**{field: raw})
    assert (refused.value.field, refused.value.key) == (field, reason)


def test_fields_are_checked_as_typed_against_earlier_ones() -> None:
    current = {"year": "2026", "mode": "线上", "start_date": "2026年3月5日"}
    field = classes.parse_class_field
    assert field("start_date", "2026-03-05", today=TODAY, current=current) == date(2026, 3, 5)
    with pytest.raises(Invalid) as outside:
        field("start_date", "2025-03-05", today=TODAY, current=current)
    assert outside.value.key == classes.START_OUTSIDE_YEAR
    with pytest.raises(Invalid) as early:
        field("end_date", "2026-03-04", today=TODAY, current=current)
    assert (early.value.field, early.value.key) == ("end_date", classes.END_BEFORE_START)
    # Already parsed values serve as well as raw ones.
    parsed = {"start_date": date(2026, 3, 5), "mode": TeachingMode.OFFLINE}
    with pytest.raises(Invalid):
        field("end_date", "2026-03-04", today=TODAY, current=parsed)
    with pytest.raises(Invalid) as no_place:
        field("location", "", today=TODAY, current=parsed)
    assert no_place.value.key == classes.LOCATION_REQUIRED
    assert field("location", "", today=TODAY, current=current) is None
    # An earlier value that is itself wrong is no reason to refuse this one.
    assert field("end_date", "2026-03-04", today=TODAY, current={"start_date": "昨天"}) == date(
        2026, 3, 4
    )
    assert field("fee", "0", today=TODAY, current={}) == Decimal("0.00")
    with pytest.raises(Invalid) as unknown:
        field("colour", "red", today=TODAY, current={})
    assert unknown.value.field == "field"


def test_a_stored_class_turns_back_into_the_same_form() -> None:
    from domain.model import TrainingClass

    clean = validated(mode="线上", location="", fee="0", hours="1.5", plan_file_id=3)
    stored = TrainingClass(base_id=1, created_at=NOW, **clean.__dict__)
    assert classes.parse_class_form(classes.class_form(stored), TODAY) == clean


# --- the services ------------------------------------------------------------------------------


async def test_declared_class_is_a_draft_that_can_be_submitted_and_withdrawn(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    assert klass.id is not None and klass.base_id == alice.base_id
    assert klass.status is Status.DRAFT and klass.history == []
    async with uow_factory() as uow:
        submitted = await classes.submit_class(uow, clock, alice, klass.id)
    assert submitted.status is Status.SUBMITTED
    async with uow_factory() as uow:
        withdrawn = await classes.withdraw_class(uow, clock, alice, klass.id)
    assert withdrawn.status is Status.DRAFT
    async with uow_factory(readonly=True) as uow:
        card = await classes.class_card(uow, alice, klass.id)
    assert [(ch.action, ch.status) for ch in card.training_class.history] == [
        (Action.SUBMIT, Status.SUBMITTED),
        (Action.WITHDRAW, Status.DRAFT),
    ]
    assert card.training_class.history[0].by_user_id == alice.user_id
    assert card.names == {alice.user_id: "王芳"}
    assert await audit_actions(uow_factory, alice.base_id) == [
        "class.declare",
        "class.submit",
        "class.withdraw",
    ]


@pytest.mark.parametrize(
    ("steps", "refused", "current"),
    [
        ((), classes.withdraw_class, "draft"),
        ((classes.submit_class,), classes.submit_class, "submitted"),
        ((classes.submit_class, classes.withdraw_class), classes.withdraw_class, "draft"),
    ],
)
async def test_impossible_transitions_are_refused_with_the_reason(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    steps: tuple[ClassTransition, ...],
    refused: ClassTransition,
    current: str,
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    for step in steps:
        async with uow_factory() as uow:
            await step(uow, clock, alice, id_of(klass))
    before = await audit_actions(uow_factory, alice.base_id)
    async with uow_factory() as uow:
        with pytest.raises(InvalidTransition) as error:
            await refused(uow, clock, alice, id_of(klass))
    assert error.value.key == InvalidTransition.default_key
    action = "withdraw" if refused is classes.withdraw_class else "submit"
    assert error.value.params == {"current": current, "action": action}
    async with uow_factory(readonly=True) as uow:
        after = await classes.get_class(uow, alice, id_of(klass))
    assert after.status.value == current and len(after.history) == len(steps)
    assert await audit_actions(uow_factory, alice.base_id) == before


async def test_a_submitted_class_can_be_neither_edited_nor_deleted(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(klass))
    async with uow_factory() as uow:
        with pytest.raises(classes.ClassNotEditable) as not_editable:
            await classes.update_class(
                uow, clock, alice, id_of(klass), validated(name="改过的名称")
            )
        with pytest.raises(classes.ClassNotDeletable) as not_deletable:
            await classes.delete_class(uow, clock, alice, id_of(klass))
    assert not_editable.value.params == {"current": "submitted", "action": "edit"}
    assert not_deletable.value.params == {"current": "submitted", "action": "delete"}
    assert isinstance(not_editable.value, InvalidTransition)
    async with uow_factory(readonly=True) as uow:
        after = await classes.get_class(uow, alice, id_of(klass))
    assert after.name == klass.name and after.status is Status.SUBMITTED


async def test_a_draft_is_edited_and_the_change_audited(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    async with uow_factory() as uow:
        unchanged = await classes.update_class(uow, clock, alice, id_of(klass), validated())
    assert unchanged == klass
    assert await audit_actions(uow_factory, alice.base_id) == ["class.declare"]
    edited_form = replace(classes.class_form(klass), hours="30", mode="线上", location="")
    async with uow_factory() as uow:
        await classes.update_class(
            uow, clock, alice, id_of(klass), classes.parse_class_form(edited_form, TODAY)
        )
    async with uow_factory(readonly=True) as uow:
        after = await classes.get_class(uow, alice, id_of(klass))
        events = await uow.audit.list(alice.base_id, action_prefix="class.update")
    assert (after.hours, after.mode, after.location) == (Decimal(30), TeachingMode.ONLINE, None)
    assert after.name == klass.name and after.status is Status.DRAFT
    assert events[0].old_value == "mode=offline; location=武汉市洪山区珞喻路 1 号; hours=24"
    assert events[0].new_value == "mode=online; location=; hours=30"


async def test_only_drafts_are_deleted_history_and_all(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(klass))
    async with uow_factory() as uow:
        await classes.withdraw_class(uow, clock, alice, id_of(klass))
    async with uow_factory() as uow:
        gone = await classes.delete_class(uow, clock, alice, id_of(klass))
    assert gone.id == klass.id
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(NotFound):
            await classes.get_class(uow, alice, id_of(klass))
        assert await classes.list_classes(uow, alice) == ([], 0)
    assert (await audit_actions(uow_factory, alice.base_id))[-1] == "class.delete"


async def test_copy_moves_the_dates_to_another_year(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    source = await declared(
        uow_factory, clock, alice, year="2024", start_date="2024-02-29", end_date="2024-03-02"
    )
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(source))
    async with uow_factory() as uow:
        copy = await classes.copy_class(uow, clock, alice, id_of(source), year=2027)
    assert copy.id != source.id and copy.status is Status.DRAFT and copy.history == []
    assert (copy.year, copy.start_date, copy.end_date) == (
        2027,
        date(2027, 2, 28),
        date(2027, 3, 2),
    )
    assert (copy.name, copy.hours, copy.fee, copy.plan_text) == (
        source.name,
        source.hours,
        source.fee,
        source.plan_text,
    )
    async with uow_factory() as uow:
        back_to_leap = await classes.copy_class(uow, clock, alice, id_of(copy), year=2024)
    assert back_to_leap.start_date == date(2024, 2, 28)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as too_late:
            await classes.copy_class(uow, clock, alice, id_of(source), year=2030)
    assert too_late.value.field == "year"
    async with uow_factory(readonly=True) as uow:
        original = await classes.get_class(uow, alice, id_of(source))
    assert original.status is Status.SUBMITTED and original.start_date == date(2024, 2, 29)
    assert (await audit_actions(uow_factory, alice.base_id)).count("class.copy") == 2


async def test_classes_are_listed_newest_first_by_year_and_state(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    ids = []
    for n in range(5):
        year = "2025" if n < 2 else "2026"
        klass = await declared(
            uow_factory,
            clock,
            alice,
            name=f"培训班{n}",
            year=year,
            start_date=f"{year}-05-01",
            end_date=f"{year}-05-02",
        )
        ids.append(id_of(klass))
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, ids[3])
    async with uow_factory(readonly=True) as uow:
        page, total = await classes.list_classes(uow, alice, offset=0, limit=2)
        rest, _ = await classes.list_classes(uow, alice, offset=2, limit=10)
        of_2025, total_2025 = await classes.list_classes(uow, alice, year=2025)
        submitted, _ = await classes.list_classes(uow, alice, status=Status.SUBMITTED)
        drafts_2026, _ = await classes.list_classes(uow, alice, year=2026, status=Status.DRAFT)
        years = await classes.class_years(uow, alice)
    assert total == 5 and [k.id for k in page + rest] == ids[::-1]
    assert total_2025 == 2 and [k.id for k in of_2025] == [ids[1], ids[0]]
    assert [k.id for k in submitted] == [ids[3]]
    assert [k.id for k in drafts_2026] == [ids[4], ids[2]]
    assert years == [2026, 2025]


async def test_another_base_admin_finds_nothing_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    before = await audit_actions(uow_factory, alice.base_id)
    attempts: list[Attempt] = [
        lambda uow: classes.get_class(uow, mallory, id_of(klass)),
        lambda uow: classes.class_card(uow, mallory, id_of(klass)),
        lambda uow: classes.update_class(
            uow, clock, mallory, id_of(klass), validated(name="被改了")
        ),
        lambda uow: classes.delete_class(uow, clock, mallory, id_of(klass)),
        lambda uow: classes.submit_class(uow, clock, mallory, id_of(klass)),
        lambda uow: classes.withdraw_class(uow, clock, mallory, id_of(klass)),
        lambda uow: classes.copy_class(uow, clock, mallory, id_of(klass), year=2026),
        lambda uow: classes.get_class(uow, mallory, 10_000),
    ]
    for attempt in attempts:
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await attempt(uow)
    async with uow_factory(readonly=True) as uow:
        assert await classes.list_classes(uow, mallory) == ([], 0)
        assert await classes.class_years(uow, mallory) == []
        after = await classes.get_class(uow, alice, id_of(klass))
    assert after == klass
    assert await audit_actions(uow_factory, alice.base_id) == before
    assert await audit_actions(uow_factory, mallory.base_id) == []


async def test_an_admin_without_classes_manage_is_not_permitted(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    bob = await add_admin(
        uow_factory,
        hasher,
        clock,
        alice,
        name="赵磊",
        id_number=make_id("42010619900101123"),
        telegram_user_id=2002,
        permissions={Permission.PROFILE_EDIT, Permission.SCORES_MANAGE},
    )
    with pytest.raises(NotPermitted):
        classes.ensure_manager(bob)
    attempts: list[Attempt] = [
        lambda uow: classes.declare(uow, clock, bob, validated()),
        lambda uow: classes.list_classes(uow, bob),
        lambda uow: classes.class_years(uow, bob),
        lambda uow: classes.get_class(uow, bob, id_of(klass)),
        lambda uow: classes.update_class(uow, clock, bob, id_of(klass), validated(name="被改了")),
        lambda uow: classes.delete_class(uow, clock, bob, id_of(klass)),
        lambda uow: classes.submit_class(uow, clock, bob, id_of(klass)),
        lambda uow: classes.copy_class(uow, clock, bob, id_of(klass), year=2026),
        lambda uow: classes.store_plan_file(uow, blobs, clock, bob, PDF, "方案.pdf"),
    ]
    for attempt in attempts:
        async with uow_factory() as uow:
            with pytest.raises(NotPermitted):
                await attempt(uow)
    async with uow_factory(readonly=True) as uow:
        assert await classes.get_class(uow, alice, id_of(klass)) == klass
        assert await classes.list_classes(uow, alice) == ([klass], 1)


@pytest.fixture
def blobs(tmp_path: Path, cipher: FieldCipher) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", cipher)


async def test_previews_refuse_what_the_action_would_refuse(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    klass = await declared(uow_factory, clock, alice)
    async with uow_factory(readonly=True) as uow:
        assert await classes.deletion_preview(uow, alice, id_of(klass)) == klass
        editing = await classes.class_to_edit(uow, alice, id_of(klass))
    assert editing == classes.ClassToEdit(classes.class_form(klass), "")
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, id_of(klass))
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(classes.ClassNotDeletable):
            await classes.deletion_preview(uow, alice, id_of(klass))
        with pytest.raises(classes.ClassNotEditable):
            await classes.class_to_edit(uow, alice, id_of(klass))


async def test_a_plan_file_is_named_on_the_card_and_must_be_the_base_own(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    stored = {}
    for who in (alice, mallory):
        async with uow_factory() as uow:
            stored[who.base_id] = await files.store_upload(
                uow, blobs, clock, who, PDF, "培训方案.pdf", allowed=frozenset({FileKind.PDF})
            )
    own = validated(plan_text="", plan_file_id=stored[alice.base_id].id)
    async with uow_factory() as uow:
        klass = await classes.save_class(uow, clock, alice, None, own)
    async with uow_factory(readonly=True) as uow:
        card = await classes.class_card(uow, alice, id_of(klass))
        editing = await classes.class_to_edit(uow, alice, id_of(klass))
    assert card.plan_file_name == editing.plan_file_name == "培训方案.pdf"
    foreign = validated(plan_text="", plan_file_id=stored[mallory.base_id].id)
    for class_id in (None, klass.id):
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await classes.save_class(uow, clock, alice, class_id, foreign)
    async with uow_factory(readonly=True) as uow:
        assert await classes.list_classes(uow, alice) == ([klass], 1)
    assert await audit_actions(uow_factory, alice.base_id) == ["class.declare"]


async def test_a_plan_file_is_a_document_or_a_workbook(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await classes.store_plan_file(uow, blobs, clock, alice, png, "方案.png")
    assert refused.value.field == "file"
    async with uow_factory() as uow:
        stored = await classes.store_plan_file(uow, blobs, clock, alice, PDF, "方案.pdf")
    assert stored.original_name == "方案.pdf"
