"""Texts of the warning signs (sibot.safety): the emergency advice and its hold, the checklist's
signs and how the doctor's report names each sign."""

MESSAGES = {
    "safety.emergency": (
        "⚠️ <b>Please go to an emergency department straight away</b>, or call your local "
        "emergency number. This can mean the nerves at the bottom of your spine are being "
        "squeezed. That needs a doctor's check, not exercises.\n\n"
        "I'll be here when you've been seen."
    ),
    "safety.examined.ask": "Has a clinician examined you since?",
    # the checklist's buttons: short, plain words
    "safety.sign.fever": "Fever, or feeling unwell",
    "safety.sign.injury": "Pain began after a fall or accident",
    "safety.sign.cancer": "I have had cancer",
    "safety.sign.weight_loss": "Weight loss I can't explain",
    "safety.sign.night_pain": "Night pain that rest doesn't ease",
    "safety.sign.over_50": "Back pain new, and I'm over 50",
    "safety.sign.immune": "Weak immune system, or I inject drugs",
    "safety.sign.osteoporosis": "Osteoporosis, and a recent fall",
    # the doctor's report: each sign the patient said yes to
    "safety.report.saddle": "numbness between the legs (emergency)",
    "safety.report.bladder": "bladder, bowel or sexual changes (emergency)",
    "safety.report.legs_weaker": "weakness in both legs or worsening fast (emergency)",
    "safety.report.one_leg_weak": "new weakness in one leg (doctor today)",
    "safety.report.fever": "fever or feeling unwell (doctor today)",
    "safety.report.injury": "pain began after an injury",
    "safety.report.cancer": "history of cancer",
    "safety.report.weight_loss": "unexplained weight loss",
    "safety.report.night_pain": "night pain not eased by rest",
    "safety.report.over_50": "new back pain after 50",
    "safety.report.immune": "weakened immune system or injecting drugs",
    "safety.report.osteoporosis": "osteoporosis with a recent fall",
}
