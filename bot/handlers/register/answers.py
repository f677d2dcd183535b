"""The answers /register reads step by step: a field typed, a region picked or typed, the new
password and its repetition. Each is validated as it arrives; a refusal keeps the step."""

from __future__ import annotations

from telegram import Update

from bot.handlers import conversation
from bot.handlers.register.callbacks import AGAIN_STEP, PASSWORD_STEP, REGION_PICK, STEP_GONE, State
from bot.handlers.register.existing_account import store_id_number
from bot.handlers.register.fields import FIELDS_BY_KEY, Field
from bot.handlers.register.form import FORM, advance, ask, current_draft, store
from bot.i18n import N_
from bot.runtime import Ctx, delete_user_message, reply, services, tr
from domain import validators
from domain.errors import DomainError, Invalid
from domain.services import auth


def _open_field(context: Ctx, state: State) -> Field:
    step = conversation.open_step(context, FORM)
    field = FIELDS_BY_KEY.get(step)
    if field is None or (state is State.REGION) != (step == "region"):
        raise DomainError(STEP_GONE)
    return field


async def typed_field(update: Update, context: Ctx) -> State:
    """FIELD: one typed value, validated now; refused values keep the user on the same field."""
    assert update.message is not None and update.message.text is not None
    field = _open_field(context, State.FIELD)
    if field.sensitive:
        await delete_user_message(update)
    svc = services(context)
    value = field.parse(update.message.text, svc.clock.now().date())
    if field.key == "admin_id_number":
        return await store_id_number(update, context, value)
    if field.key == "credit_code":
        async with svc.uow(readonly=True) as uow:
            await auth.ensure_registrable(uow, credit_code=value)
    return await store(update, context, field.key, value)


async def picked_region(update: Update, context: Ctx) -> State:
    """REGION: a button; its index is checked against the list, never trusted."""
    assert update.callback_query is not None
    index = REGION_PICK.parse_id(update.callback_query.data)
    if index >= len(validators.HUBEI_REGIONS):
        raise Invalid("region")
    _open_field(context, State.REGION)
    await update.callback_query.answer()
    region = validators.HUBEI_REGIONS[index]
    await reply(update, tr(update, context)(N_("所在市州：{region}"), region=region))
    return await store(update, context, "region", region)


async def typed_region(update: Update, context: Ctx) -> State:
    """REGION: a typed name instead of a button."""
    assert update.message is not None and update.message.text is not None
    _open_field(context, State.REGION)
    return await store(update, context, "region", validators.parse_region(update.message.text))


async def typed_password(update: Update, context: Ctx) -> State:
    """PASSWORD: deleted at once, checked against the policy, hashed; only the hash is kept."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = current_draft(context)
    values = draft["values"]
    draft.pop("password_confirmed", None)
    draft["password_hash"] = await auth.prepare_password(
        services(context).hasher,
        password,
        id_number=values.get("admin_id_number"),
        mobile=values.get("admin_mobile"),
        name=values.get("admin_name"),
    )
    return await ask(update, context, AGAIN_STEP)


async def typed_password_again(update: Update, context: Ctx) -> State:
    """PASSWORD_AGAIN: must match; otherwise both are asked again."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = current_draft(context)
    t = tr(update, context)
    if "password_hash" not in draft or not await services(context).hasher.verify(
        password, draft["password_hash"]
    ):
        draft.pop("password_hash", None)
        return await ask(update, context, PASSWORD_STEP, t(N_("两次输入的密码不一致。")))
    draft["password_confirmed"] = True
    return await advance(update, context, AGAIN_STEP)
