"""Bot API parameters as the server receives them: a JSON body, a query string, urlencoded or
multipart form data.

In forms every value is a string and structured values (``reply_markup``, ``commands``...) arrive
JSON-encoded inside it, which is what python-telegram-bot sends; in a JSON body they are already
typed. The accessors accept both, so the method code does not care how the bot encoded its call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.emulator.state import JSON, ApiError, bad_request


@dataclass(frozen=True)
class Upload:
    filename: str | None
    data: bytes
    content_type: str | None


class Params:
    def __init__(self, values: JSON, files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def logged(self) -> JSON:
        """What ``emu.requests`` keeps: structured values decoded, uploads summarised."""
        logged: JSON = {}
        for name, value in self.values.items():
            logged[name] = _maybe_json(value) if name not in _RAW_STRINGS else value
        for name, upload in self.files.items():
            logged[name] = {"filename": upload.filename, "size": len(upload.data)}
        return logged

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def required_string(self, name: str, missing: str | None = None) -> str:
        value = self.string(name)
        if value is None:
            raise bad_request(missing or f'parameter "{name}" is required')
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def required_integer(self, name: str, missing: str | None = None) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing or f'parameter "{name}" is required')
        return value

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Float') from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def upload(self, name: str) -> Upload | str | None:
        """A file part, a file_id / URL string, or an ``attach://`` reference resolved."""
        if name in self.files:
            return self.files[name]
        value = self.string(name)
        if value is not None and value.startswith("attach://"):
            attached = self.files.get(value.removeprefix("attach://"))
            if attached is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return attached
        return value


_RAW_STRINGS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "document",
        "photo",
        "file_id",
        "callback_query_id",
        "url",
        "secret_token",
        "action",
        "language_code",
        "ip_address",
    }
)


def _maybe_json(value: Any) -> Any:
    if not isinstance(value, str) or not value or value[0] not in '[{"-0123456789tf':
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
