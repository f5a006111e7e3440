"""Texts of the inflammatory back pain check (NICE NG65), offered after onboarding and in /learn.

Never worded as a diagnosis: the check only says whether to bring something up with a GP.
"""

MESSAGES = {
    "ibp.offer": (
        "🩺 One more thing, if you like: a 1-minute check of whether your back pain is worth "
        "asking your GP about an inflammatory cause (axial spondyloarthritis). Ten yes/no "
        "questions. It is not a diagnosis: it only shows whether to mention something to your GP."
    ),
    "ibp.offer.take": "Take the 1-minute check",
    "ibp.offer.later": "Not now",
    "ibp.later": "OK. The check is in /learn whenever you want it.",
    "ibp.menu_button": "🩺 Inflammatory back pain check",
    "ibp.question": (
        "<b>Inflammatory back pain check</b> · {number} of {total}\n"
        "<i>Not a diagnosis: it shows whether to mention something to your GP.</i>\n\n"
        "{question}"
    ),
    "ibp.question.before45": "Did your back pain first start before you were 45?",
    "ibp.question.months3": "Has it lasted more than 3 months?",
    "ibp.question.night": "Does the pain wake you in the second half of the night?",
    "ibp.question.buttock": "Do you have pain in your buttocks?",
    "ibp.question.moving": "Does the pain get better when you move, and not when you rest?",
    "ibp.question.nsaids": (
        "If you have taken anti-inflammatory painkillers (such as ibuprofen), did the pain get "
        "much better within 2 days?"
    ),
    "ibp.question.family": (
        "Does a parent, child, brother or sister have spondyloarthritis (such as ankylosing "
        "spondylitis)?"
    ),
    "ibp.question.arthritis": "Do you have, or have you had, arthritis: painful, swollen joints?",
    "ibp.question.enthesitis": (
        "Do you have, or have you had, pain where a tendon meets the bone, such as at the back "
        "of the heel?"
    ),
    "ibp.question.psoriasis": "Do you have, or have you had, psoriasis?",
    "ibp.stop": "Stop the check",
    "ibp.stopped": "Check stopped, and nothing kept. You can take it any time from /learn.",
    "ibp.result.referral": (
        "You said yes to <b>{count} of the 8</b> signs. With four or more, please ask your GP "
        "whether a referral to a rheumatologist (a joint specialist) makes sense.\n\n"
        "This is not a diagnosis: many people with these signs have no inflammatory condition. "
        "Your routine can go on as before."
    ),
    "ibp.result.mention": (
        "You said yes to <b>{count} of the 8</b> signs. Please mention them to your GP at your "
        "next visit; they can judge whether to look closer.\n\n"
        "This is not a diagnosis. Your routine can go on as before."
    ),
    "ibp.result.nothing": (
        "You said yes to <b>{count} of the 8</b> signs. Nothing extra to do. If your pain "
        "changes, take the check again from /learn."
    ),
    "ibp.result.not_applicable": (
        "This check is for back pain that started before 45 and has lasted over 3 months, so "
        "there is nothing extra to do. You can take it again from /learn."
    ),
    # the doctor's report and its line for the newest check
    "ibp.report.title": "Inflammatory back pain (NICE NG65)",
    "ibp.report.none": "Check not taken.",
    "ibp.report.result": "{date}: {count} of 8 features. {outcome}",
    "ibp.report.not_applicable": "{date}: does not apply (began at 45 or later, or under 3 months).",
    "ibp.report.outcome.referral": "Advised to ask about a rheumatology referral.",
    "ibp.report.outcome.mention": "Advised to mention it to the GP.",
    "ibp.report.outcome.nothing": "Nothing to do.",
}
