"""What every conversation shares, declared once: the forms' callback data and states, the
step time-out, and the type of a state's handler list."""

from __future__ import annotations

from typing import TypeAlias

from telegram import Update
from telegram.ext import BaseHandler

from bot.callbacks import CallbackAction
from bot.runtime import Ctx
from domain import drafts

Handlers: TypeAlias = list[BaseHandler[Update, Ctx, object]]
"""What a ConversationHandler takes as its entry points, one state's handlers or its fallbacks."""

TIMEOUT = drafts.STEP_IDLE
"""Silence after which an open step ends by itself (a form's draft is kept)."""

RESUME_STATE = "resume"
"""The state of a form offering its draft back."""
RESUME = CallbackAction("form:go", words=1)
DISCARD = CallbackAction("form:drop", words=1)
BACK = CallbackAction("form:back", words=2)  # form, the step the button was shown on
REASK = CallbackAction("form:here", words=1)
LEAVE = CallbackAction("form:leave")
