"""What every conversation shares: /cancel, leaving, the timeout, unexpected input, and forms.

A *form* (registration, a class declaration) is a conversation of several fields whose draft
survives a slip: a command or a stray message pauses it instead of losing it, a restart keeps
it, and opening the form again offers it back (继续填写 / 放弃) until it expires
(``domain.drafts``). Every step of a form has ◀ 上一项. One mechanism serves every screen:
typed text equal to a button label of the current screen works as pressing it (``typed_label``).

One module per job: :mod:`.callbacks` the shared callback data, states and time-out;
:mod:`.forms` a form's draft; :mod:`.resuming` its draft offered back; :mod:`.older_buttons`
input the open step cannot use; :mod:`.leaving` /cancel, 离开, commands, the time-out and the
fallbacks; :mod:`.steps` one conversation at a time and the sweep; :mod:`.labels` typed labels.
"""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import MessageHandler, TypeHandler, filters
from telegram.warnings import PTBUserWarning

from bot.handlers.conversation.callbacks import TIMEOUT, Handlers
from bot.handlers.conversation.forms import (
    Form,
    draft_of,
    forget,
    form,
    open_step,
    start_draft,
    touch,
    with_back,
)
from bot.handlers.conversation.labels import LABEL_GROUP, matching_button, typed_label
from bot.handlers.conversation.leaving import (
    DIRECT_COMMANDS_KEY,
    cancel,
    drop_drafts,
    fallbacks,
    timeout_handlers,
)
from bot.handlers.conversation.older_buttons import unexpected
from bot.handlers.conversation.resuming import offer_resume, resume_states
from bot.handlers.conversation.steps import SWEEP_GROUP, one_at_a_time, sweep
from bot.runtime import App

# Conversations are tracked per user and chat, not per message: a button pressed in a
# conversation belongs to that user's current step, which is what we want. PTB warns about it.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

__all__ = [
    "DIRECT_COMMANDS_KEY",
    "TIMEOUT",
    "Form",
    "Handlers",
    "cancel",
    "draft_of",
    "drop_drafts",
    "fallbacks",
    "forget",
    "form",
    "install",
    "matching_button",
    "offer_resume",
    "one_at_a_time",
    "open_step",
    "resume_states",
    "start_draft",
    "sweep",
    "timeout_handlers",
    "touch",
    "typed_label",
    "unexpected",
    "with_back",
]


def install(app: App) -> None:
    """Once every handler is added (``bot.app.install_handlers``)."""
    one_at_a_time(app)
    app.add_handler(TypeHandler(Update, sweep), group=SWEEP_GROUP)
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, typed_label),
        group=LABEL_GROUP,
    )
