"""Sharing: the patient's /share, the invitation `/start share_<code>` a clinician or carer opens,
their /patients, the `sh:` buttons, and the messages of sharing's outbox (`MESSAGES`, the core's
`ShareRenderer` port).

The handlers only parse and render: every link id a button carries is checked by the core
against the consent record of the user who tapped it, so a forged id does nothing.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers import free_text, pickers, reminders
from handlers.buttons import SHARE, CallbackData, parse_callback
from handlers.ptb.context import AnyApplication, BotContext, core_of
from handlers.ptb.transport import TelegramSender, acknowledge, replace_message, reply
from sibot import sharing
from sibot.charts import has_chart_data, progress_chart
from sibot.ports import Button, OutgoingMessage
from sibot.report import FlagEvent, doctor_report_pdf
from sibot.sharing import AWAITING_ZONE, Problem, Role, WeeklySummary
from sibot.texts import format_date, format_datetime, format_decimal, plural, text, zone_name
from sibot.zones import zone_for_language

FEATURE = SHARE
WEEK_CHART_DAYS = 7
_START_WITH_CODE = filters.Regex(rf"^/start(@\w+)?\s+{sharing.SHARE_CODE_PREFIX}")


def _name(name: str) -> str:
    return html.escape(name) or "—"


def _role(language: str, role: Role) -> str:
    return text(language, f"sharing.role.{role}")


# ---- the patient ----------------------------------------------------------------------------


async def show_share(update: Update, context: BotContext) -> None:
    """/share: invite a clinician or a carer; who follows, and a button to stop each."""
    await reply(update, await _share_menu(context))


async def _share_menu(context: BotContext) -> OutgoingMessage:
    language = context.patient.language
    followers = await sharing.followers_of(context.core, context.patient.id)
    lines = [text(language, "sharing.menu")]
    if followers:
        lines += ["", text(language, "sharing.menu.followers")]
    for follower in followers:
        values = {"name": _name(follower.name), "role": _role(language, follower.role)}
        if follower.confirmed:
            alerts = text(language, "sharing.menu.alerts") if follower.alerts else ""
            since = format_date(language, follower.since.astimezone(context.patient.zone).date())
            lines.append(text(language, "sharing.menu.follower", since=since, alerts=alerts, **values))
        else:
            lines.append(text(language, "sharing.menu.waiting", **values))
    buttons = [
        (Button(text(language, f"sharing.button.invite_{role}"), FEATURE.data("invite", role)),)
        for role in Role
    ]
    buttons += [
        (Button(text(language, "sharing.button.revoke", name=f.name or "—"), FEATURE.data("revoke", f.link_id)),)
        for f in followers
    ]
    return OutgoingMessage("\n".join(lines), tuple(buttons))


async def _invite(update: Update, context: BotContext, data: CallbackData) -> str | None:
    patient = context.patient
    if not patient.onboarded or data.arg(0) not in {role.value for role in Role}:
        return text(patient.language, "sharing.stale")
    made = await sharing.invite(context.core, patient.id, Role(data.arg(0)))
    link = f"https://t.me/{context.bot.username}?start={made.code}"
    expires = format_date(patient.language, made.expires_at.astimezone(patient.zone).date())
    body = text(
        patient.language, "sharing.invite", role=_role(patient.language, made.role), expires=expires,
        link=link, shared=text(patient.language, "sharing.shared"),
    )
    await reply(update, OutgoingMessage(body))
    return None


async def _revoke(update: Update, context: BotContext, data: CallbackData, key: str) -> str | None:
    language = context.patient.language
    link_id = data.int_arg(0)
    name = None if link_id is None else await sharing.revoke(context.core, context.patient.id, link_id)
    if name is None:
        return text(language, "sharing.revoke_stale")
    reminders.wake_soon(context.application)
    assert update.callback_query is not None
    await replace_message(update.callback_query, OutgoingMessage(text(language, key, name=_name(name))))
    return None


async def _confirm(update: Update, context: BotContext, data: CallbackData) -> str | None:
    language = context.patient.language
    link_id, alerts = data.int_arg(0), data.arg(1) == "1"
    done = None if link_id is None else await sharing.confirm(context.core, context.patient.id, link_id, alerts)
    if done is None:
        return text(language, "sharing.stale")
    reminders.wake_soon(context.application)
    key = "sharing.confirmed_alerts" if done.alerts else "sharing.confirmed"
    assert update.callback_query is not None
    await replace_message(update.callback_query, OutgoingMessage(text(language, key, name=_name(done.follower_name))))
    return None


# ---- the invitee and follower ---------------------------------------------------------------


async def open_invitation(update: Update, context: BotContext) -> None:
    """`/start share_<code>`: who invites, what they would see, and Accept."""
    language = context.patient.language
    code = (update.message.text or "").split(maxsplit=1)[1] if update.message else ""
    found = await sharing.open_invitation(context.core, code, context.patient.id)
    if isinstance(found, Problem):
        await reply(update, OutgoingMessage(text(language, f"sharing.problem.{found}")))
        return
    body = text(
        language, "sharing.invitation", name=_name(found.patient_name), role=_role(language, found.role),
        shared=text(language, "sharing.invitation.shared"),
    )
    buttons = (
        (Button(text(language, "sharing.button.accept"), FEATURE.data("accept", code.strip())),),
        (Button(text(language, "sharing.button.no_thanks"), FEATURE.data("no")),),
    )
    await reply(update, OutgoingMessage(body, buttons))


async def _accept(update: Update, context: BotContext, data: CallbackData) -> str | None:
    language = context.patient.language
    done = await sharing.accept(context.core, data.arg(0), context.patient.id)
    if isinstance(done, Problem):
        return text(language, f"sharing.problem.{done}")
    reminders.wake_soon(context.application)
    body = text(language, "sharing.zone.ask", name=_name(done.patient_name))
    await reply(update, OutgoingMessage(body, _zone_buttons(context, done.zone)))
    return None


def _zone_buttons(context: BotContext, current: str) -> tuple[tuple[Button, ...], ...]:
    """The follower's zone so far, the server's default and the one their language suggests."""
    user = context.patient
    language_zone = zone_for_language(user.language)
    zones = dict.fromkeys(z for z in (current, context.core.settings.default_timezone, language_zone) if z)
    return tuple((Button(zone_name(user.language, zone), FEATURE.data("zone", zone)),) for zone in zones)


async def _choose_zone(update: Update, context: BotContext, zone: str) -> bool:
    """Set the follower's zone and say when their summaries come; False when it was not one."""
    language = context.patient.language
    done = await sharing.choose_zone(context.core, context.patient.id, zone)
    if done is None:
        return False
    body = text(language, "sharing.zone.set", zone=zone_name(language, done.zone))
    if done.next_summary_at is not None:
        body += " " + text(language, "sharing.zone.first", when=_when(language, done.next_summary_at, done.zone))
    await reply(update, OutgoingMessage(body))
    return True


