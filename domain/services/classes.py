"""培训班管理: declare training classes with their plans and take them through review.

The chat collects raw text field by field. ``parse_class_field`` checks each field as it is typed,
against the fields collected before it; ``parse_class_form`` checks the whole form again, rules
between fields included, because a draft persisted between messages is never trusted. Only a
``ValidatedClass`` reaches the services that store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from domain import validators
from domain.clock import Clock
from domain.errors import Invalid, InvalidTransition, NotFound
from domain.messages import N_
from domain.model import Actor, ClassCategory, StoredFile, TeachingMode, TrainingClass
from domain.permissions import Permission
from domain.ports import BlobStore, UnitOfWork
from domain.services import audit, files
from domain.services.sessions import ensure_own_base, require
from domain.uploads import SPREADSHEET_KINDS, FileKind
from domain.workflow import Action, Reviewable, Status, submitter_actions

NAME_MAX: Final = 100
LOCATION_MAX: Final = 200
AUDIENCE_MAX: Final = 200
DESCRIPTION_MAX: Final = 2000
PLAN_TEXT_MAX: Final = 5000
CAPACITY_MAX: Final = 10_000
PLAN_FILE_KINDS: Final = (
    frozenset({FileKind.PDF, FileKind.DOC, FileKind.DOCX, FileKind.WPS}) | SPREADSHEET_KINDS
)
"""What a plan file may be, by its content: a document or a workbook (PDF, Word, Excel, WPS)."""

CLASS_FIELDS: Final[tuple[str, ...]] = (
    "name",
    "year",
    "category",
    "mode",
    "start_date",
    "end_date",
    "location",
    "hours",
    "capacity",
    "fee",
    "audience",
    "description",
    "plan_text",
)
"""The typed fields in the order a declaration asks for them; each is checked against earlier."""

NAME_EMPTY: Final = N_("请输入培训班名称。")
START_EMPTY: Final = N_("请输入开始日期。")
END_EMPTY: Final = N_("请输入结束日期。")
CATEGORY_UNKNOWN: Final = N_("培训类别请选择“公需科目”或“专业科目”。")
MODE_UNKNOWN: Final = N_("培训方式请选择“线下”、“线上”或“线上线下结合”。")
START_OUTSIDE_YEAR: Final = N_(
    "开始日期 {start} 不在 {year} 年内。培训班的年度是开始日期所在的年份，请核对开始日期或年度。"
)
END_BEFORE_START: Final = N_("结束日期 {end} 早于开始日期 {start}，请核对。")
LOCATION_REQUIRED: Final = N_("线下或线上线下结合的培训须填写培训地点。")
PLAN_MISSING: Final = N_("请填写培训方案内容，或上传培训方案文件。")
FIELD_UNKNOWN: Final = N_("没有这个字段。")

_CATEGORY_WORDS: Final[dict[str, ClassCategory]] = {
    "general": ClassCategory.GENERAL,
    "公需科目": ClassCategory.GENERAL,
    "公需": ClassCategory.GENERAL,
    "professional": ClassCategory.PROFESSIONAL,
    "专业科目": ClassCategory.PROFESSIONAL,
    "专业": ClassCategory.PROFESSIONAL,
}
_MODE_WORDS: Final[dict[str, TeachingMode]] = {
    "offline": TeachingMode.OFFLINE,
    "线下": TeachingMode.OFFLINE,
    "online": TeachingMode.ONLINE,
    "线上": TeachingMode.ONLINE,
    "blended": TeachingMode.BLENDED,
    "线上线下结合": TeachingMode.BLENDED,
    "线上线下": TeachingMode.BLENDED,
    "线上+线下": TeachingMode.BLENDED,
}


class ClassNotEditable(InvalidTransition):
    """``current`` is the class's status value; ``action`` is ``edit``."""

    default_key = N_("当前状态为“{current}”，不能修改：只有草稿或已退回的培训班可以修改。")


