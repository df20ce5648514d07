"""The crisis lexicon: phrases per language and category, exclusions, misspellings.

Data, not logic. The bundled files are ``bot/data/crisis/<lang>.yaml`` (phrases by
category, fragments) and ``bot/data/crisis/common.yaml`` (misspellings and exclusions
for every language); their headers document the format for program offices. A program
office adds to them with a directory of files of the same names
(``PEERLINK_CRISIS_LEXICON_DIR``). ``load_lexicon`` reads and checks them all; any mistake
raises ``ConfigError("<file>:<line>: <problem>")``. ``bot.crisis.CrisisScreen`` compiles
the result once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.errors import ConfigError

# The categories a phrase can have, in their documented order (messages list them so); an
# escalation policy reads them to tell imminent risk apart:
#   suicide      suicidal thoughts or wishes ("I want to die", "je veux mourir")
#   plan         a plan, means, timing or preparations for suicide: a stated method, intent
#                with a time, a goodbye letter, things given away, pills saved up for it
#   self_harm    hurting oneself on purpose (cutting, burning)
#   harm_others  intent or threats to hurt or kill other people
#   danger       the writer in immediate danger, or suffering domestic or sexual violence
#                as an adult ("my husband hits me", "I was sexually abused")
#   child_abuse  suspected or known abuse or serious neglect of a child
#   overdose     the writer taking, or having taken, too much of a drug or medicine
#   weapons      the writer has, or is bringing, a weapon
#   third_party  someone else (colleague, friend, family) at risk
# The match that starts first in a message gives the category. Where phrases of two
# categories match at the same place, the category listed first in the language's file
# wins: the bundled files list plan before suicide and self_harm, and child_abuse before
# third_party, so the more specific phrase gives the category.
CATEGORY_ORDER: tuple[str, ...] = (
    "suicide", "plan", "self_harm", "harm_others", "danger", "child_abuse", "overdose",
    "weapons", "third_party",
)
CATEGORIES: frozenset[str] = frozenset(CATEGORY_ORDER)
COMMON = "common"
_LANG_FILE_KEYS = ("fragments", "phrases", "exclusions", "misspellings")
_COMMON_FILE_KEYS = ("exclusions", "misspellings")
_LANG = re.compile(r"[a-z]{2,3}")
_FRAGMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_DOUBLES = re.compile(r"([a-z])\1+")
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def squash(pattern: str) -> str:
    """Doubled letters squashed, as ``bot.crisis.normalise`` squashes them in text."""
    return _DOUBLES.sub(r"\1", pattern)


def phrase_regex(pattern: str) -> str:
    """A phrase as matched: doubled letters squashed, groups made non-capturing."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", squash(pattern))


@dataclass(frozen=True)
class Lexicon:
    """Phrases by language then category, exclusions and misspellings, all checked."""

    phrases: Mapping[str, Mapping[str, tuple[str, ...]]]
    exclusions: tuple[str, ...] = ()
    misspellings: tuple[tuple[str, str], ...] = ()
    fragments: Mapping[str, Mapping[str, str]] | None = None


