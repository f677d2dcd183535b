"""The steps of 年度工作材料 that await something: a new material (kind, title, first file), more
files, a replacement, a new title or kind.

Each awaited thing is a conversation state of its own (:class:`State`), so each handler serves
one purpose and the draft holds only what that step needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers.submissions.callbacks import (
    DONE,
    DRAFT_KEY,
    MADD,
    MATERIAL,
    MKIND,
    MKINDASK,
    MLIST,
    MNEW,
    MREPLACE,
    MTITLE,
    State,
    draft_of,
    drop_draft,
)
from bot.handlers.submissions.materials import show_material
from bot.handlers.submissions.uploads import ask_file, receive
from bot.i18n import N_
from bot.keyboards import button, column, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Invalid
from domain.model import Actor, MaterialKind
from domain.ports import UnitOfWork
from domain.services import submissions

# --- a new material: kind, title, first file ---------------------------------------------------


async def start_new(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    year = MNEW.parse_id(update.callback_query.data)
    await _begin(update, context, {"year": year}, submissions.prepare_material_upload)
    return await _ask_kind(update, context, State.NEW_KIND)


async def on_new_kind(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    kind = submissions.parse_material_kind(MKIND.parse_word(update.callback_query.data))
    draft = draft_of(context, "year")
    await update.callback_query.answer()
    draft["material_kind"] = kind.value
    return await _ask_title(update, context, State.NEW_TITLE)


async def on_new_title(update: Update, context: Ctx) -> int:
    draft = draft_of(context, "year", "material_kind")
    title = await _typed_title(update, context)
    if title is None:
        return State.NEW_TITLE
    draft["title"] = title
    return await ask_file(update, context, MLIST.encode(draft["year"], 0), State.FIRST_FILE)


async def on_first_file(update: Update, context: Ctx) -> int:
    """The material is created with its first file; more files may follow."""
    draft = draft_of(context, "year", "material_kind", "title")
    svc = services(context)
    created = await receive(
        update,
        context,
        lambda uow, actor, size: submissions.prepare_material_upload(uow, actor, size=size),
        lambda uow, actor, data, name: submissions.add_material(
            uow,
            svc.blobs,
            svc.clock,
            actor,
            int(draft["year"]),
            submissions.parse_material_kind(draft["material_kind"]),
            draft["title"],
            data,
            name,
        ),
    )
    if created is None:
        return State.FIRST_FILE
    assert created.submission is not None
    draft["material_id"] = created.submission.id
    return await _more_files(update, context)


# --- more files, a replacement -----------------------------------------------------------------


async def start_add_file(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    material_id = MADD.parse_id(update.callback_query.data)
    await _begin(update, context, {"material_id": material_id}, _uploads_to(material_id))
    return await ask_file(update, context, MATERIAL.encode(material_id), State.MATERIAL_FILE)


async def on_added_file(update: Update, context: Ctx) -> int:
    material_id = draft_of(context, "material_id")["material_id"]
    svc = services(context)
    added = await receive(
        update,
        context,
        lambda uow, actor, size: submissions.prepare_material_upload(
            uow, actor, material_id, size=size
        ),
        lambda uow, actor, data, name: submissions.add_file(
            uow, svc.blobs, svc.clock, actor, material_id, data, name
        ),
    )
    if added is None:
        return State.MATERIAL_FILE
    return await _more_files(update, context)


async def _more_files(update: Update, context: Ctx) -> int:
    """A file was added: the admin may send another, or press 完成."""
    assert update.message is not None and update.message.document is not None
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("文件“{name}”已添加。可以继续发送文件，全部发完后点击“完成”。"),
            name=update.message.document.file_name or "",
        ),
        column([button(t(N_("完成")), DONE.encode())]),
        edit=False,
    )
    return State.MATERIAL_FILE


async def start_replace(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    material_id, entry_id = MREPLACE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    draft = {"material_id": material_id, "entry_id": entry_id}
    await _begin(update, context, draft, _uploads_to(material_id))
    return await ask_file(update, context, MATERIAL.encode(material_id), State.REPLACEMENT)


async def on_replacement(update: Update, context: Ctx) -> int:
    draft = draft_of(context, "material_id", "entry_id")
    material_id, entry_id = draft["material_id"], draft["entry_id"]
    svc = services(context)
    replaced = await receive(
        update,
        context,
        lambda uow, actor, size: submissions.prepare_material_upload(
            uow, actor, material_id, size=size
        ),
        lambda uow, actor, data, name: submissions.replace_file(
            uow, svc.blobs, svc.clock, actor, material_id, entry_id, data, name
        ),
    )
    if replaced is None:
        return State.REPLACEMENT
    drop_draft(context)
    note = tr(update, context)(N_("文件已替换（旧文件保留在历史中）。"))
    await show_material(update, context, material_id, note, edit=False)
    return ConversationHandler.END


async def on_done(update: Update, context: Ctx) -> int:
    """完成: no more files; the material's card shows them all."""
    assert update.callback_query is not None
    draft = draft_of(context)
    await update.callback_query.answer()
    drop_draft(context)
    if isinstance(draft.get("material_id"), int):
        await show_material(update, context, draft["material_id"])
    return ConversationHandler.END


