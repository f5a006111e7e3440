"""What a typed message nobody asked for may mean, language by language."""

from __future__ import annotations

import pytest

from sibot.texts import available_languages
from sibot.intents import GREETINGS, THANKS, WORRY_WORDS, Meaning, pain_score, understand, worry_language


@pytest.mark.parametrize(
    ("typed", "score"),
    [("8", 8), ("0", 0), ("10", 10), (" 8 ", 8), ("8/10", 8), ("8 / 10", 8), ("8 out of 10", 8),
     ("8 of 10", 8), ("8 von 10", 8), ("8 de 10", 8), ("8 из 10", 8), ("8.", 8), ("08", 8)],
)
def test_a_bare_score_is_read_as_typed(typed: str, score: int) -> None:
    assert pain_score(typed) == score
    assert understand(typed).score == score


@pytest.mark.parametrize("typed", ["11", "-1", "+3", "007", "٣", "²", "8/9", "8 10", "8 apples", "10/10/10", ""])
def test_anything_more_or_else_is_not_a_score(typed: str) -> None:
    assert pain_score(typed) is None


# Per language: what patients write when it hurts or they worry, and everyday words that must not
# be taken for it.
WORRIED = {
    "en": ["my back hurts a lot today, what should I do?", "Pain in my hip", "I'm worried", "my leg feels numb"],
    "de": ["Schmerzen", "Rückenschmerzen seit gestern", "es tut so weh", "ich habe Angst", "mein Bein ist taub"],
    "es": ["me duele mucho", "tengo dolor en la cadera", "estoy preocupada", "siento hormigueo en la pierna"],
    "ru": ["болит", "сильная боль в спине", "мне больно", "я беспокоюсь", "нога немеет"],
}
EVERYDAY = {
    "en": ["painting the fence", "what time is it", "history of this", "they said hi to me at the gym"],
    "de": ["wie spät ist es", "Morgen früh geht es nicht"],
    "es": ["¿qué hora es?", "hola hola hola hola hola"],
    "ru": ["больше не надо", "более-менее"],
}
GREETED = {
    "en": ["hi", "Hello!", "good morning", "hey there"],
    "de": ["Hallo", "Guten Morgen!", "moin moin"],
    "es": ["hola", "¡Buenos días!", "buenas tardes"],
    "ru": ["Привет", "доброе утро", "Здравствуйте!"],
}
THANKED = {
    "en": ["thanks!", "Thank you so much", "ok thx"],
    "de": ["danke schön", "Vielen Dank!"],
    "es": ["gracias", "¡Muchas gracias!"],
    "ru": ["спасибо большое", "Спасибо!"],
}


@pytest.mark.parametrize("language", sorted(WORRY_WORDS))
def test_words_of_pain_or_worry_are_found_in_each_language(language: str) -> None:
    for typed in WORRIED[language]:
        assert worry_language(typed) == language, typed
        assert understand(typed).meaning is Meaning.WORRY
    for typed in EVERYDAY[language]:
        assert understand(typed).meaning is Meaning.UNKNOWN, typed


@pytest.mark.parametrize("language", sorted(GREETINGS))
def test_greetings_and_thanks_are_known_in_each_language(language: str) -> None:
    for typed in GREETED[language]:
        assert understand(typed).meaning is Meaning.GREETING, typed
    for typed in THANKED[language]:
        assert understand(typed).meaning is Meaning.THANKS, typed


def test_pain_outweighs_the_greeting_or_thanks_around_it() -> None:
    for typed in ("hi, my back hurts", "thanks, but the pain is worse", "Hallo, ich habe Schmerzen"):
        assert understand(typed).meaning is Meaning.WORRY, typed


def test_every_language_we_speak_has_its_list() -> None:
    languages = sorted(available_languages())
    assert sorted(WORRY_WORDS) == sorted(WORRIED) == languages
    assert sorted(GREETINGS) == sorted(GREETED) == sorted(THANKS) == sorted(THANKED) == languages
