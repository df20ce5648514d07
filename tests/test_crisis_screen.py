"""The crisis screen: what it must catch, what it must leave alone, and spelling games."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pytest

from bot.crisis import CrisisScreen, Lexicon, normalise
from bot.crisis_lexicon import phrase_regex

SCREEN = CrisisScreen()

# (text, category, language)
MUST_DETECT: list[tuple[str, str, str]] = [
    # suicide
    ("I have thoughts of suicide", "suicide", "en"),
    ("suicide", "suicide", "en"),
    ("thinking of suicide", "suicide", "en"),
    ("I want to die", "suicide", "en"),
    ("want to die", "suicide", "en"),
    ("I can't go on anymore", "suicide", "en"),
    ("I can't go on like this", "suicide", "en"),
    ("I don't want to be here anymore", "suicide", "en"),
    ("I don't want to live", "suicide", "en"),
    ("I never want to wake up", "suicide", "en"),
    ("I want to end my life", "suicide", "en"),
    ("ending things", "suicide", "en"),
    ("end it all", "suicide", "en"),
    ("kms", "suicide", "en"),
    ("honestly kms", "suicide", "en"),
    ("kms this week is too much", "suicide", "en"),
    ("I'm thinking about killing myself", "suicide", "en"),
    ("I wish I was dead", "suicide", "en"),
    ("everyone would be better off without me", "suicide", "en"),
    ("there's no reason to go on", "suicide", "en"),
    ("I would never hurt myself, but I want to die", "suicide", "en"),
    ("where is the suicide prevention page? I want to die", "suicide", "en"),
    ("I feel like ending it", "suicide", "en"),
    ("nobody would care if I was gone", "suicide", "en"),
    ("I can't take it anymore", "suicide", "en"),
    ("je pense au suicide", "suicide", "fr"),
    ("je veux mourir", "suicide", "fr"),
    ("je vais me tuer", "suicide", "fr"),
    ("j'ai envie d'en finir", "suicide", "fr"),
    ("je veux mettre fin à mes jours", "suicide", "fr"),
    ("je ne veux plus vivre", "suicide", "fr"),
    ("je suis suicidaire", "suicide", "fr"),
    # a wish without a time, a method or preparations stays suicide
    ("I'm going to kill myself", "suicide", "en"),
    ("I want to die today", "suicide", "en"),
    # the match that starts first wins, whatever its category
    ("I want to die, I'm going to jump off a bridge", "suicide", "en"),
    # a plan, means, timing or preparations
    ("I'm going to jump off the bridge tonight", "plan", "en"),
    ("I'm going to kill myself tonight", "plan", "en"),  # plan listed before suicide
    ("I want to hang myself", "plan", "en"),
    ("I'll step in front of a train", "plan", "en"),
    ("I'm planning to end it this weekend", "plan", "en"),
    ("I'm going to end it", "plan", "en"),
    ("I've decided to end things", "plan", "en"),
    ("I have a plan to kill myself", "plan", "en"),
    ("I'm planning my suicide", "plan", "en"),
    ("I've written a suicide note", "plan", "en"),  # not only "suicide"
    ("I wrote goodbye letters last night", "plan", "en"),
    ("I'm giving away my things before I die", "plan", "en"),
    ("I've been saving up pills for it", "plan", "en"),
    ("I have enough pills saved to end it", "plan", "en"),
    ("I have the rope", "plan", "en"),
    ("je vais me tuer ce soir", "plan", "fr"),  # plan listed before suicide
    ("je veux me pendre", "plan", "fr"),
    ("je pense souvent à me jeter sous un train", "plan", "fr"),
    ("je veux sauter du pont", "plan", "fr"),
    ("j'ai décidé d'en finir", "plan", "fr"),
    ("j'ai prévu de me suicider samedi", "plan", "fr"),
    ("je planifie mon suicide", "plan", "fr"),
    ("j'ai écrit une lettre d'adieu hier", "plan", "fr"),
    ("je veux me couper les veines", "plan", "fr"),  # plan listed before self_harm
    ("j'ai gardé des somnifères pour le faire", "plan", "fr"),
    ("j'ai assez de médicaments pour mourir", "plan", "fr"),
    ("je donne toutes mes affaires avant de mourir", "plan", "fr"),
    ("j'ai la corde", "plan", "fr"),
    # self-harm
    ("I'm going to hurt myself", "self_harm", "en"),
    ("I cut myself", "self_harm", "en"),
    ("I started cutting again", "self_harm", "en"),
    ("I relapsed and cut again", "self_harm", "en"),
    ("je veux me faire du mal", "self_harm", "fr"),
    ("je me scarifie", "self_harm", "fr"),
    ("je me coupe les poignets", "self_harm", "fr"),
    # harm to others
    ("I'm going to kill him", "harm_others", "en"),
    ("I'm going to shoot up the office", "harm_others", "en"),
    ("I'm going to hurt my coworkers", "harm_others", "en"),
    ("je vais tuer mon patron", "harm_others", "fr"),
    ("je vais le tuer", "harm_others", "fr"),
    # danger
    ("I'm scared to go home", "danger", "en"),
    ("I'm not safe at home", "danger", "en"),
    ("he threatened to kill me", "danger", "en"),
    ("he said he would kill me if I left", "danger", "en"),
    ("il menace de me tuer", "danger", "fr"),
    ("j'ai peur de rentrer chez moi", "danger", "fr"),
    ("je ne suis pas en sécurité", "danger", "fr"),
    ("je ne suis pas en securite", "danger", "fr"),
    # danger: domestic or sexual violence against the writer, an adult
    ("my husband hits me", "danger", "en"),
    ("my partner beats me", "danger", "en"),
    ("my stepdad touches me", "danger", "en"),
    ("I was sexually abused", "danger", "en"),
    ("I was abused as a child", "danger", "en"),  # the writer, now an adult
    ("I think I'm in an abusive relationship", "danger", "en"),
    ("I'm a victim of domestic violence", "danger", "en"),
    ("il me frappe", "danger", "fr"),
    ("mon mari me bat", "danger", "fr"),
    ("je suis victime de violence conjugale", "danger", "fr"),
    ("j'ai été violée le mois passé", "danger", "fr"),
    ("je suis victime de maltraitance", "danger", "fr"),
    # child abuse or serious neglect
    ("a child is being abused", "child_abuse", "en"),
    ("my neighbour's kids are being abused", "child_abuse", "en"),
    ("my son is being abused", "child_abuse", "en"),
    ("my husband hits my son", "child_abuse", "en"),  # not third_party: listed first
    ("he hits the kids", "child_abuse", "en"),
    ("I suspect child neglect", "child_abuse", "en"),
    ("their toddler is left alone for days", "child_abuse", "en"),
    ("un enfant est maltraité", "child_abuse", "fr"),
    ("un enfant se fait battre", "child_abuse", "fr"),
    ("mon mari bat mes enfants", "child_abuse", "fr"),
    ("je soupçonne de la maltraitance envers un enfant", "child_abuse", "fr"),  # not danger
    ("des attouchements sur ma fille", "child_abuse", "fr"),
    ("ses enfants sont laissés seuls pendant des jours", "child_abuse", "fr"),
    # overdose
    ("I took all my pills", "overdose", "en"),
    ("I overdosed last night", "overdose", "en"),
    ("I swallowed a bottle of pills", "overdose", "en"),
    ("j'ai avalé toute la boîte de somnifères", "overdose", "fr"),
    ("j'ai pris tous mes médicaments", "overdose", "fr"),
    # weapons
    ("I have a gun and", "weapons", "en"),
    ("I'm bringing a gun to work tomorrow", "weapons", "en"),
    ("j'ai une arme", "weapons", "fr"),
    # someone else at risk
    ("my employee told me she wants to end her life", "third_party", "en"),
    ("my colleague said he wants to kill himself", "third_party", "en"),
    ("my friend is suicidal", "third_party", "en"),
    ("my colleague's husband hits her", "third_party", "en"),
    ("my dad beats my mom", "third_party", "en"),
    ("my manager is being abused at home", "third_party", "en"),  # not danger
    ("mon employé m'a dit qu'il veut mourir", "third_party", "fr"),
    ("ma collègue est suicidaire", "third_party", "fr"),
    ("mon ami parle de se tuer", "third_party", "fr"),
    ("ma voisine se fait battre par son mari", "third_party", "fr"),  # not danger
]

MUST_NOT_FLAG: list[str] = [
    "this deadline is killing me",
    "kill the process",
    "we killed it in the demo",
    "I'm dying to see it",
    "I'm dying of laughter",
    "ce projet me tue",
    "ce projet va me tuer",
    "tuer le processus",
    "the office is 5 kms away",
    "I ran 10 kms",
    "I ran 10kms this morning",
    "where is the suicide prevention training for managers?",
    "Suicide Squad is a movie",
    "this launch is a suicide mission",
    "I would never hurt myself, I'm just tired",
    "I'd never kill myself",
    "killer app",
    "dead tired",
    "a deadline",
    "shoot me an email",
    "shoot her an email about it",
    "that presentation bombed",
    "je meurs de rire",
    "the kill switch",
    "execute the script",
    "the deadline will kill me",
    "I'm killing myself to meet this deadline",
    "I can't go on leave until June",
    "I don't want to hurt her feelings",
    "the review hurt my self-esteem",
    "I cut myself shaving",
    "my boss beats me at chess every week",
    "where is the domestic violence leave policy?",
    "il faut en finir avec ce dossier",
    "we need to end things with that vendor",
    "let's end things here for today",
    "I'm going to die of boredom in this meeting",
    "il va mourir de rire",
    "j'ai hâte d'en finir",
    "this is the hill I want to die on",
    "I shot myself in the foot with that estimate",
    "I took my life savings out",
    "rotate the KMS key before Friday",
    "I have a gun-metal grey laptop",
    "my mom will kill me if I'm late",
    "il va se tuer à la tâche",
    # near the plan and child_abuse phrases
    "I'm writing a goodbye note to my team",
    "I bought the rope for the climbing trip",
    "I'm giving away my old monitors before I move",
    "I'm planning to take my life savings out tomorrow",
    "we made a plan to end the contract",
    "I'm planning to end it early today",
    "I have enough pills for the week",
    "my kids feel neglected because I work late",
    "j'ai la corde à sauter dans mon sac",
    "je donne mes affaires avant de déménager",
    "ce projet va me tuer ce soir",
    "j'écris une lettre d'adieu à mes collègues",
    "mon fils se fait battre aux échecs",
    "la maltraitance animale est un fléau",
]

# Misspellings, leetspeak and other spelling games on top of the phrases above.
SPELLING_GAMES: list[tuple[str, str, str]] = [
    ("su1c1de", "suicide", "en"),
    ("$u1c1d3", "suicide", "en"),
    ("I want to k1ll mys3lf", "suicide", "en"),
    ("I want to k!ll myself", "suicide", "en"),
    ("suicde", "suicide", "en"),
    ("sucide", "suicide", "en"),
    ("sucidal thoughts again", "suicide", "en"),
    ("I want to kil myself", "suicide", "en"),
    ("I want to kill myslef", "suicide", "en"),
    ("i want to kill my self", "suicide", "en"),
    ("I want to diiiiie", "suicide", "en"),
    ("i wanna die", "suicide", "en"),
    ("i wnat to die", "suicide", "en"),
    ("I’m gonna hurt myself", "self_harm", "en"),
    ("im going to hurt myself", "self_harm", "en"),
    ("k\u200bm\u200bs", "suicide", "en"),
    ("🔪kms🔪", "suicide", "en"),
    ("sooo tired, honestly kmsss", "suicide", "en"),
    ("ＳＵＩＣＩＤＥ", "suicide", "en"),
    ("j’ai une arme", "weapons", "fr"),
    ("j ai une arme", "weapons", "fr"),
    ("jai pris tous mes medicaments", "overdose", "fr"),
    ("JE VEUX MOURRIR", "suicide", "fr"),
    ("il me frappe 😢", "danger", "fr"),
    ("my partner beats me!!!", "danger", "en"),
    ("im g0nna k1ll mys3lf t0night", "plan", "en"),
]

_FILLER_EN = (
    "The quarterly report is due on Friday and the team meeting moved to room four. "
    "Please review the slides before the call and send your comments to the group. "
)
_FILLER_FR = (
    "Le rapport trimestriel est prévu vendredi et la réunion d'équipe a été déplacée. "
    "Merci de relire les diapositives avant l'appel et d'envoyer vos commentaires. "
)


def _filler(words: int) -> str:
    text = ""
    while len(text.split()) < words:
        text += _FILLER_EN + _FILLER_FR
    return text


_LONG = _filler(1000)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _zero_width(text: str) -> str:
    return "".join(ch + "\u200b" if i % 2 else ch for i, ch in enumerate(text))


def _repeat_letters(text: str) -> str:
    return " ".join(w[:-1] + w[-1] * 4 if w[-1:].isalpha() else w for w in text.split(" "))


VARIANTS: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "curly_quotes": lambda t: t.replace("'", "’"),
    "upper": str.upper,
    "no_accents": _strip_accents,
    "zero_width": _zero_width,
    "repeated_letters": _repeat_letters,
    "emoji": lambda t: f"😭😭 {t} 💔🙏",
    "emoji_glued": lambda t: f"😭{t}💔",
    "buried": lambda t: f"{_LONG} {t}. {_LONG}",
}


def test_filler_is_long_and_safe() -> None:
    assert len(f"{_LONG} x {_LONG}".split()) >= 2000
    assert not SCREEN.screen([_LONG]).crisis


@pytest.mark.parametrize(("text", "category", "lang"), MUST_DETECT + SPELLING_GAMES)
def test_crisis_phrases_are_detected(text: str, category: str, lang: str) -> None:
    result = SCREEN.screen([text])
    assert (result.crisis, result.category, result.lang) == (True, category, lang)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("text", "category", "lang"), MUST_DETECT)
def test_detection_survives_spelling_games(
    text: str, category: str, lang: str, variant: str
) -> None:
    result = SCREEN.screen([VARIANTS[variant](text)])
    assert result.crisis, VARIANTS[variant](text)[:200]
    assert result.category == category


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_everyday_language_is_not_flagged(text: str, variant: str) -> None:
    result = SCREEN.screen([VARIANTS[variant](text)])
    assert not result.crisis, (result, text)


def test_any_of_several_texts_is_screened() -> None:
    result = SCREEN.screen(["settings", "Europe/Paris", "je veux mourir"])
    assert (result.crisis, result.lang) == (True, "fr")
    assert not SCREEN.screen(["settings", "kill the process"]).crisis


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("I’m NOT ok", " im not ok "),
        ("j’ai peur", " j ai peur "),
        ("sécurité", " securite "),
        ("su\u200bi\u200dcide", " suicide "),
        ("su1c1de", " suicide "),
        ("diiiie sooo", " die so "),
        ("kill", " kil "),
        ("I ran 10 kms, 10kms", " i ran 10 kms 10kms "),
        ("🔪 kms!!!", " kms "),
        ("myslef", " myself "),
        ("œuvre", " oeuvre "),
    ],
)
def test_normalise(text: str, folded: str) -> None:
    assert normalise(text) == folded


def test_custom_tables() -> None:
    screen = CrisisScreen({"en": {"danger": ("red alert",)}}, exclusions=("red alert drill",))
    assert screen.screen(["RED ALERT"]).category == "danger"
    assert not screen.screen(["this is a red alert drill"]).crisis
    assert not screen.screen(["I want to die"]).crisis


# Long messages: each normalising step skips what it can, none may skip a spelling game.
@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("my manager moved our meeting again " * 30 + "I w@nt to d!e, my$elf…",
         " i want to die myself "),
        ("(su1c1de) k!ll!! 10kms", " suicide kil 10kms "),
        ("ok... su1c1de", " ok suicide "),
    ],
)
def test_normalise_reads_to_the_end(text: str, end: str) -> None:
    assert normalise(text).endswith(end)


def test_long_messages_are_screened_to_the_end() -> None:
    assert SCREEN.match(f"{_LONG} suicide prevention training, {_LONG} I w4nt to d1e").crisis
    assert not SCREEN.match(f"{_LONG} suicide prevention training {_LONG}").crisis


# Phrase shapes the combined search rearranges (bot.crisis._any_of): leading, nested and
# optional groups, classes, top-level alternatives, lookaheads.
_SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "danger": ("(?:red|blue|green) alert", "(?:(?:big|small) )?red (?:flag|light)",
                   "code [a-c]+", "(?:x|y)?z wave", "alarm|siren", "(?:stop|halt)(?! drill) now"),
        "weapons": (r"(?:\w+ )?blade", "(?:knife|blade) (?:out|drawn)"),
    },
    "fr": {"danger": ("(?:alerte|alarme) (?:rouge|bleue)", "(?:tres )?grave", "grave alerte")},
}


@pytest.mark.parametrize(
    "text",
    ["red alert", "big red flag", "a small red light", "code abc", "code d", "z wave", "xz wave",
     "siren", "stop now", "stop drill now", "my blade out", "knife drawn", "alarme rouge",
     "tres grave", "grave alerte", "nothing here", "the blue alert and the knife out"],
)
def test_the_combined_search_agrees_with_each_phrase_alone(text: str) -> None:
    """The phrase starting first wins; at the same place, the one listed first."""
    folded = normalise(text)
    found = [
        (hit.start(), order, category, lang)
        for order, (lang, category, phrase) in enumerate(
            (lang, category, phrase)
            for lang, table in _SHAPES.items()
            for category, phrases in table.items()
            for phrase in phrases
        )
        if (hit := re.search(f"(?<= )(?:{phrase_regex(phrase)})(?= )", folded))
    ]
    expected = (True, *min(found)[2:]) if found else (False, "", "")
    result = CrisisScreen(_SHAPES, exclusions=()).match(text)
    assert (result.crisis, result.category, result.lang) == expected


def test_custom_misspellings_with_and_without_word_boundaries() -> None:
    misspellings = ((r"\bread\b", "red"), ("alrt", "alert"))
    screen = CrisisScreen(Lexicon({"en": {"danger": ("red alert",)}}, (), misspellings))
    assert screen.match("READ ALRT").category == "danger"
    assert not screen.match("bread alrt").crisis
