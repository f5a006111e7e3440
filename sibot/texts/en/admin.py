"""Texts of the operator commands (/stats, /broadcast)."""

MESSAGES = {
    "admin.stats_title": "<b>sibot figures</b> (days in UTC)",
    "admin.stats_empty": "No patients yet.",
    "admin.stats_cohort": "<b>{cohort}</b>",
    "admin.stats_no_cohort": "(no cohort)",
    "admin.stats_total": "All patients",
    "admin.stats_row": (
        "{label}\n"
        "Patients: {patients} · active in 7 days: {active_7d}\n"
        "Sessions today: {sessions_today} · this week: {sessions_week}\n"
        "Reminders today: {reminders_sent_today} sent, {reminders_failed_today} failed\n"
        "Red flags this week: {red_flags_week}"
    ),
    "admin.stats_followed": "Sharing with a clinician or carer: {followed}",
    "admin.broadcast_usage": "Write the message after the command, like this:\n/broadcast The bot will be down for 10 minutes tonight.",
    "admin.broadcast_too_long": "That message is too long: {length} characters. Telegram takes up to 4096.",
    "admin.broadcast_preview": "This goes to <b>{recipients}</b> active patients:\n\n{text}",
    "admin.broadcast_send": "Send it",
    "admin.broadcast_cancel": "Cancel",
    "admin.broadcast_sending": "Sending to {recipients} patients…",
    "admin.broadcast_cancelled": "Cancelled. Nothing was sent.",
    "admin.broadcast_done": "Broadcast finished: {sent} sent, {failed} failed.",
    "admin.broadcast_resumed": "Your broadcast was cut off by a restart. It goes on now, to the {recipients} patients still waiting for it.",
    "admin.broadcast_stale": "This broadcast was already handled.",
    "admin.broadcast_stopping": "Stopping the broadcast… I'll tell you how many patients got it.",
    "admin.broadcast_stopped": "Broadcast cancelled: {sent} sent, {failed} failed before it stopped. Nobody else gets it.",
    "admin.broadcast_not_yours": "Only the operator who wrote this broadcast can send or cancel it.",
    "admin.broadcast_already_sending": "This broadcast is already going out.",
    "admin.broadcast_already_finished": "This broadcast has already gone out to everyone.",
    "admin.broadcast_was_cancelled": "This broadcast was cancelled, so it can't be sent. Write /broadcast again.",
    "admin.broadcast_expired": "This draft is more than a day old, so it can't be sent any more. Write /broadcast again.",
}
