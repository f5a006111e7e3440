"""Texts of the first minute: welcome, disclaimer, safety screen, time zone, reminder, baseline."""

MESSAGES = {
    "onboarding.welcome": (
        "👋 Hi{name}! I help you look after a sore sacroiliac (SI) joint, the joint where your "
        "spine meets your pelvis.\n\n"
        "Every day I can:\n"
        "• remind you at a time you choose\n"
        "• guide you through a few gentle exercises, step by step\n"
        "• keep a short pain diary you can share with your clinician"
    ),
    "onboarding.disclaimer": (
        "<b>Before we start, please read this</b>\n"
        "• I am not a medical device and I don't replace a clinician.\n"
        "• Check with a clinician before you start these exercises, above all if you are "
        "pregnant.\n"
        "• If an exercise causes sharp pain, stop it.\n"
        "• In an emergency, call your local emergency number.\n"
        "• Chats with bots on Telegram are not end-to-end encrypted.\n"
        "• I store your first name, your settings, your exercise sessions and your answers "
        "(pain scores, safety and activity questions), nothing else. I share nothing unless you "
        "invite someone with /share. /delete erases all of it, at any time."
    ),
    "onboarding.accept": "I agree",
    "onboarding.read_and_accept": "Please read the note above and tap “I agree” to go on.",
    "onboarding.finish_first": "Let's finish setting up first, it takes a minute.",
    "onboarding.finish_first_toast": "Let's finish setting up first.",
    "onboarding.use_buttons": "Please answer with the buttons below.",
    "onboarding.private_only": "I only work in private chats. Please message me directly.",
    "onboarding.carry_on": "Welcome back! Let's carry on where we left off.",
    "onboarding.stale": "That question is done. Please use my latest message.",
    # the safety screen
    "onboarding.safety.intro": "A few quick safety questions first.",
    "onboarding.safety.progress": "<i>Question {number} of {count}</i>",
    "onboarding.question.saddle": (
        "Do you have numbness or tingling between your inner thighs, around your genitals or "
        "back passage, or in your buttocks? (You might notice it when you wipe.)"
    ),
    "onboarding.question.bladder": (
        "Is anything new with your bladder, bowel or sex life? For example: difficulty peeing, "
        "not feeling when your bladder is full, losing control of your bowels, or new problems "
        "with sex."
    ),
    "onboarding.question.legs": (
        "Are <b>both</b> your legs weak, or is weakness in a leg getting worse fast?"
    ),
    "onboarding.question.leg": (
        "Is <b>one</b> leg newly weak? For example, your foot catches or your knee gives way."
    ),
    "onboarding.question.history": (
        "Does any of these apply to you? Tap all that do, then Done."
    ),
    "onboarding.question.pregnancy": "Are you pregnant?",
    "onboarding.yes": "Yes",
    "onboarding.no": "No",
    "onboarding.none_apply": "None of these",
    "onboarding.see_doctor": (
        "⚠️ <b>Please see your doctor before you start.</b> This needs a proper check first.\n\n"
        "Come back once a clinician has checked you and said you may exercise."
    ),
    "onboarding.see_doctor_today": (
        "⚠️ <b>Please see a doctor today</b>, before you exercise. This needs a proper check.\n\n"
        "Come back once a clinician has checked you and said you may exercise."
    ),
    "onboarding.catch_up": "One more safety question, asked once. It keeps your exercises safe.",
    "onboarding.catch_up.thanks": "Thank you. Let's get moving.",
    "onboarding.catch_up.see_doctor": (
        "⚠️ <b>Please see your doctor before you go on with the exercises.</b> This needs a "
        "proper check first. I've noted it in your /report for them."
    ),
    "onboarding.cleared": "A clinician has cleared me",
    "onboarding.clearance_thanks": "Thank you. Let's go on, gently.",
    "onboarding.pregnancy_caution": (
        "Noted. Pregnancy often strains the SI joints. Please ask your doctor or midwife "
        "before you start, and I'll add a reminder to take it easy to every session. You can "
        "change this in /settings."
    ),
    # time zone
    "onboarding.zone.ask": (
        "🕒 <b>Which time zone are you in?</b> I need it to remind you at the right time.\n\n"
        "Tap one below, type your city (for example <i>Berlin</i>) or share your location "
        "(📎 → Location). If nothing else works, type an offset like <i>UTC+2</i>."
    ),
    "onboarding.zone.confirm": (
        "Your time zone: <b>{zone}</b>\nYour local time is now <b>{local_now}</b>. Is that right?"
    ),
    "onboarding.zone.right": "Yes, that's right",
    "onboarding.zone.wrong": "No, change it",
    # reminder
    "onboarding.time.ask": (
        "⏰ <b>When shall I remind you each day?</b>\n"
        "Tap a time or type one, like <i>7:30</i>, <i>19:00</i> or <i>7pm</i>."
    ),
    "onboarding.days.ask": "At <b>{time}</b> on which days?",
    # baseline
    "onboarding.baseline.ask": (
        "Last one: <b>how much does it hurt right now?</b>\n"
        "0 = no pain, 10 = the worst pain you can imagine."
    ),
    # the end
    "onboarding.summary": (
        "✅ <b>All set!</b>\n"
        "• Reminder: {reminder}\n"
        "• Next one: {next}\n"
        "• Starting pain: {score}/10\n\n"
        "Each session takes about {minutes} minutes. Stop any exercise that causes sharp pain. "
        "/help shows everything I can do."
    ),
    "onboarding.summary.pregnant": "🤰 Pregnancy caution is on.",
    "onboarding.start_first": "▶️ Start my first session",
    "onboarding.start_gentle": "▶️ Start a gentler first session",
}
