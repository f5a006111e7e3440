"""Texts of the pain diary: red flags, summaries, the progress chart and the doctor's report."""

from sibot.texts import Plural

MESSAGES = {
    "diary.flag.cauda_equina": (
        "⚠️ Numbness between your legs or in your buttocks, new bladder, bowel or sexual "
        "problems, or weakness in both legs can mean the nerves at the bottom of your spine are "
        "being squeezed. <b>Please stop the exercises and go to an emergency department straight "
        "away</b>, or call your local emergency number.\n\n"
        "I'll be here when you've been seen."
    ),
    "diary.flag.fever": (
        "Back pain together with a fever needs a doctor's look. Please stop the exercises for now "
        "and see a doctor today."
    ),
    "diary.flag.one_leg_weak": (
        "New weakness in one leg needs a doctor's look. Please stop the exercises for now and "
        "see a doctor today."
    ),
    "diary.flag.severe_pain": (
        "Pain of 8 or more is too much to exercise through. Please pause the routine and contact "
        "your clinician."
    ),
    "diary.flag.rising_pain": (
        "Your pain has stayed 2 or more points above your usual level for your last three "
        "check-ins. Please pause the routine and contact your clinician before you go on."
    ),
    "diary.flag.session_rise": (
        "Your pain went up by 2 or more points during this session. Take it easier next time: "
        "shorter holds or fewer repetitions. If it keeps happening, talk to your clinician."
    ),
    "diary.flag.hurts_severe": (
        "Let's stop for today. Strong, sharp or shooting pain during an exercise is a sign to "
        "rest. Please talk to your clinician before your next session."
    ),
    "diary.location.lower_back": "Lower back",
    "diary.location.buttock": "Buttock",
    "diary.location.hip": "Hip",
    "diary.location.groin": "Groin",
    "diary.location.leg": "Down the leg",
    "diary.symptom.numbness_tingling": "Numb or tingling leg",
    "diary.symptom.leg_weakness_worse": "🚨 Both legs weak, or worse fast",
    "diary.symptom.fever": "Fever",
    "diary.symptom.bladder_bowel": "🚨 Bladder, bowel or sex",
    "diary.symptom.saddle_numbness": "🚨 Numb between the legs",
    "diary.symptom.one_leg_weak": "One leg newly weak",
    # the /pain check-in
    "diary.pain.ask": (
        "How much does it hurt right now?\n<i>0 = no pain, 10 = worst pain imaginable</i>"
    ),
    "diary.pain.where": (
        "Pain {score}/10 saved.\nWhere do you feel it? Tap all that fit, then Done."
    ),
    "diary.pain.symptoms": (
        "Anything new since last time? Tap all that fit, then Done. If nothing is new, tap None.\n\n"
        "<i>🚨 Numb between the legs: numbness or tingling between your inner thighs, around your "
        "genitals or back passage, or in your buttocks (for example when you wipe).\n"
        "🚨 Bladder, bowel or sex: difficulty peeing, not feeling when your bladder is full, "
        "losing control of your bowels, or new problems with sex.</i>"
    ),
    "diary.pain.done_button": "Done",
    "diary.pain.none_button": "None",
    "diary.pain.selected": "✅ {label}",
    "diary.pain.saved": "Saved: pain {score}/10{where}{symptoms}. Thank you!",
    "diary.pain.saved_where": " · {places}",
    "diary.pain.saved_symptoms": " · new: {symptoms}",
    "diary.pain.saved_answer": "Saved {score}/10",
    "diary.pain.pause_hint": "To quiet the reminders for a while, send /pause.",
    "diary.pain.gentle_hint": "If you'd like to keep moving meanwhile, try the gentler routine.",
    "diary.gentle.button": "Switch to a gentler routine",
    "diary.gentle.done": (
        "Done: from your next session, holds last {hold} s with {repetitions} repetitions. "
        "Go easy, and stop if it hurts."
    ),
    "diary.gentle.answer": "Gentler routine on",
    # /progress
    "diary.progress.empty": (
        "No check-ins or sessions in the last 30 days yet. Send /pain to log how you feel, "
        "or /exercise to start a session, and your chart will grow from there."
    ),
    "diary.progress.caption": "{week}\nStreak: {streak} · sessions in 30 days: {sessions}",
    "diary.progress.no_week": "Keep checking in: after two weeks I can compare them for you.",
    # /report and /export
    "diary.report.empty": (
        "There's nothing to report yet. Log your pain with /pain or do a session with /exercise, "
        "and ask again later."
    ),
    "diary.report.caption": "Your pain diary of the last 30 days, ready to show your doctor.",
    "diary.report.filename": "sibot-report-{day}.pdf",
    "diary.export.empty": "You have no check-ins or sessions to export yet.",
    "diary.export.caption": "All your check-ins and sessions, as a spreadsheet (CSV).",
    "diary.export.filename": "sibot-data-{day}.csv",
    # /delete
    "diary.delete.ask": (
        "This erases everything I keep about you: check-ins, sessions, reminders and settings. "
        "It can't be undone. Delete it all?"
    ),
    "diary.delete.yes": "Yes, delete everything",
    "diary.delete.no": "No, keep my data",
    "diary.delete.done": (
        "Done. Everything about you is erased, and your reminders and timers are stopped. "
        "If you ever want to start again, just send /start."
    ),
    "diary.delete.kept": "Nothing was deleted.",
    "diary.delete.expired": "This button has expired. Send /delete again if you still want to.",
    "diary.week.fell": "Your average pain fell from {previous} to {current}.",
    "diary.week.rose": "Your average pain rose from {previous} to {current}.",
    "diary.week.same": "Your average pain stayed at {current}.",
    "diary.days": Plural(one="{count} day", other="{count} days"),
    "diary.chart.title": "Last 30 days · streak {days}",
    "diary.chart.pain": "Pain (0–10)",
    "diary.chart.before": "Before",
    "diary.chart.after": "After",
    "diary.chart.standalone": "Diary",
    "diary.chart.sessions": "Sessions",
    "diary.report.title": "Pain diary: {name}",
    "diary.report.period": "Period: {start} to {end} · time zone {zone}",
    "diary.report.summary": (
        "Sessions in the period: {sessions} · current streak: {streak} · check-ins: {checkins}"
    ),
    "diary.report.no_chart": "No pain scores or sessions in the last 30 days.",
    "diary.report.weeks": "Week by week",
    "diary.report.week_of": "Week of",
    "diary.report.week_sessions": "Sessions",
    "diary.report.week_pain": "Mean pain",
    "diary.report.no_score": "–",
    "diary.report.events": "Red flags and “It hurts” events",
    "diary.report.no_events": "None in this period.",
    "diary.report.more_events": Plural(
        one="… and {count} earlier event", other="… and {count} earlier events"
    ),
    "diary.report.hurts": "“It hurts”: {score}",
    "diary.report.hurts_sharp": "“It hurts”: {score}, sharp or shooting",
    # what each rule means, and what the patient was told
    "diary.report.rule.cauda_equina": "Red flag: possible cauda equina signs (sent to emergency)",
    "diary.report.rule.fever": "Red flag: fever with back pain (see a doctor today)",
    "diary.report.rule.one_leg_weak": "Red flag: new weakness in one leg (see a doctor today)",
    "diary.report.rule.severe_pain": "Red flag: pain 8/10 or more (routine paused)",
    "diary.report.rule.rising_pain": "Red flag: pain 2+ above usual for 3 check-ins (paused)",
    "diary.report.rule.session_rise": "Pain rose 2+ points in a session (take it easier)",
    "diary.report.rule.hurts_severe": "Strong or sharp pain in an exercise (stopped for the day)",
    "diary.report.routine": "Current routine",
    "diary.report.routine_dose": "Holds of {hold} s, {repetitions} repetitions · {variant}",
    "diary.report.routine_standard": "standard routine",
    "diary.report.routine_gentle": "gentle routine",
    "diary.report.reminder": "Reminder: {time} on {days} ({zone})",
    "diary.report.no_reminder": "Reminder: off",
    "diary.report.every_day": "every day",
    "diary.report.pregnancy_on": "Pregnancy caution: on",
    "diary.report.pregnancy_off": "Pregnancy caution: off",
    "diary.report.signs": "Safety screen, answered yes: {signs}",
    "diary.report.no_signs": "Safety screen: no warning signs",
    "diary.report.footer": (
        "Reported by the patient through sibot. Pain on a 0–10 scale; "
        "this is a diary, not a diagnosis."
    ),
    "diary.weekday.0": "Mon",
    "diary.weekday.1": "Tue",
    "diary.weekday.2": "Wed",
    "diary.weekday.3": "Thu",
    "diary.weekday.4": "Fri",
    "diary.weekday.5": "Sat",
    "diary.weekday.6": "Sun",
}
