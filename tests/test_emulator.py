"""The emulator's own rules, one test each: over raw HTTP (JSON, form, multipart) and its patients."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sibot.emulator import Emulator, NoSuchButton, TelegramUser
from tests.harness import TOKEN

PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR"
    + struct.pack(">II", 3, 2)
    + b"\x08\x02\x00\x00\x00"
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def result(self) -> Any:
        assert self.status == 200 and self.body["ok"] is True, self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        assert self.body["ok"] is False, self.body
        return str(self.body["description"])


class RawApi:
    """The Bot API over plain HTTP, in each body encoding Telegram accepts."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emulator = emulator

    def url(self, method: str, token: str = TOKEN) -> str:
        return f"{self.emulator.base_url}{token}/{method}"

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        body: str = "json",
        token: str = TOKEN,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Answer:
        params = params or {}
        if body == "json":
            request = self.session.post(self.url(method, token), json=params)
        elif body == "form":
            request = self.session.post(self.url(method, token), data=_form_values(params))
        else:
            form = aiohttp.FormData()
            for name, value in _form_values(params).items():
                form.add_field(name, value)
            for name, (filename, data, content_type) in (files or {}).items():
                form.add_field(name, data, filename=filename, content_type=content_type)
            request = self.session.post(self.url(method, token), data=form)
        async with request as response:
            return Answer(response.status, await response.json())

    async def send(self, chat_id: int, text: str = "Hello", **params: Any) -> Answer:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text, **params})


def _form_values(params: dict[str, Any]) -> dict[str, str]:
    """Form fields as PTB sends them: objects and arrays JSON-encoded, the rest as text."""
    return {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in params.items()
    }


def _keyboard(*labels_and_data: tuple[str, str]) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in labels_and_data]
        ]
    }


MakeEmulator: TypeAlias = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def make_emulator() -> AsyncIterator[MakeEmulator]:
    """An emulator with the limits a test chooses, stopped afterwards."""
    started: list[Emulator] = []

    async def make(**limits: Any) -> Emulator:
        emulator = Emulator(TOKEN, **limits)
        await emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        await emulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def api(session: aiohttp.ClientSession, emulator: Emulator) -> RawApi:
    # The flood limits have their own tests; the others send freely.
    emulator.limits.chat_rate = None
    return RawApi(session, emulator)


@pytest.fixture
def ana(emulator: Emulator) -> TelegramUser:
    return emulator.patient(first_name="Ana")


async def _wait_for_request(emulator: Emulator, method: str, count: int = 1) -> None:
    """Waits until `count` calls of `method` have arrived (they are recorded on arrival)."""
    while sum(r.method == method for r in emulator.requests) < count:
        await asyncio.sleep(0.005)


# --- Wire format -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["json", "form", "multipart"])
async def test_every_body_encoding_is_answered_with_ok_and_result(
    api: RawApi, ana: TelegramUser, body: str
) -> None:
    markup = _keyboard(("Yes", "answer:yes"))
    answer = await api.call(
        "sendMessage", {"chat_id": ana.user_id, "text": "Ready?", "reply_markup": markup}, body=body
    )

    message = answer.result
    assert answer.body["ok"] is True
    assert message["text"] == "Ready?"
    assert message["chat"]["id"] == ana.user_id
    assert message["from"]["is_bot"] is True
    assert message["reply_markup"] == markup
    assert (await ana.next_message()).button_data == {"Yes": "answer:yes"}


async def test_an_error_carries_ok_false_error_code_and_description(
    api: RawApi, ana: TelegramUser
) -> None:
    answer = await api.send(ana.user_id, "")

    assert answer.status == 400
    assert answer.body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }


async def test_message_ids_increase_within_a_chat(api: RawApi, ana: TelegramUser) -> None:
    ids = [(await api.send(ana.user_id, f"n{i}")).result["message_id"] for i in range(3)]
    await ana.send("and mine")
    after_patient = (await api.send(ana.user_id, "after")).result["message_id"]

    assert ids == sorted(ids) and len(set(ids)) == 3
    assert after_patient == ids[-1] + 2


async def test_update_ids_increase_by_one(api: RawApi, ana: TelegramUser) -> None:
    for text in ("one", "two", "three"):
        await ana.send(text)

    updates = (await api.call("getUpdates")).result

    assert [u["message"]["text"] for u in updates] == ["one", "two", "three"]
    first = updates[0]["update_id"]
    assert [u["update_id"] for u in updates] == [first, first + 1, first + 2]


async def test_get_me_describes_the_bot_of_the_token(api: RawApi) -> None:
    me = (await api.call("getMe")).result

    assert me["id"] == int(TOKEN.split(":")[0])
    assert me["is_bot"] is True
    assert me["username"]


async def test_unknown_method_answers_404(api: RawApi) -> None:
    answer = await api.call("sendTelepathy", {"chat_id": 1})

    assert answer.status == 404
    assert answer.body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(api: RawApi) -> None:
    assert (await api.call("GETME")).result["is_bot"] is True