async def on_typed_zone(update: Update, context: BotContext) -> None:
    """A follower typed their city, zone or offset (or shared a location)."""

    async def choose(zone: str) -> None:
        await _choose_zone(update, context, zone)

    await pickers.answer_zone(update, context.patient.language, FEATURE, choose)


async def show_patients(update: Update, context: BotContext) -> None:
    """/patients: whom the user follows, with the latest figures, a report and a stop button."""
    user = context.patient
    language = user.language
    followed = await sharing.followed_by(context.core, user.id)
    if not followed:
        await reply(update, OutgoingMessage(text(language, "sharing.patients.none")))
        return
    parts, buttons = [text(language, "sharing.patients.title")], []
    for each in followed:
        zone = ZoneInfo(each.zone)
        cohort = text(language, "sharing.patients.cohort", cohort=html.escape(each.cohort)) if each.cohort else ""
        lines = [
            text(
                language, "sharing.patients.line", name=_name(each.name), role=_role(language, each.role),
                since=format_date(language, each.since.astimezone(zone).date()), cohort=cohort,
            )
        ]
        if each.last_score is not None and each.last_score_at is not None:
            day = format_date(language, each.last_score_at.astimezone(zone).date())
            lines.append(text(language, "sharing.patients.last_score", score=each.last_score, day=day))
        else:
            lines.append(text(language, "sharing.patients.no_score"))
        lines.append(plural(language, "sharing.patients.sessions", each.sessions_7_days))
        parts.append("\n".join(lines))
        name = each.name or "—"
        buttons.append(
            (
                Button(text(language, "sharing.button.report", name=name), FEATURE.data("report", each.link_id)),
                Button(text(language, "sharing.button.unfollow", name=name), FEATURE.data("unfollow", each.link_id)),
            )
        )
    await reply(update, OutgoingMessage("\n\n".join(parts), tuple(buttons)))


