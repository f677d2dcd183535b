"""Uploaded files: checked, stored encrypted by hash, recorded and audited, opened by their base."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.errors import Invalid, NotFound
from domain.ports import PasswordHasher
from domain.services import files
from domain.uploads import FileKind
from storage.crypto import FieldCipher
from storage.filestore import LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import CODE_TWO, ID_CAROL, actor_of, register

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PLAN_KINDS = frozenset({FileKind.PDF, FileKind.DOC, FileKind.DOCX})


@pytest.fixture
def blobs(tmp_path: Path, cipher: FieldCipher) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", cipher)


async def test_store_then_open_gives_the_same_bytes_and_records_the_upload(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    await register(uow_factory, hasher, clock)
    alice = await actor_of(uow_factory, clock, 1001)
    async with uow_factory() as uow:
        stored = await files.store_upload(
            uow, blobs, clock, alice, PDF, "培训方案 2026.pdf", allowed=PLAN_KINDS
        )
    assert stored.id is not None
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (stored.size, stored.original_name) == (len(PDF), "培训方案 2026.pdf")
    assert stored.content_type == "application/pdf"
    assert stored.uploaded_by == alice.user_id and stored.uploaded_at == clock.now()
    assert PDF not in blobs.path_of(stored.sha256).read_bytes()  # encrypted at rest

    async with uow_factory(readonly=True) as uow:
        record, data = await files.open_file(uow, blobs, alice, stored.id)
        events = await uow.audit.list(alice.base_id, action_prefix="file.")
    assert data == PDF and record == stored
    assert [(e.action, e.new_value) for e in events] == [("file.upload", stored.sha256)]


async def test_a_refused_file_leaves_nothing_behind(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    blobs: LocalFileStore,
    tmp_path: Path,
) -> None:
    await register(uow_factory, hasher, clock)
    alice = await actor_of(uow_factory, clock, 1001)
    exe = b"MZ" + b"\0" * 200
    async with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            await files.store_upload(uow, blobs, clock, alice, exe, "plan.pdf", allowed=PLAN_KINDS)
    assert refused.value.field == "file"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    async with uow_factory() as uow:
        with pytest.raises(Invalid):
            await files.store_upload(uow, blobs, clock, alice, png, "scan.png", allowed=PLAN_KINDS)
    assert not (tmp_path / "files").exists()
    async with uow_factory(readonly=True) as uow:
        assert await uow.audit.list(alice.base_id, action_prefix="file.") == []


async def test_another_base_cannot_open_the_file(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    await register(uow_factory, hasher, clock)
    await register(
        uow_factory,
        hasher,
        clock,
        telegram_user_id=9009,
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        base_name="宜昌职业技术学院",
        admin_name="马力",
        mobile="13712345678",
    )
    alice = await actor_of(uow_factory, clock, 1001)
    mallory = await actor_of(uow_factory, clock, 9009)
    async with uow_factory() as uow:
        stored = await files.store_upload(uow, blobs, clock, alice, PDF, "plan.pdf")
    assert stored.id is not None
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(NotFound):
            await files.open_file(uow, blobs, mallory, stored.id)
        with pytest.raises(NotFound):
            await files.describe_file(uow, mallory, stored.id)
        with pytest.raises(NotFound):
            await files.open_file(uow, blobs, alice, stored.id + 1000)
        assert (await files.describe_file(uow, alice, stored.id)).original_name == "plan.pdf"
