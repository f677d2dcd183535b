"""The local content-addressed store, on a real directory with real encryption."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from storage.crypto import FieldCipher, Keyring
from storage.filestore import (
    FileIntegrityError,
    FileMissingError,
    FileStore,
    LocalFileStore,
)

PLAN = "2027年度继续教育培训计划：公需科目30学时，专业科目60学时。".encode() * 50


@pytest.fixture
def store(tmp_path: Path, cipher: FieldCipher) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", cipher)


def _stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_is_a_file_store(store: LocalFileStore) -> None:
    port: FileStore = store
    assert isinstance(port, LocalFileStore)


async def test_put_returns_the_sha256_and_get_returns_the_bytes(store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    assert sha == hashlib.sha256(PLAN).hexdigest()
    assert await store.exists(sha)
    assert await store.get(sha) == PLAN


async def test_file_lands_in_a_two_level_fan_out_with_mode_0600(
    tmp_path: Path, store: LocalFileStore
) -> None:
    sha = await store.put(PLAN)
    path = tmp_path / "files" / sha[:2] / sha[2:4] / sha
    assert _stored_files(tmp_path / "files") == [path]  # no temp file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0


async def test_same_content_is_stored_once(tmp_path: Path, store: LocalFileStore) -> None:
    first = await store.put(PLAN)
    before = (tmp_path / "files" / first[:2] / first[2:4] / first).read_bytes()
    second = await store.put(bytes(PLAN))
    assert first == second
    files = _stored_files(tmp_path / "files")
    assert len(files) == 1
    assert files[0].read_bytes() == before  # not even rewritten


async def test_empty_file_round_trips(store: LocalFileStore) -> None:
    sha = await store.put(b"")
    assert sha == hashlib.sha256(b"").hexdigest()
    assert await store.get(sha) == b""


async def test_plaintext_is_not_on_disk(tmp_path: Path, store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    on_disk = _stored_files(tmp_path / "files")[0].read_bytes()
    assert on_disk.startswith(b"CEF1")
    assert PLAN[:24] not in on_disk
    assert "继续教育".encode() not in on_disk
    assert await store.get(sha) == PLAN


async def test_file_altered_on_disk_is_detected(tmp_path: Path, store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    path = _stored_files(tmp_path / "files")[0]
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(FileIntegrityError):
        await store.get(sha)


async def test_blob_renamed_to_another_hash_is_detected(
    tmp_path: Path, store: LocalFileStore
) -> None:
    """A valid encrypted blob moved under another name fails: the name is in the context."""
    real = await store.put(PLAN)
    other = await store.put(b"other file")
    root = tmp_path / "files"
    (root / other[:2] / other[2:4] / other).write_bytes(
        (root / real[:2] / real[2:4] / real).read_bytes()
    )
    with pytest.raises(FileIntegrityError):
        await store.get(other)


async def test_content_that_no_longer_hashes_to_its_name_is_detected(
    tmp_path: Path, cipher: FieldCipher, store: LocalFileStore
) -> None:
    """Even a blob that decrypts (made with the key by someone who has it) must match its name."""
    sha = await store.put(PLAN)
    forged = cipher.encrypt_bytes(b"forged plan", context=f"file:{sha}")
    (tmp_path / "files" / sha[:2] / sha[2:4] / sha).write_bytes(forged)
    with pytest.raises(FileIntegrityError):
        await store.get(sha)


async def test_putting_again_repairs_a_damaged_copy(tmp_path: Path, store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    (tmp_path / "files" / sha[:2] / sha[2:4] / sha).write_bytes(b"garbage")
    assert await store.put(PLAN) == sha
    assert await store.get(sha) == PLAN


async def test_missing_file(store: LocalFileStore) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not await store.exists(sha)
    with pytest.raises(FileMissingError):
        await store.get(sha)


async def test_delete_removes_and_is_idempotent(store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    await store.delete(sha)
    assert not await store.exists(sha)
    with pytest.raises(FileMissingError):
        await store.get(sha)
    await store.delete(sha)


async def test_file_written_before_key_rotation_still_reads(
    tmp_path: Path, keyring: Keyring
) -> None:
    root = tmp_path / "files"
    sha = await LocalFileStore(root, FieldCipher(keyring)).put(PLAN)
    rotated = LocalFileStore(root, FieldCipher(keyring.with_new_active_key("k2")))
    assert await rotated.get(sha) == PLAN


async def test_another_keyring_cannot_read_the_files(tmp_path: Path, store: LocalFileStore) -> None:
    sha = await store.put(PLAN)
    stranger = LocalFileStore(tmp_path / "files", FieldCipher(Keyring.generate()))
    with pytest.raises(FileIntegrityError):
        await stranger.get(sha)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "A" * 64,
        hashlib.sha256(b"x").hexdigest().upper(),
        hashlib.sha256(b"x").hexdigest()[:63],
        hashlib.sha256(b"x").hexdigest() + "0",
        "../" + hashlib.sha256(b"x").hexdigest()[3:],
        hashlib.sha256(b"x").hexdigest()[:63] + "\n",
        "",
    ],
)
async def test_names_that_are_not_a_sha256_are_refused(
    tmp_path: Path, store: LocalFileStore, name: str
) -> None:
    with pytest.raises(ValueError):
        await store.get(name)
    with pytest.raises(ValueError):
        await store.exists(name)
    with pytest.raises(ValueError):
        await store.delete(name)
    assert not (tmp_path / "files").exists()
