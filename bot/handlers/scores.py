"""学员成绩管理 (/scores): approved classes, a class's score sheet, template, import, learners, export.

Work in progress: the callback actions are declared here first so other features can link to a
class's score sheet.
"""

from __future__ import annotations

from bot.callbacks import CallbackAction

SHEET = CallbackAction("sc:sheet", ids=1)
"""A class's score sheet (the class id); what a reviewer's decision on scores links to."""
