"""What a class's card offers and which field a declaration asks next: the domain decides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import Invalid
from domain.model import ClassCategory, TeachingMode, TrainingClass
from domain.services import classes
from domain.services.classes import ClassAction
from domain.workflow import Status

TODAY = date(2026, 11, 29)
AT = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def a_class(status: Status = Status.DRAFT, *, year: int = 2026) -> TrainingClass:
    return TrainingClass(
        base_id=1,
        created_at=AT,
        name="专业科目培训班",
        year=year,
        category=ClassCategory.PROFESSIONAL,
        mode=TeachingMode.OFFLINE,
        start_date=date(year, 3, 1),
        end_date=date(year, 3, 3),
        location="武汉",
        hours=Decimal(24),
        capacity=120,
        fee=Decimal(0),
        audience="",
        description="",
        plan_text="方案",
        plan_file_id=None,
        status=status,
    )


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Status.DRAFT, [ClassAction.EDIT, ClassAction.DELETE, ClassAction.SUBMIT]),
        (Status.RETURNED, [ClassAction.EDIT, ClassAction.SUBMIT]),
        (Status.SUBMITTED, [ClassAction.WITHDRAW]),
        (Status.APPROVED, []),
    ],
)
def test_the_card_offers_what_the_state_allows_and_always_a_copy(
    status: Status, offered: list[ClassAction]
) -> None:
    assert classes.class_actions(a_class(status)) == [*offered, ClassAction.COPY]


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.RETURNED])
def test_only_a_draft_may_be_deleted(status: Status) -> None:
    classes.ensure_deletable(a_class(Status.DRAFT))
    with pytest.raises(classes.ClassNotDeletable) as refused:
        classes.ensure_deletable(a_class(status))
    assert refused.value.params == {"current": status.value, "action": "delete"}


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
def test_only_a_draft_or_a_returned_class_may_be_edited(status: Status) -> None:
    classes.ensure_editable(a_class(Status.DRAFT))
    classes.ensure_editable(a_class(Status.RETURNED))
    with pytest.raises(classes.ClassNotEditable) as refused:
        classes.ensure_editable(a_class(status))
    assert refused.value.params == {"current": status.value, "action": "edit"}


@pytest.mark.parametrize(
    ("source_year", "years"),
    [(2026, [2026, 2027]), (2024, [2025, 2026, 2027]), (2020, [2021, 2026, 2027])],
)
def test_a_copy_is_offered_this_year_next_year_and_the_year_after_the_source(
    source_year: int, years: list[int]
) -> None:
    assert classes.copy_years(a_class(year=source_year), this_year=2026) == years


def test_a_declaration_asks_every_field_in_order() -> None:
    current = {"mode": "线下"}
    asked = []
    field: str | None = "name"
    while field is not None:
        asked.append(field)
        field = classes.next_class_field(field, current, TODAY)
    assert asked == list(classes.CLASS_FIELDS)


@pytest.mark.parametrize(
    ("mode", "asked"),
    [("线上", "hours"), ("online", "hours"), ("线下", "location"), ("", "location")],
)
def test_a_wholly_online_class_is_not_asked_for_a_location(mode: str, asked: str) -> None:
    assert classes.next_class_field("end_date", {"mode": mode}, TODAY) == asked
    assert classes.next_class_field("plan_text", {"mode": mode}, TODAY) is None


def test_a_mode_corrected_away_from_online_asks_for_the_location_at_once() -> None:
    refused = classes.refused_after_change("mode", {"mode": "线下", "location": ""}, TODAY)
    assert refused is not None and refused.field == "location"
    assert refused.key == classes.LOCATION_REQUIRED
    assert classes.refused_after_change("mode", {"mode": "线上", "location": ""}, TODAY) is None
    assert classes.refused_after_change("mode", {"mode": "线下", "location": "武汉"}, TODAY) is None
    assert classes.refused_after_change("name", {"mode": "线下", "location": ""}, TODAY) is None


@pytest.mark.parametrize(
    ("field", "asked"),
    [("plan", "plan_text"), ("end_date", "end_date"), ("year", "year"), ("reason", None)],
)
def test_a_refused_form_names_the_field_to_ask_again(field: str, asked: str | None) -> None:
    assert classes.field_to_ask(Invalid(field)) == asked
