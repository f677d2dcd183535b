"""The rules of a learner's score, one row at a time and across a whole file.

A row is checked cell by cell so the admin learns every mistake of a row at once, not one per
attempt. The whole file is then checked for what no single row shows: the same learner twice, and a
certificate number that belongs to another learner of the class. Nothing here reads a file or a
database: ``ImportCheck`` is fed rows and the class's current records and says what importing would
do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from domain import validators
from domain.errors import Invalid
from domain.messages import N_
from domain.model import ScoreRecord
from domain.scoresheet import FAIL_WORD, PASS_WORD, Column, RawCell, SheetRow

PASS_MARK: Final = Decimal(60)
"""A score of 60 or more is a pass: the usual mark of Chinese continuing-education assessments."""
CERTIFICATE_MAX_LENGTH: Final = 50
REMARK_MAX_LENGTH: Final = 200

PASS_WORDS: Final = frozenset({"合格", "通过", "是", "pass", "passed", "yes", "y", "√", "✓"})
FAIL_WORDS: Final = frozenset(
    {"不合格", "未通过", "不通过", "否", "fail", "failed", "no", "n", "×"}
)

PASSED_UNKNOWN: Final = N_("是否合格请填写“合格”或“不合格”。")
RESULT_MISSING: Final = N_("请填写成绩，或在“是否合格”中选择合格 / 不合格。")
RESULT_INCONSISTENT: Final = N_(
    "成绩 {score} 分与“{passed}”不一致：{mark} 分及以上为合格。请核对成绩或是否合格。"
)
HOURS_WHEN_FAILED: Final = N_("不合格的学员获得学时应为 0。")
ID_AS_NUMBER: Final = validators.ID_EXCEL_NUMBER
CERTIFICATE_BAD: Final = N_("证书编号只能包含字母、数字和 - _ / 等符号，最多 {maximum} 个字符。")
DUPLICATE_LEARNER: Final = N_("同一学员在文件中出现了多次（第 {rows} 行），请只保留一行。")
DUPLICATE_CERTIFICATE_IN_FILE: Final = N_(
    "证书编号“{number}”在文件中被多名学员使用（第 {rows} 行）。"
)
CERTIFICATE_TAKEN: Final = N_("证书编号“{number}”已属于本班学员 {name}，不能重复使用。")
NAME_MISSING: Final = N_("请填写学员姓名。")
ID_MISSING: Final = N_("请填写学员的身份证号码。")
NOT_EDITABLE: Final = N_("这一步已经失效，请重新打开成绩表。")
"""Only a stale or forged button asks to edit what cannot be edited."""
LEARNER_EXISTS: Final = N_("本班已有这名学员（{name}），请在名单中找到后修改。")


@dataclass(frozen=True, slots=True)
class LearnerScore:
    """A learner's checked result, before it belongs to a stored record."""

    name: str
    id_number: str
    score: Decimal | None
    passed: bool
    hours: Decimal
    certificate_no: str | None = None
    remark: str | None = None

    def to_record(self, class_id: int, record_id: int | None = None) -> ScoreRecord:
        return ScoreRecord(
            id=record_id,
            class_id=class_id,
            learner_name=self.name,
            id_number=self.id_number,
            score=self.score,
            passed=self.passed,
            hours=self.hours,
            certificate_no=self.certificate_no,
            remark=self.remark,
        )

    @classmethod
    def of(cls, record: ScoreRecord) -> LearnerScore:
        return cls(
            name=record.learner_name,
            id_number=record.id_number,
            score=record.score,
            passed=bool(record.passed),
            hours=record.hours,
            certificate_no=record.certificate_no,
            remark=record.remark,
        )


def parse_passed(raw: str) -> bool:
    text = "".join(validators.normalise_input(raw).split()).lower()
    if text in PASS_WORDS:
        return True
    if text in FAIL_WORDS:
        return False
    raise Invalid(Column.PASSED.value, PASSED_UNKNOWN)


