"""A person who already administers a base registers another with their own account: at the
ID-card number they prove who they are with their password (counted as at login), and the
draft keeps only who was proven and when."""

from __future__ import annotations

from dataclasses import asdict

from telegram import Update

from bot.handlers import conversation
from bot.handlers.register.callbacks import PROVE_STEP, STEP_GONE, State
from bot.handlers.register.draft import proof
from bot.handlers.register.form import FORM, advance, ask, current_draft, store
from bot.i18n import N_
from bot.runtime import Ctx, delete_user_message, reply, services, telegram_user_id, tr
from domain.errors import DomainError
from domain.services import auth


async def store_id_number(update: Update, context: Ctx, value: str) -> State:
    """A number already registered is an account to prove (a reviewer's is refused)."""
    svc = services(context)
    async with svc.uow(readonly=True) as uow:
        existing = await auth.claims_account(uow, value)
    draft = current_draft(context)
    changed = draft["values"].get("admin_id_number") != value
    for stale in ("existing", "claims_account") if changed else ():
        draft.pop(stale, None)
    if existing:
        draft["claims_account"] = True
        draft["values"]["admin_id_number"] = value
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
        if changed or proof(draft) is None:
            return await ask(update, context, PROVE_STEP)
        return await advance(update, context, "admin_id_number")
    if draft.pop("claims_account", None):
        draft["values"].pop("admin_mobile", None)  # the account's, not typed by this person
    return await store(update, context, "admin_id_number", value)


async def typed_proof(update: Update, context: Ctx) -> State:
    """PROVE: the account's password, deleted at once and checked as at login; the draft keeps
    only who was proven and when, never the password."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = current_draft(context)
    if conversation.open_step(context, FORM) != PROVE_STEP:
        raise DomainError(STEP_GONE)
    svc = services(context)
    async with svc.uow() as uow:
        proven = await auth.prove_registrant(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=telegram_user_id(update),
            id_number=draft["values"]["admin_id_number"],
            password=password,
            policy=svc.login_policy,
        )
    stored = asdict(proven.proof)
    stored["proven_at"] = proven.proof.proven_at.isoformat()
    draft["existing"] = stored
    draft["values"].update(admin_name=proven.name, admin_mobile=proven.mobile)
    t = tr(update, context)
    await reply(update, t(N_("身份已确认：{name}。"), name=proven.name), edit=False)
    return await advance(update, context, PROVE_STEP)
