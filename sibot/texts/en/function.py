"""Texts of the weekly function score (everyday activities) and of progression (a step offered)."""

MESSAGES = {
    "function.suggestion.sitting_hour": "Sitting for an hour",
    "function.suggestion.stairs": "Climbing stairs",
    "function.suggestion.turning_in_bed": "Turning in bed",
    "function.suggestion.walking_30": "Walking 30 minutes",
    "function.suggestion.car": "Getting out of a car",
    "function.suggestion.one_leg_dress": "Standing on one leg to dress",
    "function.picker.intro": (
        "<b>Everyday activities</b>\n"
        "Which everyday things does your SI joint make hard? Choose up to 3, or type your own. "
        "Once a week I'll ask how well you manage each, from 0 to 10. That shows your progress "
        "better than pain alone."
    ),
    "function.picker.current": "You track:\n{activities}",
    "function.picker.full": "That's three. To swap one, tap ✖ next to it.",
    "function.button.open": "📋 Track everyday activities (optional)",
    "function.button.change": "📋 Change activities",
    "function.button.type": "✏️ Type my own",
    "function.button.done": "Done",
    "function.button.drop": "✖ {name}",
    "function.type.ask": (
        "Type the activity in a few words, for example “putting on socks” (up to {length} "
        "characters)."
    ),
    "function.type.too_long": "That's a bit long. Please keep it under {length} characters.",
    "function.ask.first": (
        "How well can you manage <b>{name}</b> today?\n0 = not at all, 10 = as well as before the "
        "problem."
    ),
    "function.done": (
        "Saved. Once a week, with your reminder, I'll ask how these go. /progress shows how they "
        "change."
    ),
    "function.weekly.title": (
        "<b>Your weekly check</b>\nHow well can you manage these now? 0 = not at all, 10 = as well "
        "as before the problem."
    ),
    "function.weekly.scored": "✓ {name}: {score}",
    "function.weekly.asking": "▶ <b>{name}</b>",
    "function.weekly.waiting": "· {name}",
    "function.weekly.thanks": "Thank you! Your average now: <b>{average}</b>",
    "function.change": "{change}",
    "function.real_change": "{change}: a real change",
    "function.progress.caption": "<b>Everyday activities</b> (0–10)\nAverage: {average}\n{activities}",
    "function.progress.line": "• {name}: {scores}",
    "function.chart.title": "Everyday activities",
    "function.chart.average": "Average",
    "function.chart.score": "Score (0–10)",
    "function.report.title": "Everyday activities (0 = not at all, 10 = as before)",
    "function.report.activity": "Activity",
    "function.report.first": "First",
    "function.report.latest": "Latest",
    "function.report.change": "Change",
    "function.report.average": "Average",
    "function.report.retired": "{name} (replaced)",
    "function.report.none": "No everyday activities scored yet.",
    "progression.offer.good_week": (
        "A good week: 4 sessions or more, no “It hurts” and steady pain. Ready for one step up?"
    ),
    "progression.offer.pain_rose": (
        "Your pain was higher this week than the week before. Shall we go one step back?"
    ),
    "progression.offer.hurts_twice": (
        "You pressed “It hurts” twice this week. Shall we go one step back?"
    ),
    "progression.dose.hold": "Holds of {new} s instead of {old} s.",
    "progression.dose.repetitions": "{new} repetitions instead of {old}.",
    "progression.button.up": "Yes, step up",
    "progression.button.back": "Yes, step back",
    "progression.button.no": "Not now",
    "progression.accepted": "Done. Your next session uses it. /settings can change it any time.",
    "progression.declined": "Fine, your routine stays as it is.",
    "progression.stale": "This offer has passed.",
    "progression.report.title": "Steps offered",
    "progression.report.none": "No step offered yet.",
    "progression.report.line": "{dose} {answer}: {reason}",
    "progression.report.accepted": "Accepted",
    "progression.report.declined": "Declined",
    "progression.reason.good_week": "a good week (4+ sessions, no pain signals)",
    "progression.reason.pain_rose": "pain rose over the week",
    "progression.reason.hurts_twice": "“It hurts” twice in a week",
}
