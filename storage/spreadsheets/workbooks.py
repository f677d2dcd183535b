"""``ScoreWorkbooks`` over openpyxl: pure functions of bytes, no network, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from domain.scoresheet import MAX_ROWS, ClassHeading, Column, ExportRow, ScoreWorkbooks
from storage.spreadsheets import writing
from storage.spreadsheets.reading import SheetFile, open_score_file


class OpenpyxlScoreWorkbooks:
    """Reads xlsx and CSV score files and writes the template, the marked-up file and the export.

    Holds settings only; every call works from the bytes it is given. ``max_rows`` exists so
    tests can show the streaming limit on a small file.
    """

    def __init__(
        self,
        *,
        max_rows: int = MAX_ROWS,
        template_rows: int = writing.TEMPLATE_ROWS,
        max_comments: int = writing.MAX_COMMENTS,
    ) -> None:
        self.max_rows = max_rows
        self.template_rows = template_rows
        self.max_comments = max_comments

    def open(self, data: bytes, filename: str | None) -> SheetFile:
        return open_score_file(data, filename, max_rows=self.max_rows)

    def template(self, heading: ClassHeading) -> bytes:
        return writing.template(heading, self.template_rows)

    def annotated(
        self,
        data: bytes,
        filename: str | None,
        problems: Mapping[int, Mapping[Column, str]],
        heading: ClassHeading,
    ) -> bytes:
        source = self.open(data, filename)
        return writing.annotated(source, problems, heading, max_comments=self.max_comments)

    def export(self, heading: ClassHeading, rows: Sequence[ExportRow]) -> bytes:
        return writing.export(heading, rows)


if TYPE_CHECKING:
    _conforms: ScoreWorkbooks = OpenpyxlScoreWorkbooks()