async def _report(update: Update, context: BotContext, data: CallbackData) -> str | None:
    user = context.patient
    link_id = data.int_arg(0)
    found = None if link_id is None else await sharing.report_for(context.core, user.id, link_id)
    if found is None:
        return text(user.language, "sharing.not_yours")
    report, name = found.report, _name(found.report.name)
    message = update.effective_message
    assert message is not None
    if not (report.checkins or report.session_dates or report.red_flags):
        await message.reply_text(text(user.language, "sharing.report.empty", name=name))
        return None
    pdf = await asyncio.to_thread(doctor_report_pdf, report, found.language)
    await message.reply_document(
        pdf,
        filename=text(found.language, "diary.report.filename", day=report.end.isoformat()),
        caption=text(user.language, "sharing.report.caption", name=name),
    )
    return None


async def _unfollow(update: Update, context: BotContext, data: CallbackData) -> str | None:
    language = context.patient.language
    link_id = data.int_arg(0)
    name = None if link_id is None else await sharing.unfollow(context.core, context.patient.id, link_id)
    if name is None:
        return text(language, "sharing.not_yours")
    await reply(update, OutgoingMessage(text(language, "sharing.unfollowed", name=_name(name))))
    return None


async def on_button(update: Update, context: BotContext) -> None:
    """Every `sh:` button; a stale or forged one gets a short answer and changes nothing."""
    query = update.callback_query
    assert query is not None
    language = context.patient.language
    data = parse_callback(query.data)
    answer: str | None = text(language, "sharing.stale")
    if data is not None:
        match data.action:
            case "invite":
                answer = await _invite(update, context, data)
            case "revoke":
                answer = await _revoke(update, context, data, "sharing.revoked")
            case "decline":
                answer = await _revoke(update, context, data, "sharing.declined")
            case "confirm":
                answer = await _confirm(update, context, data)
            case "accept":
                answer = await _accept(update, context, data)
            case "no":
                await replace_message(query, OutgoingMessage(text(language, "sharing.no_thanks")))
                answer = None
            case "zone":
                answer = None if await _choose_zone(update, context, data.arg(0)) else answer
            case "rezone":
                await reply(update, OutgoingMessage(text(language, "sharing.zone.type")))
                answer = None
            case "report":
                answer = await _report(update, context, data)
            case "unfollow":
                answer = await _unfollow(update, context, data)
    await acknowledge(query, answer)


# ---- the outbox's messages ------------------------------------------------------------------


def _when(language: str, instant: datetime, zone: str) -> str:
    return pickers.local_when(language, instant, zone)


def _pain(language: str, value: float | None) -> str:
    return text(language, "sharing.weekly.no_pain") if value is None else format_decimal(language, round(value, 1))