class ClassNotDeletable(InvalidTransition):
    """``current`` is the class's status value; ``action`` is ``delete``."""

    default_key = N_("当前状态为“{current}”，不能删除：只有草稿可以删除。")


# --- what may be done with a class ---------------------------------------------------------------


class ClassAction(StrEnum):
    """What a class's card offers its base."""

    EDIT = "edit"
    DELETE = "delete"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    COPY = "copy"


def class_actions(training_class: TrainingClass) -> list[ClassAction]:
    """In the card's order; each is checked again by its service when pressed."""
    actions = []
    if training_class.is_editable:
        actions.append(ClassAction.EDIT)
    if training_class.is_deletable:
        actions.append(ClassAction.DELETE)
    actions += [ClassAction(move.value) for move in submitter_actions(training_class.status)]
    actions.append(ClassAction.COPY)
    return actions


def ensure_editable(training_class: TrainingClass) -> None:
    if not training_class.is_editable:
        raise ClassNotEditable(training_class.status.value, "edit")


def ensure_deletable(training_class: TrainingClass) -> None:
    if not training_class.is_deletable:
        raise ClassNotDeletable(training_class.status.value, "delete")


def copy_years(source: TrainingClass, this_year: int) -> list[int]:
    """The years offered for a copy: this one, the next, and the one after the source's."""
    return sorted({this_year, this_year + 1, source.year + 1})


# --- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClassForm:
    """What the chat collected, as typed; the plan may instead be a stored file's id."""

    name: str = ""
    year: str = ""
    category: str = ""
    mode: str = ""
    start_date: str = ""
    end_date: str = ""
    location: str = ""
    hours: str = ""
    capacity: str = ""
    fee: str = ""
    audience: str = ""
    description: str = ""
    plan_text: str = ""
    plan_file_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ValidatedClass:
    """A class's fields, every rule checked: made by ``parse_class_form``."""

    name: str
    year: int
    category: ClassCategory
    mode: TeachingMode
    start_date: date
    end_date: date
    location: str | None
    hours: Decimal
    capacity: int
    fee: Decimal
    audience: str
    description: str
    plan_text: str | None
    plan_file_id: int | None


ClassValue = str | int | date | Decimal | ClassCategory | TeachingMode | None


def _compact(raw: str) -> str:
    return "".join(validators.normalise_input(raw[:64]).split()).lower()


def _required(raw: str, field: str, reason: str) -> None:
    if not validators.normalise_input(raw[:64]):
        raise Invalid(field, reason)


def parse_class_name(raw: str) -> str:
    _required(raw, "name", NAME_EMPTY)
    return validators.parse_name(raw, field="name", max_length=NAME_MAX)


def parse_category(raw: str) -> ClassCategory:
    category = _CATEGORY_WORDS.get(_compact(raw))
    if category is None:
        raise Invalid("category", CATEGORY_UNKNOWN)
    return category


def parse_mode(raw: str) -> TeachingMode:
    mode = _MODE_WORDS.get(_compact(raw))
    if mode is None:
        raise Invalid("mode", MODE_UNKNOWN)
    return mode


def parse_start_date(raw: str, *, year: int | None) -> date:
    """The year of a class is the year its start date falls in."""
    _required(raw, "start_date", START_EMPTY)
    start = validators.parse_date(raw, field="start_date")
    if year is not None and start.year != year:
        raise Invalid("start_date", START_OUTSIDE_YEAR, start=start.isoformat(), year=year)
    return start


def parse_end_date(raw: str, *, start: date | None) -> date:
    _required(raw, "end_date", END_EMPTY)
    end = validators.parse_date(raw, field="end_date")
    if start is not None and end < start:
        raise Invalid("end_date", END_BEFORE_START, end=end.isoformat(), start=start.isoformat())
    return end


