"""The registration form itself (``conversation.Form``): opening it, asking a step, moving on,
◀ 上一项, the summary, and a draft offered back and checked again when resumed."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.errors import TRY_AGAIN, describe
from bot.handlers import conversation
from bot.handlers.register.callbacks import (
    AGAIN_STEP,
    PASSWORD_STEP,
    PROVE_STEP,
    REGION_PICK,
    STEP_GONE,
    SUMMARY_STEP,
    State,
)
from bot.handlers.register.draft import filled, first_missing, fresh, proof, sequence
from bot.handlers.register.fields import (
    FIELDS,
    FIELDS_BY_KEY,
    PASSWORD_AGAIN_PROMPT,
    PASSWORD_PROMPT,
    PROVE_PROMPT,
    STEP_LABELS,
)
from bot.handlers.register.summary import summary_keyboard, summary_text
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import Ctx, reply, services, tr
from domain import validators
from domain.errors import DomainError, Invalid
from domain.services import auth


def current_draft(context: Ctx) -> dict[str, Any]:
    """The registration in progress; a step without one (ended, expired) is refused."""
    draft = conversation.draft_of(context, FORM)
    if draft is None:
        raise DomainError(STEP_GONE)
    return draft


def _field_question(
    t: Translator, draft: dict[str, Any], step: str
) -> tuple[str, State, InlineKeyboardMarkup | None]:
    """A field's prompt (with its current value), its state, and the regions' buttons."""
    field = FIELDS_BY_KEY[step]
    text = t(field.prompt)
    current = draft["values"].get(step)
    if current is not None:
        shown = validators.mask_id_number(current) if field.sensitive else current
        text += "\n" + t(N_("（当前：{value}）"), value=shown)
    if step != "region":
        return text, State.FIELD, None
    regions = [
        button(name, REGION_PICK.encode(i)) for i, name in enumerate(validators.HUBEI_REGIONS)
    ]
    return text, State.REGION, rows(regions, 3)


async def ask(update: Update, context: Ctx, step: str, note: str = "") -> State:
    """Asks ``step`` with ◀ 上一项 (to the step before, or back to the summary)."""
    t = tr(update, context)
    draft = current_draft(context)
    conversation.touch(context, FORM, step, STEP_LABELS[step])
    keyboard: InlineKeyboardMarkup | None = None
    if step == PASSWORD_STEP:
        text, state = t(PASSWORD_PROMPT), State.PASSWORD
    elif step == AGAIN_STEP:
        text, state = t(PASSWORD_AGAIN_PROMPT), State.PASSWORD_AGAIN
    elif step == PROVE_STEP:
        text, state = t(PROVE_PROMPT), State.PROVE
    else:
        text, state, keyboard = _field_question(t, draft, step)
    if step != sequence(draft)[0] or draft["editing"]:
        keyboard = conversation.with_back(keyboard, t, FORM, step)
    await reply(update, f"{note}\n{text}" if note else text, keyboard, edit=False)
    return state


async def advance(update: Update, context: Ctx, after: str) -> State:
    """The step after ``after``; when correcting from the summary, what is missing, else it."""
    draft = current_draft(context)
    steps = sequence(draft)
    if draft["editing"]:
        missing = first_missing(draft)
        return await (ask(update, context, missing) if missing else show_summary(update, context))
    following = steps[steps.index(after) + 1 :] if after in steps else steps
    if following:
        return await ask(update, context, following[0])
    return await show_summary(update, context)


async def store(update: Update, context: Ctx, key: str, value: str) -> State:
    draft = current_draft(context)
    draft["values"][key] = value
    if key in {"admin_id_number", "admin_mobile", "admin_name"} and not draft.get("existing"):
        # The policy checks the password against these.
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
    return await advance(update, context, key)


async def show_summary(update: Update, context: Ctx) -> State:
    draft = current_draft(context)
    draft["editing"] = True
    conversation.touch(context, FORM, SUMMARY_STEP, STEP_LABELS[SUMMARY_STEP])
    t = tr(update, context)
    await reply(update, summary_text(draft, t), summary_keyboard(draft, t), edit=False)
    return State.CONFIRM


async def begin(update: Update, context: Ctx) -> object:
    """/register: a draft left earlier is offered back; else a fresh draft, the first question."""
    waiting = await conversation.offer_resume(update, context, FORM, "/register")
    if waiting is not None:
        return waiting
    return await start(update, context)


async def start(update: Update, context: Ctx, _entry: str = "") -> State:
    conversation.start_draft(context, FORM, fresh(), "/register")
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("开始注册继续教育基地。共 {count} 项信息，随时发送 /cancel 取消。"),
            count=len(FIELDS) + 1,
        ),
        edit=False,
    )
    return await ask(update, context, FIELDS[0].key)


async def back(update: Update, context: Ctx) -> State:
    """◀ 上一项: the step before the open one; from a correction, back to the summary."""
    draft = current_draft(context)
    if draft["editing"] and first_missing(draft) is None:
        return await show_summary(update, context)
    step = conversation.open_step(context, FORM)
    steps = sequence(draft)
    index = steps.index(step) if step in steps else len(steps)
    if step == AGAIN_STEP:
        draft.pop("password_hash", None)
    if step == PROVE_STEP:
        draft.pop("claims_account", None)
        steps = sequence(draft)
    return await ask(update, context, steps[max(index - 1, 0)])


Refusal = tuple[str, DomainError]
"""The step to ask again, and why."""


async def _recheck(context: Ctx, draft: dict[str, Any]) -> Refusal | None:
    """What may have changed since the draft was typed: a credit code or ID-card number
    registered meanwhile, an account's password changed. The first refusal, if any."""
    values = draft["values"]
    svc = services(context)
    refusal: Refusal | None = None
    async with svc.uow(readonly=True) as uow:
        try:
            if "credit_code" in values:
                await auth.ensure_registrable(uow, credit_code=values["credit_code"])
        except DomainError as taken:
            refusal = ("credit_code", taken)
        proven = proof(draft)
        try:
            if proven is not None:
                await auth.check_proof(uow, svc.clock, proven)
            elif "admin_id_number" in values and not draft.get("claims_account"):
                await auth.ensure_registrable(uow, id_number=values["admin_id_number"])
        except Invalid as stale:
            if stale.field != "password":
                raise
            draft.pop("existing", None)  # the account is still there: prove it again
            refusal = refusal or (PROVE_STEP, stale)
        except DomainError as changed:
            refusal = refusal or ("admin_id_number", changed)
    return refusal


