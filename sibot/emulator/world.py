"""What exists on the emulated Telegram side: users, chats, their messages, files, queries."""

from __future__ import annotations

import itertools
import struct
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sibot.emulator.changes import Changes

FIRST_USER_ID = 700_000_001


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as it stands after its latest change; changes replace it, never mutate it."""

    body: dict[str, Any]  # the Bot API Message object
    from_bot: bool
    parse_mode: str | None = None
    markup: dict[str, Any] | None = None  # as sent, reply keyboards included
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.body["message_id"])

    @property
    def inline_rows(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard the message shows now, row by row (none: empty)."""
        return self.body.get("reply_markup", {}).get("inline_keyboard", [])

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.inline_rows for button in row]

    def edited(self, body: dict[str, Any], markup: dict[str, Any] | None, parse_mode: str | None) -> StoredMessage:
        return replace(self, body=body, markup=markup, parse_mode=parse_mode)


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press (a toast, or an alert when show_alert)."""

    query_id: str
    text: str
    show_alert: bool


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something the bot did in a chat, in the order it happened."""

    kind: Literal["sent", "edited", "deleted", "answered"]
    message: StoredMessage | None = None
    answer: CallbackAnswer | None = None

    @property
    def bot_sent(self) -> bool:
        """A new message from the bot."""
        return self.kind == "sent" and self.message is not None and self.message.from_bot


@dataclass(slots=True)
class Chat:
    info: dict[str, Any]  # the Bot API Chat object
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    last_message_id: int = 0
    blocked: bool = False
    # The reply keyboard the patient sees under the input field, until the bot removes it.
    reply_keyboard: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return int(self.info["id"])

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def new_message_body(self, sender: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """A Bot API Message from `sender` in this chat, with the next message id."""
        return {
            "message_id": self.next_message_id(),
            "from": sender,
            "chat": self.info,
            "date": unix_now(),
            **content,
        }

    def record(self, event: ChatEvent) -> None:
        if event.message is not None:
            self.messages[event.message.message_id] = event.message
        self.events.append(event)
        self.changes.notify()


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None
    mime_type: str | None

    def description(self) -> dict[str, Any]:
        """The Bot API File object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass(slots=True)
class CallbackQuery:
    chat_id: int
    answered: bool = False


class World:
    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.uploaded_bytes = 0  # every file the bot uploaded, so tests can see what reuse saves
        self.callback_queries: dict[str, CallbackQuery] = {}
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(4_000_000_000_000_000_001)

    def new_user(self, first_name: str, language_code: str | None, user_id: int | None) -> dict[str, Any]:
        user_id = user_id if user_id is not None else next(self._user_ids)
        while user_id in self.users:
            user_id = next(self._user_ids)
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def private_chat(self, user: dict[str, Any]) -> Chat:
        info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        return self.chats.setdefault(user["id"], Chat(info))

    def chat_for(self, info: dict[str, Any]) -> Chat:
        """The chat an update names, remembered so the bot can write to it."""
        return self.chats.setdefault(int(info["id"]), Chat(dict(info)))

    def add_file(self, data: bytes, folder: str, filename: str | None, mime_type: str | None) -> StoredFile:
        number = next(self._file_numbers)
        self.uploaded_bytes += len(data)
        suffix = f"_{filename}" if filename else ""
        stored = StoredFile(
            file_id=f"EMU-{folder}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def new_callback_query(self, chat_id: int) -> str:
        query_id = str(next(self._query_numbers))
        self.callback_queries[query_id] = CallbackQuery(chat_id)
        return query_id


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """A one-size PhotoSize array for a stored picture."""
    width, height = image_size(stored.data)
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.data),
        }
    ]


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (the charts, the stills) or a GIF (the animations); else 0 x 0."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    return 0, 0


def unix_now() -> int:
    return int(time.time())
