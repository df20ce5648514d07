"""The crisis lines catalogue: every country present, the fallback, validation, the card."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import CountryLines, ProgramConfig, load_config
from bot.crisis import crisis_card_for
from bot.errors import ConfigError
from bot.i18n import Catalogs

COUNTRIES = {"CA": "911", "US": "911", "GB": "999", "IE": "112", "FR": "112", "BE": "112",
             "CH": "112", "AU": "000", "DE": "112"}

VALID = """\
default_country: CA
programs:
  - key: peer_support
    name: {en: "Peer support", fr: "Soutien par les pairs"}
    description: {en: "Talk", fr: "Parler"}
crisis_lines:
  CA:
    emergency: "911"
    lines:
      - name: {en: "9-8-8 Helpline", fr: "Ligne 9-8-8"}
        phone: "9-8-8"
        text: "9-8-8"
        hours: {en: "24/7", fr: "24 h/24, 7 j/7"}
        languages: [en, fr]
eap:
  name: {en: "EAP", fr: "PAE"}
  contact: "benefits portal"
"""


@pytest.fixture(scope="module")
def config() -> ProgramConfig:
    return load_config(None)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.mark.parametrize(("country", "emergency"), sorted(COUNTRIES.items()))
def test_every_listed_country_has_an_emergency_number_and_a_line(
    config: ProgramConfig, country: str, emergency: str
) -> None:
    lines = config.lines_for(country)
    assert lines is config.crisis_lines[country]
    assert lines.emergency == emergency
    assert lines.lines
    for line in lines.lines:
        assert line.phone or line.text
        assert line.name("en") and line.name("fr")
        assert line.hours is not None and line.hours("en") and line.hours("fr")
        assert line.languages
        assert not line.chat or line.chat.startswith("https://")


def test_the_catalogue_holds_the_known_numbers(config: ProgramConfig) -> None:
    def phones(country: str) -> set[str]:
        return {line.phone for line in config.lines_for(country).lines}

    def texts(country: str) -> set[str]:
        return {line.text for line in config.lines_for(country).lines}

    assert "9-8-8" in phones("CA") and "9-8-8" in texts("CA")
    assert "988" in phones("us") and "988" in texts("US")
    assert "116 123" in phones("GB") and "85258" in texts("GB")
    assert "116 123" in phones("IE") and "50808" in texts("IE")
    assert "3114" in phones("FR")
    assert {"0800 32 123", "1813"} <= phones("BE")
    assert "143" in phones("CH")
    assert "13 11 14" in phones("AU") and "0477 13 11 14" in texts("AU")
    assert any("0800 111 0 111" in p and "0800 111 0 222" in p for p in phones("DE"))
    assert config.lines_for("CA").lines[0].languages == ("en", "fr")


def test_unknown_country_gets_the_default_countrys_lines(config: ProgramConfig) -> None:
    assert config.lines_for("ZZ") is config.crisis_lines["CA"]
    assert config.lines_for("") is config.crisis_lines["CA"]
    assert config.crisis_line("zz") == config.lines_for("CA")  # the older name still works


def test_fallback_when_the_default_country_has_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace("default_country: CA", "default_country: JP")
                    + "crisis_fallback: {}\n", encoding="utf-8")
    config = load_config(path)
    fallback = config.lines_for("ZZ")
    assert fallback == CountryLines(emergency="", lines=())
    assert config.lines_for("ca").emergency == "911"


def test_without_a_fallback_the_default_country_must_have_lines(tmp_path: Path) -> None:
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace("default_country: CA", "default_country: JP"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: default_country JP has no entry in crisis_lines"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('        phone: "9-8-8"\n        text: "9-8-8"\n', "",
         "crisis_lines: CA: line 1: phone must be a non-empty string"),
        ('phone: "9-8-8"', "phone: ''", "crisis_lines: CA: line 1: phone must be"),
        ('{en: "9-8-8 Helpline", fr: "Ligne 9-8-8"}', '{en: "9-8-8 Helpline"}',
         "crisis_lines: CA: line 1: name needs non-empty text for each of: en, fr"),
        ('{en: "24/7", fr: "24 h/24, 7 j/7"}', '{en: "24/7"}',
         "crisis_lines: CA: line 1: hours needs non-empty text"),
        ("languages: [en, fr]", "languages: []", "crisis_lines: CA: line 1: languages must be"),
        ('text: "9-8-8"', 'chat: "988.ca"', "crisis_lines: CA: line 1: chat must be an https://"),
        ('emergency: "911"', "emergency: ''", "crisis_lines: CA: emergency must be"),
        ("    lines:\n", "    old_lines:\n", "crisis_lines: CA: lines must be a non-empty list"),
    ],
)
def test_invalid_lines_name_the_file_and_problem(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    assert old in VALID
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {says}")


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    ("country", "numbers", "absent"),
    [
        ("CA", ["911", "9-8-8"], ["999", "116 123"]),
        ("FR", ["112", "3114"], ["911", "9-8-8"]),
        ("GB", ["999", "116 123", "85258"], ["911", "9-8-8"]),
        ("ZZ", ["911", "9-8-8"], ["999", "3114"]),  # unknown: the default country's
    ],
)
def test_the_crisis_card_shows_the_countrys_numbers(
    config: ProgramConfig, catalogs: Catalogs, lang: str, country: str,
    numbers: list[str], absent: list[str],
) -> None:
    card = crisis_card_for(catalogs.gettext(lang), config, country, lang)
    for number in numbers:
        assert number in card.text
    for number in absent:
        assert number not in card.text
    assert card.facts[0].value == numbers[0]
    assert config.eap_contact in [fact.value for fact in card.facts]
    assert card.buttons[0].action == "crisis.talk"
    assert len(card.text) < 900  # short enough for a Slack or Teams card
    french = "appelez le" in card.text
    assert french == (lang == "fr")
    local = "local" in card.text  # the unknown country is told to call locally elsewhere
    assert local == (country == "ZZ")


def test_the_fallback_card_says_to_call_the_local_emergency_number(
    tmp_path: Path, catalogs: Catalogs
) -> None:
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace("default_country: CA", "default_country: JP")
                    + "crisis_fallback: {}\n", encoding="utf-8")
    config = load_config(path)
    english = crisis_card_for(catalogs.gettext("en"), config, "ZZ", "en")
    assert "call your local emergency number now" in english.text
    assert english.facts[0].value == "your local emergency number"
    french = crisis_card_for(catalogs.gettext("fr"), config, "ZZ", "fr")
    assert "numéro d'urgence local" in french.text
    assert "9-8-8" not in french.text and "911" not in french.text
