"""Annual submissions (年度培训计划 · 年度工作总结 · 年度工作材料) as the reviewer sees them.

A card lists the current files, each downloadable from a button of its own, and names the
earlier versions, replaced or removed files; a long card is cut, never refused.
"""

from __future__ import annotations

from bot.handlers.classes import history_text
from bot.handlers.review import buttons
from bot.handlers.review.view import Attachment, Entry, KindView, Texts
from bot.i18n import N_, Translator
from bot.runtime import Services
from domain.model import AnnualSubmission, ReviewerActor, SubmissionFile, SubmissionKind
from domain.ports import UnitOfWork
from domain.services import review
from domain.uploads import human_size

FILES_SHOWN = 40
"""A card lists (and offers to download) at most this many current files…"""
EARLIER_SHOWN = 6
"""…and names at most this many earlier versions, replaced or removed files."""
BUTTON_NAME_MAX = 28
"""Characters of a file's name on its download button; longer names keep their extension."""
MAX_TEXT = 4096
"""Telegram's limit on a message's text."""


def _entry(item: review.SubmissionItem, number: int, t: Translator) -> Entry:
    s = item.submission
    kind = t(s.kind.label)
    at = s.submitted_at or s.created_at
    common = {"number": number, "base": item.base_name, "region": item.base_region}
    if s.kind is SubmissionKind.MATERIAL:
        line = t(
            N_("{number}. {base} · {region} · {year} {kind} · {title} · 提交于 {at}"),
            year=s.year,
            kind=kind,
            title=s.title,
            at=at,
            **common,
        )
        label = f"{number}. {s.title}"
    else:
        line = t(
            N_("{number}. {base} · {region} · {year} {kind} · 提交于 {at}"),
            year=s.year,
            kind=kind,
            at=at,
            **common,
        )
        label = f"{number}. {s.year} {kind}"
    return Entry(line, label[:60], s.id or 0)


def _card(item: review.SubmissionItem, t: Translator) -> str:
    s = item.submission
    head = [
        t(
            N_(
                "年度报送审核（{status}）\n继续教育基地：{base}（{region}）\n年度：{year}\n类别：{kind}"
            ),
            status=t(s.status.label),
            base=item.base_name,
            region=item.base_region,
            year=s.year,
            kind=t(s.kind.label),
        )
    ]
    if s.kind is SubmissionKind.MATERIAL:
        head.append(
            t(
                N_("材料标题：{title}\n材料类型：{material_kind}"),
                title=s.title,
                material_kind=t(s.material_kind.label) if s.material_kind else t(N_("（无）")),
            )
        )
    parts = ["\n".join(head), _files_text(s, t), history_text(s, item.names, t)]
    text = "\n\n".join(part for part in parts if part)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _files_text(s: AnnualSubmission, t: Translator) -> str:
    """The current file(s), downloadable from the buttons; earlier ones named only."""
    current = s.current_files
    lines = [t(N_("当前文件（点击下方按钮下载）：")) if current else t(N_("当前文件：（无）"))]
    lines += [f"{n}. {_file_text(f, t)}" for n, f in enumerate(current[:FILES_SHOWN], start=1)]
    if len(current) > FILES_SHOWN:
        lines.append(t(N_("……另有 {count} 个文件未列出。"), count=len(current) - FILES_SHOWN))
    earlier = [f for f in s.versions if not f.is_current]
    if earlier:
        lines.append(t(N_("早先的版本（仅列出文件名）：")))
        lines += [_earlier_text(s, f, t) for f in earlier[:EARLIER_SHOWN]]
        if len(earlier) > EARLIER_SHOWN:
            lines.append(t(N_("……另有 {count} 个文件未列出。"), count=len(earlier) - EARLIER_SHOWN))
    return "\n".join(lines)


def _file_text(entry: SubmissionFile, t: Translator) -> str:
    return t(
        N_("{name}（{size}）"), name=entry.stored.original_name, size=human_size(entry.stored.size)
    )


def _earlier_text(s: AnnualSubmission, entry: SubmissionFile, t: Translator) -> str:
    """An earlier version of a plan or summary by its number; a material's file by its name."""
    if s.kind.once_a_year:
        return t(
            N_("· 第 {number} 版 {name}"), number=entry.number, name=entry.stored.original_name
        )
    return f"· {entry.stored.original_name}"


def _files(item: review.SubmissionItem, t: Translator) -> list[tuple[str, tuple[int, ...]]]:
    s = item.submission
    return [
        (t(N_("下载：{name}"), name=_short(entry.stored.original_name)), (s.id or 0, entry.id or 0))
        for entry in s.current_files[:FILES_SHOWN]
    ]


def _short(name: str, limit: int = BUTTON_NAME_MAX) -> str:
    """A file name that fits on a button, its extension kept: 2026年度…计划.pdf."""
    if len(name) <= limit:
        return name
    dot = name.rfind(".")
    tail = name[dot:] if dot > 0 and len(name) - dot <= 8 else ""
    return name[: limit - len(tail) - 1] + "…" + tail


def _title(item: review.SubmissionItem | review.SubmissionDecision, t: Translator) -> str:
    return _named(item.submission, t)


def _named(s: AnnualSubmission, t: Translator) -> str:
    """The year and the kind, and for a material its title too: 2026 年年度工作材料：学习指南."""
    what = t(s.kind.label)
    if s.kind is SubmissionKind.MATERIAL:
        what = t(N_("{kind}：{title}"), kind=what, title=s.title)
    return t(N_("{year} 年{what}"), year=s.year, what=what)


async def _file(
    uow: UnitOfWork, svc: Services, reviewer: ReviewerActor, ids: tuple[int, ...], t: Translator
) -> Attachment:
    """下载：a current or earlier file as the base uploaded it, verified; in the base's trail."""
    submission_id, entry_id = ids
    submission, stored, data = await review.open_submission_file(
        uow, svc.blobs, svc.clock, reviewer, submission_id, entry_id
    )
    return Attachment(data, stored.original_name, _named(submission, t))


SUBMISSIONS = KindView(
    kind=review.SUBMISSIONS,
    buttons=buttons.SUBMISSIONS,
    texts=Texts(
        button=N_("年度报送（{count}）"),
        heading=N_("待审核的年度报送：共 {total} 份（第 {page}/{pages} 页），先提交的在前。"),
        empty=N_("目前没有待审核的年度报送。"),
        hint=N_("点击一份报送查看文件并审核。"),
    ),
    entry=_entry,
    card=_card,
    files=_files,
    title=_title,
    download=_file,
)