def parse_location(raw: str, *, mode: TeachingMode | None) -> str | None:
    """Required unless the class is wholly online (an unknown mode counts as not online)."""
    location = validators.parse_text(raw, field="location", max_length=LOCATION_MAX, required=False)
    if location:
        return location
    if mode is TeachingMode.ONLINE:
        return None
    raise Invalid("location", LOCATION_REQUIRED)


def parse_plan_text(raw: str) -> str | None:
    text = validators.parse_text(raw, field="plan_text", max_length=PLAN_TEXT_MAX, required=False)
    return text or None


_INDEPENDENT: Final[dict[str, Callable[[str, date], ClassValue]]] = {
    "name": lambda raw, _today: parse_class_name(raw),
    "year": lambda raw, today: validators.parse_year(raw, today=today),
    "category": lambda raw, _today: parse_category(raw),
    "mode": lambda raw, _today: parse_mode(raw),
    "hours": lambda raw, _today: validators.parse_hours(raw),
    "capacity": lambda raw, _today: validators.parse_positive_int(
        raw, field="capacity", maximum=CAPACITY_MAX
    ),
    "fee": lambda raw, _today: validators.parse_money(raw),
    "audience": lambda raw, _today: validators.parse_text(
        raw, field="audience", max_length=AUDIENCE_MAX, required=False
    ),
    "description": lambda raw, _today: validators.parse_text(
        raw, field="description", max_length=DESCRIPTION_MAX, required=False
    ),
    "plan_text": lambda raw, _today: parse_plan_text(raw),
}
"""Fields whose check needs no other field."""


def _earlier(current: Mapping[str, object], field: str, today: date) -> object:
    """A value collected before: already parsed, or raw text parsed here; None when unusable.

    An unusable earlier value is no reason to refuse this one: it is refused on its own turn.
    """
    value = current.get(field)
    if not isinstance(value, str) or isinstance(value, ClassCategory | TeachingMode):
        return value
    try:
        return parse_class_field(field, value, today=today, current=current)
    except Invalid:
        return None


def parse_class_field(
    field: str, raw: str, *, today: date, current: Mapping[str, object] | None = None
) -> ClassValue:
    """One field as typed; ``current`` holds the fields collected so far (raw or parsed).

    A field is checked against the ones before it in ``CLASS_FIELDS``: the start date against the
    year, the end date against the start date, the location against the mode. Rules pointing the
    other way (a new year for a class whose start date is kept) are ``parse_class_form``'s, which
    names the field to ask for again.
    """
    current = current or {}
    if field == "start_date":
        year = _earlier(current, "year", today)
        return parse_start_date(raw, year=year if isinstance(year, int) else None)
    if field == "end_date":
        start = _earlier(current, "start_date", today)
        return parse_end_date(raw, start=start if isinstance(start, date) else None)
    if field == "location":
        mode = _earlier(current, "mode", today)
        return parse_location(raw, mode=mode if isinstance(mode, TeachingMode) else None)
    parser = _INDEPENDENT.get(field)
    if parser is None:
        raise Invalid("field", FIELD_UNKNOWN)
    return parser(raw, today)


def next_class_field(after: str, current: Mapping[str, object], today: date) -> str | None:
    """The field a declaration asks after ``after``; None when the form is complete.

    A wholly online class is not asked for a location (it needs none).
    """
    for name in CLASS_FIELDS[CLASS_FIELDS.index(after) + 1 :]:
        if name == "location" and _earlier(current, "mode", today) is TeachingMode.ONLINE:
            continue
        return name
    return None


def previous_class_field(before: str, current: Mapping[str, object], today: date) -> str | None:
    """The field a declaration asked before ``before`` (◀ 上一项); None for the first one.

    The same fields as ``next_class_field`` walks, backwards: no location for an online class.
    """
    for name in reversed(CLASS_FIELDS[: CLASS_FIELDS.index(before)]):
        if name == "location" and _earlier(current, "mode", today) is TeachingMode.ONLINE:
            continue
        return name
    return None


