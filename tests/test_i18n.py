"""The French catalog against the code: complete, faithful placeholders, nothing stale.

The messages are extracted from the source tree at test time with Babel's own API
(the same mapping as ``babel.cfg``), so a string added to the code without a French
translation fails here, not in front of a French-speaking employee.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import Catalogs

REPO = Path(__file__).resolve().parents[1]
BABEL_CFG = REPO / "babel.cfg"
FR_PO = REPO / "bot" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
# Python code that may hold user-facing text, whatever babel.cfg lists besides.
SOURCE_MAPPING = (("bot/**.py", "python"), ("adapters/**.py", "python"))
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
FIX = (
    "Run `make i18n`, then translate the new entries in "
    "bot/locale/fr/LC_MESSAGES/messages.po (no fuzzy flags)."
)

# A message's key in a catalog: (msgid, msgctxt); a plural keeps its singular msgid.
Key = tuple[str, str | None]


# --- What the checks compute ----------------------------------------------------------

def extract_messages(root: Path = REPO) -> dict[Key, tuple[str, ...]]:
    """Every translatable message in the code, as Babel extracts it, with its locations."""
    with BABEL_CFG.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(BABEL_CFG))
    mapping = list(method_map) + [m for m in SOURCE_MAPPING if m not in method_map]
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        root, mapping, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return {key: tuple(where) for key, where in found.items()}


def load_catalog(path: Path = FR_PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="fr")


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _describe(key: Key) -> str:
    msgid, context = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def missing_translations(extracted: Mapping[Key, object], catalog: Catalog) -> list[str]:
    """Extracted messages with no French: absent, empty (any plural form), or fuzzy."""
    problems = []
    for key in sorted(extracted, key=str):
        message = catalog.get(*key)
        if message is None:
            problems.append(f"{_describe(key)}: not in the catalog")
        elif message.fuzzy:
            problems.append(f"{_describe(key)}: fuzzy")
        elif not all(s.strip() for s in _strings(message.string) or ("",)):
            problems.append(f"{_describe(key)}: empty translation")
    return problems


def placeholders(text: str) -> set[str]:
    """The {fields} that str.format fills in, spelled as written ("{limit}", "{n:,}")."""
    found = set()
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is not None:
            found.add(
                "{" + field + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "") + "}"
            )
    return found


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Translations whose {placeholders} differ from their msgid's (or cannot be parsed)."""
    problems = []
    for message in _translated(catalog):
        try:
            expected = set().union(*(placeholders(s) for s in _strings(message.id)))
        except ValueError as exc:
            problems.append(f"{message.id!r}: the msgid itself is malformed ({exc})")
            continue
        for translation in _strings(message.string):
            try:
                got = placeholders(translation)
            except ValueError as exc:
                problems.append(f"{message.id!r}: {translation!r} is malformed ({exc})")
                continue
            if got != expected:
                problems.append(
                    f"{message.id!r}: expects {sorted(expected)}, "
                    f"{translation!r} has {sorted(got)}"
                )
    return problems


def obsolete_entries(extracted: Mapping[Key, object], catalog: Catalog) -> list[str]:
    """Entries no longer in the code: live ones nobody extracts, and ``#~`` leftovers."""
    live = [
        _describe((_singular(m.id), m.context))
        for m in catalog
        if m.id and (_singular(m.id), m.context) not in extracted
    ]
    stale = [f"#~ {_describe((_singular(m.id), m.context))}" for m in catalog.obsolete.values()]
    return live + stale


def _singular(msgid: str | Iterable[str]) -> str:
    return _strings(msgid)[0]


def _translated(catalog: Catalog) -> Iterable[Message]:
    return (m for m in catalog if m.id and any(_strings(m.string)))


# --- The real catalog ----------------------------------------------------------------

@pytest.fixture(scope="module")
def extracted() -> dict[Key, tuple[str, ...]]:
    messages = extract_messages()
    assert messages, "no translatable message was extracted: is babel.cfg's mapping right?"
    return messages


@pytest.fixture(scope="module")
def french() -> Catalog:
    return load_catalog()


def test_every_message_has_a_french_translation(
    extracted: dict[Key, tuple[str, ...]], french: Catalog
) -> None:
    missing = missing_translations(extracted, french)
    assert not missing, (
        f"{len(missing)} message(s) without a French translation:\n  "
        + "\n  ".join(missing) + f"\n{FIX}"
    )


def test_translations_keep_the_same_placeholders(french: Catalog) -> None:
    mismatches = placeholder_mismatches(french)
    assert not mismatches, (
        "French translations whose {placeholders} differ from the English:\n  "
        + "\n  ".join(mismatches)
    )


def test_no_obsolete_entries_left(
    extracted: dict[Key, tuple[str, ...]], french: Catalog
) -> None:
    obsolete = obsolete_entries(extracted, french)
    assert not obsolete, (
        f"{len(obsolete)} French entr(y/ies) no longer in the code:\n  "
        + "\n  ".join(obsolete)
        + "\nRun `make i18n` (pybabel update drops them into #~, delete those)."
    )


def test_catalog_header_is_french(french: Catalog) -> None:
    assert str(french.locale) == "fr"
    assert french.mime_headers and dict(french.mime_headers).get("Language") == "fr"
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    assert not french.fuzzy, "the catalog header is marked fuzzy"


def test_the_runtime_loader_reads_the_french_catalog() -> None:
    gettext = Catalogs().gettext("fr")
    assert gettext("Your settings are saved.") == "Vos paramètres sont enregistrés."
    assert gettext("Timezone") == "Fuseau horaire"
    # An unknown message falls back to the English text, never to an empty string.
    assert gettext("No such message, ever.") == "No such message, ever."


# --- Each check catches what it is for (synthetic catalogs) ----------------------------

def _catalog(*messages: Message) -> Catalog:
    catalog = Catalog(locale="fr")
    for message in messages:
        catalog[message.id] = message
    return catalog


def test_the_checks_catch_broken_catalogs() -> None:
    code = {("Save", None): (), ("Hello {name}", None): (), ("New one", None): ()}
    catalog = _catalog(
        Message("Save", "Enregistrer"),
        Message("Hello {name}", "Bonjour {nom}", flags=("fuzzy",)),
        Message("Gone from the code", "Disparu"),
    )
    catalog.obsolete["Old"] = Message("Old", "Ancien")

    missing = missing_translations(code, catalog)
    assert any("'Hello {name}'" in p and "fuzzy" in p for p in missing)
    assert any("'New one'" in p and "not in the catalog" in p for p in missing)
    assert not any("'Save'" in p for p in missing)

    empty = _catalog(Message("Save", ""), Message("Hello {name}", "  "))
    assert len(missing_translations(code, empty)) == 3  # two empty, one absent

    assert placeholder_mismatches(catalog) == [
        "'Hello {name}': expects ['{name}'], 'Bonjour {nom}' has ['{nom}']"
    ]
    dropped = _catalog(Message("{a} and {b}", "{a} seulement"), Message("{x}", "{x"))
    assert len(placeholder_mismatches(dropped)) == 2

    assert obsolete_entries(code, catalog) == ["'Gone from the code'", "#~ 'Old'"]


def test_the_extraction_finds_gettext_and_N_(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "x.py").write_text(
        "_('One')\nN_('Two')\nself.gettext('Three')\nprint('Not me')\n", encoding="utf-8"
    )
    assert set(extract_messages(tmp_path)) == {("One", None), ("Two", None), ("Three", None)}
