"""The rules of a learner's score: one row, and across a file (duplicates, certificates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain import validators
from domain.errors import Invalid
from domain.model import ScoreRecord
from domain.scores import (
    CERTIFICATE_TAKEN,
    DUPLICATE_CERTIFICATE_IN_FILE,
    DUPLICATE_LEARNER,
    EDITABLE,
    HOURS_WHEN_FAILED,
    ID_MISSING,
    LEARNER_EXISTS,
    NAME_MISSING,
    NOT_EDITABLE,
    PASSED_UNKNOWN,
    RESULT_INCONSISTENT,
    RESULT_MISSING,
    ImportCheck,
    LearnerScore,
    check_editable,
    check_learner,
    check_one,
    editable_column,
    read_typed,
    typed_values,
)
from domain.scoresheet import Column, RawCell, SheetRow

TODAY = date(2026, 11, 29)
HOURS = Decimal(24)


def an_id(serial: int) -> str:
    first17 = f"42010119900101{serial:03d}"
    return first17 + validators.id_number_check_char(first17)


ID_A, ID_B, ID_C = an_id(11), an_id(12), an_id(13)
FULL_WIDTH = str.maketrans("0123", "０１２３")


def cells(**values: str | RawCell) -> dict[Column, RawCell]:
    return {
        Column(key): value if isinstance(value, RawCell) else RawCell(value)
        for key, value in values.items()
    }


def learner(**values: str | RawCell) -> LearnerScore:
    checked = check_learner(cells(**values), HOURS, TODAY)
    assert isinstance(checked, LearnerScore), checked
    return checked


def problems(**values: str | RawCell) -> dict[Column, str]:
    checked = check_learner(cells(**values), HOURS, TODAY)
    assert isinstance(checked, dict), checked
    return {column: refused.key for column, refused in checked.items()}


def test_a_score_alone_decides_pass_and_gives_the_class_hours() -> None:
    passed = learner(name="张三", id_number=ID_A, score="85.5")
    assert (passed.score, passed.passed, passed.hours) == (Decimal("85.5"), True, HOURS)
    failed = learner(name="李四", id_number=ID_B, score="59.9")
    assert (failed.passed, failed.hours) == (False, Decimal(0))


def test_pass_fail_alone_and_in_other_words() -> None:
    assert learner(name="张三", id_number=ID_A, passed="合格").score is None
    assert learner(name="张三", id_number=ID_A, passed=" 通过 ").passed is True
    assert learner(name="张三", id_number=ID_A, passed="不合格").passed is False
    assert learner(name="张三", id_number=ID_A, passed="Fail").passed is False
    assert problems(name="张三", id_number=ID_A, passed="优秀") == {Column.PASSED: PASSED_UNKNOWN}


def test_messy_but_readable_values_are_accepted() -> None:
    typed = learner(
        name=" 王 五 ",
        id_number=" " + ID_C[:6] + " " + ID_C[6:].lower().translate(FULL_WIDTH),
        score="９０分",
        hours="12",
        certificate_no="hb-2026-001",
    )
    assert typed.name == "王 五" and typed.id_number == ID_C
    assert typed.score == 90 and typed.hours == 12 and typed.certificate_no == "HB-2026-001"


def test_every_wrong_cell_of_a_row_is_reported_at_once() -> None:
    found = problems(name="", id_number="42010119900101", score="101", hours="-1")
    assert set(found) == {Column.NAME, Column.ID_NUMBER, Column.SCORE, Column.HOURS}
    assert found[Column.NAME] == NAME_MISSING
    assert found[Column.SCORE] == validators.SCORE_OUT_OF_RANGE


def test_an_id_that_excel_stored_as_a_number_is_refused_with_how_to_fix_it() -> None:
    number = RawCell("4.20101199001011e+17", is_number=True)
    assert problems(name="张三", id_number=number, score="80") == {
        Column.ID_NUMBER: validators.ID_EXCEL_NUMBER
    }
    # Even all 18 digits stored as a number are refused: the next file may have lost some.
    exact = RawCell(ID_B, is_number=True)
    assert (
        problems(name="张三", id_number=exact, score="80")[Column.ID_NUMBER]
        == validators.ID_EXCEL_NUMBER
    )


def test_missing_result_inconsistent_result_and_hours_when_failed() -> None:
    assert problems(name="张三", id_number=ID_A) == {Column.SCORE: RESULT_MISSING}
    assert problems(name="张三", id_number=ID_A, score="45", passed="合格") == {
        Column.PASSED: RESULT_INCONSISTENT
    }
    assert problems(name="张三", id_number=ID_A, score="75", passed="不合格") == {
        Column.PASSED: RESULT_INCONSISTENT
    }
    assert problems(name="张三", id_number=ID_A, passed="不合格", hours="3") == {
        Column.HOURS: HOURS_WHEN_FAILED
    }
    assert problems(name="张三", id_number=ID_A, score="80", hours="25") == {
        Column.HOURS: validators.HOURS_TOO_MANY
    }
    assert problems(name="张三", score="80") == {Column.ID_NUMBER: ID_MISSING}
    assert problems(name="张三", id_number=ID_A, score="80.25") == {
        Column.SCORE: validators.SCORE_TOO_PRECISE
    }


def row(number: int, **values: str) -> SheetRow:
    return SheetRow(number, cells(**values))


def stored(id_number: str, *, score: str = "70", certificate: str | None = None) -> ScoreRecord:
    return ScoreRecord(
        id=1,
        class_id=7,
        learner_name="旧记录",
        id_number=id_number,
        score=Decimal(score),
        passed=Decimal(score) >= 60,
        hours=HOURS if Decimal(score) >= 60 else Decimal(0),
        certificate_no=certificate,
    )


def check(existing: list[ScoreRecord], *rows: SheetRow) -> ImportCheck:
    importing = ImportCheck(existing, HOURS, TODAY)
    for r in rows:
        importing.add(r)
    return importing


def test_preview_counts_new_changed_unchanged_and_wrong() -> None:
    old_a = stored(ID_A, score="70")
    old_b = stored(ID_B, score="80")
    old_b_as_typed = LearnerScore.of(old_b)
    preview = check(
        [old_a, old_b],
        row(4, name="旧记录", id_number=ID_A, score="75"),  # changed 70 → 75
        row(5, name="旧记录", id_number=ID_B, score="80"),  # unchanged
        row(6, name="新学员", id_number=ID_C, score="90"),  # new
        row(7, name="错误", id_number="123", score="90"),  # wrong
    ).finish()
    assert [learner.id_number for learner in preview.new] == [ID_C]
    assert [(old.score, new.score) for old, new in preview.changed] == [(Decimal(70), Decimal(75))]
    assert preview.unchanged == 1 and old_b_as_typed.score == 80
    assert preview.wrong == 1 and list(preview.problems) == [7]
    assert preview.rows_read == 4
    assert {learner.id_number for learner in preview.to_store} == {ID_A, ID_C}


def test_the_same_learner_twice_marks_every_occurrence() -> None:
    preview = check(
        [],
        row(4, name="张三", id_number=ID_A, score="80"),
        row(5, name="李四", id_number=ID_B, score="80"),
        row(9, name="张三", id_number=ID_A.lower(), score="90"),
    ).finish()
    assert sorted(preview.problems) == [4, 9]
    refused = preview.problems[4][Column.ID_NUMBER]
    assert refused.key == DUPLICATE_LEARNER and refused.params == {"rows": "4、9"}
    assert [learner.id_number for learner in preview.new] == [ID_B]


def test_a_wrong_row_still_counts_as_its_learners_second_row() -> None:
    preview = check(
        [],
        row(4, name="张三", id_number=ID_A, score="80"),
        row(5, name="张三", id_number=ID_A, score="180"),
    ).finish()
    assert preview.problems[4][Column.ID_NUMBER].key == DUPLICATE_LEARNER
    assert set(preview.problems[5]) == {Column.SCORE, Column.ID_NUMBER}
    assert preview.new == []


def test_certificate_numbers_clash_within_the_file_and_with_other_learners() -> None:
    holder = stored(ID_C, certificate="ZS-1")
    preview = check(
        [holder],
        row(4, name="张三", id_number=ID_A, score="80", certificate_no="ZS-2"),
        row(5, name="李四", id_number=ID_B, score="80", certificate_no="zs-2"),
        row(6, name="王五", id_number=an_id(14), score="80", certificate_no="ZS-1"),
    ).finish()
    assert preview.problems[4][Column.CERTIFICATE_NO].key == DUPLICATE_CERTIFICATE_IN_FILE
    assert preview.problems[5][Column.CERTIFICATE_NO].key == DUPLICATE_CERTIFICATE_IN_FILE
    taken = preview.problems[6][Column.CERTIFICATE_NO]
    assert taken.key == CERTIFICATE_TAKEN and taken.params["name"] == "旧记录"

    # The holder re-sent with another number frees ZS-1 for someone else in the same file.
    moved = check(
        [holder],
        row(4, name="旧记录", id_number=ID_C, score="70", certificate_no="ZS-9"),
        row(5, name="王五", id_number=ID_A, score="80", certificate_no="ZS-1"),
    ).finish()
    assert moved.problems == {}


def test_one_learner_in_the_chat_is_checked_against_the_class() -> None:
    existing = [stored(ID_A, certificate="ZS-1")]
    with pytest.raises(Invalid) as refused:
        check_one(cells(name="张三", id_number=ID_A, score="80"), existing, HOURS, TODAY)
    assert refused.value.key == LEARNER_EXISTS
    with pytest.raises(Invalid) as refused:
        check_one(
            cells(name="李四", id_number=ID_B, score="80", certificate_no="ZS-1"),
            existing,
            HOURS,
            TODAY,
        )
    assert refused.value.key == CERTIFICATE_TAKEN
    edited = check_one(
        cells(name="张三", id_number=ID_A, score="88", certificate_no="ZS-1"),
        existing,
        HOURS,
        TODAY,
        replacing_id_number=ID_A,
    )
    assert edited.score == 88


def test_a_typed_result_is_a_score_or_a_verdict_and_none_clears_a_remark() -> None:
    assert typed_values(Column.SCORE, "88.5") == {Column.SCORE: "88.5", Column.PASSED: ""}
    assert typed_values(Column.SCORE, " 不合格 ") == {Column.PASSED: " 不合格 ", Column.SCORE: ""}
    assert typed_values(Column.REMARK, "None") == {Column.REMARK: ""}
    assert typed_values(Column.NAME, "张三") == {Column.NAME: "张三"}


def test_a_typed_value_is_checked_as_every_cell_it_fills() -> None:
    assert read_typed(Column.SCORE, "合格", HOURS, TODAY) == {
        Column.PASSED: "合格",
        Column.SCORE: "",
    }
    assert read_typed(Column.CERTIFICATE_NO, "", HOURS, TODAY) == {Column.CERTIFICATE_NO: ""}
    for column, wrong in ((Column.SCORE, "101"), (Column.HOURS, "25"), (Column.ID_NUMBER, "42")):
        with pytest.raises(Invalid):
            read_typed(column, wrong, HOURS, TODAY)


def test_an_edit_changes_anything_but_the_id_number() -> None:
    assert [editable_column(column.value) for column in EDITABLE] == list(EDITABLE)
    assert Column.ID_NUMBER not in EDITABLE
    for word in (Column.ID_NUMBER.value, Column.PASSED.value, "nonsense"):
        with pytest.raises(Invalid) as refused:
            editable_column(word)
        assert refused.value.key == NOT_EDITABLE
    check_editable(typed_values(Column.SCORE, "不合格"))  # the verdict goes with the result
    with pytest.raises(Invalid) as refused:
        check_editable([Column.NAME, Column.ID_NUMBER])
    assert refused.value.key == NOT_EDITABLE
