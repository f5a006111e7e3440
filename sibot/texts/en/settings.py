"""Texts of /settings, /pause, /resume and the welcome back."""

MESSAGES = {
    # what the patient typed or shared for a time zone or a time
    "settings.zone.unknown": (
        "I couldn't find “{typed}”. Try a bigger city nearby, a zone like <i>Europe/Berlin</i>, "
        "or, if nothing else works, an offset like <i>UTC+2</i>."
    ),
    "settings.zone.choose": "Which one do you mean?",
    "settings.zone.none_of_these": "None of these",
    "settings.zone.ocean": (
        "That spot looks like open sea, so I can't tell its time zone. Please type your city "
        "instead."
    ),
    "settings.time.bad": (
        "I can't read “{typed}” as a time. Try something like <i>7:30</i>, <i>19:00</i> or "
        "<i>7pm</i>."
    ),
    "settings.days.every_day": "Every day",
    "settings.days.weekdays": "Weekdays (Mon–Fri)",
    "settings.days.choose": "Choose days",
    "settings.days.done": "Done",
    "settings.days.pick": "Tap the days you want, then “Done”.",
    "settings.days.none": "Please pick at least one day.",
    "settings.day.0": "Mon",
    "settings.day.1": "Tue",
    "settings.day.2": "Wed",
    "settings.day.3": "Thu",
    "settings.day.4": "Fri",
    "settings.day.5": "Sat",
    "settings.day.6": "Sun",
    "settings.reminder": "{time} {days}",
    "settings.reminder.every_day": "every day",
    "settings.reminder.weekdays": "on weekdays",
    "settings.reminder.on_days": "on {days}",
    "settings.reminder.off": "off",
    "settings.when": "{weekday} {time}",
    # /settings
    "settings.menu": (
        "⚙️ <b>Your settings</b>\n"
        "• Time zone: {zone}\n"
        "• Reminder: {reminder}\n"
        "• Hold: {hold} s · Repetitions: {repetitions}\n"
        "• Pace: {pace} · Rest: {rest}\n"
        "• Pregnancy caution: {pregnancy}\n"
        "• Follow-up reminder: {followup}\n"
        "• Exercise pictures: {pictures}\n"
        "• Language: {language}\n\n"
        "What would you like to change?"
    ),
    "settings.on": "on",
    "settings.off": "off",
    "settings.button.zone": "🕒 Time zone",
    "settings.button.time": "⏰ Reminder time",
    "settings.button.days": "📅 Reminder days",
    "settings.button.hold": "⏱ Hold length",
    "settings.button.reps": "🔁 Repetitions",
    "settings.button.pace": "🧭 Pace",
    "settings.button.rest": "😌 Rest",
    "settings.pace.guided": "Guided",
    "settings.pace.own": "My pace",
    "settings.rest.seconds": "{seconds} s",
    "settings.rest.as_hold": "as long as the hold",
    "settings.button.pregnancy": "🤰 Pregnancy caution",
    "settings.button.followup": "🔔 Follow-up",
    "settings.button.pictures": "🖼 Exercise pictures",
    "settings.button.language": "🌐 Language",
    "settings.button.back": "⚙️ Settings",
    "settings.button.cancel": "Cancel",
    "settings.button.turn_on": "Turn on",
    "settings.button.turn_off": "Turn off",
    "settings.ask.zone": (
        "Type your city or a zone like <i>Europe/Berlin</i>, or share your location "
        "(📎 → Location)."
    ),
    "settings.ask.time": "Tap a time or type one, like <i>7:30</i>, <i>19:00</i> or <i>7pm</i>.",
    "settings.ask.days": "On which days shall I remind you?",
    "settings.ask.hold": "How many seconds shall each hold last?",
    "settings.ask.reps": "How many repetitions of each exercise?",
    "settings.ask.pace": (
        "<b>Guided</b>: I time each rep and the rest after it. You tap only to start an "
        "exercise or a side.\n<b>My pace</b>: you tap Next at every step."
    ),
    "settings.ask.rest": "How long a rest between two reps?",
    "settings.ask.pregnancy": (
        "With the pregnancy caution on, every session starts with a reminder to take it easy "
        "and to follow your doctor's or midwife's advice. It is {state} now."
    ),
    "settings.ask.followup": (
        "If you haven't exercised a while after the reminder, I can nudge you once more. "
        "It is {state} now."
    ),
    "settings.ask.pictures": (
        "Each exercise starts with a short moving picture of it, and the library shows one too. "
        "On a slow or costly connection you can turn them off: the words stay the same. "
        "They are {state} now."
    ),
    "settings.ask.language": "Which language?",
    "settings.cancelled": "OK, nothing changed.",
    "settings.no_reminder": "Please set a reminder time first.",
    "settings.invalid": "That option isn't available any more.",
    # confirmations, each with the new value
    "settings.set.zone": "✅ Time zone: <b>{zone}</b>. Your local time is {local_now}.",
    "settings.set.time": "✅ Reminder: <b>{reminder}</b>. Next one: {next}.",
    "settings.set.hold": "✅ Each hold now lasts <b>{hold} seconds</b>.",
    "settings.set.reps": "✅ <b>{repetitions} repetitions</b> of each exercise.",
    "settings.set.pace": "✅ Pace: <b>{pace}</b>.",
    "settings.set.rest": "✅ Rest between reps: <b>{rest}</b>.",
    "settings.set.pregnancy": "✅ Pregnancy caution is <b>{state}</b>.",
    "settings.set.pregnancy_ask": (
        "Please ask your midwife or doctor before you go on with the exercises. Each one done "
        "lying on your back will tell you how to prop yourself up."
    ),
    "settings.set.followup": "✅ Follow-up reminder is <b>{state}</b>.",
    "settings.set.pictures": "✅ Exercise pictures are <b>{state}</b>.",
    "settings.set.language": "✅ Language: <b>{language}</b>.",
    # /pause and /resume
    "settings.pause.ask": "⏸ Pause your reminders for how long?",
    "settings.pause.1": "1 day",
    "settings.pause.3": "3 days",
    "settings.pause.7": "1 week",
    "settings.pause.0": "Until I resume",
    "settings.paused_until": "⏸ Reminders are paused until <b>{until}</b>. /resume brings them back sooner.",
    "settings.paused": "⏸ Reminders are paused until you send /resume.",
    "settings.resumed": "▶️ Welcome back! Reminders are on again. Next one: {next}.",
    "settings.resumed_no_reminder": "▶️ Welcome back! You can set a reminder in /settings.",
    "settings.not_paused": "Your reminders aren't paused. /pause stops them for a while.",
    # /start for a known patient
    "settings.welcome_back": "👋 Welcome back{name}!",
    "settings.today_done": "✅ Today's session is done. Well done!",
    "settings.today_open": "Today's session is still to do.",
    "settings.next_reminder": "Next reminder: {next}.",
    "settings.reminders_off": "Reminders are off; /settings turns them on.",
    "settings.action.session": "▶️ Start a session",
    "settings.action.settings": "⚙️ Settings",
    "settings.action.pain": "📝 Note my pain",
}
