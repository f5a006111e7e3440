"""Texts of /help, the command menu and the fallbacks (free text, a button no longer known).

Their keys keep the `settings.` prefix they were translated under: a key is the msgctxt of its
translations.
"""

MESSAGES = {
    "settings.help": (
        "<b>What I can do</b>\n"
        "/start – welcome and today's status\n"
        "/exercise – start today's session\n"
        "/exercises – browse the exercises\n"
        "/learn – about SI joint pain\n"
        "/pain – note your pain now\n"
        "/progress – your pain and sessions chart\n"
        "/report – a one-page report for your clinician\n"
        "/export – all your data as a file\n"
        "/share – a weekly summary for your clinician or carer\n"
        "/patients – whom you follow, as a clinician or carer\n"
        "/settings – time zone, reminder, holds and more\n"
        "/pause – pause reminders for a while\n"
        "/resume – turn reminders back on\n"
        "/delete – erase all your data\n"
        "/help – this list\n\n"
        "Stop any exercise that causes sharp pain. In an emergency, call your local emergency "
        "number."
    ),
    "settings.command.start": "Welcome and today's status",
    "settings.command.exercise": "Start today's session",
    "settings.command.exercises": "Browse the exercises",
    "settings.command.learn": "About SI joint pain",
    "settings.command.pain": "Note your pain now",
    "settings.command.progress": "Your progress chart",
    "settings.command.report": "A report for your clinician",
    "settings.command.export": "All your data as a file",
    "settings.command.share": "Share with your clinician or carer",
    "settings.command.patients": "Whom you follow (clinicians, carers)",
    "settings.command.settings": "Time zone, reminder and more",
    "settings.command.pause": "Pause reminders",
    "settings.command.resume": "Turn reminders back on",
    "settings.command.delete": "Erase all your data",
    "settings.command.help": "What I can do",
    # fallbacks
    "settings.text_hint": "I'm not sure what you mean. Send /help to see what I can do.",
    "settings.unknown_button": "That button doesn't work any more.",
}
