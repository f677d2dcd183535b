"""/admins (权限管理): the base's admins, paged; a card each; add, change role, delete, hand over.

Every button carries ids only and is re-authorised by the domain on arrival (session, admins.manage,
the admin and the role belonging to the actor's base). ID-card numbers and passwords are deleted
from the chat as soon as they are read; passwords live only in ``user_data["_admins"]`` (memory).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns
from bot.runtime import (
    Ctx,
    Services,
    Volatile,
    acting,
    current_actor,
    delete_user_message,
    reply,
    services,
    tr,
)
from domain import validators as v
from domain.errors import Conflict, DomainError
from domain.model import Actor, Role
from domain.passwords import check_password_policy
from domain.ports import UnitOfWork
from domain.services import admins
from domain.services.admins import AdminView

PAGE_SIZE = 8
DRAFT_KEY = "draft:admins"
SECRET_KEY = "_admins"

LIST = CallbackAction("adm:list", ids=1)  # page
CARD = CallbackAction("adm:card", ids=1)  # membership
ROLES = CallbackAction("adm:roles", ids=1)  # membership
SET_ROLE = CallbackAction("adm:role", ids=2)  # membership, role (0: no role)
DELETE = CallbackAction("adm:del", ids=1)  # membership: asks for confirmation
DELETE_OK = CallbackAction("adm:delok", ids=1)  # membership
SUPER = CallbackAction("adm:super", ids=1)  # membership: asks for the password
ADD = CallbackAction("adm:add")
ADD_NEW = CallbackAction("adm:new")
ADD_EXISTING = CallbackAction("adm:old")
PERSON_OK = CallbackAction("adm:person")
PICK_ROLE = CallbackAction("adm:pick", ids=1)  # role (0: no role)
ABORT = CallbackAction("adm:cancel")

SUPER_MARK = N_("★ 超级管理员")
NO_ROLE = N_("未分配角色")
ASK_PASSWORD = N_(
    "请为新管理员设置初始密码：至少 8 个字符，不能是常见密码，也不能包含其身份证号码或手机号码。"
    "新管理员首次登录时必须修改。该消息读取后会立即删除："
)
ASK_PASSWORD_AGAIN = N_("请再次输入初始密码（该消息读取后会立即删除）：")
STEP_GONE = N_("这一步已失效，请重新打开 /admins。")


class State(IntEnum):
    NAME = 0
    ID_NUMBER = 1
    MOBILE = 2
    PASSWORD = 3
    PASSWORD_AGAIN = 4
    FIND = 5
    CONFIRM_PERSON = 6
    ROLE = 7
    SUPER_PASSWORD = 8


# --- rendering -------------------------------------------------------------------------------


def _role_label(view: AdminView, t: Translator) -> str:
    if view.is_super:
        return t(SUPER_MARK)
    return view.role_name or t(NO_ROLE)


def _list_text(views: list[AdminView], total: int, page: int, pages: int, t: Translator) -> str:
    lines = [
        t(
            N_("权限管理：本基地共有 {total} 位管理员（第 {page}/{pages} 页）"),
            total=total,
            page=page + 1,
            pages=pages,
        )
    ]
    for number, view in enumerate(views, start=page * PAGE_SIZE + 1):
        lines.append(
            t(
                N_("{number}. {name} · {id_number} · {role}"),
                number=number,
                name=view.name,
                id_number=view.masked_id_number,
                role=_role_label(view, t),
            )
        )
    lines.append(t(N_("点击管理员查看详情。")))
    return "\n".join(lines)


def _list_keyboard(
    views: list[AdminView], page: int, pages: int, t: Translator
) -> InlineKeyboardMarkup:
    people = [
        button(f"★ {view.name}" if view.is_super else view.name, CARD.encode(view.membership_id))
        for view in views
    ]
    grid: list[list[InlineKeyboardButton]] = [people[i : i + 2] for i in range(0, len(people), 2)]
    navigation = page_turns(page, page + 1 < pages, LIST.encode)
    if navigation:
        grid.append(navigation)
    grid.append([button(t(N_("新增管理员")), ADD.encode())])
    grid.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    return InlineKeyboardMarkup(grid)


def _card_text(view: AdminView, t: Translator) -> str:
    return t(
        N_("管理员：{name}\n身份证号码：{id_number}\n角色：{role}"),
        name=view.name,
        id_number=view.masked_id_number,
        role=_role_label(view, t),
    )


def _card_keyboard(view: AdminView, actor: Actor, t: Translator) -> InlineKeyboardMarkup:
    """Only the actions the domain would allow; it checks them again when pressed."""
    actions = []
    if not view.is_super:
        actions.append(button(t(N_("更换角色")), ROLES.encode(view.membership_id)))
        if actor.is_super:
            actions.append(button(t(N_("设为超级管理员")), SUPER.encode(view.membership_id)))
        if view.user_id != actor.user_id:
            actions.append(button(t(N_("删除")), DELETE.encode(view.membership_id)))
    actions.append(button(t(N_("返回列表")), LIST.encode(0)))
    return column(actions)


def _roles_keyboard(
    roles: list[Role], action: CallbackAction, t: Translator, *lead: int, current: int | None = None
) -> list[InlineKeyboardButton]:
    """One button per role, then 无角色; ``lead`` ids come before the role id in the data."""
    buttons = [
        button(("✓ " if role.id == current else "") + role.name, action.encode(*lead, role.id or 0))
        for role in roles
    ]
    buttons.append(button(t(N_("无角色")), action.encode(*lead, 0)))
    return buttons


# --- the list and the card ---------------------------------------------------------------------


async def _show_list(update: Update, context: Ctx, page: int, note: str | None = None) -> None:
    async with acting(update, context, readonly=True) as (uow, actor):
        views, total = await admins.list_admins(
            uow, actor, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        pages = page_count(total, PAGE_SIZE)
        if page >= pages:  # a stale page number after deletions: show the last page
            page = pages - 1
            views, total = await admins.list_admins(
                uow, actor, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
    t = tr(update, context)
    text = _list_text(views, total, page, pages, t)
    await reply(
        update, f"{note}\n\n{text}" if note else text, _list_keyboard(views, page, pages, t)
    )


async def open_list(update: Update, context: Ctx) -> None:
    """/admins or the 权限管理 menu button: the first page."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _show_list(update, context, 0)