async def test_wrong_token_answers_401(api: RawApi) -> None:
    answer = await api.call("getMe", token="42:not-the-right-token-at-all")

    assert answer.status == 401
    assert answer.body["error_code"] == 401
    assert answer.description == "Unauthorized"


async def test_malformed_json_body_is_a_bad_request(
    api: RawApi, session: aiohttp.ClientSession
) -> None:
    headers = {"Content-Type": "application/json"}
    async with session.post(api.url("getMe"), data="{not json", headers=headers) as response:
        body = await response.json()

    assert response.status == 400
    assert body["description"].startswith("Bad Request: can't parse JSON body")


# --- getUpdates ------------------------------------------------------------------------------


async def test_offset_confirms_the_updates_before_it(api: RawApi, ana: TelegramUser) -> None:
    for text in ("one", "two", "three"):
        await ana.send(text)
    first = (await api.call("getUpdates")).result[0]["update_id"]

    rest = (await api.call("getUpdates", {"offset": first + 1})).result
    again = (await api.call("getUpdates")).result

    assert [u["message"]["text"] for u in rest] == ["two", "three"]
    assert [u["message"]["text"] for u in again] == ["two", "three"]


async def test_negative_offset_keeps_only_the_newest_updates(api: RawApi, ana: TelegramUser) -> None:
    for text in ("one", "two", "three"):
        await ana.send(text)

    updates = (await api.call("getUpdates", {"offset": -1})).result

    assert [u["message"]["text"] for u in updates] == ["three"]


async def test_limit_caps_the_updates_returned(api: RawApi, ana: TelegramUser) -> None:
    for text in ("one", "two", "three"):
        await ana.send(text)

    updates = (await api.call("getUpdates", {"limit": 2}, body="form")).result

    assert [u["message"]["text"] for u in updates] == ["one", "two"]


async def test_long_poll_waits_and_returns_the_update_that_arrives(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    poll = asyncio.create_task(api.call("getUpdates", {"timeout": 5}))
    await _wait_for_request(emulator, "getUpdates")
    await asyncio.sleep(0.05)
    assert not poll.done()

    await ana.send("hello")

    updates = (await poll).result
    assert [u["message"]["text"] for u in updates] == ["hello"]


async def test_long_poll_with_nothing_to_give_ends_empty(api: RawApi) -> None:
    assert (await api.call("getUpdates", {"timeout": 1})).result == []


async def test_allowed_updates_filter_the_update_types(api: RawApi, ana: TelegramUser) -> None:
    await api.send(ana.user_id, "Pick", reply_markup=_keyboard(("A", "pick:a")))
    await api.call("getUpdates", {"allowed_updates": ["callback_query"]})

    await ana.send("ignored text")
    await ana.tap("A")
    kept_setting = (await api.call("getUpdates")).result
    await api.call("getUpdates", {"allowed_updates": []})
    await ana.send("seen text")
    every_type = (
        await api.call("getUpdates", {"offset": kept_setting[-1]["update_id"] + 1})
    ).result

    assert [list(u)[1] for u in kept_setting] == ["callback_query"]
    assert [u["message"]["text"] for u in every_type] == ["seen text"]


async def test_a_second_poller_ends_the_first_with_409(api: RawApi, emulator: Emulator) -> None:
    older = asyncio.create_task(api.call("getUpdates", {"timeout": 5}))
    await _wait_for_request(emulator, "getUpdates")

    newer = await api.call("getUpdates", {"timeout": 0})
    ended = await older

    assert newer.result == []
    assert ended.status == 409
    assert ended.description.startswith("Conflict: terminated by other getUpdates request")


# --- Webhooks --------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A small web server that plays the bot's webhook endpoint."""

    url: str
    deliveries: asyncio.Queue[tuple[str | None, dict[str, Any]]]
    statuses: list[int]  # what to answer next; 200 once empty


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    deliveries: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    statuses: list[int] = []

    async def take(request: web.Request) -> web.Response:
        await deliveries.put(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Receiver(f"http://127.0.0.1:{port}/hook", deliveries, statuses)
    await runner.cleanup()


async def test_webhook_receives_updates_with_the_secret_header(
    api: RawApi, ana: TelegramUser, receiver: Receiver
) -> None:
    assert (
        await api.call("setWebhook", {"url": receiver.url, "secret_token": "s3cret_-"})
    ).result is True

    await ana.send("over the hook")
    secret, update = await asyncio.wait_for(receiver.deliveries.get(), 5)

    assert secret == "s3cret_-"
    assert update["message"]["text"] == "over the hook"
    assert isinstance(update["update_id"], int)


async def test_webhook_info_shows_the_url_until_deleted(api: RawApi, receiver: Receiver) -> None:
    await api.call("setWebhook", {"url": receiver.url}, body="form")
    info = (await api.call("getWebhookInfo")).result

    await api.call("deleteWebhook")
    deleted = (await api.call("getWebhookInfo")).result

    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert deleted["url"] == ""


async def test_webhook_delivery_is_retried_and_the_error_reported(
    api: RawApi, ana: TelegramUser, receiver: Receiver
) -> None:
    receiver.statuses.append(500)
    await api.call("setWebhook", {"url": receiver.url})

    await ana.send("persist")
    first = await asyncio.wait_for(receiver.deliveries.get(), 5)
    second = await asyncio.wait_for(receiver.deliveries.get(), 5)
    info = (await api.call("getWebhookInfo")).result

    assert first[1] == second[1]
    assert "500" in info["last_error_message"]


async def test_get_updates_conflicts_with_an_active_webhook(
    api: RawApi, receiver: Receiver
) -> None:
    await api.call("setWebhook", {"url": receiver.url})

    refused = await api.call("getUpdates")
    await api.call("deleteWebhook")

    assert refused.status == 409
    assert "webhook is active" in refused.description
    assert (await api.call("getUpdates")).result == []


async def test_set_webhook_refuses_a_url_that_is_not_http(api: RawApi) -> None:
    answer = await api.call("setWebhook", {"url": "ftp://example.org/hook"})

    assert answer.status == 400


# --- sendMessage: HTML and lengths -----------------------------------------------------------


async def test_html_becomes_plain_text_and_entities(api: RawApi, ana: TelegramUser) -> None:
    message = (
        await api.send(ana.user_id, "<b>Hold</b> for 5 s &amp; <i>relax</i>", parse_mode="HTML")
    ).result

    assert message["text"] == "Hold for 5 s & relax"
    assert message["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 15, "length": 5},
    ]
    assert (await ana.next_message()).text == "Hold for 5 s & relax"


@pytest.mark.parametrize(
    "source",
    ["<b>never closed", "<b><i>crossed</b></i>", "closed</b> only", "<div>block</div>", "a < b"],
)
async def test_html_that_telegram_cannot_parse_is_refused(
    api: RawApi, ana: TelegramUser, source: str
) -> None:
    answer = await api.send(ana.user_id, source, parse_mode="HTML")

    assert answer.status == 400
    assert answer.description.startswith("Bad Request: can't parse entities")


async def test_without_parse_mode_tags_are_plain_text(api: RawApi, ana: TelegramUser) -> None:
    assert (await api.send(ana.user_id, "<b>never closed")).result["text"] == "<b>never closed"


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("x", True),
        ("x" * 4096, True),
        ("x" * 4097, False),
        ("\N{FLEXED BICEPS}" * 2048, True),  # two UTF-16 code units each
        ("\N{FLEXED BICEPS}" * 2049, False),
        ("é" * 4096, True),  # one UTF-16 code unit, though two UTF-8 bytes
    ],
)
async def test_text_length_is_1_to_4096_utf16_units(
    api: RawApi, ana: TelegramUser, text: str, accepted: bool
) -> None:
    answer = await api.send(ana.user_id, text)

    if accepted:
        assert answer.result["text"] == text
    else:
        assert answer.description == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "   \n "])