class _ShareMessages:
    """The `ShareRenderer` sharing's outbox sends through."""

    def weekly(self, language: str, summary: WeeklySummary) -> OutgoingMessage:
        lines = [
            text(
                language, "sharing.weekly.title", name=_name(summary.patient_name),
                first=format_date(language, summary.first), last=format_date(language, summary.last),
            ),
            text(language, "sharing.weekly.sessions", done=summary.done, planned=summary.planned)
            if summary.planned
            else text(language, "sharing.weekly.sessions_unplanned", done=summary.done),
        ]
        lines.append(
            text(
                language, "sharing.weekly.pain", current=_pain(language, summary.pain),
                previous=_pain(language, summary.pain_before),
            )
        )
        if summary.flags:
            lines.append(text(language, "sharing.weekly.flags"))
            lines += [f"• {self._flag_line(language, flag, summary.patient_zone)}" for flag in summary.flags]
        else:
            lines.append(text(language, "sharing.weekly.no_flags"))
        button = Button(text(language, "sharing.button.full_report"), FEATURE.data("report", summary.link_id))
        days, by_date = list(summary.days), summary.sessions_by_date
        photo = (
            progress_chart(
                days, by_date, summary.streak, summary.last, language, WEEK_CHART_DAYS, "sharing.chart.title"
            )
            if has_chart_data(days, by_date, summary.last, WEEK_CHART_DAYS)
            else None
        )
        return OutgoingMessage("\n".join(lines), ((button,),), photo)

    @staticmethod
    def _flag_line(language: str, flag: FlagEvent, zone: str) -> str:
        at = format_datetime(language, flag.at.astimezone(ZoneInfo(zone)))
        return f"{at}: {text(language, f'diary.report.rule.{flag.rule}')}"

    def alert(self, language: str, link_id: int, patient_name: str, flag: FlagEvent, zone: str) -> OutgoingMessage:
        body = text(
            language, "sharing.alert", name=_name(patient_name), rule=text(language, f"diary.report.rule.{flag.rule}"),
            when=_when(language, flag.at, zone),
        )
        button = Button(text(language, "sharing.button.full_report"), FEATURE.data("report", link_id))
        return OutgoingMessage(body, ((button,),))

    def told(self, language: str, follower_name: str) -> OutgoingMessage:
        return OutgoingMessage(text(language, "sharing.told", name=_name(follower_name)))

    def accepted(self, language: str, link_id: int, follower_name: str, role: Role) -> OutgoingMessage:
        body = text(language, "sharing.accepted", name=_name(follower_name), role=_role(language, role))
        buttons = (
            (Button(text(language, "sharing.button.confirm"), FEATURE.data("confirm", link_id, 0)),),
            (Button(text(language, "sharing.button.confirm_alerts"), FEATURE.data("confirm", link_id, 1)),),
            (Button(text(language, "sharing.button.decline"), FEATURE.data("decline", link_id)),),
        )
        return OutgoingMessage(f"{body}\n\n{text(language, 'sharing.shared')}", buttons)

    def confirmed(self, language: str, patient_name: str, first_summary_at: datetime | None, zone: str) -> OutgoingMessage:
        when = _when(language, first_summary_at, zone) if first_summary_at is not None else "—"
        return OutgoingMessage(
            text(language, "sharing.started", name=_name(patient_name), when=when, zone=zone_name(language, zone))
        )

    def revoked(self, language: str, patient_name: str) -> OutgoingMessage:
        return OutgoingMessage(text(language, "sharing.ended", name=_name(patient_name)))


MESSAGES = _ShareMessages()


def register(application: AnyApplication) -> None:
    """/start with an invitation code (before onboarding's /start), /share, /patients, sh:."""
    application.add_handler(CommandHandler("start", open_invitation, filters=_START_WITH_CODE))  # group 0
    application.add_handler(CommandHandler("share", show_share))  # group 0
    application.add_handler(CommandHandler("patients", show_patients))  # group 0
    application.add_handler(CallbackQueryHandler(on_button, pattern=FEATURE.pattern))  # group 0
    free_text.expect(application, AWAITING_ZONE, on_typed_zone)


async def on_start(application: AnyApplication) -> None:
    """Sharing's outbox runs in the reminder dispatcher's job."""
    outbox = sharing.ShareOutbox(core_of(application), TelegramSender(application.bot), MESSAGES)
    reminders.runner_of(application).add_outbox(outbox)
