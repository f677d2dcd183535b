"""年度培训计划 (/plan), 年度工作总结 (/summary), 年度工作材料报送 (/materials).

Work in progress: the callback actions other features link to are declared first.
"""

from __future__ import annotations

from bot.callbacks import CallbackAction

OVERVIEW = CallbackAction("sb:ov", ids=1, words=1)
"""The year's plan or summary: (year, "plan" | "summary")."""
MATERIAL = CallbackAction("sb:mat", ids=1)
"""One material's card: (material id)."""
