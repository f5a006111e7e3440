"""Texts of the exercise routine and of the "about this condition" pages.

Written for a phone screen: one short idea per message. A repetition's move is a template with
`{duration}` when it is held, filled with the patient's hold time ("7 seconds") or, on a library
card, with the range ("5–10 seconds").
"""

from sibot.texts import Plural

_EXERCISES = {
    "routine.hip_adduction.picture": (
        "The picture: lying on your back, knees bent, feet flat, squeezing a pillow between your "
        "knees."
    ),
    "routine.hip_adduction.title": "Hip adduction",
    "routine.hip_adduction.purpose": (
        "A pillow squeeze. It builds up your inner thigh muscles, which help hold your pelvis "
        "steady and level."
    ),
    "routine.hip_adduction.step.lie": (
        "Lie on your back. Stay flat, or prop yourself up on your elbows if that feels better."
    ),
    "routine.hip_adduction.step.knees": "Bend both knees so your feet rest flat on the floor.",
    "routine.hip_adduction.step.pillow": "Tuck a pillow between your knees.",
    "routine.hip_adduction.rep": "Squeeze the pillow between your knees and hold for {duration}.",
    "routine.hip_adduction.cue": "squeeze, hold {seconds} s",
    "routine.hip_adduction.relax": "Let your knees soften and the pillow go loose. Breathe out.",
    "routine.hip_abduction.picture": (
        "The picture: lying on your back, knees bent, a band around your thighs, pushing your "
        "knees apart."
    ),
    "routine.hip_abduction.title": "Hip abduction",
    "routine.hip_abduction.purpose": (
        "Works the muscles on the outside of your hips. They move your leg out to the side and "
        "keep you steady as you walk."
    ),
    "routine.hip_abduction.step.band": (
        "Loop a resistance band around your thighs, a little above your knees. No band? Use a belt "
        "or a scarf tied around your knees, or press out against your hands."
    ),
    "routine.hip_abduction.step.lie": "Lie on your back and bend both knees, feet on the floor.",
    "routine.hip_abduction.rep": (
        "Push your knees apart against the band (or your hands) and hold for {duration}."
    ),
    "routine.hip_abduction.cue": "knees apart, hold {seconds} s",
    "routine.hip_abduction.relax": "Slowly bring your knees back to where they started.",
    "routine.hip_flexion.picture": (
        "The picture: lying on your back, head on a pillow, calves on a pile of pillows, right "
        "leg crossed over the left, squeezing your legs together."
    ),
    "routine.hip_flexion.picture.left": (
        "The picture: lying on your back, head on a pillow, calves on a pile of pillows, left "
        "leg crossed over the right, squeezing your legs together."
    ),
    "routine.hip_flexion.title": "Hip flexion",
    "routine.hip_flexion.purpose": (
        "A gentle squeeze with your legs crossed. It works the muscles around your hips while your "
        "back stays still."
    ),
    "routine.hip_flexion.step.head": "Lie on your back with a pillow under your head.",
    "routine.hip_flexion.step.legs": (
        "Pile a few pillows under your lower legs so your calves are well supported."
    ),
    "routine.hip_flexion.side.right": "Right side first: cross your right leg over your left.",
    "routine.hip_flexion.side.left": "Now swap: uncross, then cross your left leg over your right.",
    "routine.hip_flexion.rep": "Squeeze your legs against each other and hold for {duration}.",
    "routine.hip_flexion.cue": "squeeze, hold {seconds} s",
    "routine.hip_flexion.first_side": "Both sides, right first: your right leg will cross over your left.",
    "routine.hip_flexion.relax": "Let the squeeze go and rest your legs on the pillows.",
    "routine.hip_abductor_stretch.picture": (
        "The picture: lying on your left side, head resting on your outstretched left arm, right "
        "hand on your hip, chest turned toward the ceiling, right knee bent and resting on the "
        "floor in front, pressed gently down."
    ),
    "routine.hip_abductor_stretch.picture.left": (
        "The picture: lying on your right side, head resting on your outstretched right arm, left "
        "hand on your hip, chest turned toward the ceiling, left knee bent and resting on the "
        "floor in front, pressed gently down."
    ),
    "routine.hip_abductor_stretch.title": "Hip abductor stretch",
    "routine.hip_abductor_stretch.purpose": "A gentle stretch to loosen tight hips.",
    "routine.hip_abductor_stretch.step.side": "Lie down on your side.",
    "routine.hip_abductor_stretch.step.leg": (
        "Bend your top leg and let it rest on the floor in front of your bottom leg."
    ),
    "routine.hip_abductor_stretch.step.turn": (
        "Roll your chest and shoulders back so your upper body faces the ceiling."
    ),
    "routine.hip_abductor_stretch.side.right": (
        "Right side first: lie on your left side, so your right leg is the top one."
    ),
    "routine.hip_abductor_stretch.side.left": (
        "Now roll over onto your right side, so your left leg is on top, and set up the same way."
    ),
    "routine.hip_abductor_stretch.cue": "press down, then ease off",
    "routine.hip_abductor_stretch.first_side": "Both sides, right first: you'll lie on your left side, right leg on top.",
    "routine.hip_abductor_stretch.rep": (
        "Gently press your top leg down toward the floor, then ease off."
    ),
    "routine.knee_to_chest.picture": (
        "The picture: lying on your back, left leg long, both hands just below your right knee, "
        "drawing it in toward your chest."
    ),
    "routine.knee_to_chest.picture.left": (
        "The picture: lying on your back, right leg long, both hands just below your left knee, "
        "drawing it in toward your chest."
    ),
    "routine.knee_to_chest.title": "Knee-to-chest stretch",
    "routine.knee_to_chest.purpose": (
        "A gentle stretch for your buttocks, your hips and the small of your back."
    ),
    "routine.knee_to_chest.step.lie": (
        "Lie on your back. Keep one leg long on the floor and bend the other knee."
    ),
    "routine.knee_to_chest.step.hands": (
        "Hold the bent leg with both hands: on the front of the shin, just below the knee, or "
        "behind the thigh."
    ),
    "routine.knee_to_chest.side.right": "Right side first: your right knee is the bent one.",
    "routine.knee_to_chest.side.left": (
        "Now swap: stretch out your right leg, bend your left knee and hold it the same way."
    ),
    "routine.knee_to_chest.rep": (
        "Slowly draw the bent knee in toward your chest and hold for {duration}."
    ),
    "routine.knee_to_chest.cue": "knee in, hold {seconds} s",
    "routine.knee_to_chest.first_side": "Both sides, right first: you'll bend your right knee.",
    "routine.knee_to_chest.relax": "Ease the knee away from your chest, back where it started.",
    "routine.piriformis_stretch.picture": (
        "The picture: lying on your back, right ankle resting on your left knee, hands behind "
        "your left thigh, lifting your left foot off the floor."
    ),
    "routine.piriformis_stretch.picture.left": (
        "The picture: lying on your back, left ankle resting on your right knee, hands behind "
        "your right thigh, lifting your right foot off the floor."
    ),
    "routine.piriformis_stretch.title": "Piriformis stretch",
    "routine.piriformis_stretch.purpose": (
        "Stretches the piriformis, a muscle that lies deep inside your buttock."
    ),
    "routine.piriformis_stretch.step.lie": (
        "Lie on your back, knees bent, feet flat on the floor about hip-width apart."
    ),
    "routine.piriformis_stretch.step.cross": (
        "Keep your foot flexed and cross one leg over, resting that ankle on your other knee."
    ),
    "routine.piriformis_stretch.step.hold": (
        "Reach through and hold the back of the thigh whose foot is still on the floor."
    ),
    "routine.piriformis_stretch.side.right": (
        "Right side first: rest your right ankle on your left knee and hold behind your left thigh."
    ),
    "routine.piriformis_stretch.side.left": (
        "Now swap: rest your left ankle on your right knee and hold behind your right thigh."
    ),
    "routine.piriformis_stretch.rep": (
        "Gently lift that foot off the floor, knees bent and feet flexed, and hold for {duration}."
    ),
    "routine.piriformis_stretch.cue": "lift the foot, hold {seconds} s",
    "routine.piriformis_stretch.first_side": "Both sides, right first: your right ankle will rest on your left knee.",
    "routine.piriformis_stretch.relax": "Lower your foot to the floor and let the stretch go.",
}