def refused_after_change(field: str, current: Mapping[str, object], today: date) -> Invalid | None:
    """The refusal of a later field that correcting ``field`` has made wrong, to ask it at once.

    Correcting the mode can leave a class that is no longer wholly online without a location.
    Other rules between fields (the start date in the year, the end after the start) are
    ``parse_class_form``'s when saving, which names the field to ask again.
    """
    if field != "mode":
        return None
    try:
        parse_class_field(
            "location", str(current.get("location", "")), today=today, current=current
        )
    except Invalid as refused:
        return refused
    return None


def field_to_ask(refused: Invalid) -> str | None:
    """The form field that answers a refusal of the whole form (a missing plan: its text)."""
    field = "plan_text" if refused.field == "plan" else refused.field
    return field if field in CLASS_FIELDS else None


def parse_class_form(form: ClassForm, today: date) -> ValidatedClass:
    """The whole form; the first refusal (in ``CLASS_FIELDS`` order) names the field to ask."""
    name = parse_class_name(form.name)
    year = validators.parse_year(form.year, today=today)
    category = parse_category(form.category)
    mode = parse_mode(form.mode)
    start = parse_start_date(form.start_date, year=year)
    validated = ValidatedClass(
        name=name,
        year=year,
        category=category,
        mode=mode,
        start_date=start,
        end_date=parse_end_date(form.end_date, start=start),
        location=parse_location(form.location, mode=mode),
        hours=validators.parse_hours(form.hours),
        capacity=validators.parse_positive_int(
            form.capacity, field="capacity", maximum=CAPACITY_MAX
        ),
        fee=validators.parse_money(form.fee),
        audience=validators.parse_text(
            form.audience, field="audience", max_length=AUDIENCE_MAX, required=False
        ),
        description=validators.parse_text(
            form.description, field="description", max_length=DESCRIPTION_MAX, required=False
        ),
        plan_text=parse_plan_text(form.plan_text),
        plan_file_id=form.plan_file_id,
    )
    if validated.plan_text is None and validated.plan_file_id is None:
        raise Invalid("plan", PLAN_MISSING)
    return validated


def class_form(training_class: TrainingClass) -> ClassForm:
    """A stored class as a form, for editing: change a field, then ``parse_class_form`` again."""
    return ClassForm(
        name=training_class.name,
        year=str(training_class.year),
        category=training_class.category.value,
        mode=training_class.mode.value,
        start_date=training_class.start_date.isoformat(),
        end_date=training_class.end_date.isoformat(),
        location=training_class.location or "",
        hours=str(training_class.hours),
        capacity=str(training_class.capacity),
        fee=str(training_class.fee),
        audience=training_class.audience,
        description=training_class.description,
        plan_text=training_class.plan_text or "",
        plan_file_id=training_class.plan_file_id,
    )


# --- services ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassCard:
    """A class with the names of the people in its history (admins and reviewers)."""

    training_class: TrainingClass
    names: Mapping[int, str]
    plan_file_name: str | None = None
    """The name the plan file was uploaded under; None when the plan is typed text."""


@dataclass(frozen=True)
class ClassToEdit:
    """An editable class as the form to correct, with its plan file's name for the summary."""

    form: ClassForm
    plan_file_name: str


def ensure_manager(actor: Actor) -> None:
    """For a first step that touches no class yet (starting a declaration): refuse early."""
    require(actor, Permission.CLASSES_MANAGE)


async def declare(
    uow: UnitOfWork, clock: Clock, actor: Actor, validated: ValidatedClass
) -> TrainingClass:
    """申报: a new class of the actor's base, as a draft."""
    require(actor, Permission.CLASSES_MANAGE)
    now = clock.now()
    training_class = TrainingClass(
        base_id=actor.base_id,
        created_at=now,
        updated_at=now,
        **{f.name: getattr(validated, f.name) for f in fields(ValidatedClass)},
    )
    added = await uow.classes.add(training_class)
    await audit.record_by(uow, clock, actor, "class.declare", _subject(added))
    return added


