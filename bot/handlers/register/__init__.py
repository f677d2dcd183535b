"""/register (注册): the base and its first admin, field by field, validated as typed.

A form (``conversation.Form``): the draft lives in ``user_data`` (persisted encrypted), survives
commands and restarts, is offered back when /register is sent again, and every step has
◀ 上一项. Passwords are hashed the moment they are read and the message deleted.

A person who already administers a base registers another with their own account: at the
ID-card number they prove who they are with their password (counted as at login), and the new
base joins their bases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any, Final

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import TRY_AGAIN, describe
from bot.handlers import conversation
from bot.handlers.base_fields import BASE_FIELD_TEXT, BASE_FIELD_TEXTS
from bot.i18n import N_, Translator
from bot.keyboards import button, column, rows
from bot.runtime import App, Ctx, delete_user_message, reply, services, telegram_user_id, tr
from domain import validators
from domain.errors import DomainError, Invalid
from domain.services import auth
from domain.services.profile import parse_base_field


class State(IntEnum):
    FIELD = 0
    REGION = 1
    PASSWORD = 2
    PASSWORD_AGAIN = 3
    CONFIRM = 4
    PROVE = 5


DRAFT_KEY = "draft:register"
REGION_PICK = CallbackAction("reg:region", ids=1)
EDIT_FIELD = CallbackAction("reg:edit", words=1)
CONFIRM = CallbackAction("reg:ok")
ABORT = CallbackAction("reg:cancel")

PASSWORD_STEP: Final = "password"
AGAIN_STEP: Final = "password_again"
PROVE_STEP: Final = "prove"
SUMMARY_STEP: Final = "summary"
STEP_GONE: Final = N_("这一步已失效，请重新发送 /register。")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    prompt: str
    parse: Callable[[str, date], str]
    sensitive: bool = False


def _base_field(key: str, attribute: str) -> Field:
    text = BASE_FIELD_TEXT[attribute]
    return Field(key, text.label, text.prompt, lambda raw, _: parse_base_field(attribute, raw))


FIELDS: tuple[Field, ...] = (
    *(
        _base_field("base_name" if f.attribute == "name" else f.attribute, f.attribute)
        for f in BASE_FIELD_TEXTS
    ),
    Field(
        "admin_name",
        N_("管理员姓名"),
        N_("请输入管理员（您本人）的姓名："),
        lambda raw, _: validators.parse_name(raw),
    ),
    Field(
        "admin_id_number",
        N_("管理员身份证号码"),
        N_("请输入管理员身份证号码（18 位，即登录账号）。为保护隐私，该消息读取后会立即删除："),
        validators.parse_id_number,
        sensitive=True,
    ),
    Field(
        "admin_mobile",
        N_("管理员手机号码"),
        N_("请输入管理员手机号码（11 位）："),
        lambda raw, _: validators.parse_mobile(raw),
    ),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
BASE_KEYS: Final = tuple(f.key for f in FIELDS[: len(BASE_FIELD_TEXTS)])
PASSWORD_PROMPT = N_(
    "请设置登录密码：至少 8 个字符，可使用任意字符（包括空格和汉字），"
    "不能是常见密码，也不能包含身份证号码或手机号码。该消息读取后会立即删除。"
)
PASSWORD_AGAIN_PROMPT = N_("请再次输入密码以确认：")
PROVE_PROMPT = N_(
    "该身份证号码已注册（您已是其他继续教育基地的管理员）。请输入该账号的登录密码以确认是您本人，"
    "新基地将加入您管理的基地。该消息读取后会立即删除；密码输错与登录时一样计入锁定次数。"
)
STEP_LABELS: Final[dict[str, str]] = {
    **{f.key: f.label for f in FIELDS},
    PASSWORD_STEP: N_("登录密码"),
    AGAIN_STEP: N_("再次输入密码"),
    PROVE_STEP: N_("已有账号的登录密码"),
    SUMMARY_STEP: N_("核对信息"),
}


def _fresh() -> dict[str, Any]:
    return {"values": {}, "editing": False}


def _filled(draft: dict[str, Any]) -> int:
    return len(draft.get("values", {}))


def _draft(context: Ctx) -> dict[str, Any]:
    """The registration in progress; a step without one (ended, expired) is refused."""
    draft = conversation.draft_of(context, FORM)
    if draft is None:
        raise DomainError(STEP_GONE)
    return draft


def _proof(draft: dict[str, Any]) -> auth.IdentityProof | None:
    stored = draft.get("existing")
    if not isinstance(stored, dict):
        return None
    return auth.IdentityProof(
        int(stored["user_id"]),
        str(stored["id_number"]),
        datetime.fromisoformat(str(stored["proven_at"])),
    )


def _sequence(draft: dict[str, Any]) -> list[str]:
    """Every step in order: an existing account proves itself instead of a mobile and password."""
    keys = [f.key for f in FIELDS]
    if draft.get("claims_account"):
        return [*keys[: keys.index("admin_mobile")], PROVE_STEP]
    return [*keys, PASSWORD_STEP, AGAIN_STEP]


def _done(draft: dict[str, Any], step: str) -> bool:
    if step == PASSWORD_STEP:
        return "password_hash" in draft
    if step == AGAIN_STEP:
        return bool(draft.get("password_confirmed"))
    if step == PROVE_STEP:
        return _proof(draft) is not None
    return step in draft["values"]


async def _ask(update: Update, context: Ctx, step: str, note: str = "") -> State:
    """Asks ``step`` with ◀ 上一项 (to the step before, or back to the summary)."""
    t = tr(update, context)
    draft = _draft(context)
    conversation.touch(context, FORM, step, STEP_LABELS[step])
    keyboard: InlineKeyboardMarkup | None = None
    state = State.FIELD
    if step == PASSWORD_STEP:
        text, state = t(PASSWORD_PROMPT), State.PASSWORD
    elif step == AGAIN_STEP:
        text, state = t(PASSWORD_AGAIN_PROMPT), State.PASSWORD_AGAIN
    elif step == PROVE_STEP:
        text, state = t(PROVE_PROMPT), State.PROVE
    else:
        field = FIELDS_BY_KEY[step]
        text = t(field.prompt)
        current = draft["values"].get(step)
        if current is not None:
            shown = validators.mask_id_number(current) if field.sensitive else current
            text += "\n" + t(N_("（当前：{value}）"), value=shown)
        if step == "region":
            state = State.REGION
            keyboard = rows(
                [
                    button(name, REGION_PICK.encode(i))
                    for i, name in enumerate(validators.HUBEI_REGIONS)
                ],
                3,
            )
    if step != _sequence(draft)[0] or draft["editing"]:
        keyboard = conversation.with_back(keyboard, t, FORM, step)
    await reply(update, f"{note}\n{text}" if note else text, keyboard, edit=False)
    return state


async def _advance(update: Update, context: Ctx, after: str) -> State:
    """The step after ``after``; when correcting from the summary, what is missing, else it."""
    draft = _draft(context)
    sequence = _sequence(draft)
    if draft["editing"]:
        missing = next((s for s in sequence if not _done(draft, s)), None)
        return await (_ask(update, context, missing) if missing else _summary(update, context))
    following = sequence[sequence.index(after) + 1 :] if after in sequence else sequence
    if following:
        return await _ask(update, context, following[0])
    return await _summary(update, context)


async def begin(update: Update, context: Ctx) -> object:
    """/register: a draft left earlier is offered back; else a fresh draft, the first question."""
    waiting = await conversation.offer_resume(update, context, FORM, "/register")
    if waiting is not None:
        return waiting
    return await _start(update, context)


async def _start(update: Update, context: Ctx, _entry: str = "") -> State:
    conversation.start_draft(context, FORM, _fresh(), "/register")
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("开始注册继续教育基地。共 {count} 项信息，随时发送 /cancel 取消。"),
            count=len(FIELDS) + 1,
        ),
        edit=False,
    )
    return await _ask(update, context, FIELDS[0].key)


async def _back(update: Update, context: Ctx) -> State:
    """◀ 上一项: the step before the open one; from a correction, back to the summary."""
    draft = _draft(context)
    if draft["editing"]:
        missing = next((s for s in _sequence(draft) if not _done(draft, s)), None)
        if missing is None:
            return await _summary(update, context)
    step = conversation.open_step(context, FORM)
    sequence = _sequence(draft)
    index = sequence.index(step) if step in sequence else len(sequence)
    if step == AGAIN_STEP:
        draft.pop("password_hash", None)
    if step == PROVE_STEP:
        draft.pop("claims_account", None)
        sequence = _sequence(draft)
    return await _ask(update, context, sequence[max(index - 1, 0)])


async def _resume(update: Update, context: Ctx) -> State:
    """继续填写: what may have changed since is checked again (a credit code or ID-card number
    registered meanwhile, an account's password changed), then the open step is asked."""
    draft = _draft(context)
    values = draft["values"]
    t = tr(update, context)
    svc = services(context)
    refusal: tuple[str, DomainError] | None = None
    async with svc.uow(readonly=True) as uow:
        try:
            if "credit_code" in values:
                await auth.ensure_registrable(uow, credit_code=values["credit_code"])
        except DomainError as taken:
            refusal = ("credit_code", taken)
        proof = _proof(draft)
        try:
            if proof is not None:
                await auth.check_proof(uow, svc.clock, proof)
            elif "admin_id_number" in values and not draft.get("claims_account"):
                await auth.ensure_registrable(uow, id_number=values["admin_id_number"])
        except Invalid as stale:
            if stale.field != "password":
                raise
            draft.pop("existing", None)  # the account is still there: prove it again
            refusal = refusal or (PROVE_STEP, stale)
        except DomainError as changed:
            refusal = refusal or ("admin_id_number", changed)
    if refusal is not None:
        key, error = refusal
        values.pop(key, None)
        if key == "admin_id_number":
            for stale_key in ("existing", "claims_account", "password_hash", "password_confirmed"):
                draft.pop(stale_key, None)
        draft["editing"] = True  # on from where the draft was, once this is answered
        note = describe(error, t) + ("" if key == PROVE_STEP else "\n" + t(TRY_AGAIN))
        return await _ask(update, context, key, note)
    step = conversation.open_step(context, FORM)
    if step == SUMMARY_STEP or (not step and draft["editing"]):
        return await _summary(update, context)
    if step in STEP_LABELS:
        if step == AGAIN_STEP and "password_hash" not in draft:
            step = PASSWORD_STEP
        return await _ask(update, context, step)
    return await _advance(update, context, "")


FORM = conversation.form(
    name="register",
    title=N_("注册继续教育基地"),
    reopen=N_("发送 /register"),
    filled=_filled,
    resume=_resume,
    restart=_start,
    back=_back,
)


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
        return await _store_id_number(update, context, value)
    if field.key == "credit_code":
        async with svc.uow(readonly=True) as uow:
            await auth.ensure_registrable(uow, credit_code=value)
    return await _store(update, context, field.key, value)


async def _store_id_number(update: Update, context: Ctx, value: str) -> State:
    """A number already registered is an account to prove (a reviewer's is refused)."""
    svc = services(context)
    async with svc.uow(readonly=True) as uow:
        existing = await auth.claims_account(uow, value)
    draft = _draft(context)
    changed = draft["values"].get("admin_id_number") != value
    for stale in ("existing", "claims_account") if changed else ():
        draft.pop(stale, None)
    if existing:
        draft["claims_account"] = True
        draft["values"]["admin_id_number"] = value
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
        if changed or _proof(draft) is None:
            return await _ask(update, context, PROVE_STEP)
        return await _advance(update, context, "admin_id_number")
    if draft.pop("claims_account", None):
        draft["values"].pop("admin_mobile", None)  # the account's, not typed by this person
    return await _store(update, context, "admin_id_number", value)


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
    return await _store(update, context, "region", region)


async def typed_region(update: Update, context: Ctx) -> State:
    """REGION: a typed name instead of a button."""
    assert update.message is not None and update.message.text is not None
    _open_field(context, State.REGION)
    return await _store(update, context, "region", validators.parse_region(update.message.text))


async def _store(update: Update, context: Ctx, key: str, value: str) -> State:
    draft = _draft(context)
    draft["values"][key] = value
    if key in {"admin_id_number", "admin_mobile", "admin_name"} and not draft.get("existing"):
        # The policy checks the password against these.
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
    return await _advance(update, context, key)


async def typed_proof(update: Update, context: Ctx) -> State:
    """PROVE: the account's password, deleted at once and checked as at login; the draft keeps
    only who was proven and when, never the password."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
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
    proof = asdict(proven.proof)
    proof["proven_at"] = proven.proof.proven_at.isoformat()
    draft["existing"] = proof
    draft["values"].update(admin_name=proven.name, admin_mobile=proven.mobile)
    t = tr(update, context)
    await reply(update, t(N_("身份已确认：{name}。"), name=proven.name), edit=False)
    return await _advance(update, context, PROVE_STEP)


async def typed_password(update: Update, context: Ctx) -> State:
    """PASSWORD: deleted at once, checked against the policy, hashed; only the hash is kept."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
    values = draft["values"]
    draft.pop("password_confirmed", None)
    draft["password_hash"] = await auth.prepare_password(
        services(context).hasher,
        password,
        id_number=values.get("admin_id_number"),
        mobile=values.get("admin_mobile"),
        name=values.get("admin_name"),
    )
    return await _ask(update, context, AGAIN_STEP)


async def typed_password_again(update: Update, context: Ctx) -> State:
    """PASSWORD_AGAIN: must match; otherwise both are asked again."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
    t = tr(update, context)
    if "password_hash" not in draft or not await services(context).hasher.verify(
        password, draft["password_hash"]
    ):
        draft.pop("password_hash", None)
        return await _ask(update, context, PASSWORD_STEP, t(N_("两次输入的密码不一致。")))
    draft["password_confirmed"] = True
    return await _advance(update, context, AGAIN_STEP)


def _summary_text(draft: dict[str, Any], t: Translator) -> str:
    values = draft["values"]
    existing = _proof(draft) is not None
    lines = [t(N_("请核对注册信息："))]
    for field in FIELDS:
        shown = values.get(field.key, "")
        if field.key == "admin_id_number":
            shown = validators.mask_id_number(shown)
        lines.append(t(N_("{label}：{value}"), label=t(field.label), value=shown))
    if existing:
        lines.append(t(N_("管理员账号：已有账号（已确认身份），新基地将加入您管理的基地")))
    else:
        lines.append(t(N_("登录密码：已设置（不显示）")))
    return "\n".join(lines)


def _summary_keyboard(draft: dict[str, Any], t: Translator) -> InlineKeyboardMarkup:
    existing = _proof(draft) is not None
    shown = [f for f in FIELDS if not existing or f.key not in {"admin_name", "admin_mobile"}]
    edits = [
        button(t(N_("修改{label}"), label=t(f.label)), EDIT_FIELD.encode(f.key)) for f in shown
    ]
    if not existing:
        edits.append(button(t(N_("修改密码")), EDIT_FIELD.encode("password")))
    keyboard = rows(edits, per_row=2).inline_keyboard
    final = [button(t(N_("✅ 确认注册")), CONFIRM.encode()), button(t(N_("取消")), ABORT.encode())]
    return InlineKeyboardMarkup([list(final), *keyboard])


async def _summary(update: Update, context: Ctx) -> State:
    draft = _draft(context)
    draft["editing"] = True
    conversation.touch(context, FORM, SUMMARY_STEP, STEP_LABELS[SUMMARY_STEP])
    t = tr(update, context)
    await reply(update, _summary_text(draft, t), _summary_keyboard(draft, t), edit=False)
    return State.CONFIRM


async def edit_field(update: Update, context: Ctx) -> State:
    """CONFIRM: correct one field, then back to the summary."""
    assert update.callback_query is not None
    key = EDIT_FIELD.parse_word(update.callback_query.data)
    draft = _draft(context)
    if key == PASSWORD_STEP and _proof(draft) is None:
        await update.callback_query.answer()
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
        return await _ask(update, context, PASSWORD_STEP)
    if key not in FIELDS_BY_KEY or (
        _proof(draft) is not None and key in {"admin_name", "admin_mobile"}
    ):
        raise Invalid("field")
    await update.callback_query.answer()
    return await _ask(update, context, key)


async def confirm(update: Update, context: Ctx) -> int:
    """CONFIRM: everything is validated once more by the service and saved in one transaction."""
    assert update.callback_query is not None
    draft = _draft(context)
    await update.callback_query.answer()
    values = draft["values"]
    svc = services(context)
    proof = _proof(draft)
    t = tr(update, context)
    async with svc.uow() as uow:
        if proof is not None:
            base_form = auth.NewBase(**{k: values[k] for k in BASE_KEYS})
            outcome = await auth.register_another_base(
                uow, svc.clock, base_form, proof, telegram_user_id=telegram_user_id(update)
            )
        else:
            form = auth.Registration(password_hash=draft["password_hash"], **values)
            outcome = await auth.register_base(
                uow, svc.clock, form, telegram_user_id=telegram_user_id(update)
            )
    conversation.forget(context, FORM)
    base = outcome.bases[0]
    if proof is not None:
        text = t(
            N_(
                "注册成功！“{base}”已创建并加入您管理的基地（共 {count} 个），"
                "您是该基地的超级管理员，已为您登录该基地。发送 /base 可切换基地。"
            ),
            base=base.name,
            count=len(outcome.bases),
        )
    else:
        text = t(
            N_("注册成功！“{base}”已创建，您是该基地的超级管理员，已为您登录。"), base=base.name
        )
    await reply(update, text, column([button(t(N_("打开功能列表")), "menu")]))
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """The summary's cancel button."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await conversation.cancel(update, context, FORM)


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="register",
        persistent=True,
        entry_points=[CommandHandler("register", begin)],
        states={
            State.FIELD: [MessageHandler(text, typed_field)],
            State.REGION: [
                CallbackQueryHandler(picked_region, pattern=REGION_PICK.pattern),
                MessageHandler(text, typed_region),
            ],
            State.PASSWORD: [MessageHandler(text, typed_password)],
            State.PASSWORD_AGAIN: [MessageHandler(text, typed_password_again)],
            State.PROVE: [MessageHandler(text, typed_proof)],
            State.CONFIRM: [
                CallbackQueryHandler(edit_field, pattern=EDIT_FIELD.pattern),
                CallbackQueryHandler(confirm, pattern=CONFIRM.pattern),
                CallbackQueryHandler(abort, pattern=ABORT.pattern),
            ],
            **conversation.resume_states(FORM),
            **conversation.timeout_handlers(FORM),
        },
        fallbacks=conversation.fallbacks(FORM),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