async def turn_page(update: Update, context: Ctx) -> None:
    """◀ ▶ and 返回列表: the page number is the only id."""
    assert update.callback_query is not None
    page = LIST.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await _show_list(update, context, page)


async def show_card(update: Update, context: Ctx) -> None:
    """An admin's button: their card, if they belong to the actor's base."""
    assert update.callback_query is not None
    membership_id = CARD.parse_id(update.callback_query.data)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await admins.get_admin(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await reply(update, _card_text(view, t), _card_keyboard(view, actor, t))


async def choose_role(update: Update, context: Ctx) -> None:
    """更换角色: the base's roles that the actor may hand out, and 无角色."""
    assert update.callback_query is not None
    membership_id = ROLES.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view, roles = await admins.role_choice(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    buttons = _roles_keyboard(roles, SET_ROLE, t, membership_id, current=view.role_id)
    buttons.append(button(t(N_("返回")), CARD.encode(membership_id)))
    await reply(
        update,
        t(
            N_("为 {name} 选择角色（当前：{role}）："),
            name=view.name,
            role=_role_label(view, t),
        ),
        column(buttons),
    )


async def set_role(update: Update, context: Ctx) -> None:
    """A role button: the domain checks that both the admin and the role are the base's own."""
    assert update.callback_query is not None
    membership_id, role_id = SET_ROLE.parse(update.callback_query.data)
    assert isinstance(membership_id, int) and isinstance(role_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.change_role(uow, svc.clock, actor, membership_id, role_id or None)
    await update.callback_query.answer()
    t = tr(update, context)
    note = t(N_("已将 {name} 的角色更换为：{role}"), name=view.name, role=_role_label(view, t))
    await reply(update, note + "\n\n" + _card_text(view, t), _card_keyboard(view, actor, t))


async def ask_delete(update: Update, context: Ctx) -> None:
    """删除: refused at once for the super admin and oneself; otherwise a confirmation."""
    assert update.callback_query is not None
    membership_id = DELETE.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view = await admins.removal_preview(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(membership_id)),
            button(t(N_("取消")), CARD.encode(membership_id)),
        ]
    )
    await reply(
        update,
        t(
            N_("确定删除管理员 {name}（{id_number}）吗？删除后其在本基地的权限和登录立即失效。"),
            name=view.name,
            id_number=view.masked_id_number,
        ),
        keyboard,
    )


async def delete(update: Update, context: Ctx) -> None:
    """确认删除: the membership goes, with that person's sessions on this base."""
    assert update.callback_query is not None
    membership_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.removal_preview(uow, actor, membership_id)
        await admins.remove_admin(uow, svc.clock, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await _show_list(update, context, 0, t(N_("已删除管理员 {name}。"), name=view.name))


async def choose_way(update: Update, context: Ctx) -> None:
    """新增管理员: the manual's two ways."""
    assert update.callback_query is not None
    svc = services(context)
    async with svc.uow() as uow:
        admins.ensure_manager(await current_actor(update, context, uow))
        await uow.commit()
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("注册新管理员")), ADD_NEW.encode()),
            button(t(N_("添加已有用户")), ADD_EXISTING.encode()),
            button(t(N_("返回列表")), LIST.encode(0)),
        ]
    )
    await reply(
        update,
        t(
            N_(
                "新增管理员：\n"
                "· 注册新管理员：该人员尚未在本系统注册，"
                "需填写姓名、身份证号码、手机号码和初始密码；\n"
                "· 添加已有用户：该人员已是本系统用户（如其他基地的管理员），按身份证号码查找。"
            )
        ),
        keyboard,
    )