async def test_empty_text_is_refused(api: RawApi, ana: TelegramUser, text: str) -> None:
    assert (await api.send(ana.user_id, text)).description == "Bad Request: message text is empty"


async def test_length_counts_the_text_after_html_parsing(api: RawApi, ana: TelegramUser) -> None:
    answer = await api.send(ana.user_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    assert len(answer.result["text"]) == 4096


async def test_sending_to_an_unknown_chat_is_refused(api: RawApi) -> None:
    assert (await api.send(999, "anyone?")).description == "Bad Request: chat not found"


# --- Keyboards -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ("a", True),
        ("d" * 64, True),
        ("d" * 65, False),
        ("", False),
        ("é" * 32, True),
        ("é" * 33, False),
    ],
)
async def test_callback_data_is_1_to_64_bytes(
    api: RawApi, ana: TelegramUser, data: str, accepted: bool
) -> None:
    answer = await api.send(ana.user_id, "Pick", reply_markup=_keyboard(("Pick me", data)))

    if accepted:
        assert answer.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == data
    else:
        assert answer.description == "Bad Request: BUTTON_DATA_INVALID"


async def test_inline_button_without_an_action_is_refused(api: RawApi, ana: TelegramUser) -> None:
    answer = await api.send(
        ana.user_id, "Pick", reply_markup={"inline_keyboard": [[{"text": "bare"}]]}
    )

    assert answer.status == 400
    assert "Text buttons are unallowed" in answer.description