def parse_certificate_no(raw: str) -> str:
    text = "".join(validators.normalise_input(raw[: 4 * CERTIFICATE_MAX_LENGTH]).split()).upper()
    allowed = all(c.isascii() and (c.isalnum() or c in "-_/.()#") for c in text)
    if not text or not allowed or len(text) > CERTIFICATE_MAX_LENGTH:
        raise Invalid(Column.CERTIFICATE_NO.value, CERTIFICATE_BAD, maximum=CERTIFICATE_MAX_LENGTH)
    return text


def _parsers(class_hours: Decimal, today: date) -> dict[Column, Callable[[RawCell], object]]:
    """How each column's cell is read; the same for a file row and a value typed in the chat."""
    return {
        Column.NAME: lambda c: validators.parse_name(c.text, field="learner_name"),
        Column.ID_NUMBER: lambda c: _parse_id(c, today),
        Column.SCORE: lambda c: validators.parse_score(c.text),
        Column.PASSED: lambda c: parse_passed(c.text),
        Column.HOURS: lambda c: validators.parse_hours(
            c.text, maximum=class_hours, allow_zero=True
        ),
        Column.CERTIFICATE_NO: lambda c: parse_certificate_no(c.text),
        Column.REMARK: lambda c: (
            validators.parse_text(c.text, field="remark", max_length=REMARK_MAX_LENGTH) or None
        ),
    }


NO_REMARK: Final = frozenset({"无", "none", "-"})

EDITABLE: Final = (Column.NAME, Column.SCORE, Column.HOURS, Column.CERTIFICATE_NO, Column.REMARK)
"""What editing one learner may change, in the order the card offers it. Not the ID-card number:
it says who the learner is, so changing it is deleting the learner and adding them again."""


def editable_column(word: str) -> Column:
    """The column a 修改 button names, if an edit may change it."""
    for column in EDITABLE:
        if column.value == word:
            return column
    raise Invalid("field", NOT_EDITABLE)


def check_editable(values: Iterable[Column]) -> None:
    """An edit's cells: editable columns, the verdict included (the result is a score or one)."""
    if any(column not in EDITABLE and column is not Column.PASSED for column in values):
        raise Invalid("field", NOT_EDITABLE)


def typed_values(column: Column, text: str) -> dict[Column, str]:
    """One value typed in the chat as the cells it fills.

    The result step takes a score or a verdict (合格 / 不合格), whichever was typed, and clears
    the other; "无" as a remark clears it.
    """
    if column is Column.SCORE:
        try:
            parse_passed(text)
        except Invalid:
            return {Column.SCORE: text, Column.PASSED: ""}
        return {Column.PASSED: text, Column.SCORE: ""}
    if column is Column.REMARK and text.strip().lower() in NO_REMARK:
        return {Column.REMARK: ""}
    return {column: text}


def check_field(column: Column, text: str, class_hours: Decimal, today: date) -> None:
    """One value typed in the chat, checked as it is typed; the whole learner again on saving."""
    if text.strip():
        _parsers(class_hours, today)[column](RawCell(text))


def read_typed(column: Column, text: str, class_hours: Decimal, today: date) -> dict[Column, str]:
    """One value typed in the chat as the cells it fills (:func:`typed_values`), each checked."""
    typed = typed_values(column, text)
    for filled, value in typed.items():
        check_field(filled, value, class_hours, today)
    return typed


