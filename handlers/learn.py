"""/learn: the pages about SI joint pain (symptoms, causes, treatments, pregnancy). lr:*.

One message: the menu opens a page and a page the others, by editing that message in place.

Callback data (prefix lr):
  lr:open           the menu as a new message (the button under a session's summary, which stays)
  lr:menu           the menu, in place of the page on screen
  lr:page:<topic>   a page (a topic of sibot.routine.about_topics), in place of what is on screen
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.buttons import LEARN, CallbackData, Rows, parse_callback
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, replace_message, reply
from handlers.render import render_about
from sibot.ports import Button, OutgoingMessage
from sibot.routine import about_topics
from sibot.texts import text


def register(application: AnyApplication) -> None:
    """/learn and its buttons (group 0)."""
    application.add_handler(CommandHandler("learn", show_menu), group=0)
    application.add_handler(CallbackQueryHandler(on_learn_button, LEARN.pattern), group=0)


def open_button(language: str) -> Button:
    """The button that brings up /learn's menu below another message."""
    return Button(text(language, "about.open"), LEARN.data("open"))


async def show_menu(update: Update, context: BotContext) -> None:
    """The list of pages, one button each."""
    await reply(update, _menu(context.patient.language))


async def on_learn_button(update: Update, context: BotContext) -> None:
    """Open the menu, or put the menu or a page in place of the message tapped."""
    query = update.callback_query
    assert query is not None
    language = context.patient.language
    data = parse_callback(query.data)
    if data is None or not _well_formed(data):
        await acknowledge(query, text(language, "common.stale_button"))
        return
    match data.action:
        case "open":
            await acknowledge(query)
            await reply(update, _menu(language))
            return
        case "menu":
            message = _menu(language)
        case _:
            topic = data.arg(0)
            message = OutgoingMessage(render_about(topic, language), _page_rows(topic, language))
    # the page is in place before the answer, so the spinner stops on what was asked for
    await replace_message(query, message)
    await acknowledge(query)


def _well_formed(data: CallbackData) -> bool:
    """Open and menu buttons carry nothing, a page button one topic; anything else is forged."""
    if data.action == "page":
        return len(data.args) == 1 and data.arg(0) in about_topics()
    return not data.args


def _menu(language: str) -> OutgoingMessage:
    rows = tuple((_page_button(topic, language),) for topic in about_topics())
    return OutgoingMessage(text(language, "about.menu"), rows)


def _page_rows(topic: str, language: str) -> Rows:
    others = [_page_button(other, language) for other in about_topics() if other != topic]
    back = Button(text(language, "about.back"), LEARN.data("menu"))
    return (*((button,) for button in others), (back,))


def _page_button(topic: str, language: str) -> Button:
    return Button(text(language, f"about.{topic}.title"), LEARN.data("page", topic))
