"""The Bot API wire format: request bodies in (JSON, form or multipart), JSON answers out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# Parameters whose values are objects or arrays. Form and multipart bodies (what PTB sends) carry
# them as JSON-encoded strings; everything else arrives as plain text.
STRUCTURED_PARAMETERS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "reply_markup",
        "reply_parameters",
        "scope",
    }
)
_TRUE_WORDS = frozenset({"true", "1"})


class ApiError(Exception):
    """A refusal, answered as `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart body, kept in memory."""

    filename: str
    content_type: str
    data: bytes


async def read_payload(request: web.Request) -> dict[str, Any]:
    """Every parameter of a request (query string and body), structured ones decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await _json_body(request))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            raw[name] = _uploaded(value) if isinstance(value, web.FileField) else value
    return {name: _decoded(name, value) for name, value in raw.items()}


async def _json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise bad_request(f"can't parse JSON body: {error.msg}") from error
    if not isinstance(body, dict):
        raise bad_request("JSON body must be an object")
    return body


def _uploaded(field: web.FileField) -> UploadedFile:
    return UploadedFile(
        filename=field.filename, content_type=field.content_type, data=field.file.read()
    )


def _decoded(name: str, value: Any) -> Any:
    if name not in STRUCTURED_PARAMETERS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise bad_request(f"can't parse {name} JSON object") from error


class Params:
    """Typed access to a request's parameters, accepting both JSON values and form strings."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def text(self, name: str) -> str | None:
        value = self.payload.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        raise bad_request(f"{name} must be a string")

    def required_text(self, name: str, missing: str | None = None) -> str:
        value = self.text(name)
        if not value:
            raise bad_request(missing or f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self.payload.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        try:
            return int(str(value))
        except ValueError as error:
            raise bad_request(f"invalid {name} specified") from error

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def flag(self, name: str) -> bool:
        value = self.payload.get(name)
        if isinstance(value, str):
            return value.lower() in _TRUE_WORDS
        return bool(value)

    def structured(self, name: str) -> Any:
        return self.payload.get(name)

    def file(self, name: str) -> UploadedFile | str | None:
        value = self.payload.get(name)
        if value is None or isinstance(value, UploadedFile | str):
            return value
        raise bad_request(f"wrong type of the {name} parameter")


def chat_id_of(payload: dict[str, Any]) -> int | None:
    """The numeric chat a request is about, if it names one."""
    value = payload.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
