"""年度培训计划 (/plan), 年度工作总结 (/summary), 年度工作材料报送 (/materials).

A plan or summary is one per year: its screen shows the current version, the earlier versions and
the history, and a new upload while it is a draft or returned becomes the next version. Materials
are many per year, each with a kind, a title and one or more files that can be added, replaced or
removed while editable. Files always arrive after a button says what they are for (上传 / 添加 /
替换), so a stray document never lands in the wrong place. Every press re-resolves the admin and
lets the services check the permission, the base and the state.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.classes import history_text
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Invalid
from domain.model import MaterialKind, SubmissionFile, SubmissionKind
from domain.services import submissions as s
from domain.uploads import human_size

DRAFT_KEY: Final = "draft:submissions"
PER_PAGE: Final = 8
VERSIONS_SHOWN: Final = 6
ANNUAL_KINDS: Final = {k.value: k for k in (SubmissionKind.PLAN, SubmissionKind.SUMMARY)}

OVERVIEW = CallbackAction("sb:ov", ids=1, words=1)
"""The year's plan or summary: (year, "plan" | "summary")."""
MATERIAL = CallbackAction("sb:mat", ids=1)
"""One material's card: (material id)."""
YEARS = CallbackAction("sb:yrs", words=1)  # "plan" | "summary" | "material"
UPLOAD = CallbackAction("sb:up", ids=1, words=1)  # year, kind
VERSION = CallbackAction("sb:ver", ids=2, words=1)  # year, version, kind
SUBMIT = CallbackAction("sb:sub", ids=1, words=1)
WITHDRAW = CallbackAction("sb:wd", ids=1, words=1)
MLIST = CallbackAction("sb:ml", ids=2)  # year, page
MNEW = CallbackAction("sb:mnew", ids=1)  # year
MKIND = CallbackAction("sb:mk", words=1)  # the kind chosen while adding or editing
MFILE = CallbackAction("sb:mf", ids=2)  # material, entry: download
MADD = CallbackAction("sb:madd", ids=1)
MREPLACE = CallbackAction("sb:mrep", ids=2)
MREMOVE = CallbackAction("sb:mrm", ids=2)
MTITLE = CallbackAction("sb:mtt", ids=1)
MKINDASK = CallbackAction("sb:mka", ids=1)
MDELETE = CallbackAction("sb:mdel", ids=1)
MDELETE_OK = CallbackAction("sb:mdelok", ids=1)
MSUBMIT = CallbackAction("sb:msub", ids=1)
MWITHDRAW = CallbackAction("sb:mwd", ids=1)
DONE = CallbackAction("sb:done")
MATERIAL_WORD: Final = "material"


class State(IntEnum):
    FILE = 1
    TITLE = 2
    KIND = 3


# --- plan and summary ----------------------------------------------------------------------------


async def show_plan(update: Update, context: Ctx) -> None:
    await _open_annual(update, context, SubmissionKind.PLAN)


async def show_summary(update: Update, context: Ctx) -> None:
    await _open_annual(update, context, SubmissionKind.SUMMARY)


async def _open_annual(update: Update, context: Ctx, kind: SubmissionKind) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show_annual(update, context, kind, s.this_year(services(context).clock))


def _annual_kind(word: object) -> SubmissionKind:
    kind = ANNUAL_KINDS.get(str(word))
    if kind is None:
        raise Invalid("kind", N_("这一步已经失效，请重新打开。"))
    return kind


