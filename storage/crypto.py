"""Encryption at rest for personal numbers and files, and keyed hashes to look them up.

Every ciphertext is AES-256-GCM bound to a *context* (the table, column and row it belongs to), so
a value copied into another row fails to decrypt instead of being silently misread. Each ciphertext
names the key that made it, so keys can be rotated: new data uses the active key, old data keeps
decrypting with the key it names until it is re-encrypted.

The keys come from ``CEBOT_SECRET_KEYS`` or, for a single-machine deployment, from a ``keys.json``
created once in the data directory. Losing them loses every encrypted field and file: back them up.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_VAR: Final = "CEBOT_SECRET_KEYS"
KEY_FILE_NAME: Final = "keys.json"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16

_TOKEN_VERSION: Final = "v1"
_FILE_MAGIC: Final = b"CEF1"
# Key ids appear inside tokens separated by dots and in a one-byte-length file header.
_KEY_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*={0,2}")

_log = logging.getLogger(__name__)


class KeyConfigError(ValueError):
    """The key configuration is unusable; the message says what to fix, never a key's value."""


class DecryptionError(Exception):
    """A ciphertext did not decrypt: wrong context, tampering, unknown key or a malformed token.

    Deliberately says nothing more, so an attacker probing with forged tokens learns nothing.
    """


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict url-safe base64, with or without padding; ``ValueError`` on anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not url-safe base64")
    unpadded = text.rstrip("=")
    return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))


def _check_key_id(key_id: object, source: str) -> str:
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise KeyConfigError(
            f"{source}: key id {key_id!r} is invalid (use 1-64 letters, digits, '-' or '_')"
        )
    return key_id


def _decode_key(encoded: object, what: str, source: str) -> bytes:
    if not isinstance(encoded, str):
        raise KeyConfigError(f"{source}: {what} must be a url-safe base64 string")
    try:
        raw = _b64decode(encoded)
    except (ValueError, binascii.Error):
        raise KeyConfigError(f"{source}: {what} is not valid url-safe base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(
            f"{source}: {what} must decode to exactly {KEY_BYTES} bytes, not {len(raw)}"
        )
    return raw


@dataclass(frozen=True)
class Keyring:
    """The encryption keys by id, which one encrypts new data, and the separate blind-index key.

    Key material is left out of ``repr`` so a keyring that ends up in a log or traceback leaks
    nothing.
    """

    active_key_id: str
    encryption_keys: Mapping[str, bytes] = field(repr=False)
    index_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        source = ENV_VAR
        for key_id, key in self.encryption_keys.items():
            _check_key_id(key_id, source)
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"{source}: key {key_id!r} must be exactly {KEY_BYTES} bytes")
        if self.active_key_id not in self.encryption_keys:
            raise KeyConfigError(
                f"{source}: active key {self.active_key_id!r} is not among the keys"
            )
        if len(self.index_key) != KEY_BYTES:
            raise KeyConfigError(f"{source}: index key must be exactly {KEY_BYTES} bytes")
        if any(hmac.compare_digest(self.index_key, k) for k in self.encryption_keys.values()):
            raise KeyConfigError(f"{source}: index key must differ from every encryption key")
        # A read-only copy: the caller's dict cannot change the keys behind a frozen keyring.
        object.__setattr__(self, "encryption_keys", MappingProxyType(dict(self.encryption_keys)))

    @classmethod
    def from_json(cls, text: str, *, source: str = ENV_VAR) -> Keyring:
        """Parses ``{"active": id, "keys": {id: b64, ...}, "index": b64}``, refusing anything odd.

        ``source`` names where the text came from in error messages (the variable, or the file).
        """
        if not text.strip():
            raise KeyConfigError(f"{source} is empty; give the keys as JSON or leave it unset")
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as error:
            raise KeyConfigError(
                f"{source} is not valid JSON (line {error.lineno}, column {error.colno})"
            ) from None
        if not isinstance(data, dict):
            raise KeyConfigError(f'{source} must be a JSON object {{"active", "keys", "index"}}')
        expected = {"active", "keys", "index"}
        if set(data) != expected:
            missing = sorted(expected - set(data))
            unknown = sorted(set(data) - expected)
            raise KeyConfigError(f"{source}: missing fields {missing}, unknown fields {unknown}")
        keys = data["keys"]
        if not isinstance(keys, dict) or not keys:
            raise KeyConfigError(f'{source}: "keys" must be a non-empty object of id: key')
        encryption_keys = {
            _check_key_id(key_id, source): _decode_key(value, f"key {key_id!r}", source)
            for key_id, value in keys.items()
        }
        active = _check_key_id(data["active"], source)
        if active not in encryption_keys:
            raise KeyConfigError(f'{source}: active key {active!r} is not in "keys"')
        index_key = _decode_key(data["index"], "index key", source)
        try:
            return cls(active, encryption_keys, index_key)
        except KeyConfigError as error:
            raise KeyConfigError(str(error).replace(ENV_VAR, source, 1)) from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active_key_id,
                "keys": {key_id: _b64encode(key) for key_id, key in self.encryption_keys.items()},
                "index": _b64encode(self.index_key),
            },
            indent=2,
        )

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        return cls(
            active_key_id=key_id,
            encryption_keys={key_id: secrets.token_bytes(KEY_BYTES)},
            index_key=secrets.token_bytes(KEY_BYTES),
        )

    def with_new_active_key(self, key_id: str) -> Keyring:
        """A fresh key becomes active; the old ones stay so existing ciphertexts still decrypt.

        The index key is kept: rotating it would change every blind index at once.
        """
        _check_key_id(key_id, ENV_VAR)
        if key_id in self.encryption_keys:
            raise KeyConfigError(f"{ENV_VAR} already has a key {key_id!r}; choose a new key id")
        keys = dict(self.encryption_keys)
        keys[key_id] = secrets.token_bytes(KEY_BYTES)
        return Keyring(key_id, keys, self.index_key)


