"""What a typed message nobody asked for may mean: a pain score, words of pain or worry, a greeting,
thanks, or none of these.

Pure functions over the text, with the word lists as data, one list a language. Every list is
read whatever the patient's language is: people write in the language they think in. The text is
never logged or stored here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from sibot.checkins import PAIN_SCALE

# "8", "8/10", "8 / 10", and "8 of 10" as each language says it. ASCII digits only, as /pain
# takes them: all four languages write these, and "٣" or "²" are not a score anybody typed.
_SCORE = re.compile(
    r"(?P<score>[0-9]{1,2})\s*(?:(?:/|out of|of|von|de|из)\s*10)?\s*[.!]?",
    re.IGNORECASE,
)

# Words of pain or worry, as shell patterns over one lower-case word ("*" for any letters): a
# trailing "*" takes the word's endings; a leading one too, for German, which writes
# "Rückenschmerzen" as one word. Whole words where a stem would take a common word along
# (Russian "боль" would take "больше", "more").
WORRY_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "hurt*", "pain", "pains", "painful*", "painkiller*", "ache*", "aching", "achy", "sore*", "agony", "spasm*", "sciatica",
        "worr*", "scared", "afraid", "anxious", "numb*", "tingl*", "emergency", "injur*",
    ),
    "de": (
        "*schmerz*", "weh", "wehtun", "wehtut", "verletz*", "taub*", "kribbel*", "krampf*",
        "angst", "sorge*", "besorgt", "notfall", "hexenschuss", "ischias",
    ),
    "es": (
        "duele*", "duelen", "dolor*", "doloros*", "molest*", "preocup*", "miedo", "asust*",
        "adormec*", "hormigu*", "entumec*", "lesion*", "lesión", "urgencia*", "ciática", "ciatica",
        "calambre*", "espasmo*",
    ),
    "ru": (
        "боль", "боли", "болью", "болей", "болит", "болят", "болело", "болела", "болел",
        "больно*", "ноет", "ноют", "беспоко*", "тревож*", "страшн*", "страх*", "боюсь",
        "онемел*", "онемен*", "немеет", "немеют", "покалыва*", "травм*", "спазм*", "прострел*",
        "ишиас", "срочно",
    ),
}


# A greeting opens a short message ("hi", "good morning!"); thanks may stand anywhere in one
# ("ok thanks a lot"). Phrases as lower-case words; a longer message is about something else.
GREETINGS: dict[str, tuple[str, ...]] = {
    "en": ("hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening"),
    "de": ("hallo", "hi", "hey", "moin", "servus", "grüß gott", "guten morgen", "guten tag", "guten abend"),
    "es": ("hola", "buenas", "buenos días", "buenos dias", "buenas tardes", "buenas noches"),
    "ru": ("привет", "здравствуйте", "здравствуй", "доброе утро", "добрый день", "добрый вечер"),
}
THANKS: dict[str, tuple[str, ...]] = {
    "en": ("thanks", "thank you", "thank u", "thx", "ty", "cheers"),
    "de": ("danke", "dankeschön", "vielen dank"),
    "es": ("gracias", "muchas gracias"),
    "ru": ("спасибо", "благодарю", "спс"),
}
_GREETING_WORDS = 4
_THANKS_WORDS = 8


class Meaning(StrEnum):
    """What `understand` makes of a text."""

    SCORE = "score"
    WORRY = "worry"
    GREETING = "greeting"
    THANKS = "thanks"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Understood:
    """What a typed text means; `score` is set for Meaning.SCORE."""

    meaning: Meaning
    score: int | None = None


def understand(typed: str) -> Understood:
    """A bare pain score 0-10 first, then words of pain or worry in any language (they outweigh
    a greeting or thanks around them), then thanks, then a greeting, else unknown."""
    score = pain_score(typed)
    if score is not None:
        return Understood(Meaning.SCORE, score)
    if worry_language(typed) is not None:
        return Understood(Meaning.WORRY)
    words = _words(typed)
    if len(words) <= _THANKS_WORDS and any(_holds(words, phrase) for phrase in _THANKS_PHRASES):
        return Understood(Meaning.THANKS)
    if len(words) <= _GREETING_WORDS and any(_opens(words, phrase) for phrase in _GREETING_PHRASES):
        return Understood(Meaning.GREETING)
    return Understood(Meaning.UNKNOWN)


def pain_score(typed: str) -> int | None:
    """The score of a text that is a pain score and nothing else: "8", "8/10", "8 из 10"."""
    found = _SCORE.fullmatch(typed.strip())
    if found is None:
        return None
    score = int(found["score"])
    return score if score in PAIN_SCALE else None


def worry_language(typed: str) -> str | None:
    """The first language whose words of pain or worry the text holds; None when none does."""
    words = _words(typed)
    for language, patterns in WORRY_WORDS.items():
        if any(fnmatchcase(word, pattern) for word in words for pattern in patterns):
            return language
    return None


def _words(typed: str) -> list[str]:
    return re.findall(r"\w+", typed.casefold())


def _phrases(by_language: dict[str, tuple[str, ...]]) -> list[list[str]]:
    return [phrase.split() for phrases in by_language.values() for phrase in phrases]


def _opens(words: list[str], phrase: list[str]) -> bool:
    return words[: len(phrase)] == phrase


def _holds(words: list[str], phrase: list[str]) -> bool:
    return any(_opens(words[start:], phrase) for start in range(len(words)))


# split once, not for every typed message
_GREETING_PHRASES = _phrases(GREETINGS)
_THANKS_PHRASES = _phrases(THANKS)
