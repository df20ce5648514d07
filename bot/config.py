"""Program content from YAML: programs, crisis lines, assistance program.

Everything a person reads from here exists in English and French. A file that
does not validate stops start-up with its path and what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.i18n import SUPPORTED


@dataclass(frozen=True)
class Localized:
    en: str
    fr: str

    def __call__(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class ProgramSpec:
    key: str
    name: Localized
    description: Localized
    leaders_only: bool
    capacity_default: int
    request_expiry_days: int
    open_request_limit: int


@dataclass(frozen=True)
class CrisisLine:
    emergency: str
    line: str
    line_name: Localized


@dataclass(frozen=True)
class ProgramConfig:
    default_country: str
    programs: tuple[ProgramSpec, ...]
    crisis_lines: Mapping[str, CrisisLine]
    eap_name: Localized
    eap_contact: str

    def crisis_line(self, country: str) -> CrisisLine:
        """The line for a country, else the program's default country."""
        return self.crisis_lines.get(country.upper()) or self.crisis_lines[self.default_country]


def load_config(path: Path | None) -> ProgramConfig:
    """Read and validate the YAML file at ``path``, or the bundled default."""
    if path is None:
        source = files("bot") / "data" / "peerlink.yaml"
        where, raw = "bundled peerlink.yaml", source.read_text(encoding="utf-8")
    else:
        where = str(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{where}:{line} is not valid YAML") from exc
    try:
        return _parse(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _parse(data: Any) -> ProgramConfig:
    if not isinstance(data, dict):
        raise ValueError("the top level must be a mapping")
    for code in _mapping(data, "crisis_lines"):
        if not isinstance(code, str) or len(code) != 2:
            raise ValueError(
                f"crisis_lines: {code!r} is not a two-letter country code (quote it: \"NO\")"
            )
    lines = {
        code.upper(): CrisisLine(
            emergency=_text(entry, "emergency"),
            line=_text(entry, "line"),
            line_name=_localized(entry, "line_name"),
        )
        for code, entry in _mapping(data, "crisis_lines").items()
    }
    default = _text(data, "default_country").upper()
    if default not in lines:
        raise ValueError(f"default_country {default} has no entry in crisis_lines")
    programs = tuple(_program(i, p) for i, p in enumerate(_list(data, "programs"), 1))
    keys = [p.key for p in programs]
    if len(set(keys)) != len(keys):
        raise ValueError("programs: each key must be unique")
    eap = _mapping(data, "eap")
    return ProgramConfig(
        default_country=default,
        programs=programs,
        crisis_lines=lines,
        eap_name=_localized(eap, "name"),
        eap_contact=_text(eap, "contact"),
    )


def _program(index: int, entry: Any) -> ProgramSpec:
    if not isinstance(entry, dict):
        raise ValueError(f"programs: entry {index} must be a mapping")
    try:
        return _program_spec(entry)
    except ValueError as exc:
        raise ValueError(f"programs: entry {index} ({entry.get('key', '?')}): {exc}") from None


def _program_spec(entry: dict[str, Any]) -> ProgramSpec:
    return ProgramSpec(
        key=_text(entry, "key"),
        name=_localized(entry, "name"),
        description=_localized(entry, "description"),
        leaders_only=bool(entry.get("leaders_only", False)),
        capacity_default=_count(entry, "capacity_default", 3),
        request_expiry_days=_count(entry, "request_expiry_days", 3),
        open_request_limit=_count(entry, "open_request_limit", 3),
    )


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{key} must be a non-empty mapping")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key} must be a non-empty list")
    return value


def _text(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return value.strip()


def _localized(data: Any, key: str) -> Localized:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict) or any(not _is_text(value.get(lang)) for lang in SUPPORTED):
        raise ValueError(f"{key} needs non-empty text for each of: {', '.join(SUPPORTED)}")
    return Localized(en=value["en"].strip(), fr=value["fr"].strip())


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _count(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
        raise ValueError(f"{key} must be a whole number from 1 to 365")
    return value