async def _ask_refused(
    update: Update, context: Ctx, draft: dict[str, Any], refusal: Refusal
) -> State:
    """The refused step asked again, the draft then going on from where it was."""
    t = tr(update, context)
    key, error = refusal
    draft["values"].pop(key, None)
    if key == "admin_id_number":
        for stale_key in ("existing", "claims_account", "password_hash", "password_confirmed"):
            draft.pop(stale_key, None)
    draft["editing"] = True  # on from where the draft was, once this is answered
    note = describe(error, t) + ("" if key == PROVE_STEP else "\n" + t(TRY_AGAIN))
    return await ask(update, context, key, note)


async def resume(update: Update, context: Ctx) -> State:
    """继续填写: what may have changed since is checked again, then the open step is asked."""
    draft = current_draft(context)
    refusal = await _recheck(context, draft)
    if refusal is not None:
        return await _ask_refused(update, context, draft, refusal)
    step = conversation.open_step(context, FORM)
    if step == SUMMARY_STEP or (not step and draft["editing"]):
        return await show_summary(update, context)
    if step in STEP_LABELS:
        if step == AGAIN_STEP and "password_hash" not in draft:
            step = PASSWORD_STEP
        return await ask(update, context, step)
    return await advance(update, context, "")


FORM = conversation.form(
    name="register",
    title=N_("注册继续教育基地"),
    reopen=N_("发送 /register"),
    filled=filled,
    resume=resume,
    restart=start,
    back=back,
)
