"""Texts of sharing: the patient's /share, the invitation a clinician or carer opens, their
/patients, and what the outbox sends them (the weekly summary, an emergency alert, the notices)."""

from sibot.texts import Plural

MESSAGES = {
    "sharing.role.clinician": "clinician",
    "sharing.role.carer": "carer",
    "sharing.shared": (
        "They will see, once a week (Mondays at 08:00 their time):\n"
        "• sessions done of those planned\n"
        "• your pain this week against last, with a 7-day chart\n"
        "• red flags of the week\n"
        "• your full report (PDF) when they ask for it\n"
        "Nothing else: not your chats, not what you type."
    ),
    "sharing.menu": (
        "<b>Share with a clinician or a carer</b>\n"
        "Invite someone to get a weekly summary of your routine in their own Telegram chat. "
        "Nothing is shared until they accept and you confirm."
    ),
    "sharing.menu.followers": "<b>Sharing with</b>",
    "sharing.menu.follower": "• {name} ({role}), since {since}{alerts}",
    "sharing.menu.waiting": "• {name} ({role}) accepted and waits for your yes",
    "sharing.menu.alerts": ", with emergency alerts",
    "sharing.button.invite_clinician": "Invite a clinician",
    "sharing.button.invite_carer": "Invite a carer",
    "sharing.button.revoke": "Stop sharing: {name}",
    "sharing.invite": (
        "Here is your invitation for a {role}. Send this link to them (it works once, "
        "for 7 days, until {expires}):\n\n{link}\n\n{shared}"
    ),
    "sharing.revoked": "Done: {name} gets nothing more from me, and I've told them.",
    "sharing.revoke_stale": "This sharing has already ended.",
    "sharing.accepted": "{name} accepted your invitation as your {role}. Start sharing?",
    "sharing.button.confirm": "Yes, share",
    "sharing.button.confirm_alerts": "Yes, and alert them in an emergency",
    "sharing.button.decline": "No",
    "sharing.confirmed": "Sharing with {name} has started.",
    "sharing.confirmed_alerts": (
        "Sharing with {name} has started. If you report emergency signs, I'll tell them at once."
    ),
    "sharing.declined": "Okay, nothing is shared with {name}.",
    "sharing.stale": "This question is no longer open.",
    "sharing.told": "I've told {name} about the emergency signs you reported.",
    # the invitee
    "sharing.invitation": (
        "<b>{name}</b> invites you to follow their SI joint routine as their {role}.\n\n"
        "{shared}\n\nThis is not a medical service, and {name} can stop sharing at any time."
    ),
    "sharing.invitation.shared": (
        "You will get, once a week (Mondays at 08:00 your time):\n"
        "• sessions done of those planned\n"
        "• pain this week against last, with a 7-day chart\n"
        "• red flags of the week\n"
        "• the full report (PDF) when you ask for it"
    ),
    "sharing.button.accept": "Accept",
    "sharing.button.no_thanks": "No, thanks",
    "sharing.no_thanks": "Okay. The invitation stays unused; you can close this chat.",
    "sharing.problem.unknown": "This invitation link is not valid. Ask for a new one.",
    "sharing.problem.used": "This invitation has already been used. Ask for a new one.",
    "sharing.problem.expired": "This invitation has expired (links last 7 days). Ask for a new one.",
    "sharing.problem.revoked": "This invitation was withdrawn.",
    "sharing.problem.own": "This is your own invitation: send it to your clinician or carer.",
    "sharing.zone.ask": (
        "Thank you! {name} will now confirm. Which time zone should your weekly summary follow? "
        "Tap one, or type your city."
    ),
    "sharing.zone.type": "Type your city, or a zone like <i>Europe/Berlin</i>.",
    "sharing.zone.set": "Your weekly summaries come on Mondays at 08:00, {zone}.",
    "sharing.zone.first": "The first one comes {when}.",
    "sharing.started": (
        "{name} confirmed: you now follow them. Your first weekly summary comes {when} ({zone}). "
        "/patients shows everyone you follow."
    ),
    "sharing.ended": "{name} stopped sharing with you. You will get nothing more about them.",
    # /patients
    "sharing.patients.none": (
        "You follow nobody yet. A patient invites you with a link from their /share."
    ),
    "sharing.patients.title": "<b>Whom you follow</b>",
    "sharing.patients.line": "<b>{name}</b> ({role} since {since}{cohort})",
    "sharing.patients.cohort": ", clinic link {cohort}",
    "sharing.patients.last_score": "Last pain: {score}/10 on {day}",
    "sharing.patients.no_score": "No pain score yet",
    "sharing.patients.sessions": Plural(
        one="{count} session in the last 7 days", other="{count} sessions in the last 7 days"
    ),
    "sharing.button.report": "Report: {name}",
    "sharing.button.unfollow": "Unfollow {name}",
    "sharing.unfollowed": "You no longer follow {name}.",
    "sharing.not_yours": "This is not available to you.",
    # the weekly summary and the alert
    "sharing.weekly.title": "<b>{name}: week of {first} to {last}</b>",
    "sharing.weekly.sessions": "Sessions: {done} of {planned} planned",
    "sharing.weekly.sessions_unplanned": "Sessions: {done} (no reminder days set)",
    "sharing.weekly.pain": "Average pain: {current} (the week before: {previous})",
    "sharing.weekly.no_pain": "no score",
    "sharing.weekly.flags": "Red flags:",
    "sharing.weekly.no_flags": "Red flags: none",
    "sharing.chart.title": "Last 7 days · streak {days}",
    "sharing.button.full_report": "Full report (PDF)",
    "sharing.alert": (
        "<b>Emergency signs: {name}</b>\n{rule}\nReported {when}. They were advised to go to an "
        "emergency department now."
    ),
    "sharing.report.caption": "{name}: the report of the last 30 days.",
    "sharing.report.empty": "{name} has nothing recorded in the last 30 days yet.",
}