# --- adding an admin (conversation) ------------------------------------------------------------


def _draft(context: Ctx, way: str) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("way") != way:
        raise DomainError(STEP_GONE)
    return draft


def _secrets(context: Ctx) -> dict[str, str]:
    assert context.user_data is not None
    held = context.user_data.setdefault(SECRET_KEY, Volatile())
    assert isinstance(held, dict)
    return held


async def _start(update: Update, context: Ctx, way: str) -> None:
    """An entry step: the permission is checked now, not only when saving."""
    assert context.user_data is not None
    if update.callback_query is not None:
        await update.callback_query.answer()
    svc = services(context)
    async with svc.uow() as uow:
        admins.ensure_manager(await current_actor(update, context, uow))
        await uow.commit()
    context.user_data[DRAFT_KEY] = {"way": way}
    context.user_data[SECRET_KEY] = Volatile()


async def begin_new(update: Update, context: Ctx) -> State:
    """注册新管理员: the name first."""
    await _start(update, context, "new")
    t = tr(update, context)
    await reply(
        update,
        t(N_("注册新管理员（随时发送 /cancel 取消）。\n请输入新管理员的姓名：")),
        edit=False,
    )
    return State.NAME


async def typed_name(update: Update, context: Ctx) -> State:
    """NAME: checked as typed."""
    assert update.message is not None and update.message.text is not None
    draft = _draft(context, "new")
    draft["name"] = v.parse_name(update.message.text)
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "请输入新管理员的身份证号码（18 位，即其登录账号）。"
                "为保护隐私，该消息读取后会立即删除："
            )
        ),
        edit=False,
    )
    return State.ID_NUMBER


async def typed_id_number(update: Update, context: Ctx) -> State:
    """ID_NUMBER: deleted at once; valid and not yet known to the system (else way b)."""
    assert update.message is not None and update.message.text is not None
    raw = update.message.text
    await delete_user_message(update)
    draft = _draft(context, "new")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        draft["id_number"] = await admins.check_new_id_number(uow, svc.clock, actor, raw)
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("身份证号码：{id_number}\n请输入新管理员的手机号码（11 位）："),
            id_number=v.mask_id_number(draft["id_number"]),
        ),
        edit=False,
    )
    return State.MOBILE


async def typed_mobile(update: Update, context: Ctx) -> State:
    """MOBILE: checked as typed."""
    assert update.message is not None and update.message.text is not None
    draft = _draft(context, "new")
    draft["mobile"] = v.parse_mobile(update.message.text)
    _secrets(context).clear()
    await reply(update, tr(update, context)(ASK_PASSWORD), edit=False)
    return State.PASSWORD