def check_learner(
    cells: Mapping[Column, RawCell],
    class_hours: Decimal,
    today: date,
    parsers: Mapping[Column, Callable[[RawCell], object]] | None = None,
) -> LearnerScore | dict[Column, Invalid]:
    """One row: the learner's score, or every wrong cell with its reason.

    ``parsers`` (from ``_parsers``) may be made once for a whole file.
    """
    problems: dict[Column, Invalid] = {}
    values: dict[Column, object] = {}
    for column, parse in (parsers or _parsers(class_hours, today)).items():
        cell = cells.get(column)
        if cell is None or not cell.text.strip():
            continue
        try:
            values[column] = parse(cell)
        except Invalid as refused:
            problems[column] = refused
    name, id_number = values.get(Column.NAME), values.get(Column.ID_NUMBER)
    score, passed = values.get(Column.SCORE), values.get(Column.PASSED)
    hours = values.get(Column.HOURS)
    if name is None:
        problems.setdefault(Column.NAME, Invalid(Column.NAME.value, NAME_MISSING))
    if id_number is None:
        problems.setdefault(Column.ID_NUMBER, Invalid(Column.ID_NUMBER.value, ID_MISSING))
    assert score is None or isinstance(score, Decimal)
    assert passed is None or isinstance(passed, bool)
    assert hours is None or isinstance(hours, Decimal)
    result = _result(score, passed, problems)
    if result is False and hours is not None and hours != 0:
        problems[Column.HOURS] = Invalid(Column.HOURS.value, HOURS_WHEN_FAILED)
    if problems or not isinstance(name, str) or not isinstance(id_number, str) or result is None:
        return problems
    certificate, remark = values.get(Column.CERTIFICATE_NO), values.get(Column.REMARK)
    return LearnerScore(
        name=name,
        id_number=id_number,
        score=score,
        passed=result,
        hours=hours if hours is not None else (class_hours if result else Decimal(0)),
        certificate_no=certificate if isinstance(certificate, str) else None,
        remark=remark if isinstance(remark, str) else None,
    )


def _parse_id(cell: RawCell, today: date) -> str:
    if cell.is_number:
        raise Invalid(Column.ID_NUMBER.value, ID_AS_NUMBER)
    return validators.parse_id_number(cell.text, today)


def _result(
    score: Decimal | None, passed: bool | None, problems: dict[Column, Invalid]
) -> bool | None:
    """Pass or fail from the score, the 是否合格 cell, or both when they agree."""
    if Column.SCORE in problems or Column.PASSED in problems:
        return None
    if score is None and passed is None:
        problems[Column.SCORE] = Invalid(Column.SCORE.value, RESULT_MISSING)
        return None
    by_score = None if score is None else score >= PASS_MARK
    if by_score is not None and passed is not None and by_score != passed:
        problems[Column.PASSED] = Invalid(
            Column.PASSED.value,
            RESULT_INCONSISTENT,
            score=str(score),
            passed=PASS_WORD if passed else FAIL_WORD,
            mark=PASS_MARK,
        )
        return None
    return by_score if by_score is not None else passed


@dataclass
class ImportPreview:
    """What importing the file would do; nothing of it is stored yet."""

    new: list[LearnerScore] = field(default_factory=list)
    changed: list[tuple[ScoreRecord, LearnerScore]] = field(default_factory=list)
    unchanged: int = 0
    problems: dict[int, dict[Column, Invalid]] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def wrong(self) -> int:
        return len(self.problems)

    @property
    def to_store(self) -> list[LearnerScore]:
        return [*self.new, *(learner for _old, learner in self.changed)]