class _Builder:
    def __init__(self, base: Lexicon | None = None) -> None:
        self.phrases: dict[str, dict[str, list[str]]] = {}
        self.fragments: dict[str, dict[str, str]] = {}
        self.exclusions: list[str] = []
        self.misspellings: list[tuple[str, str]] = []
        if base is not None:
            self.phrases = {
                lang: {cat: list(ps) for cat, ps in table.items()}
                for lang, table in base.phrases.items()
            }
            self.fragments = {lang: dict(f) for lang, f in (base.fragments or {}).items()}
            self.exclusions = list(base.exclusions)
            self.misspellings = list(base.misspellings)

    def freeze(self) -> Lexicon:
        return Lexicon(
            phrases={
                lang: {cat: tuple(ps) for cat, ps in table.items()}
                for lang, table in self.phrases.items()
            },
            exclusions=tuple(self.exclusions),
            misspellings=tuple(self.misspellings),
            fragments={lang: dict(f) for lang, f in self.fragments.items()},
        )

    def read(self, where: str, raw: bytes, name: str) -> None:
        """Add one file (``name`` is its language, or ``common``)."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigError(f"{where}:{line}: is not UTF-8 text") from exc
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or "invalid"
            raise ConfigError(f"{where}:{line}: is not valid YAML ({problem})") from exc
        if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
            return  # an empty file adds nothing
        fail = _Fail(where)
        allowed = _COMMON_FILE_KEYS if name == COMMON else _LANG_FILE_KEYS
        for key, value in _items(root, fail, "the file"):
            if key.value not in allowed:
                fail(key, f"unknown section {key.value!r} (expected one of: "
                          f"{', '.join(allowed)})")
            if _is_null(value):
                continue
            if key.value == "fragments":
                self._fragments(name, value, fail)
            elif key.value == "phrases":
                self._phrases(name, value, fail)
            elif key.value == "exclusions":
                for node in _sequence(value, fail, "exclusions"):
                    self.exclusions.append(self._pattern(name, node, fail, "exclusion"))
            else:
                self._misspellings(value, fail)

    def _fragments(self, lang: str, value: Node, fail: _Fail) -> None:
        known = self.fragments.setdefault(lang, {})
        for key, node in _items(value, fail, "fragments"):
            if not _FRAGMENT_NAME.fullmatch(key.value):
                fail(key, f"fragment name {key.value!r} must be letters, digits and _")
            known[key.value] = self._pattern(lang, node, fail, "fragment")

    def _phrases(self, lang: str, value: Node, fail: _Fail) -> None:
        table = self.phrases.setdefault(lang, {})
        for key, node in _items(value, fail, "phrases"):
            if key.value not in CATEGORIES:
                fail(key, f"unknown category {key.value!r} (expected one of: "
                          f"{', '.join(CATEGORY_ORDER)})")
            entries = table.setdefault(key.value, [])
            for entry in _sequence(node, fail, f"phrases of {key.value}"):
                entries.append(self._pattern(lang, entry, fail, "phrase"))

    def _misspellings(self, value: Node, fail: _Fail) -> None:
        for entry in _sequence(value, fail, "misspellings"):
            fields = dict((k.value, v) for k, v in _items(entry, fail, "a misspelling"))
            for extra in set(fields) - {"pattern", "spelling"}:
                fail(entry, f"a misspelling has only pattern and spelling, not {extra!r}")
            if "pattern" not in fields or "spelling" not in fields:
                fail(entry, "a misspelling needs both pattern and spelling")
            pattern = self._pattern(COMMON, fields["pattern"], fail, "misspelling pattern")
            spelling = _text(fields["spelling"], fail, "spelling", allow_empty=True)
            try:
                re.compile(squash(pattern)).sub(spelling, "")
            except re.error as exc:
                fail(fields["spelling"], f"spelling {spelling!r} is not a valid "
                                         f"replacement ({exc})")
            self.misspellings.append((pattern, spelling))

    def _pattern(self, lang: str, node: Node, fail: _Fail, what: str) -> str:
        """One regular expression, fragments expanded and checked as the screen uses it."""
        raw = _text(node, fail, what)
        fragments = self.fragments.get(lang, {})

        def expand(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in fragments:
                fail(node, f"{what} uses unknown fragment {{{{{name}}}}}")
            return fragments[name]

        pattern = _REFERENCE.sub(expand, raw)
        try:
            re.compile(pattern)
            re.compile(f"(?<= )(?:{phrase_regex(pattern)})(?= )")
        except re.error as exc:
            fail(node, f"{what} {_short(raw)} is not a valid regular expression ({exc})")
        return pattern


class _Fail:
    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, node: Node, problem: str) -> NoReturn:
        raise ConfigError(f"{self.where}:{node.start_mark.line + 1}: {problem}")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null")


def _items(node: Node, fail: _Fail, what: str) -> list[tuple[ScalarNode, Node]]:
    if not isinstance(node, MappingNode):
        fail(node, f"{what} must be a mapping of names to values")
    seen: set[str] = set()
    items: list[tuple[ScalarNode, Node]] = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            fail(key, f"{what}: a key must be a plain name")
        if key.value in seen:
            fail(key, f"{key.value!r} appears twice in {what}")
        seen.add(key.value)
        items.append((key, value))
    return items


def _sequence(node: Node, fail: _Fail, what: str) -> list[Node]:
    if _is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        fail(node, f"{what} must be a list (one '- ' entry per line)")
    entries: list[Node] = node.value
    return entries


def _text(node: Node, fail: _Fail, what: str, *, allow_empty: bool = False) -> str:
    if not isinstance(node, ScalarNode):
        fail(node, f"{what} must be text on one line (put it in single quotes)")
    value: str = "" if _is_null(node) else node.value
    if not allow_empty and not value.strip():
        fail(node, f"empty {what}")
    return value


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _file_name(path: str) -> str:
    stem = path.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0]


@lru_cache(maxsize=1)
def bundled_lexicon() -> Lexicon:
    """The lexicon shipped with Peerlink (read once per process)."""
    folder = files("bot") / "data" / "crisis"
    builder = _Builder()
    entries = sorted(
        (e for e in folder.iterdir() if e.name.endswith(".yaml")),
        key=lambda e: (e.name != f"{COMMON}.yaml", e.name != "en.yaml", e.name),
    )
    for entry in entries:
        builder.read(str(entry), entry.read_bytes(), _file_name(entry.name))
    return builder.freeze()


def load_lexicon(extra_dir: Path | None = None) -> Lexicon:
    """The bundled lexicon, plus a program office's extra files if ``extra_dir`` is given.

    ``extra_dir`` holds ``<lang>.yaml`` files (added to that language, a new language
    included) and optionally ``common.yaml``; other files are ignored.
    """
    base = bundled_lexicon()
    if extra_dir is None:
        return base
    if not extra_dir.is_dir():
        raise ConfigError(f"{extra_dir}: the crisis lexicon directory does not exist")
    builder = _Builder(base)
    paths = sorted(
        (p for p in extra_dir.iterdir() if p.suffix in (".yaml", ".yml")),
        key=lambda p: (p.stem != COMMON, p.name),
    )
    for path in paths:
        if path.suffix == ".yml" or not (path.stem == COMMON or _LANG.fullmatch(path.stem)):
            raise ConfigError(
                f"{path}:1: a crisis lexicon file is named <lang>.yaml (en.yaml, fr.yaml) "
                "or common.yaml"
            )
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}:1: cannot read ({exc.strerror})") from exc
        builder.read(str(path), raw, path.stem)
    return builder.freeze()
