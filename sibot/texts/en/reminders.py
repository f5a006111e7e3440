"""Texts of the daily reminder, its follow-up and its buttons."""

from sibot.texts import Plural

MESSAGES = {
    "reminders.due": Plural(
        one="Time for your SI joint routine (about {count} minute)",
        other="Time for your SI joint routine (about {count} minutes)",
    ),
    "reminders.pain_prompt": "How is your pain right now? Tap 0 (none) to 10 (worst).",
    "reminders.followup": (
        "Just a gentle nudge: your SI joint routine is still waiting for you today. "
        "A few minutes are enough."
    ),
    "reminders.button.start": "Start now",
    "reminders.button.snooze_15": "Snooze 15 min",
    "reminders.button.snooze_60": "Snooze 1 hour",
    "reminders.button.skip": "Skip today",
    "reminders.snoozed": "Snoozed: I'll remind you again at {time}.",
    "reminders.skipped": "Okay, no more reminders today. See you next time!",
    "reminders.stale": "This reminder has passed; nothing to change.",
    "reminders.signs_ask": "And once a week: <b>any new warning signs?</b>",
    "reminders.button.signs_yes": "Yes, something new",
    "reminders.button.signs_no": "No",
    "reminders.signs_none": "Thank you. I'll ask again next week.",
}
