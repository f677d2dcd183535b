"""年度培训计划 · 年度工作总结 · 年度工作材料: the services and the reviewer's side, for real.

Every test runs on SQLite and, when ``CEBOT_TEST_DATABASE_URL`` is set, on PostgreSQL; files go
to a real encrypted file store in a temporary directory.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from domain import uploads
from domain.clock import FixedClock
from domain.errors import (
    Invalid,
    InvalidTransition,
    NotFound,
    NotPermitted,
    StoredFileDamaged,
)
from domain.model import Actor, AnnualSubmission, FileEnd, MaterialKind, SubmissionKind
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.services import review, submissions
from domain.workflow import Action, Status
from storage.crypto import FieldCipher
from storage.filestore import FileIntegrityError, LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import id_of
from tests.services.test_classes import add_admin, make_id, wuhan_admin, yichang_admin
from tests.services.test_review import ID_PROVINCE, reviewer
from tests.unit import samples

PLAN = SubmissionKind.PLAN
SUMMARY = SubmissionKind.SUMMARY
YEAR = 2026


@pytest.fixture
def blobs(tmp_path: Path, cipher: FieldCipher) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", cipher)


def a_pdf(n: int = 0) -> bytes:
    """A valid PDF, different for every ``n``: each upload is a file of its own."""
    return samples.pdf(trailing=b"\n" + b" " * n)


async def uploaded(
    uow_factory: UnitOfWorkFactory,
    blobs: LocalFileStore,
    clock: FixedClock,
    actor: Actor,
    kind: SubmissionKind = PLAN,
    data: bytes | None = None,
    name: str = "计划.pdf",
) -> submissions.SubmissionView:
    async with uow_factory() as uow:
        return await submissions.upload(uow, blobs, clock, actor, kind, YEAR, data or a_pdf(), name)


async def material(
    uow_factory: UnitOfWorkFactory,
    blobs: LocalFileStore,
    clock: FixedClock,
    actor: Actor,
    *,
    title: str = "2026年学习指南",
    data: bytes | None = None,
) -> AnnualSubmission:
    async with uow_factory() as uow:
        view = await submissions.add_material(
            uow,
            blobs,
            clock,
            actor,
            YEAR,
            "学习指南",
            title,
            data or samples.docx(),
            "学习指南.docx",
        )
    assert view.submission is not None and view.submission.id is not None
    return view.submission


async def actions(
    uow_factory: UnitOfWorkFactory, base_id: int, prefix: str = "submission."
) -> list[str]:
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(base_id, action_prefix=prefix, limit=200)
    return [e.action for e in reversed(events)]


async def bob_with(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    boss: Actor,
    *permissions: Permission,
) -> Actor:
    return await add_admin(
        uow_factory,
        hasher,
        clock,
        boss,
        name="赵磊",
        id_number=make_id("42010619900101123"),
        telegram_user_id=2002,
        permissions=set(permissions),
    )


# --- plan and summary --------------------------------------------------------------------------


async def test_nothing_on_file_yet(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        view = await submissions.overview(uow, alice, PLAN, YEAR)
    assert view.submission is None and view.current is None and view.versions == []
    assert view.status is Status.DRAFT and view.is_editable
    assert not view.can_submit and not view.can_withdraw and not view.can_delete


async def test_first_upload_files_the_plan_as_a_draft_and_shows_who_when_what(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    data = a_pdf()
    view = await uploaded(uow_factory, blobs, clock, alice, data=data, name="2026年度培训计划.pdf")
    assert view.kind is PLAN and view.year == YEAR and view.status is Status.DRAFT
    current = view.current
    assert current is not None and current.number == 1 and current.is_current
    assert current.stored.original_name == "2026年度培训计划.pdf"
    assert current.stored.size == len(data)
    assert current.stored.sha256 == hashlib.sha256(data).hexdigest()
    assert current.added_at == clock.now() and view.name_of(current.added_by) == "王芳"
    assert view.can_submit and not view.can_withdraw

    async with uow_factory(readonly=True) as uow:
        again = await submissions.overview(uow, alice, PLAN, YEAR)
        summary = await submissions.overview(uow, alice, SUMMARY, YEAR)
        other_year = await submissions.overview(uow, alice, PLAN, YEAR - 1)
    assert again.submission == view.submission
    assert summary.submission is None and other_year.submission is None
    assert await actions(uow_factory, alice.base_id) == ["submission.upload"]
    assert await actions(uow_factory, alice.base_id, "file.") == ["file.upload"]


async def test_three_uploads_are_three_versions_each_downloadable_byte_for_byte(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    files = [a_pdf(1), samples.docx(), samples.png()]
    names = ["计划初稿.pdf", "计划修改稿.docx", "计划盖章扫描件.png"]
    for data, name in zip(files, names, strict=True):
        view = await uploaded(uow_factory, blobs, clock, alice, SUMMARY, data, name)
        clock.advance(timedelta(minutes=10))

    assert [f.number for f in view.versions] == [3, 2, 1]  # newest first
    assert view.current is not None and view.current.number == 3
    assert [f.stored.original_name for f in view.versions] == names[::-1]
    first, second = view.versions[2], view.versions[1]
    assert (first.end, second.end) == (FileEnd.REPLACED, FileEnd.REPLACED)
    assert first.ended_at == second.added_at and view.name_of(first.ended_by) == "王芳"
    assert [f.stored.content_type for f in view.versions] == [
        "image/png",
        uploads.FileKind.DOCX.mime_type,
        "application/pdf",
    ]
    for number, expected in enumerate(files, start=1):
        async with uow_factory() as uow:
            stored, data = await submissions.open_version(
                uow, blobs, clock, alice, SUMMARY, YEAR, number
            )
        assert data == expected and stored.original_name == names[number - 1]
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await submissions.open_version(uow, blobs, clock, alice, SUMMARY, YEAR, 4)
        with pytest.raises(NotFound):
            await submissions.open_version(uow, blobs, clock, alice, PLAN, YEAR, 1)  # no plan filed
    assert (
        await actions(uow_factory, alice.base_id)
        == ["submission.upload"] * 3 + ["submission.download"] * 3
    )
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(alice.base_id, action_prefix="submission.", limit=10)
    last_upload = events[3]
    assert last_upload.subject == "summary 2026"
    assert last_upload.old_value is not None and last_upload.old_value.startswith("v2 ")
    assert last_upload.new_value is not None and last_upload.new_value.startswith("v3 ")


async def test_submit_locks_the_plan_withdraw_unlocks_it(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    await uploaded(uow_factory, blobs, clock, alice)
    async with uow_factory() as uow:
        with pytest.raises(InvalidTransition):
            await submissions.withdraw(
                uow, clock, alice, PLAN, YEAR
            )  # a draft is not waiting for anyone
    async with uow_factory() as uow:
        submitted = await submissions.submit(uow, clock, alice, PLAN, YEAR)
    assert submitted.status is Status.SUBMITTED
    assert submitted.history[-1].by_user_id == alice.user_id

    # Each refusal ends its unit of work, as it ends a handler's: whatever it wrote rolls back.
    with pytest.raises(submissions.SubmissionNotEditable) as refused:
        async with uow_factory() as uow:
            await submissions.upload(uow, blobs, clock, alice, PLAN, YEAR, a_pdf(9), "新版.pdf")
    assert refused.value.current == "submitted" and refused.value.action == "edit"
    with pytest.raises(submissions.SubmissionNotEditable):
        async with uow_factory() as uow:
            await submissions.prepare_upload(uow, alice, PLAN, YEAR)
    with pytest.raises(InvalidTransition):
        async with uow_factory() as uow:
            await submissions.submit(uow, clock, alice, PLAN, YEAR)
    async with uow_factory(readonly=True) as uow:
        view = await submissions.overview(uow, alice, PLAN, YEAR)
    assert len(view.versions) == 1 and view.can_withdraw and not view.is_editable
    # the refused upload left no record behind, only the first one's
    assert await actions(uow_factory, alice.base_id, "file.") == ["file.upload"]

    async with uow_factory() as uow:
        withdrawn = await submissions.withdraw(uow, clock, alice, PLAN, YEAR)
    assert withdrawn.status is Status.DRAFT
    view = await uploaded(uow_factory, blobs, clock, alice, data=a_pdf(9))
    assert view.current is not None and view.current.number == 2
    assert [c.action for c in view.history] == [Action.SUBMIT, Action.WITHDRAW]
    assert await actions(uow_factory, alice.base_id) == [
        "submission.upload",
        "submission.submit",
        "submission.withdraw",
        "submission.upload",
    ]


async def test_submit_or_withdraw_before_any_upload_is_not_found(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(NotFound) as nothing:
            await submissions.submit(uow, clock, alice, SUMMARY, YEAR)
        assert nothing.value.key == submissions.NOTHING_FILED
        with pytest.raises(NotFound):
            await submissions.withdraw(uow, clock, alice, SUMMARY, YEAR)


async def test_plan_and_summary_are_one_each_per_year(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    plan = await uploaded(uow_factory, blobs, clock, alice, PLAN)
    again = await uploaded(uow_factory, blobs, clock, alice, PLAN, a_pdf(3))
    summary = await uploaded(uow_factory, blobs, clock, alice, SUMMARY)
    async with uow_factory() as uow:
        next_year = await submissions.upload(
            uow, blobs, clock, alice, PLAN, YEAR + 1, a_pdf(4), "p.pdf"
        )
    assert plan.submission and again.submission and summary.submission and next_year.submission
    assert plan.submission.id == again.submission.id
    assert len({plan.submission.id, summary.submission.id, next_year.submission.id}) == 3
    async with uow_factory(readonly=True) as uow:
        assert await submissions.submission_years(uow, clock, alice, PLAN) == [YEAR, YEAR + 1]
        assert await submissions.submission_years(uow, clock, alice, SUMMARY) == [YEAR]
        assert await submissions.submission_years(uow, clock, alice, SubmissionKind.MATERIAL) == [
            YEAR
        ]


async def test_a_year_outside_the_platforms_range_is_refused(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await submissions.upload(uow, blobs, clock, alice, PLAN, YEAR + 2, a_pdf(), "p.pdf")
    assert refused.value.field == "year"


# --- refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (samples.exe(), "年度计划.pdf", uploads.NOT_AS_NAMED),
        (samples.exe(hidden_pdf_header=True), "年度计划.pdf", uploads.NOT_AS_NAMED),
        (b"", "年度计划.pdf", uploads.EMPTY),
        (samples.zip_bomb(), "年度计划.docx", uploads.ZIP_SUSPICIOUS_RATIO),
        (samples.random_bytes(), "年度计划.pdf", uploads.NOT_AS_NAMED),
    ],
    ids=["exe-named-pdf", "exe-with-pdf-header", "empty", "zip-bomb", "random"],
)
async def test_a_refused_file_files_nothing(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    blobs: LocalFileStore,
    tmp_path: Path,
    data: bytes,
    name: str,
    reason: str,
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await submissions.upload(uow, blobs, clock, alice, PLAN, YEAR, data, name)
    assert refused.value.field == "file" and refused.value.key == reason
    async with uow_factory(readonly=True) as uow:
        assert (await submissions.overview(uow, alice, PLAN, YEAR)).submission is None
    assert await actions(uow_factory, alice.base_id) == []
    assert await actions(uow_factory, alice.base_id, "file.") == []
    assert not (tmp_path / "files").exists()


async def test_too_large_is_refused_before_download_and_after(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    limit = uploads.MAX_UPLOAD_BYTES
    async with uow_factory(readonly=True) as uow:
        await submissions.prepare_upload(
            uow, alice, PLAN, YEAR, size=limit
        )  # exactly 20 MB is fine
        with pytest.raises(Invalid) as announced:
            await submissions.prepare_upload(uow, alice, PLAN, YEAR, size=limit + 1)
        with pytest.raises(Invalid):
            await submissions.prepare_material_upload(uow, alice, size=25 * 1024 * 1024)
    assert announced.value.key == uploads.TOO_BIG
    too_big = a_pdf() + b"%" * (limit + 1 - len(a_pdf()))
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await submissions.upload(uow, blobs, clock, alice, PLAN, YEAR, too_big, "大文件.pdf")
    assert refused.value.key == uploads.TOO_BIG
    async with uow_factory(readonly=True) as uow:
        assert (await submissions.overview(uow, alice, PLAN, YEAR)).submission is None


async def test_a_name_with_path_parts_is_stored_safely_and_shown_as_sent(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    sent = "../../etc/年度计划.pdf"
    view = await uploaded(uow_factory, blobs, clock, alice, name=sent)
    assert view.current is not None
    stored = view.current.stored
    assert stored.original_name == sent
    assert "/" not in stored.safe_name and ".." not in stored.safe_name
    assert stored.safe_name.endswith("年度计划.pdf")
    async with uow_factory() as uow:
        opened, _ = await submissions.open_version(uow, blobs, clock, alice, PLAN, YEAR, 1)
    assert opened.safe_name == stored.safe_name


# --- a file changed behind cebot's back ----------------------------------------------------------


async def test_a_file_altered_on_disk_is_reported_not_sent(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    view = await uploaded(uow_factory, blobs, clock, alice)
    assert view.current is not None
    path = blobs.path_of(view.current.stored.sha256)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01  # one bit, as a failing disk or a hand with an editor would
    path.write_bytes(bytes(blob))

    with pytest.raises(StoredFileDamaged) as damaged:  # out of the unit of work, recorded
        async with uow_factory() as uow:
            await submissions.open_version(uow, blobs, clock, alice, PLAN, YEAR, 1)
    assert damaged.value.key == StoredFileDamaged.default_key
    assert isinstance(damaged.value, FileIntegrityError)  # the store's own error, as the domain's
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(alice.base_id, action_prefix="file.damaged")
    assert len(events) == 1
    assert events[0].new_value == view.current.stored.sha256
    assert events[0].old_value == "plan 2026"
    assert "submission.download" not in await actions(uow_factory, alice.base_id)

    # a new upload of the same bytes mends the blob, and the old version reads again
    await uploaded(uow_factory, blobs, clock, alice, data=a_pdf())
    async with uow_factory() as uow:
        _, data = await submissions.open_version(uow, blobs, clock, alice, PLAN, YEAR, 1)
    assert data == a_pdf()


async def test_a_file_gone_from_disk_is_reported_not_sent(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    first = await material(uow_factory, blobs, clock, alice)
    entry = first.current_files[0]
    blobs.path_of(entry.stored.sha256).unlink()
    with pytest.raises(StoredFileDamaged):
        async with uow_factory() as uow:
            await submissions.open_material_file(
                uow, blobs, clock, alice, id_of(first), id_of(entry)
            )
    assert await actions(uow_factory, alice.base_id, "file.damaged") == ["file.damaged"]


async def test_a_store_that_answers_with_other_bytes_is_caught(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    """The record's own SHA-256 is checked too: a mixed-up backend cannot send the wrong file."""
    alice = await wuhan_admin(uow_factory, hasher, clock)
    await uploaded(uow_factory, blobs, clock, alice, SUMMARY, a_pdf(1))
    other = await blobs.put(a_pdf(2))

    class MixedUp:
        async def put(self, data: bytes) -> str:
            return await blobs.put(data)

        async def get(self, sha256: str) -> bytes:
            return await blobs.get(other)

    async with uow_factory() as uow:
        with pytest.raises(StoredFileDamaged):
            await submissions.open_version(uow, MixedUp(), clock, alice, SUMMARY, YEAR, 1)