# --- a new title or kind -----------------------------------------------------------------------


async def start_title(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    material_id = MTITLE.parse_id(update.callback_query.data)
    await _begin(update, context, {"material_id": material_id}, _own(material_id))
    return await _ask_title(update, context, State.TITLE)


async def on_title(update: Update, context: Ctx) -> int:
    material_id = draft_of(context, "material_id")["material_id"]
    title = await _typed_title(update, context)
    if title is None:
        return State.TITLE
    return await _edit(update, context, material_id, title=title)


async def start_kind(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    material_id = MKINDASK.parse_id(update.callback_query.data)
    await _begin(update, context, {"material_id": material_id}, _own(material_id))
    return await _ask_kind(update, context, State.KIND)


async def on_kind(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    kind = submissions.parse_material_kind(MKIND.parse_word(update.callback_query.data))
    material_id = draft_of(context, "material_id")["material_id"]
    await update.callback_query.answer()
    return await _edit(update, context, material_id, material_kind=kind)


async def _edit(
    update: Update,
    context: Ctx,
    material_id: int,
    *,
    title: str | None = None,
    material_kind: MaterialKind | None = None,
) -> int:
    """A new title or kind saved, and the card showing it."""
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await submissions.edit_material(
            uow, svc.clock, actor, material_id, title=title, material_kind=material_kind
        )
    drop_draft(context)
    note = tr(update, context)(N_("已修改。"))
    await show_material(update, context, material_id, note)
    return ConversationHandler.END


# --- starting a step ---------------------------------------------------------------------------

Check = Callable[[UnitOfWork, Actor], Awaitable[object]]


async def _begin(update: Update, context: Ctx, draft: dict[str, int], check: Check) -> None:
    """A button starts a step: ``check`` refuses it (not the admin's, not editable) before the
    draft is kept."""
    assert update.callback_query is not None and context.user_data is not None
    async with acting(update, context) as (uow, actor):
        await check(uow, actor)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = draft


def _uploads_to(material_id: int) -> Check:
    return lambda uow, actor: submissions.prepare_material_upload(uow, actor, material_id)


def _own(material_id: int) -> Check:
    return lambda uow, actor: submissions.get_material(uow, actor, material_id)


# --- asking ------------------------------------------------------------------------------------


async def _ask_kind(update: Update, context: Ctx, awaiting: State) -> int:
    t = tr(update, context)
    choices = [button(t(k.label), MKIND.encode(k.value)) for k in MaterialKind]
    await reply(update, t(N_("请选择材料类别：")), rows(choices, per_row=3))
    return awaiting


async def _ask_title(update: Update, context: Ctx, awaiting: State) -> int:
    t = tr(update, context)
    await reply(update, t(N_("请输入材料标题（最多 100 个字）：")), edit=False)
    return awaiting


async def _typed_title(update: Update, context: Ctx) -> str | None:
    """The title typed; None when refused (the admin is told why and may type another)."""
    assert update.message is not None and update.message.text is not None
    try:
        return submissions.parse_title(update.message.text)
    except Invalid as refused:
        await reply(update, describe(refused, tr(update, context)), edit=False)
        return None
