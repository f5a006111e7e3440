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
    # what a new user reads of the bot before tapping Start: the empty chat's "What can this bot
    # do?" (at most 512 characters) and its profile (at most 120), plain text
    "settings.bot.description": (
        "Hi! I help you look after a sore sacroiliac (SI) joint, where your spine meets your "
        "pelvis.\n\n"
        "• A daily reminder at the time you choose\n"
        "• Six gentle hip and lower-back exercises, step by step, with hold timers\n"
        "• A pain diary with charts and a report for your clinician\n\n"
        "I don't replace a clinician. Tap Start to begin."
    ),
    "settings.bot.short_description": (
        "Daily SI joint exercises, step by step, with reminders and a pain diary."
    ),
    # fallbacks
    "settings.unknown_button": "That button doesn't work any more.",
    # typed text nobody asked for: a score, words of pain or worry, a greeting, thanks, or anything else
    "settings.typed.score": "Shall I note <b>{score}/10</b> as your pain now?",
    "settings.typed.save_score": "✅ Save {score}/10",
    "settings.typed.worry": (
        "I'm sorry it hurts. Note your pain now, and I'll tell you if it needs care.\n\n"
        "<b>Go to an emergency department now</b> with numbness around the groin or buttocks, "
        "new trouble holding urine or stool, or leg weakness that is getting worse. "
        "<b>See a doctor today</b> with a fever and back pain. Stop any exercise that causes "
        "sharp pain. I can't give medical advice: for that, ask your clinician."
    ),
    "settings.typed.menu": "I'm not sure what you mean. Here is what I can do; /help lists it all.",
    "settings.typed.greeting": "Hi! 👋 Good to see you. What would you like to do?",
    "settings.typed.thanks": "You're welcome! 😊 I'm here whenever you need me.",
    # a voice note, photo or sticker: the bot reads only text and taps
    "settings.typed.media": (
        "I can only read typed messages and button taps, not voice messages, photos, files or stickers. "
        "Here is what I can do; /help lists it all."
    ),
}