class ImportCheck:
    """Fed row by row (``add``), then ``finish`` applies the checks across the file.

    ``existing`` is the class's stored records; a learner in the file replaces their own record.
    """

    def __init__(self, existing: Iterable[ScoreRecord], class_hours: Decimal, today: date) -> None:
        self._existing = {r.id_number: r for r in existing}
        self._class_hours = class_hours
        self._today = today
        self._good: dict[int, LearnerScore] = {}
        self._problems: dict[int, dict[Column, Invalid]] = {}
        self._rows_by_learner: dict[str, list[int]] = {}
        self._parsers = _parsers(class_hours, today)
        self.rows_read = 0

    def add(self, row: SheetRow) -> None:
        self.rows_read += 1
        checked = check_learner(row.cells, self._class_hours, self._today, self._parsers)
        if isinstance(checked, dict):
            self._problems[row.number] = checked
            id_cell = row.cells.get(Column.ID_NUMBER)
            if Column.ID_NUMBER not in checked and id_cell is not None:
                # A wrong row still names its learner: a second row of theirs is a duplicate.
                learner = _clean_id(id_cell, self._today)
                if learner is not None:
                    self._rows_by_learner.setdefault(learner, []).append(row.number)
            return
        self._good[row.number] = checked
        self._rows_by_learner.setdefault(checked.id_number, []).append(row.number)

    def finish(self) -> ImportPreview:
        self._mark_duplicate_learners()
        self._mark_certificate_clashes()
        preview = ImportPreview(problems=dict(sorted(self._problems.items())))
        preview.rows_read = self.rows_read
        for learner in self._good.values():
            old = self._existing.get(learner.id_number)
            if old is None:
                preview.new.append(learner)
            elif LearnerScore.of(old) == learner:
                preview.unchanged += 1
            else:
                preview.changed.append((old, learner))
        return preview

    def _flag(self, row: int, column: Column, refused: Invalid) -> None:
        self._good.pop(row, None)
        self._problems.setdefault(row, {}).setdefault(column, refused)

    def _mark_duplicate_learners(self) -> None:
        for rows in self._rows_by_learner.values():
            if len(rows) > 1:
                listed = "、".join(map(str, rows))
                for row in rows:
                    refused = Invalid(Column.ID_NUMBER.value, DUPLICATE_LEARNER, rows=listed)
                    self._flag(row, Column.ID_NUMBER, refused)

    def _mark_certificate_clashes(self) -> None:
        in_file: dict[str, list[int]] = {}
        for row, learner in self._good.items():
            if learner.certificate_no:
                in_file.setdefault(learner.certificate_no, []).append(row)
        # A stored certificate stays its learner's unless the file gives that learner a new one.
        in_this_file = {learner.id_number for learner in self._good.values()}
        held = {
            r.certificate_no: r
            for r in self._existing.values()
            if r.certificate_no and r.id_number not in in_this_file
        }
        for number, rows in in_file.items():
            if len(rows) > 1:
                listed = "、".join(map(str, rows))
                for row in rows:
                    refused = Invalid(
                        Column.CERTIFICATE_NO.value,
                        DUPLICATE_CERTIFICATE_IN_FILE,
                        number=number,
                        rows=listed,
                    )
                    self._flag(row, Column.CERTIFICATE_NO, refused)
            elif number in held:
                owner = held[number]
                refused = Invalid(
                    Column.CERTIFICATE_NO.value,
                    CERTIFICATE_TAKEN,
                    number=number,
                    name=owner.learner_name,
                )
                self._flag(rows[0], Column.CERTIFICATE_NO, refused)


def _clean_id(cell: RawCell, today: date) -> str | None:
    try:
        return _parse_id(cell, today)
    except Invalid:
        return None


def check_one(
    learner_cells: Mapping[Column, RawCell],
    existing: Iterable[ScoreRecord],
    class_hours: Decimal,
    today: date,
    *,
    replacing_id_number: str | None = None,
) -> LearnerScore:
    """One learner typed in the chat, checked with the same rules as a file row.

    ``replacing_id_number`` is the learner being edited (their own certificate is no clash).
    Raises the first problem found, in column order.
    """
    checked = check_learner(learner_cells, class_hours, today)
    if isinstance(checked, dict):
        for column in Column:
            if column in checked:
                raise checked[column]
    assert isinstance(checked, LearnerScore)
    for record in existing:
        if record.id_number == replacing_id_number:
            continue
        if record.id_number == checked.id_number:
            raise Invalid(Column.ID_NUMBER.value, LEARNER_EXISTS, name=record.learner_name)
        if checked.certificate_no and record.certificate_no == checked.certificate_no:
            raise Invalid(
                Column.CERTIFICATE_NO.value,
                CERTIFICATE_TAKEN,
                number=checked.certificate_no,
                name=record.learner_name,
            )
    return checked
