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
        "• I store your settings, your exercise sessions and your pain scores, nothing else. "
        "/delete erases all of it, at any time."
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
        "Do you have numbness around your groin, your buttocks or the inside of your thighs?"
    ),
    "onboarding.question.bladder": (
        "Have you had new trouble controlling your bladder or bowel, or passing urine?"
    ),
    "onboarding.question.weakness": "Is one or both of your legs getting weaker?",
    "onboarding.question.fever": "Do you have a fever, or feel generally unwell, along with the back pain?",
    "onboarding.question.injury": "Did the pain start after a fall, an accident or another injury?",
    "onboarding.question.pregnancy": "Are you pregnant?",
    "onboarding.yes": "Yes",
    "onboarding.no": "No",
    "onboarding.emergency": (
        "⚠️ <b>Please go to an emergency department now</b>, or call your local emergency "
        "number. This can be a sign that a nerve is badly squeezed, and it needs a doctor "
        "today, not exercises.\n\n"
        "Come back once a clinician has checked you and said you may exercise."
    ),
    "onboarding.see_doctor": (
        "⚠️ <b>Please see a doctor before you start.</b> This needs a proper check first.\n\n"
        "Come back once a clinician has checked you and said you may exercise."
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
