"""/learn: the pages about SI joint pain (symptoms, causes, treatments, pregnancy) and the
inflammatory back pain check (sibot/inflammatory_check.py). lr:*.

One message: the menu opens a page and a page the others, by editing that message in place. The
check too takes the message tapped, and turns it from question to question and to its result.

Callback data (prefix lr):
  lr:open           the menu as a new message (the button under a session's summary, which stays)
  lr:menu           the menu, in place of the page on screen
  lr:page:<topic>   a page (a topic of sibot.routine.about_topics), in place of what is on screen
  lr:check          a new check at its first question (the menu, and the offer after onboarding)
  lr:later          "Not now" under that offer
  lr:ans:<check>:<question>:<1|0>   a Yes or No to the question the check waits for
  lr:stop:<check>   stop the check; its answers are dropped
"""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.buttons import LEARN, CallbackData, Rows, parse_callback
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, replace_message, reply
from handlers.render import render_about, render_check_question, render_check_result
from sibot import inflammatory_check
from sibot.inflammatory_check import CheckView, Question
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


def check_offer(language: str) -> OutgoingMessage:
    """The inflammatory back pain check, offered once, as onboarding ends."""
    take = Button(text(language, "ibp.offer.take"), LEARN.data("check"))
    later = Button(text(language, "ibp.offer.later"), LEARN.data("later"))
    return OutgoingMessage(text(language, "ibp.offer"), ((take,), (later,)))


async def show_menu(update: Update, context: BotContext) -> None:
    """The list of pages, one button each."""
    await reply(update, _menu(context.patient.language))


async def on_learn_button(update: Update, context: BotContext) -> None:
    """Open the menu, or put the menu, a page or a step of the check in place of the message
    tapped; an old or forged button gets the short answer."""
    query = update.callback_query
    assert query is not None
    language = context.patient.language
    data = parse_callback(query.data)
    if data is None or not _well_formed(data):
        message = None
    elif data.action == "open":
        await acknowledge(query)
        await reply(update, _menu(language))
        return
    else:
        message = await _in_place(context, data)
    if message is None:
        await acknowledge(query, text(language, "common.stale_button"))
        return
    # the new content is in place before the answer, so the spinner stops on what was asked for
    await replace_message(query, message)
    await acknowledge(query)


def _well_formed(data: CallbackData) -> bool:
    """A page button carries one topic, an answer its check, question and 1 or 0, a stop its
    check, the others nothing; anything else is forged."""
    match data.action:
        case "page":
            return len(data.args) == 1 and data.arg(0) in about_topics()
        case "ans":
            return (
                len(data.args) == 3
                and data.int_arg(0) is not None
                and data.arg(1) in set(Question)
                and data.arg(2) in ("0", "1")
            )
        case "stop":
            return len(data.args) == 1 and data.int_arg(0) is not None
    return not data.args


async def _in_place(context: BotContext, data: CallbackData) -> OutgoingMessage | None:
    """The menu or a page; or start, answer or stop the check, or put it off: the message to
    show in place of the one tapped; None for a check that is over or a question answered."""
    core, patient = context.core, context.patient
    language = patient.language
    match data.action:
        case "menu":
            return _menu(language)
        case "page":
            topic = data.arg(0)
            return OutgoingMessage(render_about(topic, language), _page_rows(topic, language))
        case "check":
            return _check_message(await inflammatory_check.begin(core, patient.id), language)
        case "later":
            return OutgoingMessage(text(language, "ibp.later"))
        case "stop":
            stopped = await inflammatory_check.stop(core, patient.id, data.int_arg(0) or 0)
            return OutgoingMessage(text(language, "ibp.stopped")) if stopped else None
    check_id, question, yes = data.int_arg(0) or 0, Question(data.arg(1)), data.arg(2) == "1"
    view = await inflammatory_check.answer(core, patient.id, check_id, question, yes)
    return None if view is None else _check_message(view, language)


def _check_message(view: CheckView, language: str) -> OutgoingMessage:
    """The check's next question with Yes, No and Stop, or its result once answered."""
    if view.result is not None:
        return OutgoingMessage(render_check_result(view.result, language))
    assert view.question is not None
    answer = partial(LEARN.data, "ans", view.check_id, view.question.value)
    rows = (
        (
            Button(text(language, "onboarding.yes"), answer(1)),
            Button(text(language, "onboarding.no"), answer(0)),
        ),
        (Button(text(language, "ibp.stop"), LEARN.data("stop", view.check_id)),),
    )
    return OutgoingMessage(render_check_question(view.question, view.number, language), rows)


def _menu(language: str) -> OutgoingMessage:
    pages = tuple((_page_button(topic, language),) for topic in about_topics())
    check = Button(text(language, "ibp.menu_button"), LEARN.data("check"))
    return OutgoingMessage(text(language, "about.menu"), (*pages, (check,)))


def _page_rows(topic: str, language: str) -> Rows:
    others = [_page_button(other, language) for other in about_topics() if other != topic]
    back = Button(text(language, "about.back"), LEARN.data("menu"))
    return (*((button,) for button in others), (back,))


def _page_button(topic: str, language: str) -> Button:
    return Button(text(language, f"about.{topic}.title"), LEARN.data("page", topic))