async def on_overview(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, word = OVERVIEW.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = _annual_kind(word)
    await update.callback_query.answer()
    await show_annual(update, context, kind, year)


def _file_line(entry: SubmissionFile, view: s.SubmissionView, t: Translator) -> str:
    return t(
        N_("{name}（{size}，{who} 于 {at} 上传）"),
        name=entry.stored.original_name,
        size=human_size(entry.stored.size),
        who=view.name_of(entry.added_by),
        at=entry.added_at,
    )


async def show_annual(
    update: Update, context: Ctx, kind: SubmissionKind, year: int, note: str = ""
) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await s.overview(uow, actor, kind, year)
    lines = [t(N_("{kind} · {year} 年"), kind=t(kind.label), year=year)]
    if view.submission is None:
        lines.append(t(N_("状态：尚未上传")))
    else:
        lines.append(t(N_("状态：{status}"), status=t(view.status.label)))
    current = view.current
    if current is not None:
        lines.append(
            t(
                N_("当前版本：第 {number} 版 {file}"),
                number=current.number,
                file=_file_line(current, view, t),
            )
        )
    earlier = [v for v in view.versions if current is None or v.id != current.id]
    if earlier:
        lines.append(t(N_("历次版本：")))
        lines += [
            t(N_("第 {number} 版 {file}"), number=v.number, file=_file_line(v, view, t))
            for v in earlier[:VERSIONS_SHOWN]
        ]
    if view.submission is not None and view.history:
        lines.append(history_text(view.submission, view.names, t))
    if view.is_editable:
        lines.append(t(N_("点击“上传文件”后发送文件；新文件成为新版本，旧版本保留在历史中。")))
    buttons: list[InlineKeyboardButton] = []
    if view.is_editable:
        buttons.append(button(t(N_("上传文件")), UPLOAD.encode(year, kind.value)))
    for v in view.versions[: VERSIONS_SHOWN + 1]:
        buttons.append(
            button(
                t(N_("下载第 {number} 版"), number=v.number),
                VERSION.encode(year, v.number, kind.value),
            )
        )
    if view.can_submit:
        buttons.append(button(t(N_("提交审核")), SUBMIT.encode(year, kind.value)))
    if view.can_withdraw:
        buttons.append(button(t(N_("撤回")), WITHDRAW.encode(year, kind.value)))
    buttons.append(button(t(N_("选择年度")), YEARS.encode(kind.value)))
    buttons.append(button(t(N_("返回功能列表")), MENU_SHOW.encode()))
    text = "\n".join(lines)
    await reply(update, f"{note}\n\n{text}" if note else text, rows(buttons, per_row=2))


async def on_years(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    word = YEARS.parse_word(update.callback_query.data)
    t = tr(update, context)
    svc = services(context)
    kind = SubmissionKind.MATERIAL if word == MATERIAL_WORD else _annual_kind(word)
    async with acting(update, context) as (uow, actor):
        years = await s.submission_years(uow, svc.clock, actor, kind)
    await update.callback_query.answer()
    this_year = s.this_year(svc.clock)
    # This year first, then the coming one (plans are often filed ahead), then earlier years.
    earlier = sorted({y for y in years if y < this_year}, reverse=True)
    choices = [this_year, this_year + 1, *earlier]
    if kind is SubmissionKind.MATERIAL:
        buttons = [button(str(y), MLIST.encode(y, 0)) for y in choices]
    else:
        buttons = [button(str(y), OVERVIEW.encode(y, kind.value)) for y in choices]
    await reply(update, t(N_("请选择年度：")), rows(buttons, per_row=3))


async def on_version(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    year, number, word = VERSION.parse(update.callback_query.data)
    assert isinstance(year, int) and isinstance(number, int)
    kind = _annual_kind(word)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        stored, data = await s.open_version(uow, svc.blobs, svc.clock, actor, kind, year, number)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data,
        filename=stored.original_name,
        caption=t(
            N_("{year} 年{kind} 第 {number} 版"), year=year, kind=t(kind.label), number=number
        ),
    )


async def on_submit(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, word = SUBMIT.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = _annual_kind(word)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await s.submit(uow, svc.clock, actor, kind, year)
    await update.callback_query.answer()
    await show_annual(update, context, kind, year, tr(update, context)(N_("已提交审核。")))


async def on_withdraw(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, word = WITHDRAW.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = _annual_kind(word)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await s.withdraw(uow, svc.clock, actor, kind, year)
    await update.callback_query.answer()
    await show_annual(
        update, context, kind, year, tr(update, context)(N_("已撤回，可以修改后重新提交。"))
    )


# --- materials: list and card --------------------------------------------------------------------


async def show_materials(update: Update, context: Ctx) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _material_list(update, context, s.this_year(services(context).clock), 0)


async def on_material_list(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, page = MLIST.parse(update.callback_query.data)
    assert isinstance(year, int) and isinstance(page, int)
    await update.callback_query.answer()
    await _material_list(update, context, year, page)


async def _material_list(update: Update, context: Ctx, year: int, page: int) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        items, total = await s.list_materials(
            uow, actor, year, offset=page * PER_PAGE, limit=PER_PAGE
        )
    lines = [
        t(
            N_("{year} 年度工作材料：共 {total} 份（第 {page}/{pages} 页）"),
            year=year,
            total=total,
            page=page + 1,
            pages=page_count(total, PER_PAGE),
        )
    ]
    if not items:
        lines.append(t(N_("还没有材料。点击“新增材料”报送学习指南、工作通知等材料。")))
    for m in items:
        lines.append(
            t(
                N_("[{kind}] {title} · {status} · {count} 个文件"),
                kind=t(m.material_kind.label) if m.material_kind else "",
                title=m.title,
                status=t(m.status.label),
                count=len(m.current_files),
            )
        )
    keyboard = [[button(m.title[:50], MATERIAL.encode(m.id or 0))] for m in items]
    paging = page_turns(page, (page + 1) * PER_PAGE < total, lambda p: MLIST.encode(year, p))
    if paging:
        keyboard.append(paging)
    keyboard.append(
        [
            button(t(N_("新增材料")), MNEW.encode(year)),
            button(t(N_("选择年度")), YEARS.encode(MATERIAL_WORD)),
        ]
    )
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


async def on_material(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MATERIAL.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_material(update, context, material_id)


async def show_material(
    update: Update, context: Ctx, material_id: int, note: str = "", *, edit: bool = True
) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await s.get_material(uow, actor, material_id)
    m = view.submission
    assert m is not None
    lines = [
        t(
            N_("年度工作材料：{title}\n年度：{year} · 类别：{kind} · 状态：{status}"),
            title=m.title,
            year=m.year,
            kind=t(m.material_kind.label) if m.material_kind else "",
            status=t(m.status.label),
        ),
        t(N_("文件：")),
    ]
    lines += [f"{f.number}. {_file_line(f, view, t)}" for f in view.current_files]
    ended = [f for f in view.versions if not f.is_current]
    if ended:
        lines.append(t(N_("已替换或移除的文件：")))
        lines += [f"· {_file_line(f, view, t)}" for f in ended[:VERSIONS_SHOWN]]
    if view.history:
        lines.append(history_text(m, view.names, t))
    buttons: list[InlineKeyboardButton] = []
    for f in view.current_files:
        buttons.append(
            button(t(N_("下载 {number}"), number=f.number), MFILE.encode(material_id, f.id or 0))
        )
        if view.is_editable:
            buttons.append(
                button(
                    t(N_("替换 {number}"), number=f.number), MREPLACE.encode(material_id, f.id or 0)
                )
            )
            if len(view.current_files) > 1:
                buttons.append(
                    button(
                        t(N_("移除 {number}"), number=f.number),
                        MREMOVE.encode(material_id, f.id or 0),
                    )
                )
    if view.is_editable:
        buttons += [
            button(t(N_("添加文件")), MADD.encode(material_id)),
            button(t(N_("修改标题")), MTITLE.encode(material_id)),
            button(t(N_("修改类别")), MKINDASK.encode(material_id)),
        ]
    if view.can_delete:
        buttons.append(button(t(N_("删除")), MDELETE.encode(material_id)))
    if view.can_submit:
        buttons.append(button(t(N_("提交审核")), MSUBMIT.encode(material_id)))
    if view.can_withdraw:
        buttons.append(button(t(N_("撤回")), MWITHDRAW.encode(material_id)))
    buttons.append(button(t(N_("返回材料列表")), MLIST.encode(m.year, 0)))
    text = "\n".join(lines)
    await reply(update, f"{note}\n\n{text}" if note else text, rows(buttons, per_row=3), edit=edit)


async def on_material_file(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    material_id, entry_id = MFILE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        stored, data = await s.open_material_file(
            uow, svc.blobs, svc.clock, actor, material_id, entry_id
        )
    await update.callback_query.answer()
    await update.effective_chat.send_document(data, filename=stored.original_name)


async def on_remove(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id, entry_id = MREMOVE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await s.remove_file(uow, svc.clock, actor, material_id, entry_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await show_material(update, context, material_id, t(N_("文件已移除（保留在历史中）。")))


async def on_kind_ask(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and context.user_data is not None
    material_id = MKINDASK.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await s.get_material(uow, actor, material_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"mode": "kind", "material_id": material_id}
    await _ask_kind(update, context)


async def _ask_kind(update: Update, context: Ctx) -> None:
    t = tr(update, context)
    choices = [button(t(k.label), MKIND.encode(k.value)) for k in MaterialKind]
    await reply(update, t(N_("请选择材料类别：")), rows(choices, per_row=3))


async def on_delete(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MDELETE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        view = await s.get_material(uow, actor, material_id)
    await update.callback_query.answer()
    assert view.submission is not None
    keyboard = column(
        [
            button(t(N_("确认删除")), MDELETE_OK.encode(material_id)),
            button(t(N_("取消")), MATERIAL.encode(material_id)),
        ]
    )
    await reply(update, t(N_("确定删除材料“{title}”吗？"), title=view.submission.title), keyboard)


async def on_delete_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MDELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        deleted = await s.delete_material(uow, svc.clock, actor, material_id)
    await update.callback_query.answer()
    back = column([button(t(N_("返回材料列表")), MLIST.encode(deleted.year, 0))])
    await reply(update, t(N_("材料“{title}”已删除。"), title=deleted.title), back)


async def on_material_submit(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MSUBMIT.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await s.submit_material(uow, svc.clock, actor, material_id)
    await update.callback_query.answer()
    await show_material(update, context, material_id, tr(update, context)(N_("已提交审核。")))


async def on_material_withdraw(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MWITHDRAW.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await s.withdraw_material(uow, svc.clock, actor, material_id)
    await update.callback_query.answer()
    note = tr(update, context)(N_("已撤回，可以修改后重新提交。"))
    await show_material(update, context, material_id, note)


# --- conversations: files, a new material, title and kind ---------------------------------------


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or "mode" not in draft:
        raise Invalid("field", N_("这一步已经失效，请重新打开。"))
    return draft


async def start_upload(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    year, word = UPLOAD.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = _annual_kind(word)
    async with acting(update, context) as (uow, actor):
        await s.prepare_upload(uow, actor, kind, year)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"mode": "annual", "kind": kind.value, "year": year}
    return await _ask_file(update, context, OVERVIEW.encode(year, kind.value))


async def start_add_file(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    material_id = MADD.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await s.prepare_material_upload(uow, actor, material_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"mode": "add", "material_id": material_id}
    return await _ask_file(update, context, MATERIAL.encode(material_id))


async def start_replace(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    material_id, entry_id = MREPLACE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    async with acting(update, context) as (uow, actor):
        await s.prepare_material_upload(uow, actor, material_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "mode": "replace",
        "material_id": material_id,
        "entry_id": entry_id,
    }
    return await _ask_file(update, context, MATERIAL.encode(material_id))


async def start_new(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    year = MNEW.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await s.prepare_material_upload(uow, actor)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"mode": "new", "year": year}
    await _ask_kind(update, context)
    return State.KIND


async def start_title(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    material_id = MTITLE.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await s.get_material(uow, actor, material_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"mode": "title", "material_id": material_id}
    t = tr(update, context)
    await reply(update, t(N_("请输入材料标题（最多 100 个字）：")), edit=False)
    return State.TITLE


async def _ask_file(update: Update, context: Ctx, back: str) -> int:
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "请把文件作为附件发给我（PDF、Word、Excel、WPS 或扫描图片，最大 20 MB）。"
                "发送 /cancel 取消。"
            )
        ),
        column([button(t(N_("取消")), back)]),
        edit=False,
    )
    return State.FILE


async def on_kind(update: Update, context: Ctx) -> int:
    """A material kind: the first step of a new material, or a change of an existing one's."""
    assert update.callback_query is not None
    kind = s.parse_material_kind(MKIND.parse_word(update.callback_query.data))
    draft = _draft(context)
    await update.callback_query.answer()
    t = tr(update, context)
    if draft["mode"] == "kind":
        svc = services(context)
        async with acting(update, context) as (uow, actor):
            await s.edit_material(uow, svc.clock, actor, draft["material_id"], material_kind=kind)
        _drop(context)
        await show_material(update, context, draft["material_id"], t(N_("已修改。")))
        return ConversationHandler.END
    draft["material_kind"] = kind.value
    await reply(update, t(N_("请输入材料标题（最多 100 个字）：")), edit=False)
    return State.TITLE


async def on_title(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    t = tr(update, context)
    try:
        title = s.parse_title(update.message.text)
    except Invalid as refused:
        await reply(update, describe(refused, t), edit=False)
        return State.TITLE
    if draft["mode"] == "title":
        svc = services(context)
        async with acting(update, context) as (uow, actor):
            await s.edit_material(uow, svc.clock, actor, draft["material_id"], title=title)
        _drop(context)
        await show_material(update, context, draft["material_id"], t(N_("已修改。")), edit=False)
        return ConversationHandler.END
    draft["title"] = title
    return await _ask_file(update, context, MLIST.encode(draft["year"], 0))


async def on_file(update: Update, context: Ctx) -> int:
    """A document for what the draft says; the announced size is checked before download."""
    assert update.message is not None and update.message.document is not None
    draft = _draft(context)
    doc = update.message.document
    svc = services(context)
    t = tr(update, context)
    mode = draft["mode"]
    kind = _annual_kind(draft["kind"]) if mode == "annual" else SubmissionKind.MATERIAL
    year = int(draft.get("year") or 0)
    async with acting(update, context) as (uow, actor):
        if mode == "annual":
            await s.prepare_upload(uow, actor, kind, year, size=doc.file_size)
        else:
            await s.prepare_material_upload(
                uow, actor, draft.get("material_id"), size=doc.file_size
            )
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    try:
        async with acting(update, context) as (uow, actor):
            if mode == "annual":
                await s.upload(uow, svc.blobs, svc.clock, actor, kind, year, data, doc.file_name)
            elif mode == "new":
                view = await s.add_material(
                    uow,
                    svc.blobs,
                    svc.clock,
                    actor,
                    int(draft["year"]),
                    s.parse_material_kind(draft["material_kind"]),
                    draft["title"],
                    data,
                    doc.file_name,
                )
                assert view.submission is not None
                draft.update(mode="add", material_id=view.submission.id)
            elif mode == "add":
                await s.add_file(
                    uow, svc.blobs, svc.clock, actor, draft["material_id"], data, doc.file_name
                )
            else:
                await s.replace_file(
                    uow,
                    svc.blobs,
                    svc.clock,
                    actor,
                    draft["material_id"],
                    draft["entry_id"],
                    data,
                    doc.file_name,
                )
    except Invalid as refused:
        again = t(N_("请换一个文件发送，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return State.FILE
    if mode == "annual":
        _drop(context)
        note = t(N_("文件“{name}”已上传。"), name=doc.file_name or "")
        await show_annual(update, context, kind, year, note)
        return ConversationHandler.END
    if mode == "replace":
        _drop(context)
        await show_material(
            update,
            context,
            draft["material_id"],
            t(N_("文件已替换（旧文件保留在历史中）。")),
            edit=False,
        )
        return ConversationHandler.END
    await reply(
        update,
        t(
            N_("文件“{name}”已添加。可以继续发送文件，全部发完后点击“完成”。"),
            name=doc.file_name or "",
        ),
        column([button(t(N_("完成")), DONE.encode())]),
        edit=False,
    )
    return State.FILE


async def on_done(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    draft = _draft(context)
    await update.callback_query.answer()
    _drop(context)
    if isinstance(draft.get("material_id"), int):
        await show_material(update, context, draft["material_id"])
    return ConversationHandler.END


async def leave(update: Update, context: Ctx) -> int:
    """取消 or a screen's button while a step waits: the step is abandoned, the screen opens."""
    conversation.drop_drafts(context)
    data = update.callback_query.data if update.callback_query else None
    if data and data.startswith(OVERVIEW.prefix + ":"):
        await on_overview(update, context)
    elif data and data.startswith(MLIST.prefix + ":"):
        await on_material_list(update, context)
    else:
        await on_material(update, context)
    return ConversationHandler.END


def _drop(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)


def build() -> ConversationHandler:  # type: ignore[type-arg]
    screens: list[BaseHandler[Update, Any, Any]] = [
        CallbackQueryHandler(leave, pattern=OVERVIEW.pattern),
        CallbackQueryHandler(leave, pattern=MATERIAL.pattern),
        CallbackQueryHandler(leave, pattern=MLIST.pattern),
    ]
    return ConversationHandler(
        name="submissions",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(start_upload, pattern=UPLOAD.pattern),
            CallbackQueryHandler(start_add_file, pattern=MADD.pattern),
            CallbackQueryHandler(start_replace, pattern=MREPLACE.pattern),
            CallbackQueryHandler(start_new, pattern=MNEW.pattern),
            CallbackQueryHandler(start_title, pattern=MTITLE.pattern),
            CallbackQueryHandler(on_kind_ask_entry, pattern=MKINDASK.pattern),
        ],
        states={
            State.FILE: [
                MessageHandler(filters.Document.ALL, on_file),
                CallbackQueryHandler(on_done, pattern=DONE.pattern),
                *screens,
            ],
            State.TITLE: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_title), *screens],
            State.KIND: [CallbackQueryHandler(on_kind, pattern=MKIND.pattern), *screens],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


async def on_kind_ask_entry(update: Update, context: Ctx) -> int:
    await on_kind_ask(update, context)
    return State.KIND


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CommandHandler("plan", show_plan))
    app.add_handler(CommandHandler("summary", show_summary))
    app.add_handler(CommandHandler("materials", show_materials))
    app.add_handler(CallbackQueryHandler(show_plan, pattern=f"^{MENU_OPEN.encode('plan')}$"))
    app.add_handler(CallbackQueryHandler(show_summary, pattern=f"^{MENU_OPEN.encode('summary')}$"))
    app.add_handler(
        CallbackQueryHandler(show_materials, pattern=f"^{MENU_OPEN.encode('materials')}$")
    )
    for action, callback in (
        (OVERVIEW, on_overview),
        (YEARS, on_years),
        (VERSION, on_version),
        (SUBMIT, on_submit),
        (WITHDRAW, on_withdraw),
        (MLIST, on_material_list),
        (MATERIAL, on_material),
        (MFILE, on_material_file),
        (MREMOVE, on_remove),
        (MDELETE, on_delete),
        (MDELETE_OK, on_delete_ok),
        (MSUBMIT, on_material_submit),
        (MWITHDRAW, on_material_withdraw),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