async def typed_password(update: Update, context: Ctx) -> State:
    """PASSWORD: deleted at once, checked against the policy, held in memory only."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context, "new")
    check_password_policy(
        password, id_number=draft["id_number"], mobile=draft["mobile"], name=draft["name"]
    )
    _secrets(context)["password"] = password
    await reply(update, tr(update, context)(ASK_PASSWORD_AGAIN), edit=False)
    return State.PASSWORD_AGAIN


async def typed_password_again(update: Update, context: Ctx) -> State:
    """PASSWORD_AGAIN: a typo here would leave the new admin locked out, so it must match."""
    assert update.message is not None and update.message.text is not None
    again = update.message.text
    await delete_user_message(update)
    draft = _draft(context, "new")
    held = _secrets(context)
    t = tr(update, context)
    if "password" not in held:  # after a restart the plaintext is gone, on purpose
        await reply(update, t(N_("为安全起见，请重新设置初始密码。")) + "\n" + t(ASK_PASSWORD))
        return State.PASSWORD
    if again != held["password"]:
        held.clear()
        await reply(update, t(N_("两次输入的密码不一致。")) + "\n" + t(ASK_PASSWORD), edit=False)
        return State.PASSWORD
    return await _offer_roles(update, context, draft["name"])


async def begin_existing(update: Update, context: Ctx) -> State:
    """添加已有用户: found by ID-card number."""
    await _start(update, context, "existing")
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "添加已有用户（随时发送 /cancel 取消）。\n"
                "请输入该用户的身份证号码。该消息读取后会立即删除："
            )
        ),
        edit=False,
    )
    return State.FIND


async def typed_find(update: Update, context: Ctx) -> State:
    """FIND: deleted at once; only the name and the masked number are shown to confirm."""
    assert update.message is not None and update.message.text is not None
    raw = update.message.text
    await delete_user_message(update)
    draft = _draft(context, "existing")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        match = await admins.find_person_to_add(uow, svc.clock, actor, raw)
    draft.update(user_id=match.user_id, name=match.name, masked=match.masked_id_number)
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("确认添加")), PERSON_OK.encode()),
            button(t(N_("取消")), ABORT.encode()),
        ]
    )
    await reply(
        update,
        t(
            N_("找到用户：\n姓名：{name}\n身份证号码：{id_number}\n确认将其添加为本基地管理员吗？"),
            name=match.name,
            id_number=match.masked_id_number,
        ),
        keyboard,
        edit=False,
    )
    return State.CONFIRM_PERSON


async def person_confirmed(update: Update, context: Ctx) -> State:
    """CONFIRM_PERSON: on to the role."""
    assert update.callback_query is not None
    draft = _draft(context, "existing")
    if "user_id" not in draft:
        raise DomainError(STEP_GONE)
    await update.callback_query.answer()
    return await _offer_roles(update, context, draft["name"])


async def _offer_roles(update: Update, context: Ctx, name: str) -> State:
    svc = services(context)
    async with svc.uow() as uow:
        roles = await admins.roles_for_assignment(uow, await current_actor(update, context, uow))
        await uow.commit()
    t = tr(update, context)
    buttons = _roles_keyboard(roles, PICK_ROLE, t)
    buttons.append(button(t(N_("取消")), ABORT.encode()))
    await reply(update, t(N_("请选择 {name} 的角色："), name=name), column(buttons), edit=False)
    return State.ROLE


async def picked_role(update: Update, context: Ctx) -> State | int:
    """ROLE: the admin is added; the service validates every field again and checks the role."""
    assert update.callback_query is not None and context.user_data is not None
    role_id = PICK_ROLE.parse_id(update.callback_query.data) or None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("way") not in {"new", "existing"}:
        raise DomainError(STEP_GONE)
    await update.callback_query.answer()
    t = tr(update, context)
    if draft["way"] == "new" and "password" not in _secrets(context):
        await reply(update, t(N_("为安全起见，请重新设置初始密码。")) + "\n" + t(ASK_PASSWORD))
        return State.PASSWORD
    svc = services(context)
    try:
        async with acting(update, context) as (uow, actor):
            view = await _add(uow, svc, actor, draft, role_id, _secrets(context))
    except Conflict as refused:  # someone was quicker: this draft cannot succeed any more
        await reply(
            update, describe(refused, t), column([button(t(N_("返回列表")), LIST.encode(0))])
        )
        return _end(context)
    if draft["way"] == "new":
        done = N_(
            "已注册新管理员 {name}（{id_number}），角色：{role}。\n"
            "请通过线下方式将初始密码告知本人；其首次登录时必须修改密码。"
        )
    else:
        done = N_("已添加 {name}（{id_number}）为本基地管理员，角色：{role}。")
    text = t(done, name=view.name, id_number=view.masked_id_number, role=_role_label(view, t))
    await reply(update, text, _card_keyboard(view, actor, t))
    return _end(context)


async def _add(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    draft: dict[str, Any],
    role_id: int | None,
    held: dict[str, str],
) -> AdminView:
    if draft["way"] == "new":
        return await admins.add_new_admin(
            uow,
            svc.hasher,
            svc.clock,
            actor,
            name=draft["name"],
            id_number=draft["id_number"],
            mobile=draft["mobile"],
            initial_password=held["password"],
            role_id=role_id,
        )
    return await admins.add_existing_admin(
        uow, svc.clock, actor, user_id=draft["user_id"], role_id=role_id
    )


# --- handing over the super admin (conversation) -----------------------------------------------


async def begin_hand_over(update: Update, context: Ctx) -> State:
    """设为超级管理员: only the super admin; the password is asked for before anything changes."""
    assert update.callback_query is not None and context.user_data is not None
    membership_id = SUPER.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view = await admins.hand_over_preview(uow, actor, membership_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"way": "super", "membership_id": membership_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "将超级管理员移交给 {name}（{id_number}）后，您将不再拥有任何功能权限。\n"
                "如确认移交，请输入您的登录密码（该消息读取后会立即删除）；发送 /cancel 取消："
            ),
            name=view.name,
            id_number=view.masked_id_number,
        ),
        edit=False,
    )
    return State.SUPER_PASSWORD


async def typed_super_password(update: Update, context: Ctx) -> int:
    """SUPER_PASSWORD: deleted at once; a wrong one is refused and asked for again."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context, "super")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.hand_over_super(
            uow,
            svc.hasher,
            svc.clock,
            actor,
            membership_id=draft["membership_id"],
            password=password,
        )
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("已将超级管理员移交给 {name}。您已不再是超级管理员，也不再拥有任何功能权限。"),
            name=view.name,
        ),
        column([button(t(N_("打开功能列表")), MENU_SHOW.encode())]),
        edit=False,
    )
    return _end(context)