async def test_reply_keyboard_shows_until_removed(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    keyboard = {"keyboard": [["Share location", {"text": "Type a city"}]], "resize_keyboard": True}

    shown = (
        await api.send(ana.user_id, "Where are you?", reply_markup=keyboard, body="form")
    ).result
    under_input = ana.chat.reply_keyboard
    await api.send(ana.user_id, "Thanks", reply_markup={"remove_keyboard": True})

    assert "reply_markup" not in shown  # Telegram returns only inline keyboards on a message
    assert under_input is not None
    assert under_input["keyboard"] == [[{"text": "Share location"}, {"text": "Type a city"}]]
    assert ana.chat.reply_keyboard is None
    assert emulator.world.chats[ana.user_id].reply_keyboard is None


# --- Edits and deletions ---------------------------------------------------------------------


async def test_edit_message_text_changes_what_the_patient_sees(api: RawApi, ana: TelegramUser) -> None:
    sent = (
        await api.send(ana.user_id, "Hold 5 s", reply_markup=_keyboard(("Stop", "ss:stop")))
    ).result

    edited = (
        await api.call(
            "editMessageText",
            {
                "chat_id": ana.user_id,
                "message_id": sent["message_id"],
                "text": "<b>Relax</b>",
                "parse_mode": "HTML",
            },
        )
    ).result
    now = ana.current(sent["message_id"])

    assert edited["text"] == "Relax" and "edit_date" in edited
    assert now.text == "Relax"
    assert now.edited is True
    assert now.buttons == []  # an edit without reply_markup removes the keyboard, as in Telegram


async def test_an_identical_edit_is_not_modified(api: RawApi, ana: TelegramUser) -> None:
    markup = _keyboard(("Stop", "ss:stop"))
    sent = (
        await api.send(ana.user_id, "<b>Hold</b>", parse_mode="HTML", reply_markup=markup)
    ).result

    answer = await api.call(
        "editMessageText",
        {
            "chat_id": ana.user_id,
            "message_id": sent["message_id"],
            "text": "<b>Hold</b>",
            "parse_mode": "HTML",
            "reply_markup": markup,
        },
    )

    assert answer.status == 400
    assert answer.description.startswith("Bad Request: message is not modified")


async def test_editing_a_message_that_does_not_exist_is_refused(api: RawApi, ana: TelegramUser) -> None:
    answer = await api.call(
        "editMessageText", {"chat_id": ana.user_id, "message_id": 777, "text": "x"}
    )

    assert answer.description == "Bad Request: message to edit not found"


async def test_the_bot_cannot_edit_the_patients_message(api: RawApi, ana: TelegramUser) -> None:
    own = await ana.send("my words")

    answer = await api.call(
        "editMessageText", {"chat_id": ana.user_id, "message_id": own, "text": "x"}
    )

    assert answer.description == "Bad Request: message can't be edited"


async def test_edit_reply_markup_swaps_the_buttons(api: RawApi, ana: TelegramUser) -> None:
    sent = (
        await api.send(ana.user_id, "Pain?", reply_markup=_keyboard(("0", "pn:0"), ("1", "pn:1")))
    ).result
    params = {"chat_id": ana.user_id, "message_id": sent["message_id"]}

    swapped = await api.call(
        "editMessageReplyMarkup", {**params, "reply_markup": _keyboard(("Undo", "pn:undo"))}
    )
    same = await api.call(
        "editMessageReplyMarkup", {**params, "reply_markup": _keyboard(("Undo", "pn:undo"))}
    )
    removed = await api.call("editMessageReplyMarkup", params, body="form")

    assert swapped.result["reply_markup"] == _keyboard(("Undo", "pn:undo"))
    assert same.description.startswith("Bad Request: message is not modified")
    assert "reply_markup" not in removed.result
    assert ana.current(sent["message_id"]).text == "Pain?"
    assert ana.current(sent["message_id"]).buttons == []


async def test_edit_reply_markup_of_a_missing_message_is_refused(api: RawApi, ana: TelegramUser) -> None:
    answer = await api.call(
        "editMessageReplyMarkup",
        {"chat_id": ana.user_id, "message_id": 555, "reply_markup": _keyboard(("a", "a"))},
    )

    assert answer.description == "Bad Request: message to edit not found"


async def test_delete_message_removes_it_once(api: RawApi, ana: TelegramUser) -> None:
    sent = (await api.send(ana.user_id, "Pick", reply_markup=_keyboard(("Gone", "x:gone")))).result
    params = {"chat_id": ana.user_id, "message_id": sent["message_id"]}

    deleted = await api.call("deleteMessage", params)
    again = await api.call("deleteMessage", params)
    edit = await api.call("editMessageText", {**params, "text": "back?"})

    assert deleted.result is True
    assert again.description == "Bad Request: message to delete not found"
    assert edit.description == "Bad Request: message to edit not found"
    assert ana.current(sent["message_id"]).deleted is True
    with pytest.raises(NoSuchButton):
        await ana.tap("Gone")


# --- Callback queries ------------------------------------------------------------------------


async def test_a_tap_arrives_as_a_callback_query_and_is_answered_once(
    api: RawApi, ana: TelegramUser
) -> None:
    sent = (await api.send(ana.user_id, "Ready?", reply_markup=_keyboard(("Yes", "ob:yes")))).result
    query_id = await ana.tap("Yes")

    [update] = (await api.call("getUpdates")).result
    query = update["callback_query"]
    first = await api.call(
        "answerCallbackQuery", {"callback_query_id": query["id"], "text": "Saved"}
    )
    second = await api.call("answerCallbackQuery", {"callback_query_id": query["id"]})

    assert query["id"] == query_id
    assert query["data"] == "ob:yes"
    assert query["from"]["id"] == ana.user_id
    assert query["message"]["message_id"] == sent["message_id"]
    assert first.result is True
    assert second.status == 400
    assert "query ID is invalid" in second.description
    assert await ana.answer_to(query_id) == "Saved"
    assert ana.callback_answers == ["Saved"]


async def test_answering_an_unknown_query_is_refused(api: RawApi) -> None:
    answer = await api.call("answerCallbackQuery", {"callback_query_id": "12345"})

    assert answer.status == 400


# --- Files -----------------------------------------------------------------------------------


async def test_uploaded_photo_is_readable_as_bytes(
    api: RawApi, ana: TelegramUser, session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    sent = (
        await api.call(
            "sendPhoto",
            {"chat_id": ana.user_id, "caption": "<b>Your week</b>", "parse_mode": "HTML"},
            body="multipart",
            files={"photo": ("chart.png", PNG, "image/png")},
        )
    ).result
    [size] = sent["photo"]

    message = await ana.next_message()
    file = (await api.call("getFile", {"file_id": size["file_id"]})).result
    async with session.get(
        f"http://127.0.0.1:{emulator.port}/file/bot{TOKEN}/{file['file_path']}"
    ) as response:
        downloaded = await response.read()

    assert (size["width"], size["height"]) == (3, 2)
    assert sent["caption"] == "Your week"
    assert message.photo == PNG
    assert message.text == "Your week"
    assert downloaded == PNG
    assert file["file_size"] == len(PNG)


async def test_uploaded_document_keeps_its_name_and_bytes(api: RawApi, ana: TelegramUser) -> None:
    data = b"date,score\n2026-03-02,3\n"
    sent = (
        await api.call(
            "sendDocument",
            {"chat_id": ana.user_id},
            body="multipart",
            files={"document": ("diary.csv", data, "text/csv")},
        )
    ).result

    message = await ana.next_message()

    assert sent["document"]["file_name"] == "diary.csv"
    assert sent["document"]["mime_type"] == "text/csv"
    assert message.document == data
    assert message.filename == "diary.csv"


async def test_a_file_id_sends_the_same_file_again(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    bob = emulator.patient(first_name="Bob")
    first = (
        await api.call(
            "sendPhoto",
            {"chat_id": ana.user_id},
            body="multipart",
            files={"photo": ("c.png", PNG, "image/png")},
        )
    ).result

    again = await api.call(
        "sendPhoto", {"chat_id": bob.user_id, "photo": first["photo"][0]["file_id"]}
    )
    unknown = await api.call("sendPhoto", {"chat_id": bob.user_id, "photo": "no-such-file"})

    assert again.result["photo"][0]["file_id"] == first["photo"][0]["file_id"]
    assert (await bob.next_message()).photo == PNG
    assert unknown.status == 400


async def test_an_animation_is_uploaded_once_then_sent_by_its_id_and_only_as_an_animation(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    gif = b"GIF89a" + struct.pack("<HH", 600, 380) + b"\x00" * 20
    first = (
        await api.call(
            "sendAnimation",
            {"chat_id": ana.user_id, "caption": "<b>Hip adduction</b>", "parse_mode": "HTML"},
            body="multipart",
            files={"animation": ("hip_adduction.gif", gif, "image/gif")},
        )
    ).result
    file_id = first["animation"]["file_id"]
    again = await api.call("sendAnimation", {"chat_id": ana.user_id, "animation": file_id})
    as_photo = await api.call("sendPhoto", {"chat_id": ana.user_id, "photo": file_id})
    unknown = await api.call("sendAnimation", {"chat_id": ana.user_id, "animation": "EMU-gone"})

    assert (first["animation"]["width"], first["animation"]["height"]) == (600, 380)
    assert first["document"]["file_id"] == file_id and first["caption"] == "Hip adduction"
    assert again.result["animation"]["file_id"] == file_id
    assert (await ana.next_message()).animation == gif
    for refused in (as_photo, unknown):  # as Telegram: an id is good for its own kind of file
        assert refused.status == 400
        assert "wrong file identifier" in refused.body["description"]
    assert emulator.world.uploaded_bytes == len(gif)  # the sends by id uploaded nothing


async def test_file_download_needs_the_token_and_a_known_path(
    api: RawApi, emulator: Emulator, session: aiohttp.ClientSession, ana: TelegramUser
) -> None:
    sent = (
        await api.call(
            "sendPhoto",
            {"chat_id": ana.user_id},
            body="multipart",
            files={"photo": ("c.png", PNG, "image/png")},
        )
    ).result
    path = (await api.call("getFile", {"file_id": sent["photo"][0]["file_id"]})).result["file_path"]
    base = f"http://127.0.0.1:{emulator.port}/file/bot"

    async with session.get(f"{base}1:wrong-token/{path}") as wrong_token:
        wrong_token_status = wrong_token.status
    async with session.get(f"{base}{TOKEN}/photos/nothing.png") as missing:
        missing_status = missing.status

    assert (wrong_token_status, missing_status) == (401, 404)


# --- Other methods ---------------------------------------------------------------------------


async def test_send_chat_action_is_accepted_for_a_known_chat(api: RawApi, ana: TelegramUser) -> None:
    typing = await api.call("sendChatAction", {"chat_id": ana.user_id, "action": "typing"})
    nobody = await api.call("sendChatAction", {"chat_id": 424242, "action": "typing"})

    assert typing.result is True
    assert nobody.status == 400


async def test_commands_round_trip_per_scope_and_language(api: RawApi, emulator: Emulator) -> None:
    english = [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "Help"},
    ]
    german = [{"command": "start", "description": "Beginnen"}]

    await api.call("setMyCommands", {"commands": english})
    await api.call("setMyCommands", {"commands": german, "language_code": "de"}, body="form")

    assert (await api.call("getMyCommands")).result == english
    assert (await api.call("getMyCommands", {"language_code": "de"})).result == german
    assert (await api.call("getMyCommands", {"scope": {"type": "all_private_chats"}})).result == []
    assert emulator.commands() == english
    assert emulator.commands("de") == german


@pytest.mark.parametrize(
    "command",
    [{"command": "Start!", "description": "x"}, {"command": "start", "description": ""}],
)
async def test_invalid_commands_are_refused(api: RawApi, command: dict[str, str]) -> None:
    assert (await api.call("setMyCommands", {"commands": [command]})).status == 400


# --- Flood limits ----------------------------------------------------------------------------


async def test_per_chat_limit_answers_429_with_retry_after(
    make_emulator: MakeEmulator, session: aiohttp.ClientSession
) -> None:
    emulator = await make_emulator(global_rate=None, chat_rate=1.0, chat_burst=2)
    api = RawApi(session, emulator)
    ana, bob = emulator.patient(first_name="Ana"), emulator.patient(first_name="Bob")

    burst = [await api.send(ana.user_id, f"m{i}") for i in range(2)]
    refused = await api.send(ana.user_id, "one too many")
    other_chat = await api.send(bob.user_id, "hi Bob")
    edit = await api.call(
        "editMessageText",
        {"chat_id": ana.user_id, "message_id": burst[0].result["message_id"], "text": "edited"},
    )

    assert refused.status == 429
    assert refused.body["error_code"] == 429
    assert refused.body["parameters"]["retry_after"] >= 1
    assert refused.description.startswith("Too Many Requests: retry after")
    assert other_chat.status == 200
    assert edit.status == 200  # edits do not count against the limit


async def test_global_limit_answers_429_across_chats(
    make_emulator: MakeEmulator, session: aiohttp.ClientSession
) -> None:
    emulator = await make_emulator(global_rate=3, chat_rate=None)
    api = RawApi(session, emulator)
    patients = [emulator.patient(first_name=f"P{i}") for i in range(4)]

    answers = [await api.send(p.user_id, "hi") for p in patients]

    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[-1].body["parameters"]["retry_after"] >= 1


async def test_limits_can_be_changed_or_switched_off(
    make_emulator: MakeEmulator, session: aiohttp.ClientSession
) -> None:
    emulator = await make_emulator(chat_rate=1.0, chat_burst=1)
    api = RawApi(session, emulator)
    ana = emulator.patient()
    await api.send(ana.user_id, "first")
    limited = await api.send(ana.user_id, "second")

    emulator.limits.chat_rate = None
    unlimited = [await api.send(ana.user_id, f"free {i}") for i in range(5)]

    assert limited.status == 429
    assert {a.status for a in unlimited} == {200}


async def test_a_refused_message_is_not_delivered(
    make_emulator: MakeEmulator, session: aiohttp.ClientSession
) -> None:
    emulator = await make_emulator(chat_rate=1.0, chat_burst=1)
    api = RawApi(session, emulator)
    ana = emulator.patient()

    await api.send(ana.user_id, "first")
    await api.send(ana.user_id, "second")

    assert [m.text for m in ana.messages] == ["first"]


# --- Blocked users ---------------------------------------------------------------------------


async def test_blocked_user_answers_403(api: RawApi, ana: TelegramUser) -> None:
    ana.block_bot()
    blocked = await api.send(ana.user_id, "are you there?")
    ana.unblock_bot()
    unblocked = await api.send(ana.user_id, "welcome back")

    assert blocked.status == 403
    assert blocked.body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert unblocked.status == 200


# --- Faults ----------------------------------------------------------------------------------


async def test_5xx_fault_fails_the_matching_call_once(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    fault = emulator.faults.add("5xx", method="sendMessage", status=502)

    unrelated = await api.call("getMe")
    failed = await api.send(ana.user_id, "first try")
    retried = await api.send(ana.user_id, "second try")

    assert unrelated.status == 200
    assert failed.status == 502 and failed.body["ok"] is False
    assert retried.status == 200
    assert [m.text for m in ana.messages] == ["second try"]
    assert fault.injected == 1
    assert emulator.faults.injected == 1


async def test_429_fault_carries_retry_after(api: RawApi, emulator: Emulator, ana: TelegramUser) -> None:
    emulator.faults.add("429", retry_after=7)

    answer = await api.send(ana.user_id, "hi")

    assert answer.status == 429
    assert answer.body["parameters"] == {"retry_after": 7}


async def test_fault_for_one_chat_spares_the_others(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    bob = emulator.patient(first_name="Bob")
    emulator.faults.add("5xx", chat_id=bob.user_id, count=2)

    statuses = [(await api.send(p.user_id, "hi")).status for p in (ana, bob, bob, bob)]

    assert statuses == [200, 500, 500, 200]
    assert emulator.faults.injected == 2


async def test_timeout_that_takes_effect_delivers_but_never_answers(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    emulator.faults.add("timeout", method="sendMessage", delay=0.05, takes_effect=True)

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send(ana.user_id, "lost answer")

    assert (await ana.next_message()).text == "lost answer"
    assert emulator.requests[-1].status == 0


async def test_dropped_connection_without_effect_delivers_nothing(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    emulator.faults.add("drop", method="sendMessage")

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send(ana.user_id, "never sent")
    after = await api.send(ana.user_id, "sent")

    assert after.status == 200
    assert [m.text for m in ana.messages] == ["sent"]
    assert emulator.faults.injected == 1


async def test_fault_probability_draws_from_the_seed(api: RawApi, emulator: Emulator) -> None:
    emulator.faults.add("5xx", method="getMe", count=None, probability=0.0)
    never = [(await api.call("getMe")).status for _ in range(5)]
    emulator.faults.clear()
    emulator.faults.add("5xx", method="getMe", count=None, probability=1.0)
    always = [(await api.call("getMe")).status for _ in range(3)]

    assert set(never) == {200}
    assert set(always) == {500}
    assert emulator.faults.injected == 3


# --- The request record ----------------------------------------------------------------------


async def test_every_request_is_recorded(api: RawApi, emulator: Emulator, ana: TelegramUser) -> None:
    loop = asyncio.get_running_loop()
    before = loop.time()
    await api.send(ana.user_id, "hello", parse_mode="HTML")
    await api.call(
        "sendPhoto",
        {"chat_id": str(ana.user_id)},
        body="multipart",
        files={"photo": ("c.png", PNG, "image/png")},
    )
    await api.call("nonsense")
    after = loop.time()

    send, photo, unknown = emulator.requests

    assert (send.method, send.chat_id, send.status) == ("sendMessage", ana.user_id, 200)
    assert send.payload == {"chat_id": ana.user_id, "text": "hello", "parse_mode": "HTML"}
    assert (photo.method, photo.chat_id) == ("sendPhoto", ana.user_id)
    assert photo.payload["photo"] == "<file c.png>"
    assert (unknown.method, unknown.chat_id, unknown.status) == ("nonsense", None, 404)
    assert before <= send.at <= photo.at <= unknown.at <= after


# --- The patient client ----------------------------------------------------------------------


async def test_commands_carry_bot_command_entities(api: RawApi, ana: TelegramUser) -> None:
    await ana.send("/start now")

    [update] = (await api.call("getUpdates")).result

    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert update["message"]["from"]["language_code"] == "en"


async def test_tap_presses_the_newest_message_with_that_label(api: RawApi, ana: TelegramUser) -> None:
    await api.send(ana.user_id, "old", reply_markup=_keyboard(("Yes", "q:old")))
    newer = (
        await api.send(ana.user_id, "new", reply_markup=_keyboard(("Yes", "q:new"), ("No", "q:no")))
    ).result
    await api.send(ana.user_id, "unrelated", reply_markup=_keyboard(("Other", "q:other")))
    await api.send(ana.user_id, "no buttons at all")

    await ana.tap("Yes")
    [update] = (await api.call("getUpdates")).result

    assert update["callback_query"]["data"] == "q:new"
    assert update["callback_query"]["message"]["message_id"] == newer["message_id"]


async def test_tap_fails_clearly_when_no_message_has_the_label(api: RawApi, ana: TelegramUser) -> None:
    await api.send(ana.user_id, "Pick", reply_markup=_keyboard(("Left", "s:l"), ("Right", "s:r")))

    with pytest.raises(NoSuchButton, match=r"no message shows a button 'Up'.*Left.*Right"):
        await ana.tap("Up")


async def test_tap_data_presses_by_callback_data(api: RawApi, ana: TelegramUser) -> None:
    first = (await api.send(ana.user_id, "one", reply_markup=_keyboard(("Go", "go:1")))).result
    await api.send(ana.user_id, "two", reply_markup=_keyboard(("Go", "go:2")))

    await ana.tap_data("go:1")
    await ana.tap_data("stale:data", message_id=first["message_id"])
    updates = (await api.call("getUpdates")).result

    assert [
        (u["callback_query"]["data"], u["callback_query"]["message"]["message_id"]) for u in updates
    ] == [
        ("go:1", first["message_id"]),
        ("stale:data", first["message_id"]),
    ]
    with pytest.raises(NoSuchButton):
        await ana.tap_data("go:3")


async def test_share_location_sends_a_location_message(api: RawApi, ana: TelegramUser) -> None:
    await ana.share_location(52.52, 13.405)

    [update] = (await api.call("getUpdates")).result

    assert update["message"]["location"] == {"latitude": 52.52, "longitude": 13.405}


async def test_next_message_reads_the_bots_messages_in_order(api: RawApi, ana: TelegramUser) -> None:
    await api.send(ana.user_id, "first")
    await ana.send("the patient's own text is skipped")
    await api.send(ana.user_id, "second", reply_markup=_keyboard(("Next", "n:1")))

    first = await ana.next_message()
    second = await ana.next_message()

    assert first.text == "first"
    assert (second.text, second.buttons, second.button_data) == (
        "second",
        [["Next"]],
        {"Next": "n:1"},
    )
    with pytest.raises(AssertionError, match="sent nothing"):
        await ana.next_message(timeout=0.05)


async def test_next_message_waits_for_a_message_still_to_come(api: RawApi, ana: TelegramUser) -> None:
    waiting = asyncio.create_task(ana.next_message())
    await asyncio.sleep(0)

    await api.send(ana.user_id, "late")

    assert (await waiting).text == "late"


async def test_expect_skips_to_the_message_containing_the_fragment(
    api: RawApi, ana: TelegramUser
) -> None:
    for text in ("Welcome", "Disclaimer: read this", "Do you agree?"):
        await api.send(ana.user_id, text)

    found = await ana.expect("disclaimer")
    after = await ana.next_message()

    assert found.text == "Disclaimer: read this"
    assert after.text == "Do you agree?"
    with pytest.raises(AssertionError, match="no message contained 'missing'"):
        await ana.expect("missing", timeout=0.05)


async def test_assert_silent_fails_only_when_the_bot_speaks(api: RawApi, ana: TelegramUser) -> None:
    await ana.assert_silent(0.05)
    await api.send(ana.user_id, "surprise")

    with pytest.raises(AssertionError, match="surprise"):
        await ana.assert_silent(0.05)


async def test_answer_to_gives_the_text_shown_for_a_tap(api: RawApi, ana: TelegramUser) -> None:
    await api.send(
        ana.user_id, "Pick", reply_markup=_keyboard(("Loud", "t:loud"), ("Quiet", "t:quiet"))
    )
    loud, quiet = await ana.tap("Loud"), await ana.tap("Quiet")

    await api.call("answerCallbackQuery", {"callback_query_id": quiet})
    await api.call(
        "answerCallbackQuery", {"callback_query_id": loud, "text": "Too late", "show_alert": True}
    )

    assert await ana.answer_to(loud) == "Too late"
    assert await ana.answer_to(quiet) == ""
    with pytest.raises(AssertionError, match="did not answer"):
        await ana.answer_to("999", timeout=0.05)


async def test_current_shows_a_message_as_edited_now(api: RawApi, ana: TelegramUser) -> None:
    sent = (
        await api.send(ana.user_id, "Hold", reply_markup=_keyboard(("Pause", "ss:pause")))
    ).result
    read = await ana.next_message()

    await api.call(
        "editMessageText",
        {
            "chat_id": ana.user_id,
            "message_id": sent["message_id"],
            "text": "Paused",
            "reply_markup": _keyboard(("Resume", "ss:resume")),
        },
    )

    assert read.text == "Hold"
    now = ana.current(sent["message_id"])
    assert (now.text, now.buttons, now.edited) == ("Paused", [["Resume"]], True)
    await ana.assert_silent(0.05)  # an edit is not a new message


async def test_emulator_lists_what_the_bot_sent(
    api: RawApi, emulator: Emulator, ana: TelegramUser
) -> None:
    bob = emulator.patient(first_name="Bob")
    await api.send(ana.user_id, "to Ana")
    await bob.send("hello")
    await api.send(bob.user_id, "to Bob")

    assert [m.body["text"] for m in emulator.sent_messages()] == ["to Ana", "to Bob"]
    assert [m.body["text"] for m in emulator.sent_messages(bob.user_id)] == ["to Bob"]


async def test_ptb_talks_to_the_emulator(emulator: Emulator, ana: TelegramUser) -> None:
    """PTB's own encoding (form fields with JSON inside, multipart uploads) is understood."""
    bot = Bot(
        TOKEN,
        base_url=emulator.base_url,
        base_file_url=f"http://127.0.0.1:{emulator.port}/file/bot",
    )
    async with bot:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Start", callback_data="ss:start:menu")]]
        )
        sent = await bot.send_message(
            ana.user_id, "<b>Ready</b>", parse_mode="HTML", reply_markup=markup
        )
        photo = await bot.send_photo(ana.user_id, PNG, filename="chart.png")
        file = await bot.get_file(photo.photo[-1].file_id)
        downloaded = await file.download_as_bytearray()
        await ana.tap("Start")
        [update] = await bot.get_updates()

    assert sent.text == "Ready"
    assert bytes(downloaded) == PNG
    assert update.callback_query is not None
    assert update.callback_query.data == "ss:start:menu"
