"""A patient on the emulated Telegram: sends texts, taps buttons, reads what the bot sent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sibot.emulator.formatting import FormattedText, command_entities
from sibot.emulator.updates import UpdateQueue
from sibot.emulator.world import Chat, ChatEvent, StoredMessage, World, unix_now

# How long a test waits for the bot's answer before it fails. Answers come within a second or
# two; the margin is for a CI machine running six test workers on two cores.
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Message:
    """A bot message as the patient sees it: plain text (or caption), buttons, attachments."""

    message_id: int
    text: str
    buttons: list[list[str]]
    button_data: dict[str, str]
    photo: bytes | None = None
    animation: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    edited: bool = False
    deleted: bool = False

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label in row]


class NoSuchButton(AssertionError):
    """The patient tried to press a button that no message shows."""


class TelegramUser:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, world: World, updates: UpdateQueue, user: dict[str, Any]) -> None:
        self.user = user
        self._world = world
        self._updates = updates
        self.chat: Chat = world.private_chat(user)
        self._read = 0  # index into chat.events of the next event next_message() looks at

    @property
    def user_id(self) -> int:
        return int(self.user["id"])

    # --- Doing things -------------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Types a message; commands get their bot_command entities as in Telegram."""
        return self._post_message(FormattedText(text, command_entities(text)).content())

    async def share_location(self, latitude: float, longitude: float) -> int:
        return self._post_message({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_content(self, content: dict[str, Any]) -> int:
        """Any other message content (a sticker, a photo...), as a Bot API Message field set."""
        return self._post_message(content)

    async def tap(self, label: str) -> str:
        """Presses the button labelled `label` on the newest message that shows it."""
        for message in self.shown_bot_messages():
            for button in message.inline_buttons:
                if button.get("text") == label and "callback_data" in button:
                    return self._press(message, button["callback_data"])
        raise NoSuchButton(f"no message shows a button {label!r}; the newest shows {self._newest_labels()}")

    async def tap_data(self, data: str, message_id: int | None = None) -> str:
        """Presses a button by its callback data; with `message_id`, on that message whatever it shows."""
        if message_id is not None:
            if message_id not in self.chat.messages:
                raise NoSuchButton(f"this chat has no message {message_id}")
            return self._press(self.chat.messages[message_id], data)
        for message in self.shown_bot_messages():
            if any(b.get("callback_data") == data for b in message.inline_buttons):
                return self._press(message, data)
        raise NoSuchButton(f"no message shows a button with data {data!r}")

    def block_bot(self, *, bot_told: bool = True) -> None:
        """Blocks the bot: its sends to this chat get 403. Telegram tells the bot with a
        my_chat_member update; `bot_told=False` is the bot that missed it (it was down for longer
        than Telegram keeps updates), which learns of the block only from a 403."""
        self.chat.blocked = True
        if bot_told:
            self._membership_changed("member", "kicked")

    def unblock_bot(self, *, bot_told: bool = True) -> None:
        self.chat.blocked = False
        if bot_told:
            self._membership_changed("kicked", "member")

    def _membership_changed(self, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            return {"status": status, "user": self._world.bot_user} | ({"until_date": 0} if status == "kicked" else {})

        self._updates.push(
            {
                "my_chat_member": {
                    "chat": self.chat.info,
                    "from": self.user,
                    "date": unix_now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # --- Reading what the bot did -------------------------------------------------------------

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The next message the bot sent that this patient has not read yet, waiting for it."""
        try:
            event = await self.chat.changes.wait_until(self._next_sent, timeout)
        except TimeoutError:
            raise AssertionError(f"the bot sent nothing within {timeout} s") from None
        return self.view(event.message)  # type: ignore[arg-type]

    async def expect(self, fragment: str, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Reads messages until one contains `fragment`, and returns it."""
        seen: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await self.next_message(timeout)
                    if fragment.lower() in message.text.lower():
                        return message
                    seen.append(message.text[:80])
        except TimeoutError:
            raise AssertionError(f"no message contained {fragment!r}; read {seen}") from None

    async def assert_silent(self, seconds: float = 0.3) -> None:
        """Fails if the bot sends this patient a message within `seconds`."""
        try:
            message = await self.next_message(seconds)
        except AssertionError:
            return
        raise AssertionError(f"the bot sent an unexpected message: {message.text[:200]!r}")

    async def answer_to(self, query_id: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The text the bot showed for a button press (empty for a silent answer)."""

        def answered() -> str | None:
            for event in self.chat.events:
                if event.answer is not None and event.answer.query_id == query_id:
                    return event.answer.text
            return None

        try:
            return await self.chat.changes.wait_until(answered, timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not answer the button press within {timeout} s") from None

    @property
    def callback_answers(self) -> list[str]:
        return [e.answer.text for e in self.chat.events if e.answer is not None]

    @property
    def messages(self) -> list[Message]:
        """Every message the bot sent, as it looks now."""
        return [self.view(m) for m in self.chat.messages.values() if m.from_bot]

    def current(self, message_id: int) -> Message:
        """A message as it looks now, after any edits."""
        return self.view(self.chat.messages[message_id])

    def view(self, stored: StoredMessage) -> Message:
        body = stored.body
        photo = body.get("photo")
        animation = body.get("animation")
        document = None if animation else body.get("document")
        return Message(
            message_id=stored.message_id,
            text=body.get("text") or body.get("caption") or "",
            buttons=[[b["text"] for b in row] for row in stored.inline_rows],
            button_data={
                b["text"]: b["callback_data"] for b in stored.inline_buttons if "callback_data" in b
            },
            photo=self._world.files[photo[-1]["file_id"]].data if photo else None,
            animation=self._world.files[animation["file_id"]].data if animation else None,
            document=self._world.files[document["file_id"]].data if document else None,
            filename=document.get("file_name") if document else None,
            edited="edit_date" in body,
            deleted=stored.deleted,
        )

    # --- Inside -------------------------------------------------------------------------------

    def _post_message(self, content: dict[str, Any]) -> int:
        body = self.chat.new_message_body(self.user, content)
        self.chat.record(ChatEvent("sent", StoredMessage(body, from_bot=False)))
        self._updates.push({"message": body})
        return int(body["message_id"])

    def _press(self, message: StoredMessage, data: str) -> str:
        query_id = self._world.new_callback_query(self.chat.id)
        self._updates.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    "message": message.body,
                    "chat_instance": str(self.chat.id),
                    "data": data,
                }
            }
        )
        return query_id

    def _next_sent(self) -> ChatEvent | None:
        while self._read < len(self.chat.events):
            event = self.chat.events[self._read]
            self._read += 1
            if event.bot_sent:
                return event
        return None

    def shown_bot_messages(self) -> list[StoredMessage]:
        """The bot's messages still in the chat, newest first."""
        shown = [m for m in self.chat.messages.values() if m.from_bot and not m.deleted]
        return sorted(shown, key=lambda m: m.message_id, reverse=True)

    def _newest_labels(self) -> list[str]:
        for message in self.shown_bot_messages():
            labels = [b.get("text", "") for b in message.inline_buttons]
            if labels:
                return labels
        return []

