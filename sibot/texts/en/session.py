"""Texts of a guided session and of the exercise library: short enough for one glance."""

from sibot.texts import Plural

MESSAGES: dict[str, str | Plural] = {
    "session.pregnancy": (
        "🤰 Go gently today: stop anything that feels wrong, and check with your doctor or "
        "midwife if you're unsure."
    ),
    "session.pain_before": (
        "<b>Let's begin</b> · {minutes}\n"
        "First, how much does it hurt right now? 0 is no pain, 10 the worst."
    ),
    # a check-in of the last 30 minutes stands for the pain before: say which, instead of asking
    "session.known_pain": "<b>Let's begin</b> · {minutes}\nPain before: {score}/10, as you told me {ago}.",
    "session.known_pain.now": "just now",
    "session.known_pain.ago": Plural(one="{count} minute ago", other="{count} minutes ago"),
    "session.minutes": Plural(one="about {count} minute", other="about {count} minutes"),
    "session.hold_tip": "<i>I'll tell you when to relax.</i>",
    "session.relax_next": "Tap <b>Next</b> when you're ready.",
    "session.guided.tap_when_in_position": "Tap <b>I'm in position</b> when you're set.",
    "session.guided.by_itself": "<i>The next one comes by itself.</i>",
    "session.guided.relax": "😌 <b>Relax.</b>",
    "session.guided.exercise_done": "✅ {exercise} done. Next: <b>{next}</b>.",
    "session.paused": "⏸ Paused. Take your time, and tap Continue when you're ready.",
    "session.choice": (
        "You're in the middle of a session ({position}). Pick up where you left off, "
        "or start over?"
    ),
    "session.resume": "We were interrupted: continue from {position}?",
    "session.at.start": "the start",
    "session.at.end": "the last question",
    "session.at.exercise": "{exercise}",
    "session.at.rep": "{exercise}, rep {rep}",
    "session.at.side_rep": "{exercise}, {side} side, rep {rep}",
    "session.side.right": "right",
    "session.side.left": "left",
    "session.hurts.ask": (
        "I'm sorry it hurts. We'll stop this exercise now.\n"
        "How bad is the pain, from 0 to 10?"
    ),
    "session.hurts.kind": "Is it sharp, or does it shoot down your leg?",
    "session.hurts.noted": (
        "Thank you for telling me. We'll leave that one for today. "
        "Go on gently when you're ready, or stop here."
    ),
    "session.safety_stop": "I've ended today's session.",
    "session.gentle.offer": (
        "Let's skip the usual routine today. You can do a gentler one now, with shorter holds "
        "and fewer repetitions, or stop for today."
    ),
    "session.pain_after": (
        "<b>That was the last one!</b>\nHow much does it hurt now, from 0 to 10?"
    ),
    "session.summary.title": "<b>Session done. Well done!</b> 🎉",
    "session.summary.time": "⏱ {duration}",
    "session.summary.under_a_minute": "under a minute",
    "session.summary.minutes": Plural(one="{count} minute", other="{count} minutes"),
    "session.summary.done": Plural(one="✅ {count} exercise done", other="✅ {count} exercises done"),
    "session.summary.skipped": Plural(one="⏭ {count} skipped", other="⏭ {count} skipped"),
    "session.summary.pain": "Pain: {before} → {after}",
    "session.summary.no_score": "–",
    "session.summary.streak": Plural(one="🔥 {count} day in a row", other="🔥 {count} days in a row"),
    "session.encourage": "Small steps, done often, make the difference. See you next time! 💪",
    "session.encourage.better": "Your pain is lower than when you started. Lovely work! 💪",
    "session.stopped": "⏹ Stopped. {done} today. Listening to your body is part of the work.",
    "session.stopped.done": Plural(
        one="You finished {count} exercise", other="You finished {count} exercises"
    ),
    "session.abandoned": (
        "That session sat untouched for over two hours, so I closed it. "
        "Send /exercise to start a fresh one."
    ),
    "session.button.next": "Next ▶️",
    "session.button.in_position": "✅ I'm in position",
    "session.button.next_exercise": "Next exercise ▶️",
    "session.button.pause": "⏸ Pause",
    "session.button.skip": "⏭ Skip exercise",
    "session.button.stop": "⏹ Stop",
    "session.button.stop_today": "⏹ Stop for today",
    "session.button.hurts": "😣 It hurts",
    "session.button.continue": "▶️ Continue",
    "session.button.start_over": "🔄 Start over",
    "session.button.skip_question": "Skip",
    "session.button.yes": "Yes",
    "session.button.no": "No",
    "session.library": (
        "<b>The exercises</b>\nTap one to read how it's done, or to do just that one."
    ),
    "session.library.do": "▶️ Do this one",
    "session.library.back": "⬅️ All exercises",
}