async def copy_class(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, *, year: int
) -> TrainingClass:
    """A new draft from an earlier class, its dates moved to ``year`` (29 February → 28)."""
    require(actor, Permission.CLASSES_MANAGE)
    source = await _own_class(uow, actor, class_id)
    year = validators.parse_year(str(year), today=clock.now().date())
    shift = year - source.start_date.year
    now = clock.now()
    copy = TrainingClass(
        base_id=actor.base_id,
        created_at=now,
        updated_at=now,
        **{f.name: getattr(source, f.name) for f in fields(ValidatedClass)},
    )
    copy.year = year
    copy.start_date = _move_year(source.start_date, shift)
    copy.end_date = _move_year(source.end_date, shift)
    added = await uow.classes.add(copy)
    await audit.record_by(
        uow, clock, actor, "class.copy", _subject(added), old_value=_subject(source)
    )
    return added


async def update_class(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, validated: ValidatedClass
) -> TrainingClass:
    """Only drafts and returned classes; typing what is already there changes nothing."""
    require(actor, Permission.CLASSES_MANAGE)
    training_class = await _own_class(uow, actor, class_id, lock=True)
    ensure_editable(training_class)
    changed = [
        f.name
        for f in fields(ValidatedClass)
        if getattr(training_class, f.name) != getattr(validated, f.name)
    ]
    if not changed:
        return training_class
    old = _describe(training_class, changed)
    for name in changed:
        setattr(training_class, name, getattr(validated, name))
    training_class.updated_at = clock.now()
    await uow.classes.update(training_class)
    await audit.record_by(
        uow,
        clock,
        actor,
        "class.update",
        _subject(training_class),
        old_value=old,
        new_value=_describe(training_class, changed),
    )
    return training_class


async def delete_class(uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int) -> TrainingClass:
    """Drafts only: what a reviewer has seen stays on record. Returns the deleted class."""
    require(actor, Permission.CLASSES_MANAGE)
    training_class = await _own_class(uow, actor, class_id, lock=True)
    ensure_deletable(training_class)
    await uow.classes.delete(class_id)
    await audit.record_by(uow, clock, actor, "class.delete", _subject(training_class))
    return training_class


async def submit_class(uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int) -> TrainingClass:
    """A draft or a returned class goes to the reviewers."""
    return await _transition(uow, clock, actor, class_id, Action.SUBMIT)


async def withdraw_class(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int
) -> TrainingClass:
    """A submitted class not yet reviewed goes back to draft."""
    return await _transition(uow, clock, actor, class_id, Action.WITHDRAW)


async def get_class(uow: UnitOfWork, actor: Actor, class_id: int) -> TrainingClass:
    require(actor, Permission.CLASSES_MANAGE)
    return await _own_class(uow, actor, class_id)


async def class_card(uow: UnitOfWork, actor: Actor, class_id: int) -> ClassCard:
    """The class, who did each step of its history, and its plan file's name."""
    training_class = await get_class(uow, actor, class_id)
    names = await history_names(uow, training_class)
    return ClassCard(training_class, names, await _plan_file_name(uow, actor, training_class))


async def class_to_edit(uow: UnitOfWork, actor: Actor, class_id: int) -> ClassToEdit:
    """修改: refused at once when the class is no longer editable, before anything is typed."""
    training_class = await get_class(uow, actor, class_id)
    ensure_editable(training_class)
    name = await _plan_file_name(uow, actor, training_class)
    return ClassToEdit(class_form(training_class), name or "")


async def deletion_preview(uow: UnitOfWork, actor: Actor, class_id: int) -> TrainingClass:
    """The class a confirmation step names, refused already when the deletion would be."""
    training_class = await get_class(uow, actor, class_id)
    ensure_deletable(training_class)
    return training_class


