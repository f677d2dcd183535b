"""Field encryption, blind indexes and key handling, with real keys and real files."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.crypto import DecryptionError, FieldCipher, KeyConfigError, Keyring, load_keyring

ROW_A = "users.id_number:0b6f1c9e-0000-4000-8000-000000000001"
ROW_B = "users.id_number:0b6f1c9e-0000-4000-8000-000000000002"
ID_NUMBER = "11010519491231002X"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _flip_last_char(token: str) -> str:
    head, last = token[:-2], token[-2:]
    return head + ("A" if last[0] != "A" else "B") + last[1]


# --- tokens -----------------------------------------------------------------------------------


def test_round_trip_and_token_shape(cipher: FieldCipher) -> None:
    token = cipher.encrypt("张三 " + ID_NUMBER, context=ROW_A)
    assert token.isascii()
    assert token.startswith("v1.k1.")
    assert ID_NUMBER not in token
    assert cipher.decrypt(token, context=ROW_A) == "张三 " + ID_NUMBER


def test_same_plaintext_encrypts_differently_each_time(cipher: FieldCipher) -> None:
    assert cipher.encrypt(ID_NUMBER, context=ROW_A) != cipher.encrypt(ID_NUMBER, context=ROW_A)


def test_empty_string_round_trips(cipher: FieldCipher) -> None:
    assert cipher.decrypt(cipher.encrypt("", context=ROW_A), context=ROW_A) == ""


def test_token_copied_to_another_row_does_not_decrypt(cipher: FieldCipher) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ROW_A)
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=ROW_B)


def test_token_under_another_column_does_not_decrypt(cipher: FieldCipher) -> None:
    token = cipher.encrypt("13812345678", context="users.mobile:1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="users.id_number:1")


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_last_char,
        lambda t: t.replace("v1.", "v2.", 1),
        lambda t: t.replace(".k1.", ".k9.", 1),
        lambda t: t[:-10],
        lambda t: t + "A",
        lambda t: t + ".x",
        lambda t: t.replace(".", "", 1),
        lambda t: t[:-4] + "!!!!",
        lambda t: "v1.k1.",
        lambda t: "",
    ],
)
def test_tampered_or_malformed_token_raises_decryption_error(
    cipher: FieldCipher, tamper: Callable[[str], str]
) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ROW_A)
    with pytest.raises(DecryptionError) as raised:
        cipher.decrypt(tamper(token), context=ROW_A)
    # Nothing about which check failed leaks through the cause chain.
    assert raised.value.__cause__ is None
    assert str(raised.value) == "ciphertext does not decrypt"


def test_token_from_another_keyring_does_not_decrypt(cipher: FieldCipher) -> None:
    stranger = FieldCipher(Keyring.generate())
    with pytest.raises(DecryptionError):
        cipher.decrypt(stranger.encrypt(ID_NUMBER, context=ROW_A), context=ROW_A)


def test_key_id_of_names_the_key_and_rejects_junk(cipher: FieldCipher) -> None:
    assert FieldCipher.key_id_of(cipher.encrypt("x", context=ROW_A)) == "k1"
    with pytest.raises(DecryptionError):
        FieldCipher.key_id_of("not a token")


# --- files ------------------------------------------------------------------------------------


def test_bytes_round_trip_with_header(cipher: FieldCipher) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 10
    blob = cipher.encrypt_bytes(data, context="file:abc")
    assert blob.startswith(b"CEF1\x02k1")
    assert data[9:] not in blob
    assert cipher.decrypt_bytes(blob, context="file:abc") == data


def test_tampered_bytes_or_wrong_context_fail(cipher: FieldCipher) -> None:
    blob = cipher.encrypt_bytes(b"annual plan", context="file:abc")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    for bad_blob, context in [
        (flipped, "file:abc"),
        (blob, "file:abd"),
        (blob[:20], "file:abc"),
        (b"CEF1", "file:abc"),
        (b"", "file:abc"),
        (b"CEF2" + blob[4:], "file:abc"),
        (blob[:4] + b"\xff" + blob[5:], "file:abc"),
    ]:
        with pytest.raises(DecryptionError):
            cipher.decrypt_bytes(bad_blob, context=context)


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_keeps_old_tokens_readable_and_encrypts_with_the_new_key(
    keyring: Keyring,
) -> None:
    old = FieldCipher(keyring)
    old_token = old.encrypt(ID_NUMBER, context=ROW_A)
    old_blob = old.encrypt_bytes(b"file", context="file:x")

    rotated = keyring.with_new_active_key("k2")
    assert rotated.active_key_id == "k2"
    assert set(rotated.encryption_keys) == {"k1", "k2"}
    assert rotated.index_key == keyring.index_key
    new = FieldCipher(rotated)

    assert new.decrypt(old_token, context=ROW_A) == ID_NUMBER
    assert new.decrypt_bytes(old_blob, context="file:x") == b"file"
    new_token = new.encrypt(ID_NUMBER, context=ROW_A)
    assert new.key_id_of(new_token) == "k2"
    assert new.encrypt_bytes(b"file", context="file:x").startswith(b"CEF1\x02k2")
    # The old keyring cannot read what the new key wrote.
    with pytest.raises(DecryptionError):
        old.decrypt(new_token, context=ROW_A)
    # The rotated keyring survives its own JSON form.
    assert Keyring.from_json(rotated.to_json()) == rotated


def test_rotation_refuses_an_existing_key_id(keyring: Keyring) -> None:
    with pytest.raises(KeyConfigError, match="k1"):
        keyring.with_new_active_key("k1")


# --- blind index ------------------------------------------------------------------------------


def test_blind_index_is_deterministic_and_separated_by_purpose_and_key(
    cipher: FieldCipher,
) -> None:
    index = cipher.blind_index(ID_NUMBER, purpose="id_number")
    assert len(index) == 64 and int(index, 16) >= 0
    assert cipher.blind_index(ID_NUMBER, purpose="id_number") == index
    assert cipher.blind_index(ID_NUMBER, purpose="learner_id_number") != index
    assert cipher.blind_index("11010519491231003X", purpose="id_number") != index
    assert FieldCipher(Keyring.generate()).blind_index(ID_NUMBER, purpose="id_number") != index


def test_blind_index_survives_encryption_key_rotation(keyring: Keyring) -> None:
    before = FieldCipher(keyring).blind_index(ID_NUMBER, purpose="id_number")
    after = FieldCipher(keyring.with_new_active_key("k2")).blind_index(
        ID_NUMBER, purpose="id_number"
    )
    assert before == after


def test_blind_index_is_not_an_unkeyed_hash(cipher: FieldCipher) -> None:
    plain = hashlib.sha256(f"id_number\x00{ID_NUMBER}".encode()).hexdigest()
    assert cipher.blind_index(ID_NUMBER, purpose="id_number") != plain


# --- key configuration ------------------------------------------------------------------------


def _config(**changes: object) -> str:
    data: dict[str, object] = {
        "active": "k1",
        "keys": {"k1": _b64(b"\x01" * 32), "k0": _b64(b"\x02" * 32)},
        "index": _b64(b"\x03" * 32),
    }
    data.update(changes)
    return json.dumps(data)


def test_keyring_parses_padded_and_unpadded_keys() -> None:
    text = _config(keys={"k1": _b64(b"\x01" * 32), "k0": _b64(b"\x02" * 32).rstrip("=")})
    keyring = Keyring.from_json(text)
    assert keyring.active_key_id == "k1"
    assert keyring.encryption_keys == {"k1": b"\x01" * 32, "k0": b"\x02" * 32}
    assert keyring.index_key == b"\x03" * 32


def test_keyring_json_round_trip_and_repr_hides_keys() -> None:
    keyring = Keyring.generate("main")
    assert Keyring.from_json(keyring.to_json()) == keyring
    assert _b64(keyring.encryption_keys["main"]).rstrip("=") not in repr(keyring)
    assert "main" in repr(keyring)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "not valid JSON"),
        ("", "empty"),
        ("[]", "JSON object"),
        (_config(active="k7"), "active key 'k7'"),
        (_config(keys={"k1": _b64(b"\x01" * 31)}), "exactly 32 bytes, not 31"),
        (_config(keys={"k1": _b64(b"\x01" * 33)}), "exactly 32 bytes, not 33"),
        (_config(keys={"k1": "@@@@"}), "not valid url-safe base64"),
        (_config(keys={"k1": 12}), "base64 string"),
        (_config(keys={}), "non-empty"),
        (_config(keys={"k.1": _b64(b"\x01" * 32)}, active="k.1"), "key id 'k.1'"),
        (_config(index=_b64(b"\x03" * 16)), "index key must decode to exactly 32 bytes"),
        (_config(index=_b64(b"\x02" * 32)), "index key must differ"),
        (_config(extra=1), "unknown fields ['extra']"),
        (json.dumps({"active": "k1", "keys": {"k1": _b64(b"\x01" * 32)}}), "missing fields"),
    ],
)
def test_bad_key_configuration_names_the_variable_and_the_problem(
    text: str, complaint: str
) -> None:
    with pytest.raises(KeyConfigError) as raised:
        Keyring.from_json(text)
    message = str(raised.value)
    assert "CEBOT_SECRET_KEYS" in message
    assert complaint in message
    assert "\n" not in message
    # Never the key material itself.
    assert _b64(b"\x01" * 32).rstrip("=") not in message


def test_keyring_constructed_directly_is_validated_too() -> None:
    with pytest.raises(KeyConfigError, match="active key"):
        Keyring("k2", {"k1": b"\x01" * 32}, b"\x03" * 32)
    with pytest.raises(KeyConfigError, match="index key"):
        Keyring("k1", {"k1": b"\x01" * 32}, b"\x01" * 32)


def test_keyring_does_not_follow_changes_to_the_callers_dict() -> None:
    keys = {"k1": b"\x01" * 32}
    keyring = Keyring("k1", keys, b"\x03" * 32)
    keys["k1"] = b"\x09" * 32
    assert keyring.encryption_keys["k1"] == b"\x01" * 32


# --- loading ----------------------------------------------------------------------------------


def test_environment_value_wins_and_no_file_is_written(tmp_path: Path) -> None:
    keyring = load_keyring(_config(), tmp_path / "data")
    assert keyring.encryption_keys["k1"] == b"\x01" * 32
    assert not (tmp_path / "data").exists()


def test_key_file_is_created_private_reused_and_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "var" / "data"
    logger = logging.getLogger("test.keys")
    with caplog.at_level(logging.WARNING, logger="test.keys"):
        first = load_keyring(None, data_dir, logger=logger)
    path = data_dir / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "back it up" in caplog.records[0].getMessage().lower()
    assert str(path) in caplog.records[0].getMessage()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="test.keys"):
        second = load_keyring(None, data_dir, logger=logger)
    assert second == first
    assert caplog.records == []
    cipher = FieldCipher(second)
    assert FieldCipher(first).decrypt(cipher.encrypt("x", context="c"), context="c") == "x"


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_keyring(None, tmp_path)
    path = tmp_path / "keys.json"
    path.chmod(0o644)
    with pytest.raises(KeyConfigError, match="0644") as raised:
        load_keyring(None, tmp_path)
    assert "CEBOT_SECRET_KEYS" in str(raised.value)
    path.chmod(0o640)
    with pytest.raises(KeyConfigError):
        load_keyring(None, tmp_path)


def test_broken_key_file_names_the_file_and_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(_config(active="nope"))
    path.chmod(0o600)
    with pytest.raises(KeyConfigError) as raised:
        load_keyring(None, tmp_path)
    assert str(path) in str(raised.value)
    assert "CEBOT_SECRET_KEYS" in str(raised.value)
    assert "'nope'" in str(raised.value)
