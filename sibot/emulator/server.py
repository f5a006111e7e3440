"""The Bot API methods sibot calls, answered as Telegram answers them, with Telegram's rules."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from sibot.emulator.faults import Fault, Faults
from sibot.emulator.formatting import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    check_length,
    formatted,
)
from sibot.emulator.keyboards import checked_markup, is_inline
from sibot.emulator.limits import RateLimiter
from sibot.emulator.updates import UpdateQueue, Webhook
from sibot.emulator.wire import (
    ApiError,
    Params,
    UploadedFile,
    bad_request,
    chat_id_of,
    read_payload,
    too_many_requests,
)
from sibot.emulator.world import (
    CallbackAnswer,
    Chat,
    ChatEvent,
    StoredFile,
    StoredMessage,
    World,
    image_size,
    photo_sizes,
    unix_now,
)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
# Calls that put a message in a chat: what Telegram's flood limits count.
RATE_LIMITED_METHODS = frozenset(
    {"sendmessage", "sendphoto", "sendanimation", "senddocument", "copymessage", "forwardmessage"}
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")

Method = Callable[[Params], Awaitable[Any]]


@dataclass(slots=True)
class ApiRequest:
    """One call the bot made: for assertions in tests and figures in benchmarks."""

    method: str
    chat_id: int | None
    at: float  # the event loop's clock, in seconds
    payload: dict[str, Any]
    status: int = 0  # the HTTP status answered; 0 when the connection was dropped


@dataclass(slots=True)
class BotApi:
    """The state behind the HTTP endpoints, and one coroutine per Bot API method."""

    token: str
    bot_user: dict[str, Any]
    world: World
    updates: UpdateQueue
    faults: Faults
    limits: RateLimiter
    requests: list[ApiRequest] = field(default_factory=list)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    # What a user sees of the bot before Start, by language code ("" for the default).
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    # Lower-cased method names, as Telegram's are case-insensitive.
    methods: dict[str, Method] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.methods = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "sendphoto": self.send_photo,
            "sendanimation": self.send_animation,
            "senddocument": self.send_document,
            "sendchataction": self.send_chat_action,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setmydescription": self.set_my_description,
            "getmydescription": self.get_my_description,
            "setmyshortdescription": self.set_my_short_description,
            "getmyshortdescription": self.get_my_short_description,
            "getfile": self.get_file,
            "close": self.always_true,
            "logout": self.always_true,
        }

    # --- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        method_name = request.match_info["method"]
        try:
            payload = await read_payload(request)
        except ApiError as error:
            return _answer(error.body(), error.status)
        record = ApiRequest(
            method_name, chat_id_of(payload), asyncio.get_running_loop().time(), _loggable(payload)
        )
        self.requests.append(record)
        method = self.methods.get(method_name.lower())
        if method is None:
            record.status = 404
            return _answer(ApiError(404, "Not Found").body(), 404)
        fault = self.faults.take(method_name, record.chat_id)
        if fault is not None:
            return await self._inject(fault, request, record, method, payload)
        return await self._call(record, method, payload)

    async def _call(self, record: ApiRequest, method: Method, payload: dict[str, Any]) -> web.Response:
        try:
            if record.method.lower() in RATE_LIMITED_METHODS and record.chat_id is not None:
                self.limits.acquire(record.chat_id)
            result = await method(Params(payload))
        except ApiError as error:
            record.status = error.status
            return _answer(error.body(), error.status)
        record.status = 200
        return _answer({"ok": True, "result": result}, 200)

    async def _inject(
        self,
        fault: Fault,
        request: web.Request,
        record: ApiRequest,
        method: Method,
        payload: dict[str, Any],
    ) -> web.StreamResponse:
        if fault.kind == "400":
            record.status = 400
            return _answer(ApiError(400, fault.description).body(), 400)
        if fault.kind == "5xx":
            record.status = fault.status
            return _answer(ApiError(fault.status, "Internal Server Error").body(), fault.status)
        if fault.kind == "429":
            record.status = 429
            return _answer(too_many_requests(fault.retry_after).body(), 429)
        if fault.takes_effect:
            await self._call(record, method, payload)
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
        record.status = 0
        if request.transport is not None:
            request.transport.abort()
        # Nobody reads this answer: the connection is gone, as when a network drops it.
        return web.Response(status=499)

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        stored = self.world.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _answer(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # --- Chats and messages -------------------------------------------------------------------

    def _chat(self, params: Params) -> Chat:
        chat_id = params.required_integer("chat_id")
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _own_message(self, chat: Chat, params: Params, missing: str) -> StoredMessage:
        message = chat.messages.get(params.required_integer("message_id"))
        if message is None or message.deleted:
            raise bad_request(missing)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _send(self, chat: Chat, content: dict[str, Any], params: Params, parse_mode: str | None) -> dict[str, Any]:
        markup = _markup(params)
        body = chat.new_message_body(self.bot_user, content)
        if is_inline(markup):
            body["reply_markup"] = markup
        elif markup is not None:
            chat.reply_keyboard = None if markup.get("remove_keyboard") else markup
        chat.record(ChatEvent("sent", StoredMessage(body, True, parse_mode, markup)))
        return body

    async def send_message(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        source = params.required_text("text", "message text is empty")
        text = formatted(source, params.text("parse_mode"), params.structured("entities"))
        if not text.text.strip():
            raise bad_request("message text is empty")
        check_length(text.text, MAX_TEXT_LENGTH, caption=False)
        return self._send(chat, text.content(), params, params.text("parse_mode"))

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "photo", "photos")

    async def send_animation(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "animation", "animations")

    async def send_document(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "document", "documents")

    def _send_file(self, params: Params, kind: str, folder: str) -> dict[str, Any]:
        chat = self._chat(params)
        stored = self._stored_file(params.file(kind), folder)
        content: dict[str, Any] = {kind: photo_sizes(stored) if kind == "photo" else _document(stored)}
        if kind == "animation":
            width, height = image_size(stored.data)
            content["animation"] |= {"width": width, "height": height, "duration": 0}
            # as Telegram does, an animation comes with its document too
            content["document"] = _document(stored)
        caption = params.text("caption")
        if caption:
            text = formatted(caption, params.text("parse_mode"), params.structured("caption_entities"))
            check_length(text.text, MAX_CAPTION_LENGTH, caption=True)
            content["caption"] = text.text
            if text.entities:
                content["caption_entities"] = text.entities
        return self._send(chat, content, params, params.text("parse_mode"))

    def _stored_file(self, given: UploadedFile | str | None, folder: str) -> StoredFile:
        if isinstance(given, UploadedFile):
            return self.world.add_file(given.data, folder, given.filename, given.content_type)
        # a file id is good for the kind of file it was issued for, as on Telegram
        if given and given in self.world.files and given.startswith(f"EMU-{folder}-"):
            return self.world.files[given]
        raise bad_request("wrong file identifier/HTTP URL specified" if given else "there is no file in the request")

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        message = self._own_message(chat, params, "message to edit not found")
        if "text" not in message.body:
            # a photo, an animation or a document has a caption, which editMessageText cannot reach
            raise bad_request("there is no text in the message to edit")
        source = params.required_text("text", "message text is empty")
        text = formatted(source, params.text("parse_mode"), params.structured("entities"))
        check_length(text.text, MAX_TEXT_LENGTH, caption=False)
        markup = _markup(params)
        kept = {k: v for k, v in message.body.items() if k not in ("text", "entities")}
        body = {**kept, **text.content()}
        return self._edit(chat, message, body, markup, params.text("parse_mode"))

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        message = self._own_message(chat, params, "message to edit not found")
        return self._edit(chat, message, dict(message.body), _markup(params), message.parse_mode)

    def _edit(
        self,
        chat: Chat,
        message: StoredMessage,
        body: dict[str, Any],
        markup: dict[str, Any] | None,
        parse_mode: str | None,
    ) -> dict[str, Any]:
        if markup is not None and not is_inline(markup):
            raise bad_request("inline keyboard expected")
        body.pop("reply_markup", None)
        if markup is not None and markup["inline_keyboard"]:
            body["reply_markup"] = markup
        if _visible(body) == _visible(message.body):
            raise bad_request(NOT_MODIFIED)
        body["edit_date"] = unix_now()
        chat.record(ChatEvent("edited", message.edited(body, markup, parse_mode)))
        return body

    async def delete_message(self, params: Params) -> bool:
        chat = self._chat(params)
        message = chat.messages.get(params.required_integer("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        chat.record(ChatEvent("deleted", replace(message, deleted=True)))
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.required_text("callback_query_id")
        query = self.world.callback_queries.get(query_id)
        if query is None or query.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        query.answered = True
        answer = CallbackAnswer(query_id, params.text("text") or "", params.flag("show_alert"))
        self.world.chats[query.chat_id].record(ChatEvent("answered", answer=answer))
        return True

    async def send_chat_action(self, params: Params) -> bool:
        self._chat(params)
        return True

    async def get_file(self, params: Params) -> dict[str, Any]:
        stored = self.world.files.get(params.required_text("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.description()

    # --- The bot itself -----------------------------------------------------------------------

    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def always_true(self, params: Params) -> bool:
        return True

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.structured("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not _COMMAND_NAME.match(str(name)):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(description)) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_command_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return self.commands.get(_command_key(params), [])

    async def delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(_command_key(params), None)
        return True

    async def set_my_description(self, params: Params) -> bool:
        _describe(self.descriptions, params, "description", DESCRIPTION_LENGTH)
        return True

    async def get_my_description(self, params: Params) -> dict[str, str]:
        return {"description": self.descriptions.get(params.text("language_code") or "", "")}

    async def set_my_short_description(self, params: Params) -> bool:
        _describe(self.short_descriptions, params, "short_description", SHORT_DESCRIPTION_LENGTH)
        return True

    async def get_my_short_description(self, params: Params) -> dict[str, str]:
        return {"short_description": self.short_descriptions.get(params.text("language_code") or "", "")}

    # --- Updates ------------------------------------------------------------------------------

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        self.updates.set_allowed_updates(params.structured("allowed_updates"))
        return await self.updates.poll(
            params.integer("offset"), params.integer("limit") or 100, params.integer("timeout") or 0
        )

    async def set_webhook(self, params: Params) -> bool:
        url = params.text("url") or ""
        if not url:
            return await self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.flag("drop_pending_updates"):
            self.updates.drop_pending()
        self.updates.set_allowed_updates(params.structured("allowed_updates"))
        webhook = Webhook(url, params.text("secret_token"), params.integer("max_connections") or 40)
        self.updates.set_webhook(webhook)
        return True

    async def delete_webhook(self, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            self.updates.drop_pending()
        self.updates.set_webhook(None)
        return True

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        webhook = self.updates.webhook
        info: dict[str, Any] = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }
        if webhook is not None:
            info["max_connections"] = webhook.max_connections
            if webhook.last_error_date is not None:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message
        return info


def _answer(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status)


def _markup(params: Params) -> dict[str, Any] | None:
    markup = params.structured("reply_markup")
    return None if markup is None else checked_markup(markup)


def _document(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.filename:
        document["file_name"] = stored.filename
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def _visible(body: dict[str, Any]) -> tuple[Any, ...]:
    """What a patient sees of a message; an edit that changes none of it is refused."""
    return (
        body.get("text"),
        body.get("entities"),
        body.get("caption"),
        body.get("reply_markup"),
    )


# Telegram's limits for what a user sees of the bot before Start.
DESCRIPTION_LENGTH = 512
SHORT_DESCRIPTION_LENGTH = 120


def _describe(store: dict[str, str], params: Params, field_name: str, limit: int) -> None:
    """Keep (or, given an empty text, remove) a description for its language."""
    described = params.text(field_name) or ""
    if len(described) > limit:
        raise bad_request(f"{field_name.upper()}_INVALID")
    language = params.text("language_code") or ""
    if described:
        store[language] = described
    else:
        store.pop(language, None)


def _command_key(params: Params) -> tuple[str, str]:
    scope = params.structured("scope") or {"type": "default"}
    return str(scope.get("type", "default")), params.text("language_code") or ""


def _loggable(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with uploads reduced to their names, so the record stays small."""
    return {
        name: f"<file {value.filename}>" if isinstance(value, UploadedFile) else value
        for name, value in payload.items()
    }