_SESSION: dict[str, str | Plural] = {
    "routine.intro": "<b>{title}</b> ({number} of {count})",
    "routine.pregnancy.on_back": "🤰 Prop your upper body up on pillows. Stop if dizzy or short of breath.",
    "routine.picture": "<i>{description}</i>",
    "routine.needs": "You need: {items}.",
    "routine.needs.nothing": "You need nothing but a little floor space.",
    "routine.equipment.pillow": "a pillow",
    "routine.equipment.pillows": "a few pillows",
    "routine.equipment.band": "a resistance band",
    "routine.instruction": "<i>Step {number} of {count}</i>\n{text}",
    "routine.rep.both": "<i>Rep {rep} of {reps}</i>\n{text}",
    "routine.rep.right": "<i>Right side · Rep {rep} of {reps}</i>\n{text}",
    "routine.rep.left": "<i>Left side · Rep {rep} of {reps}</i>\n{text}",
    "routine.guided.rep.both": "<b>Rep {rep} of {reps}</b>: {cue}",
    "routine.guided.rep.right": "<b>Right · Rep {rep} of {reps}</b>: {cue}",
    "routine.guided.rep.left": "<b>Left · Rep {rep} of {reps}</b>: {cue}",
    "routine.relax": "<b>Relax.</b> {text}",
    "routine.seconds": Plural(one="{count} second", other="{count} seconds"),
    "routine.hold_range": "{low}–{high} seconds",
    "routine.card": "<b>{title}</b>\n{purpose}\n{needs}\n\n{steps}\n\n{repeat}",
    "routine.card.step": "{number}. {text}",
    "routine.card.repeat": "Repeat this a few times, with a short rest in between.",
    "routine.card.repeat_sides": (
        "Repeat this a few times, with a short rest in between. Do your right side first, "
        "then your left."
    ),
}