def load_keyring(
    secret_keys: str | None, data_dir: Path, *, logger: logging.Logger | None = None
) -> Keyring:
    """The keyring from ``CEBOT_SECRET_KEYS`` if set, else from ``data_dir/keys.json``.

    The file is created on first use, readable by its owner only from the first instant, and a
    key file that group or others may read is refused rather than trusted.
    """
    if secret_keys is not None:
        return Keyring.from_json(secret_keys)
    path = data_dir / KEY_FILE_NAME
    source = f"{path} (read because {ENV_VAR} is unset)"
    try:
        return Keyring.from_json(_read_private(path), source=source)
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    keyring = Keyring.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it between our read and our create: use theirs.
        return Keyring.from_json(_read_private(path), source=source)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(keyring.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    (logger or _log).warning(
        "Created the local key file %s (%s is unset). Back it up and keep it secret: "
        "without it the encrypted data cannot be read, and with it anyone can read it.",
        path,
        ENV_VAR,
    )
    return keyring


def _read_private(path: Path) -> str:
    """Reads the key file, refusing it if group or others have any permission on it."""
    fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyConfigError(
                f"{path} is accessible to group/others (mode {stat.S_IMODE(mode):04o}); "
                f"run chmod 600 on it (or set {ENV_VAR})"
            )
        return handle.read()


class FieldCipher:
    """AES-256-GCM for fields (ASCII tokens) and files (binary blobs), plus blind indexes."""

    def __init__(self, keyring: Keyring) -> None:
        self._active = keyring.active_key_id
        self._aeads = {key_id: AESGCM(key) for key_id, key in keyring.encryption_keys.items()}
        self._index_key = keyring.index_key

    @property
    def active_key_id(self) -> str:
        return self._active

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """``v1.<key id>.<b64url(nonce + ciphertext + tag)>``, bound to ``context``.

        ``context`` names the row and column (``users.id_number:<row uuid>``); decrypting with any
        other context fails.
        """
        sealed = self._seal(plaintext.encode("utf-8"), context)
        return f"{_TOKEN_VERSION}.{self._active}.{_b64encode(sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            version, key_id, body = token.split(".")
            if version != _TOKEN_VERSION:
                raise ValueError("unknown version")
            return self._open(key_id, _b64decode(body), context).decode("utf-8")
        except (ValueError, binascii.Error, InvalidTag, KeyError):
            # UnicodeDecodeError is a ValueError. "from None": the cause would say which check
            # failed, which is exactly what a prober wants to learn.
            raise DecryptionError("ciphertext does not decrypt") from None

    def encrypt_bytes(self, data: bytes, *, context: str) -> bytes:
        """``CEF1 | len(key id) | key id | nonce | ciphertext + tag``: the file format."""
        key_id = self._active.encode("ascii")
        return _FILE_MAGIC + bytes([len(key_id)]) + key_id + self._seal(data, context)

    def decrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        try:
            if not blob.startswith(_FILE_MAGIC) or len(blob) <= len(_FILE_MAGIC):
                raise ValueError("not a cebot file")
            id_start = len(_FILE_MAGIC) + 1
            id_end = id_start + blob[len(_FILE_MAGIC)]
            key_id = blob[id_start:id_end].decode("ascii")
            return self._open(key_id, blob[id_end:], context)
        except (ValueError, InvalidTag, KeyError):
            raise DecryptionError("ciphertext does not decrypt") from None

    @staticmethod
    def key_id_of(token: str) -> str:
        """Which key made a field token, so rotation can find rows still on an old key."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_VERSION or not _KEY_ID.fullmatch(parts[1]):
            raise DecryptionError("not a cebot ciphertext")
        return parts[1]

    def blind_index(self, value: str, *, purpose: str) -> str:
        """HMAC-SHA256 of ``purpose NUL value`` under the index key: equal values, equal index.

        Deterministic on purpose, so a column can be searched for equality without decrypting it.
        The price: an ID-card number has only about 2**37 plausible values, so anyone holding the
        index key can recover every number from its index by trying them all. The index key is
        therefore exactly as secret as the encryption keys. ``purpose`` separates columns, so
        equal values in two columns do not reveal that they are equal.
        """
        if "\x00" in purpose:
            raise ValueError("purpose must not contain NUL")
        message = f"{purpose}\x00{value}".encode()
        return hmac.digest(self._index_key, message, "sha256").hex()  # OpenSSL's one-shot path

    def _seal(self, data: bytes, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aeads[self._active].encrypt(nonce, data, context.encode("utf-8"))

    def _open(self, key_id: str, sealed: bytes, context: str) -> bytes:
        if len(sealed) < NONCE_BYTES + _TAG_BYTES:
            raise ValueError("too short")
        aead = self._aeads[key_id]
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode("utf-8"))