# --- materials ---------------------------------------------------------------------------------


async def test_add_a_material_with_more_files_list_and_download(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    assert guide.kind is SubmissionKind.MATERIAL and guide.material_kind is MaterialKind.STUDY_GUIDE
    assert guide.title == "2026年学习指南" and guide.status is Status.DRAFT
    async with uow_factory() as uow:
        view = await submissions.add_file(
            uow, blobs, clock, alice, id_of(guide), samples.pdf(), "附件一.pdf"
        )
    async with uow_factory() as uow:
        view = await submissions.add_file(
            uow, blobs, clock, alice, id_of(guide), samples.jpeg(), "扫描件.jpg"
        )
    assert [f.number for f in view.current_files] == [1, 2, 3]
    assert [f.stored.original_name for f in view.current_files] == [
        "学习指南.docx",
        "附件一.pdf",
        "扫描件.jpg",
    ]
    for entry, expected in zip(
        view.current_files, [samples.docx(), samples.pdf(), samples.jpeg()], strict=True
    ):
        async with uow_factory() as uow:
            stored, data = await submissions.open_material_file(
                uow, blobs, clock, alice, id_of(guide), id_of(entry)
            )
        assert data == expected and stored == entry.stored

    clock.advance(timedelta(minutes=1))
    async with uow_factory() as uow:
        notice = await submissions.add_material(
            uow,
            blobs,
            clock,
            alice,
            YEAR,
            MaterialKind.WORK_NOTICE,
            "关于开展培训的通知",
            a_pdf(),
            "n.pdf",
        )
    async with uow_factory() as uow:
        await submissions.add_material(
            uow, blobs, clock, alice, YEAR - 1, "其他", "去年的材料", a_pdf(1), "o.pdf"
        )
    async with uow_factory(readonly=True) as uow:
        items, total = await submissions.list_materials(uow, alice, YEAR)
        first_page, _ = await submissions.list_materials(uow, alice, YEAR, offset=0, limit=1)
        last_year, last_total = await submissions.list_materials(uow, alice, YEAR - 1)
        years = await submissions.submission_years(uow, clock, alice, SubmissionKind.MATERIAL)
    assert total == 2 and [m.title for m in items] == ["关于开展培训的通知", "2026年学习指南"]
    assert notice.submission is not None and [m.id for m in first_page] == [notice.submission.id]
    assert last_total == 1 and last_year[0].material_kind is MaterialKind.OTHER
    assert years == [YEAR, YEAR - 1]
    assert await actions(uow_factory, alice.base_id) == [
        "submission.create",
        "submission.upload",
        "submission.upload",
        "submission.download",
        "submission.download",
        "submission.download",
        "submission.create",
        "submission.create",
    ]


@pytest.mark.parametrize(
    ("title", "kind", "field"),
    [
        ("", "学习指南", "title"),
        ("   ", "学习指南", "title"),
        ("题" * 101, "学习指南", "title"),
        ("第一行\n第二行", "学习指南", "title"),
        ("通知", "会议纪要", "material_kind"),
    ],
)
async def test_a_material_needs_a_title_of_at_most_100_characters_and_a_known_kind(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    blobs: LocalFileStore,
    title: str,
    kind: str,
    field: str,
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await submissions.add_material(
                uow, blobs, clock, alice, YEAR, kind, title, a_pdf(), "a.pdf"
            )
    assert refused.value.field == field
    async with uow_factory(readonly=True) as uow:
        assert await submissions.list_materials(uow, alice, YEAR) == ([], 0)


def test_title_and_kind_rules() -> None:
    assert submissions.parse_title("  2026年 工作通知  ") == "2026年 工作通知"
    assert submissions.parse_title("题" * 100) == "题" * 100
    assert submissions.parse_title(" " * 80 + "标题") == "标题"
    with pytest.raises(Invalid) as empty:
        submissions.parse_title(" \u3000 ")
    assert empty.value.key == submissions.TITLE_EMPTY
    assert submissions.parse_material_kind("工作通知") is MaterialKind.WORK_NOTICE
    assert submissions.parse_material_kind("study_guide") is MaterialKind.STUDY_GUIDE
    assert submissions.parse_material_kind(" 其它 ") is MaterialKind.OTHER
    with pytest.raises(Invalid):
        submissions.parse_material_kind("")


def test_the_year_picker_offers_this_year_the_next_and_the_earlier_years_filed() -> None:
    assert submissions.year_choices(YEAR, [YEAR]) == [YEAR, YEAR + 1]
    assert submissions.year_choices(YEAR, [YEAR, YEAR + 1, YEAR - 3, YEAR - 1, YEAR - 3]) == [
        YEAR,
        YEAR + 1,
        YEAR - 1,
        YEAR - 3,
    ]


async def test_a_file_can_be_removed_while_editable_and_not_the_last(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    async with uow_factory(readonly=True) as uow:
        assert not (await submissions.get_material(uow, alice, id_of(guide))).can_remove_files
    async with uow_factory() as uow:
        two = await submissions.add_file(
            uow, blobs, clock, alice, id_of(guide), a_pdf(1), "附件.pdf"
        )
    assert two.can_remove_files
    async with uow_factory() as uow:
        await submissions.submit_material(uow, clock, alice, id_of(guide))
    async with uow_factory(readonly=True) as uow:
        assert not (await submissions.get_material(uow, alice, id_of(guide))).can_remove_files


async def test_replace_and_remove_keep_the_history(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    async with uow_factory() as uow:
        view = await submissions.add_file(
            uow, blobs, clock, alice, id_of(guide), a_pdf(1), "附件.pdf"
        )
    first, second = view.current_files
    clock.advance(timedelta(minutes=5))
    async with uow_factory() as uow:
        view = await submissions.replace_file(
            uow, blobs, clock, alice, id_of(guide), id_of(first), a_pdf(2), "学习指南（修订）.pdf"
        )
    assert [(f.number, f.stored.original_name) for f in view.current_files] == [
        (1, "学习指南（修订）.pdf"),
        (2, "附件.pdf"),
    ]
    assert view.submission is not None
    replaced = view.submission.file(id_of(first))
    assert replaced is not None and replaced.end is FileEnd.REPLACED
    assert replaced.ended_at == clock.now() and not replaced.is_current
    async with uow_factory() as uow:  # what was replaced is still downloadable
        _, data = await submissions.open_material_file(
            uow, blobs, clock, alice, id_of(guide), id_of(first)
        )
    assert data == samples.docx()
    async with uow_factory() as uow:
        with pytest.raises(NotFound) as gone:
            await submissions.replace_file(
                uow, blobs, clock, alice, id_of(guide), id_of(first), a_pdf(3), "x.pdf"
            )
        assert gone.value.key == submissions.FILE_GONE

    async with uow_factory() as uow:
        view = await submissions.remove_file(uow, clock, alice, id_of(guide), id_of(second))
    assert [f.stored.original_name for f in view.current_files] == ["学习指南（修订）.pdf"]
    assert view.submission is not None
    removed = view.submission.file(id_of(second))
    assert removed is not None and removed.end is FileEnd.REMOVED
    assert len(view.versions) == 3
    last = view.current_files[0]
    async with uow_factory() as uow:
        with pytest.raises(submissions.LastFile):
            await submissions.remove_file(uow, clock, alice, id_of(guide), id_of(last))
        with pytest.raises(NotFound):
            await submissions.remove_file(
                uow, clock, alice, id_of(guide), id_of(second)
            )  # removed already
    async with uow_factory() as uow:
        view = await submissions.add_file(
            uow, blobs, clock, alice, id_of(guide), a_pdf(4), "新附件.pdf"
        )
    assert [f.number for f in view.current_files] == [1, 3]  # after every file it ever had
    trail = await actions(uow_factory, alice.base_id)
    assert trail == [
        "submission.create",
        "submission.upload",
        "submission.replace",
        "submission.download",
        "submission.remove_file",
        "submission.upload",
    ]


async def test_edit_title_and_kind(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    async with uow_factory() as uow:
        view = await submissions.edit_material(
            uow, clock, alice, id_of(guide), title="  2026年工作通知 "
        )
    assert view.submission is not None
    assert view.submission.title == "2026年工作通知"
    assert view.submission.material_kind is MaterialKind.STUDY_GUIDE
    async with uow_factory() as uow:
        view = await submissions.edit_material(
            uow, clock, alice, id_of(guide), material_kind="工作通知"
        )
    assert view.submission is not None
    assert view.submission.material_kind is MaterialKind.WORK_NOTICE
    async with uow_factory() as uow:  # the same again changes nothing and records nothing
        await submissions.edit_material(uow, clock, alice, id_of(guide), title="2026年工作通知")
        with pytest.raises(Invalid):
            await submissions.edit_material(uow, clock, alice, id_of(guide), title="")
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(alice.base_id, action_prefix="submission.edit")
        got = await submissions.get_material(uow, alice, id_of(guide))
    assert [e.new_value for e in reversed(events)] == [
        "title=2026年工作通知; kind=study_guide",
        "title=2026年工作通知; kind=work_notice",
    ]
    assert got.submission is not None
    assert got.submission.title == "2026年工作通知"


async def test_a_submitted_material_cannot_be_changed_or_deleted(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    entry = guide.current_files[0]
    async with uow_factory() as uow:
        submitted = await submissions.submit_material(uow, clock, alice, id_of(guide))
    assert submitted.status is Status.SUBMITTED
    async with uow_factory() as uow:
        for attempt in (
            submissions.add_file(uow, blobs, clock, alice, id_of(guide), a_pdf(1), "a.pdf"),
            submissions.replace_file(
                uow, blobs, clock, alice, id_of(guide), id_of(entry), a_pdf(2), "b.pdf"
            ),
            submissions.remove_file(uow, clock, alice, id_of(guide), id_of(entry)),
            submissions.edit_material(uow, clock, alice, id_of(guide), title="新标题"),
            submissions.prepare_material_upload(uow, alice, guide.id),
        ):
            with pytest.raises(submissions.SubmissionNotEditable):
                await attempt
        with pytest.raises(submissions.SubmissionNotDeletable) as refused:
            await submissions.delete_material(uow, clock, alice, id_of(guide))
        assert refused.value.current == "submitted" and refused.value.action == "delete"
        with pytest.raises(InvalidTransition):
            await submissions.submit_material(uow, clock, alice, id_of(guide))
    async with uow_factory(readonly=True) as uow:
        view = await submissions.get_material(uow, alice, id_of(guide))
    assert view.submission == submitted and view.can_withdraw and not view.can_delete
    async with uow_factory() as uow:
        withdrawn = await submissions.withdraw_material(uow, clock, alice, id_of(guide))
    assert withdrawn.status is Status.DRAFT
    async with uow_factory() as uow:
        deleted = await submissions.delete_material(uow, clock, alice, id_of(guide))
    assert deleted.id == guide.id
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(NotFound):
            await submissions.get_material(uow, alice, id_of(guide))
        assert await submissions.list_materials(uow, alice, YEAR) == ([], 0)
    trail = await actions(uow_factory, alice.base_id)
    assert trail == [
        "submission.create",
        "submission.submit",
        "submission.withdraw",
        "submission.delete",
    ]


async def test_a_plan_is_not_a_material(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    plan = await uploaded(uow_factory, blobs, clock, alice)
    assert plan.submission is not None and plan.submission.id is not None
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await submissions.get_material(uow, alice, plan.submission.id)
        with pytest.raises(NotFound):
            await submissions.delete_material(uow, clock, alice, plan.submission.id)


# --- who may --------------------------------------------------------------------------------------


async def test_another_base_cannot_see_download_or_change_anything(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    await uploaded(uow_factory, blobs, clock, alice)
    guide = await material(uow_factory, blobs, clock, alice)
    entry = guide.current_files[0]
    async with uow_factory() as uow:
        assert (await submissions.overview(uow, mallory, PLAN, YEAR)).submission is None
        assert await submissions.list_materials(uow, mallory, YEAR) == ([], 0)
        with pytest.raises(NotFound):
            await submissions.open_version(uow, blobs, clock, mallory, PLAN, YEAR, 1)
        for attempt in (
            submissions.get_material(uow, mallory, id_of(guide)),
            submissions.open_material_file(uow, blobs, clock, mallory, id_of(guide), id_of(entry)),
            submissions.add_file(uow, blobs, clock, mallory, id_of(guide), a_pdf(1), "a.pdf"),
            submissions.replace_file(
                uow, blobs, clock, mallory, id_of(guide), id_of(entry), a_pdf(2), "b.pdf"
            ),
            submissions.remove_file(uow, clock, mallory, id_of(guide), id_of(entry)),
            submissions.edit_material(uow, clock, mallory, id_of(guide), title="偷改"),
            submissions.delete_material(uow, clock, mallory, id_of(guide)),
            submissions.submit_material(uow, clock, mallory, id_of(guide)),
            submissions.withdraw_material(uow, clock, mallory, id_of(guide)),
            submissions.prepare_material_upload(uow, mallory, guide.id),
        ):
            with pytest.raises(NotFound):
                await attempt
    async with uow_factory(readonly=True) as uow:
        view = await submissions.get_material(uow, alice, id_of(guide))
    assert view.submission == guide
    assert await actions(uow_factory, mallory.base_id) == []
    assert await actions(uow_factory, alice.base_id) == ["submission.upload", "submission.create"]


async def test_each_kind_needs_its_own_permission(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    bob = await bob_with(uow_factory, hasher, clock, alice, Permission.PLANS_MANAGE)
    guide = await material(uow_factory, blobs, clock, alice)
    await uploaded(uow_factory, blobs, clock, alice, SUMMARY)
    plan = await uploaded(uow_factory, blobs, clock, bob, PLAN)  # his own kind works
    assert plan.current is not None and plan.name_of(plan.current.added_by) == "赵磊"
    async with uow_factory() as uow:
        for attempt in (
            submissions.overview(uow, bob, SUMMARY, YEAR),
            submissions.prepare_upload(uow, bob, SUMMARY, YEAR),
            submissions.upload(uow, blobs, clock, bob, SUMMARY, YEAR, a_pdf(1), "submissions.pdf"),
            submissions.open_version(uow, blobs, clock, bob, SUMMARY, YEAR, 1),
            submissions.submit(uow, clock, bob, SUMMARY, YEAR),
            submissions.withdraw(uow, clock, bob, SUMMARY, YEAR),
            submissions.submission_years(uow, clock, bob, SUMMARY),
            submissions.list_materials(uow, bob, YEAR),
            submissions.get_material(uow, bob, id_of(guide)),
            submissions.add_material(
                uow, blobs, clock, bob, YEAR, "其他", "材料", a_pdf(2), "m.pdf"
            ),
            submissions.open_material_file(
                uow, blobs, clock, bob, id_of(guide), id_of(guide.current_files[0])
            ),
            submissions.add_file(uow, blobs, clock, bob, id_of(guide), a_pdf(3), "m.pdf"),
            submissions.edit_material(uow, clock, bob, id_of(guide), title="改"),
            submissions.delete_material(uow, clock, bob, id_of(guide)),
            submissions.submit_material(uow, clock, bob, id_of(guide)),
        ):
            with pytest.raises(NotPermitted):
                await attempt


# --- the reviewer ------------------------------------------------------------------------------


async def test_queue_holds_all_three_kinds_oldest_first_and_only_submitted_ones(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    await uploaded(uow_factory, blobs, clock, alice, SUMMARY)
    await uploaded(uow_factory, blobs, clock, mallory, PLAN)
    guide = await material(uow_factory, blobs, clock, alice)
    await material(uow_factory, blobs, clock, alice, title="仍是草稿")
    async with uow_factory() as uow:
        await submissions.submit_material(uow, clock, alice, id_of(guide))
    clock.advance(timedelta(minutes=5))
    async with uow_factory() as uow:
        await submissions.submit(uow, clock, mallory, PLAN, YEAR)
    clock.advance(timedelta(minutes=5))
    async with uow_factory() as uow:
        summary = await submissions.submit(uow, clock, alice, SUMMARY, YEAR)

    province = await reviewer(uow_factory, hasher, clock, regions=[])
    wuhan = await reviewer(
        uow_factory, hasher, clock, regions=["武汉市"], id_number=ID_PROVINCE, telegram_user_id=5006
    )
    async with uow_factory(readonly=True) as uow:
        everything, total = await review.submissions_queue(uow, province)
        page, page_total = await review.submissions_queue(uow, province, offset=1, limit=1)
        local, local_total = await review.submissions_queue(uow, wuhan)
    assert total == 3 and page_total == 3
    assert [(i.submission.kind, i.base_name) for i in everything] == [
        (SubmissionKind.MATERIAL, "武汉职业培训学院"),
        (PLAN, "宜昌职业技术学院"),
        (SUMMARY, "武汉职业培训学院"),
    ]
    assert [i.submission.kind for i in page] == [PLAN]
    assert local_total == 2 and [i.submission.id for i in local] == [guide.id, summary.id]
    assert everything[0].base_region == "武汉市" and everything[1].base_region == "宜昌市"


async def test_reviewer_opens_approves_and_the_managers_are_told(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    bob = await bob_with(uow_factory, hasher, clock, alice, Permission.SUMMARIES_MANAGE)
    await uploaded(uow_factory, blobs, clock, bob, SUMMARY, a_pdf(1), "总结初稿.pdf")
    await uploaded(uow_factory, blobs, clock, bob, SUMMARY, samples.docx(), "总结.docx")
    async with uow_factory() as uow:
        summary = await submissions.submit(uow, clock, bob, SUMMARY, YEAR)
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    async with uow_factory(readonly=True) as uow:
        item = await review.get_submission_for_review(uow, judge, id_of(summary))
    assert item.base_name == "武汉职业培训学院" and item.names[bob.user_id] == "赵磊"
    current = item.submission.current_version
    earlier = item.submission.version(1)
    assert current is not None and earlier is not None
    async with uow_factory() as uow:
        opened, stored, data = await review.open_submission_file(
            uow, blobs, clock, judge, id_of(summary), id_of(current)
        )
    assert opened.id == summary.id and data == samples.docx() and stored == current.stored
    async with uow_factory() as uow:
        *_, data = await review.open_submission_file(
            uow, blobs, clock, judge, id_of(summary), id_of(earlier)
        )
    assert data == a_pdf(1)
    async with uow_factory(readonly=True) as uow:
        downloads = await uow.audit.list(alice.base_id, action_prefix="submission.download")
    assert [e.actor_user_id for e in downloads] == [judge.user_id, judge.user_id]

    async with uow_factory() as uow:
        decision = await review.approve_submission(uow, clock, judge, id_of(summary))
    assert decision.action is Action.APPROVE and decision.reason is None
    assert decision.submission.status is Status.APPROVED
    assert set(decision.recipients) == {alice.user_id, bob.user_id}
    async with uow_factory() as uow:
        with pytest.raises(NotFound):  # decided: out of the queue
            await review.get_submission_for_review(uow, judge, id_of(summary))
        with pytest.raises(InvalidTransition):
            await review.approve_submission(uow, clock, judge, id_of(summary))
        with pytest.raises(submissions.SubmissionNotEditable):
            await submissions.upload(uow, blobs, clock, bob, SUMMARY, YEAR, a_pdf(5), "晚了.pdf")
    async with uow_factory(readonly=True) as uow:
        view = await submissions.overview(uow, alice, SUMMARY, YEAR)
    assert view.status is Status.APPROVED and view.name_of(view.history[-1].by_user_id) == (
        "审核员5005"
    )


async def test_a_returned_material_is_corrected_and_resubmitted(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    carol = await add_admin(
        uow_factory,
        hasher,
        clock,
        alice,
        name="钱敏",
        id_number=make_id("42010619920303456"),
        telegram_user_id=3003,
        permissions={Permission.MATERIALS_MANAGE},
    )
    dave = await bob_with(uow_factory, hasher, clock, alice, Permission.PLANS_MANAGE)
    notice = await material(uow_factory, blobs, clock, carol, title="培训通知")
    async with uow_factory() as uow:
        await submissions.submit_material(uow, clock, carol, id_of(notice))
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    async with uow_factory() as uow:
        with pytest.raises(Invalid):
            await review.return_submission(uow, clock, judge, id_of(notice), "  ")
    async with uow_factory() as uow:
        decision = await review.return_submission(uow, clock, judge, id_of(notice), "缺少盖章页。")
    assert decision.action is Action.RETURN and decision.reason == "缺少盖章页。"
    assert set(decision.recipients) == {alice.user_id, carol.user_id}
    assert dave.user_id not in decision.recipients

    async with uow_factory() as uow:  # returned: editable again, but not deletable
        view = await submissions.add_file(
            uow, blobs, clock, carol, id_of(notice), samples.png(), "盖章页.png"
        )
        with pytest.raises(submissions.SubmissionNotDeletable):
            await submissions.delete_material(uow, clock, carol, id_of(notice))
    assert view.is_editable and view.can_submit and len(view.current_files) == 2
    async with uow_factory() as uow:
        resubmitted = await submissions.submit_material(uow, clock, carol, id_of(notice))
    assert [c.action for c in resubmitted.history] == [Action.SUBMIT, Action.RETURN, Action.SUBMIT]
    assert resubmitted.history[1].reason == "缺少盖章页。"
    trail = await actions(uow_factory, alice.base_id)
    assert trail == [
        "submission.create",
        "submission.submit",
        "submission.return",
        "submission.upload",
        "submission.submit",
    ]


async def test_reviewer_of_another_region_sees_nothing(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    view = await uploaded(uow_factory, blobs, clock, alice)
    async with uow_factory() as uow:
        plan = await submissions.submit(uow, clock, alice, PLAN, YEAR)
    draft = await material(uow_factory, blobs, clock, alice)
    judge = await reviewer(uow_factory, hasher, clock, regions=["宜昌市"])
    province = await reviewer(
        uow_factory, hasher, clock, regions=[], id_number=ID_PROVINCE, telegram_user_id=5006
    )
    assert view.current is not None
    async with uow_factory() as uow:
        assert await review.submissions_queue(uow, judge) == ([], 0)
        for attempt in (
            review.get_submission_for_review(uow, judge, id_of(plan)),
            review.open_submission_file(uow, blobs, clock, judge, id_of(plan), id_of(view.current)),
            review.approve_submission(uow, clock, judge, id_of(plan)),
            review.return_submission(uow, clock, judge, id_of(plan), "不行"),
            # a draft is the base's own business, even for a reviewer of its region
            review.get_submission_for_review(uow, province, id_of(draft)),
            review.approve_submission(uow, clock, province, id_of(draft)),
        ):
            with pytest.raises(NotFound):
                await attempt
    async with uow_factory(readonly=True) as uow:
        after = await submissions.overview(uow, alice, PLAN, YEAR)
    assert after.status is Status.SUBMITTED
    assert "submission.download" not in await actions(uow_factory, alice.base_id)


async def test_reviewer_is_told_too_when_a_file_is_damaged(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    alice = await wuhan_admin(uow_factory, hasher, clock)
    guide = await material(uow_factory, blobs, clock, alice)
    async with uow_factory() as uow:
        await submissions.submit_material(uow, clock, alice, id_of(guide))
    entry = guide.current_files[0]
    blobs.path_of(entry.stored.sha256).write_bytes(b"not what was uploaded")
    judge = await reviewer(uow_factory, hasher, clock, regions=["武汉市"])
    with pytest.raises(StoredFileDamaged):
        async with uow_factory() as uow:
            await review.open_submission_file(uow, blobs, clock, judge, id_of(guide), id_of(entry))
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(alice.base_id, action_prefix="file.damaged")
    assert [e.actor_user_id for e in events] == [judge.user_id]