async def store_plan_file(
    uow: UnitOfWork, blobs: BlobStore, clock: Clock, actor: Actor, data: bytes, name: str | None
) -> StoredFile:
    """A plan file sent while declaring: stored (checked by content) before the class is saved."""
    require(actor, Permission.CLASSES_MANAGE)
    return await files.store_upload(uow, blobs, clock, actor, data, name, allowed=PLAN_FILE_KINDS)


async def save_class(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int | None, validated: ValidatedClass
) -> TrainingClass:
    """A new declaration (``class_id`` None) or a change; a plan file must be the base's own."""
    if validated.plan_file_id is not None:
        await files.describe_file(uow, actor, validated.plan_file_id)
    if class_id is None:
        return await declare(uow, clock, actor, validated)
    return await update_class(uow, clock, actor, class_id, validated)


async def history_names(uow: UnitOfWork, item: Reviewable) -> dict[int, str]:
    """Who did each step of a history (admins and reviewers), in one query."""
    ids = sorted({c.by_user_id for c in item.history if c.by_user_id is not None})
    return {u.id: u.name for u in await uow.users.get_many(ids) if u.id is not None}


async def list_classes(
    uow: UnitOfWork,
    actor: Actor,
    *,
    year: int | None = None,
    status: Status | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[TrainingClass], int]:
    """The base's classes, newest first, with the total for paging."""
    require(actor, Permission.CLASSES_MANAGE)
    items = await uow.classes.list_for_base(
        actor.base_id, year=year, status=status, offset=offset, limit=limit
    )
    total = await uow.classes.count_for_base(actor.base_id, year=year, status=status)
    return items, total


async def class_years(uow: UnitOfWork, actor: Actor) -> list[int]:
    """The years the base has classes in, latest first: the year filter's choices."""
    require(actor, Permission.CLASSES_MANAGE)
    return await uow.classes.years_for_base(actor.base_id)


# --- helpers -------------------------------------------------------------------------------------


async def _own_class(
    uow: UnitOfWork, actor: Actor, class_id: int, *, lock: bool = False
) -> TrainingClass:
    repo = uow.classes
    training_class = await (repo.get_for_update(class_id) if lock else repo.get(class_id))
    if training_class is None:
        raise NotFound()
    ensure_own_base(actor, training_class.base_id)
    return training_class


async def _transition(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, action: Action
) -> TrainingClass:
    require(actor, Permission.CLASSES_MANAGE)
    training_class = await _own_class(uow, actor, class_id, lock=True)
    old = training_class.status
    now = clock.now()
    training_class.apply(action, now, actor.user_id)
    training_class.updated_at = now
    await uow.classes.update(training_class)
    await audit.record_by(
        uow,
        clock,
        actor,
        f"class.{action.value}",
        _subject(training_class),
        old_value=old.value,
        new_value=training_class.status.value,
    )
    return training_class


async def _plan_file_name(
    uow: UnitOfWork, actor: Actor, training_class: TrainingClass
) -> str | None:
    if training_class.plan_file_id is None:
        return None
    return (await files.describe_file(uow, actor, training_class.plan_file_id)).original_name


def _move_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def _subject(training_class: TrainingClass) -> str:
    """Ids tell apart a class and its copies, which share a name."""
    return f"#{training_class.id} {training_class.name}"


_AUDIT_VALUE_MAX: Final = 60


def _describe(training_class: TrainingClass, names: list[str]) -> str:
    """``field=value`` per changed field, long texts cut: the audit trail is no archive of plans."""
    parts = []
    for name in names:
        value = getattr(training_class, name)
        text = "" if value is None else str(value)
        if len(text) > _AUDIT_VALUE_MAX:
            text = text[:_AUDIT_VALUE_MAX] + "…"
        parts.append(f"{name}={text}")
    return "; ".join(parts)