async def abort(update: Update, context: Ctx) -> int:
    """The 取消 button inside a conversation: as /cancel."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await conversation.cancel(update, context)


def _end(context: Ctx) -> int:
    conversation.drop_drafts(context)
    return ConversationHandler.END


def build() -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="admins",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(begin_new, pattern=ADD_NEW.pattern),
            CallbackQueryHandler(begin_existing, pattern=ADD_EXISTING.pattern),
            CallbackQueryHandler(begin_hand_over, pattern=SUPER.pattern),
        ],
        states={
            State.NAME: [MessageHandler(text, typed_name)],
            State.ID_NUMBER: [MessageHandler(text, typed_id_number)],
            State.MOBILE: [MessageHandler(text, typed_mobile)],
            State.PASSWORD: [MessageHandler(text, typed_password)],
            State.PASSWORD_AGAIN: [MessageHandler(text, typed_password_again)],
            State.FIND: [MessageHandler(text, typed_find)],
            State.CONFIRM_PERSON: [
                CallbackQueryHandler(person_confirmed, pattern=PERSON_OK.pattern)
            ],
            State.ROLE: [CallbackQueryHandler(picked_role, pattern=PICK_ROLE.pattern)],
            State.SUPER_PASSWORD: [MessageHandler(text, typed_super_password)],
            **conversation.timeout_handlers(),
        },
        fallbacks=[CallbackQueryHandler(abort, pattern=ABORT.pattern), *conversation.fallbacks()],
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CommandHandler("admins", open_list))
    app.add_handler(CallbackQueryHandler(open_list, pattern=f"^{MENU_OPEN.encode('admins')}$"))
    app.add_handler(CallbackQueryHandler(turn_page, pattern=LIST.pattern))
    app.add_handler(CallbackQueryHandler(show_card, pattern=CARD.pattern))
    app.add_handler(CallbackQueryHandler(choose_role, pattern=ROLES.pattern))
    app.add_handler(CallbackQueryHandler(set_role, pattern=SET_ROLE.pattern))
    app.add_handler(CallbackQueryHandler(ask_delete, pattern=DELETE.pattern))
    app.add_handler(CallbackQueryHandler(delete, pattern=DELETE_OK.pattern))
    app.add_handler(CallbackQueryHandler(choose_way, pattern=ADD.pattern))