_ABOUT = {
    "about.menu": "<b>About SI joint pain</b>\nWhat would you like to read?",
    "about.back": "« All topics",
    "about.open": "Learn about SI joint pain",
    "about.page": "<b>{title}</b>\n\n{body}",
    "about.symptoms.title": "Symptoms",
    "about.symptoms": (
        "SI joint pain is often sharp or shooting, low in the back and in the buttocks. It can "
        "also:\n"
        "• spread from the pelvis into a thigh, knee or foot\n"
        "• get worse as you stand up or sit down\n"
        "• come with numb, tingling or weak legs\n\n"
        "Go to an emergency department straight away if you notice numbness between your legs, "
        "new bladder, bowel or sexual problems, or weakness in both legs. See a doctor today for "
        "a fever or new weakness in one leg."
    ),
    "about.causes.title": "Causes and risk factors",
    "about.causes": (
        "Your SI joints are where the base of your spine (the sacrum) meets the two big bones of "
        "your pelvis. Injury, inflammation, poor posture and, rarely, infection can make them "
        "hurt.\n\n"
        "Things that raise the risk:\n"
        "• pregnancy\n"
        "• carrying extra weight\n"
        "• long-term strain or repeated injury around the hips\n"
        "• a difference in leg length, or a curved spine (scoliosis)\n"
        "• inflammatory conditions such as ankylosing spondylitis\n"
        "• earlier surgery on the lower back\n\n"
        "A clinician can find out what lies behind your own pain."
    ),
    "about.treatments.title": "Treatments",
    "about.treatments": (
        "Much of the time you can soothe the pain yourself, with:\n"
        "• regular gentle exercise and stretching, like this routine\n"
        "• steering clear of movements that bring the pain on\n"
        "• warm and cold packs, taking turns\n"
        "• an SI support belt\n\n"
        "If that is not enough, a clinician may suggest physical therapy, pain medicine, an "
        "injection into the joint or, when nothing else helps, a procedure or surgery. Which "
        "of these suits you is a decision to make together with your clinician."
    ),
    "about.pregnancy.title": "During pregnancy",
    "about.pregnancy": (
        "SI joint pain is a frequent reason for low back pain in pregnancy. Hormones loosen the "
        "ligaments around the pelvis, which may leave the joints less stable.\n\n"
        "What can help:\n"
        "• exercises and stretches for the lower back and pelvis\n"
        "• a pelvic support belt\n\n"
        "Please talk to your doctor or midwife before you start any exercise or take any "
        "medicine while pregnant."
    ),
}

MESSAGES: dict[str, str | Plural] = {**_EXERCISES, **_SESSION, **_ABOUT}
