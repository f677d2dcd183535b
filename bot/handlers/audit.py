"""/audit: the super admin reads the base's latest changes, paged, filtered by admin or kind."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.callbacks import CallbackAction
from bot.handlers.base_fields import BASE_FIELD_TEXT
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, page_turns
from bot.runtime import App, Ctx, acting, reply, tr
from domain.errors import NotFound
from domain.services import admins
from domain.services import audit as audit_service

PAGE_SIZE = 10
PAGE = CallbackAction("aud:p", ids=3)  # page, user id (0: everyone), kind index + 1 (0: all)
PICK_ADMIN = CallbackAction("aud:who")

ACTION_LABELS: dict[str, str] = {
    "base.register": N_("注册基地"),
    "base.register_existing": N_("以已有账号注册新基地"),
    "user.login": N_("登录"),
    "user.logout": N_("退出登录"),
    "user.locked": N_("账户被锁定"),
    "user.password_changed": N_("修改密码"),
    "user.reset_password_by_operator": N_("运维人员重置密码"),
    "admin.add_new": N_("注册新管理员"),
    "admin.add_existing": N_("添加已有用户为管理员"),
    "admin.remove": N_("删除管理员"),
    "admin.change_role": N_("更换角色"),
    "admin.hand_over_super": N_("移交超级管理员"),
    "admin.reset_password": N_("重置管理员密码"),
    "reviewer.create": N_("新增审核员"),
    "reviewer.reset_password": N_("重置审核员密码"),
    "reviewer.deactivate": N_("停用审核员"),
    "reviewer.activate": N_("启用审核员"),
    "reviewer.regions": N_("修改审核员负责的市州"),
    "role.create": N_("新增角色"),
    "role.rename": N_("重命名角色"),
    "role.permissions": N_("修改角色权限"),
    "role.delete": N_("删除角色"),
    "class.declare": N_("申报培训班"),
    "class.copy": N_("复制培训班"),
    "class.update": N_("修改培训班"),
    "class.delete": N_("删除培训班"),
    "class.submit": N_("提交培训班审核"),
    "class.withdraw": N_("撤回培训班"),
    "class.approve": N_("培训班审核通过"),
    "class.return": N_("培训班被退回"),
    "file.upload": N_("上传文件"),
    "file.download": N_("下载文件"),
    "file.damaged": N_("文件损坏，未能发送"),
    "score.import": N_("导入学员成绩"),
    "score.export": N_("导出学员成绩"),
    "score.add": N_("添加学员成绩"),
    "score.update": N_("修改学员成绩"),
    "score.delete": N_("删除学员成绩"),
    "score.submit": N_("报送学员成绩"),
    "score.withdraw": N_("撤回成绩报送"),
    "score.approve": N_("学员成绩审核通过"),
    "score.return": N_("学员成绩被退回"),
    "submission.create": N_("新增年度报送"),
    "submission.upload": N_("上传年度报送文件"),
    "submission.download": N_("下载年度报送文件"),
    "submission.replace": N_("替换年度报送文件"),
    "submission.remove_file": N_("移除年度报送文件"),
    "submission.edit": N_("修改年度工作材料"),
    "submission.delete": N_("删除年度工作材料"),
    "submission.submit": N_("提交年度报送"),
    "submission.withdraw": N_("撤回年度报送"),
    "submission.approve": N_("年度报送审核通过"),
    "submission.return": N_("年度报送被退回"),
}
KIND_LABELS: dict[str, str] = {
    "base": N_("基地"),
    "user": N_("账户"),
    "profile": N_("机构信息"),
    "admin": N_("管理员"),
    "role": N_("角色"),
    "class": N_("培训班"),
    "file": N_("文件"),
    "score": N_("学员成绩"),
    "submission": N_("年度报送"),
}


def _action_label(action: str, t: Translator) -> str:
    if action in ACTION_LABELS:
        return t(ACTION_LABELS[action])
    kind, _, rest = action.partition(".")
    if kind == "profile" and rest in BASE_FIELD_TEXT:
        return t(N_("修改{label}"), label=t(BASE_FIELD_TEXT[rest].label))
    return f"{t(KIND_LABELS[kind])} · {rest}" if kind in KIND_LABELS else action


def _entry_line(entry: audit_service.AuditEntry, t: Translator) -> str:
    event = entry.event
    line = t(
        N_("{at} {who}：{action} {subject}"),
        at=event.at,
        who=entry.actor_name or t(N_("系统")),
        action=_action_label(event.action, t),
        subject=event.subject,
    )
    if event.old_value is not None or event.new_value is not None:
        line += "\n  " + t(
            N_("{old} → {new}"), old=event.old_value or "—", new=event.new_value or "—"
        )
    return line


def _keyboard(
    page: int, user_id: int, kind: int, more: bool, t: Translator
) -> InlineKeyboardMarkup:
    navigation = page_turns(page, more, lambda p: PAGE.encode(p, user_id, kind))
    kinds = [
        button(("• " if kind == i + 1 else "") + t(KIND_LABELS[k]), PAGE.encode(0, user_id, i + 1))
        for i, k in enumerate(audit_service.AUDIT_KINDS)
    ]
    kinds.insert(0, button(("• " if kind == 0 else "") + t(N_("全部")), PAGE.encode(0, user_id, 0)))
    rows = [navigation] if navigation else []
    rows += [kinds[:3], kinds[3:]]
    rows.append(
        [
            button(t(N_("按管理员筛选")), PICK_ADMIN.encode()),
            button(t(N_("返回功能列表")), MENU_SHOW.encode()),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def show(
    update: Update, context: Ctx, page: int = 0, user_id: int = 0, kind: int = 0
) -> None:
    """/audit: the first page, all admins, all kinds."""
    if kind > len(audit_service.AUDIT_KINDS):
        raise NotFound()
    async with acting(update, context, readonly=True) as (uow, actor):
        entries = await audit_service.list_entries(
            uow,
            actor,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE + 1,
            by_user_id=user_id or None,
            kind=audit_service.AUDIT_KINDS[kind - 1] if kind else None,
        )
    t = tr(update, context)
    more = len(entries) > PAGE_SIZE
    lines = [t(N_("操作记录（第 {page} 页）"), page=page + 1)]
    lines += [_entry_line(e, t) for e in entries[:PAGE_SIZE]] or [t(N_("没有符合条件的记录。"))]
    await reply(update, "\n\n".join(lines), _keyboard(page, user_id, kind, more, t))


async def turn_page(update: Update, context: Ctx) -> None:
    """A page, kind or admin button: all three numbers are re-checked by the service."""
    assert update.callback_query is not None
    page, user_id, kind = PAGE.parse(update.callback_query.data)
    assert isinstance(page, int) and isinstance(user_id, int) and isinstance(kind, int)
    await show(update, context, page, user_id, kind)
    await update.callback_query.answer()


async def pick_admin(update: Update, context: Ctx) -> None:
    """Buttons for each admin of the base, to see only their changes."""
    assert update.callback_query is not None
    async with acting(update, context) as (uow, actor):
        views, _total = await admins.list_admins(uow, actor, limit=50)
    await update.callback_query.answer()
    t = tr(update, context)
    choices = [[button(v.name, PAGE.encode(0, v.user_id, 0))] for v in views]
    choices.append([button(t(N_("全部管理员")), PAGE.encode(0, 0, 0))])
    await reply(update, t(N_("查看哪位管理员的操作记录？")), InlineKeyboardMarkup(choices))


async def command(update: Update, context: Ctx) -> None:
    """/audit or the menu button 操作记录 (shown to the super admin)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show(update, context)


def register(app: App) -> None:
    app.add_handler(CommandHandler("audit", command))
    app.add_handler(CallbackQueryHandler(command, pattern=f"^{MENU_OPEN.encode('audit')}$"))
    app.add_handler(CallbackQueryHandler(turn_page, pattern=PAGE.pattern))
    app.add_handler(CallbackQueryHandler(pick_admin, pattern=PICK_ADMIN.pattern))
