"""Score workbooks: the xlsx and CSV files behind ``domain.scoresheet.ScoreWorkbooks``."""

from storage.spreadsheets.workbooks import OpenpyxlScoreWorkbooks

__all__ = ["OpenpyxlScoreWorkbooks"]
