"""Program content from YAML: programs, crisis lines, assistance program.

Everything a person reads from here exists in English and French. A file that
does not validate stops start-up with its path and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.crisis_lexicon import CATEGORIES, CATEGORY_ORDER
from bot.errors import ConfigError
from bot.i18n import SUPPORTED


@dataclass(frozen=True)
class Localized:
    en: str
    fr: str

    def __call__(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


CADENCES = ("weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class PairingSpec:
    """When a program's pairing rounds happen: a weekday and time in one timezone, every
    week, every two weeks, or on the first such weekday of each month. "Did you meet?"
    comes ``followup_days`` after the round."""

    cadence: str
    weekday: int  # 0 is Monday
    at: time
    timezone: str
    followup_days: int = 4


@dataclass(frozen=True)
class ProgramSpec:
    key: str
    name: Localized
    description: Localized
    leaders_only: bool
    capacity_default: int
    request_expiry_days: int
    open_request_limit: int
    pairing: PairingSpec | None = None  # opt-in pairing rounds, when the program runs them


@dataclass(frozen=True)
class Topic:
    """Something supporters help with ("return to work after leave")."""

    key: str
    name: Localized


RESOURCE_KINDS = ("advisory", "learning", "tools", "external")


@dataclass(frozen=True)
class Resource:
    """Something a supporter can refer someone to (counted as a referral)."""

    key: str
    kind: str  # one of RESOURCE_KINDS
    name: Localized
    description: Localized
    link: str = ""


@dataclass(frozen=True)
class CrisisLine:
    """One crisis line: at least a phone number or a text number."""

    name: Localized
    phone: str = ""
    text: str = ""  # the number to text, when the line takes texts
    chat: str = ""  # the chat address, when it has one
    hours: Localized | None = None
    languages: tuple[str, ...] = ()  # ISO 639-1 codes


# What a person reads when a country has no lines at all.
_LOCAL = Localized("your local emergency number", "le numéro d'urgence local")


@dataclass(frozen=True)
class CountryLines:
    """A country's emergency number and crisis lines; the fallback has no country."""

    emergency: str
    lines: tuple[CrisisLine, ...]
    name: Localized | None = None

    @property
    def line(self) -> str:
        """The first line's number (for callers that show one line)."""
        return next((c.phone or c.text for c in self.lines), "")

    @property
    def line_name(self) -> Localized:
        """The first line's name (for callers that show one line)."""
        return self.lines[0].name if self.lines else _LOCAL


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POLICIES = ("consent", "imminent")
# The exceptions to confidentiality (PROGRAM_RULES.md): imminent harm to oneself or to
# others, and child abuse. Under the "imminent" policy these escalate without consent.
IMMINENT_CATEGORIES = frozenset(
    {"plan", "harm_others", "danger", "child_abuse", "overdose", "weapons", "third_party"}
)


@dataclass(frozen=True)
class DutyWindow:
    """Hours on duty on some weekdays, in the responder's timezone.

    A window whose end is not after its start runs overnight: "fri 22:00 to 08:00"
    covers Friday night into Saturday morning.
    """

    days: frozenset[int]  # 0 is Monday
    start: time
    end: time

    def covers(self, local: datetime) -> bool:
        moment, day = local.time(), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= moment < self.end
        return (day in self.days and moment >= self.start) or (
            (day - 1) % 7 in self.days and moment < self.end
        )


@dataclass(frozen=True)
class Responder:
    """One person on the on-call rota, by email; no windows means always on duty."""

    email: str
    timezone: str
    windows: tuple[DutyWindow, ...] = ()

    def on_duty(self, now: datetime) -> bool:
        if not self.windows:
            return True
        local = now.astimezone(ZoneInfo(self.timezone))
        return any(w.covers(local) for w in self.windows)


@dataclass(frozen=True)
class EscalationConfig:
    """Who is alerted when someone in crisis needs a human, and when.

    ``consent``: only when the person asks to be contacted. ``imminent``: also,
    without asking, for the categories of ``imminent_categories``.
    """

    policy: str = "consent"
    ack_timeout: timedelta = timedelta(minutes=5)
    repeat_window: timedelta = timedelta(minutes=30)
    office_reminders: int = 3
    rota: tuple[Responder, ...] = ()
    imminent_categories: frozenset[str] = field(default=IMMINENT_CATEGORIES)

    def on_duty(self, now: datetime) -> list[Responder]:
        """The responders on duty at ``now``, in rota order."""
        return [r for r in self.rota if r.on_duty(now)]

    def without_consent(self, category: str) -> bool:
        """Whether the policy escalates this category without the person asking."""
        return self.policy == "imminent" and category in self.imminent_categories


@dataclass(frozen=True)
class ProgramConfig:
    default_country: str
    programs: tuple[ProgramSpec, ...]
    crisis_lines: Mapping[str, CountryLines]
    eap_name: Localized
    eap_contact: str
    crisis_fallback: CountryLines = CountryLines(emergency="", lines=())
    escalation: EscalationConfig = EscalationConfig()
    topics: tuple[Topic, ...] = ()
    resources: tuple[Resource, ...] = ()
    meetings_cap: int = 6  # meetings a connection may have before it ends by itself
    leader_tips: tuple[Localized, ...] = ()  # one with each nudge, in turn
    nudge_every_days: int = 7
    nudge_after_days: int = 14  # a report is named after this long without a check-in
    retention_days: int = 180  # then who asked, in a connection or request now over, goes
    # Not content: where browsers reach this server, from PEERLINK_PUBLIC_URL at start.
    public_url: str = "http://127.0.0.1:3978"

    def program(self, key: str) -> ProgramSpec | None:
        return next((p for p in self.programs if p.key == key), None)

    def topic(self, key: str) -> Topic | None:
        return next((t for t in self.topics if t.key == key), None)

    def resource(self, key: str) -> Resource | None:
        return next((r for r in self.resources if r.key == key), None)

    def lines_for(self, country: str) -> CountryLines:
        """A country's lines, else the default country's, else the fallback."""
        return (
            self.crisis_lines.get(country.upper())
            or self.crisis_lines.get(self.default_country)
            or self.crisis_fallback
        )

    def crisis_line(self, country: str) -> CountryLines:
        """The same as ``lines_for``, for older callers."""
        return self.lines_for(country)


def config_text(path: Path | None) -> tuple[str, str]:
    """(where, raw YAML) of the file at ``path``, or of the bundled default."""
    if path is None:
        source = files("bot") / "data" / "peerlink.yaml"
        return "bundled peerlink.yaml", source.read_text(encoding="utf-8")
    where = str(path)
    try:
        return where, path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: is not UTF-8 text (byte {exc.start})") from exc


def load_config(path: Path | None) -> ProgramConfig:
    """Read and validate the YAML file at ``path``, or the bundled default."""
    return parse_config(*config_text(path))


def parse_config(where: str, raw: str) -> ProgramConfig:
    """Validate YAML text; a :class:`ConfigError` says where and what is wrong."""
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


def apply_in_place(target: ProgramConfig, new: ProgramConfig) -> None:
    """Make ``target`` hold ``new``'s content (its public address stays): everything in
    this process that holds the configuration sees the change at once. Runs without an
    await, so no turn sees half of it."""
    for item in fields(ProgramConfig):
        if item.name != "public_url":
            object.__setattr__(target, item.name, getattr(new, item.name))


def _parse(data: Any) -> ProgramConfig:
    if not isinstance(data, dict):
        raise ValueError("the top level must be a mapping")
    for code in _mapping(data, "crisis_lines"):
        if not isinstance(code, str) or len(code) != 2:
            raise ValueError(
                f"crisis_lines: {code!r} is not a two-letter country code (quote it: \"NO\")"
            )
    lines = {
        code.upper(): _country(f"crisis_lines: {code.upper()}", entry)
        for code, entry in _mapping(data, "crisis_lines").items()
    }
    fallback = CountryLines(emergency="", lines=())
    if "crisis_fallback" in data:
        fallback = _fallback(data["crisis_fallback"])
    default = _text(data, "default_country").upper()
    if default not in lines and "crisis_fallback" not in data:
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
        crisis_fallback=fallback,
        escalation=_escalation(data.get("escalation")),
        topics=_topics(data.get("topics")),
        resources=_resources(data.get("resources")),
        meetings_cap=_count(data, "meetings_cap", 6),
        leader_tips=_tips(data.get("leader_tips")),
        nudge_every_days=_count(data, "nudge_every_days", 7),
        nudge_after_days=_count(data, "nudge_after_days", 14),
        retention_days=_count(data, "retention_days", 180, most=3650),
    )


def _tips(entries: Any) -> tuple[Localized, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ValueError("leader_tips must be a list of {en, fr}")
    tips = []
    for index, entry in enumerate(entries, 1):
        try:
            tips.append(_localized({"tip": entry}, "tip"))
        except ValueError as exc:
            raise ValueError(f"leader_tips: entry {index}: {exc}") from None
    return tuple(tips)


def _resources(entries: Any) -> tuple[Resource, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ValueError("resources must be a list of {key, kind, name, description}")
    found = []
    for index, entry in enumerate(entries, 1):
        try:
            if not isinstance(entry, dict):
                raise ValueError("must be a mapping")
            key, kind = _text(entry, "key"), _text(entry, "kind")
            if kind not in RESOURCE_KINDS:
                raise ValueError(f"kind must be one of {', '.join(RESOURCE_KINDS)}")
            link = _text(entry, "link") if "link" in entry else ""
            if link and not link.startswith("https://"):
                raise ValueError(f"link must be an https:// address, not {link!r}")
            found.append(Resource(key, kind, _localized(entry, "name"),
                                  _localized(entry, "description"), link))
        except ValueError as exc:
            raise ValueError(f"resources: entry {index}: {exc}") from None
    if len({r.key for r in found}) != len(found):
        raise ValueError("resources: each key must be unique")
    return tuple(found)


def _topics(entries: Any) -> tuple[Topic, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ValueError("topics must be a list of {key, name}")
    topics = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"topics: entry {index} must be a mapping with key and name")
        try:
            key = _text(entry, "key")
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
                raise ValueError(f"key {key!r} must be lower case letters, digits and _")
            topics.append(Topic(key, _localized(entry, "name")))
        except ValueError as exc:
            raise ValueError(f"topics: entry {index}: {exc}") from None
    keys = [t.key for t in topics]
    if len(set(keys)) != len(keys):
        raise ValueError("topics: each key must be unique")
    return tuple(topics)


_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _escalation(entry: Any) -> EscalationConfig:
    if entry is None:
        return EscalationConfig()
    if not isinstance(entry, dict):
        raise ValueError("escalation must be a mapping")
    unknown = set(entry) - {"policy", "ack_timeout_minutes", "repeat_window_minutes",
                            "office_reminders", "imminent_categories", "rota"}
    if unknown:
        raise ValueError(f"escalation: unknown key {sorted(unknown)[0]!r}")
    policy = entry.get("policy", "consent")
    if policy not in POLICIES:
        raise ValueError(f"escalation: policy must be one of {', '.join(POLICIES)}, "
                         f"not {policy!r}")
    categories = entry.get("imminent_categories", sorted(IMMINENT_CATEGORIES))
    if not isinstance(categories, list) or any(not isinstance(c, str) for c in categories):
        raise ValueError("escalation: imminent_categories must be a list of categories")
    for category in categories if "imminent_categories" in entry else ():
        if category not in CATEGORIES:
            raise ValueError(f"escalation: imminent_categories: unknown category {category!r} "
                             f"(expected one of: {', '.join(CATEGORY_ORDER)})")
    rota = tuple(_responder(i, r) for i, r in enumerate(entry.get("rota") or [], 1))
    emails = [r.email for r in rota]
    if len(set(emails)) != len(emails):
        raise ValueError("escalation: rota: each person appears once (give them several "
                         "hours instead)")
    return EscalationConfig(
        policy=policy,
        ack_timeout=timedelta(minutes=_minutes(entry, "ack_timeout_minutes", 5)),
        repeat_window=timedelta(minutes=_minutes(entry, "repeat_window_minutes", 30)),
        office_reminders=_minutes(entry, "office_reminders", 3),
        rota=rota,
        imminent_categories=frozenset(categories),
    )


def _minutes(entry: Mapping[str, Any], key: str, default: int) -> int:
    value = entry.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1440:
        raise ValueError(f"escalation: {key} must be a whole number from 1 to 1440")
    return value


def _responder(index: int, entry: Any) -> Responder:
    where = f"escalation: rota entry {index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping")
    try:
        email = _text(entry, "email").lower()
        if "@" not in email:
            raise ValueError(f"email {email!r} is not an email address")
        zone = _zone(entry)
        hours = entry.get("hours") or []
        if not isinstance(hours, list):
            raise ValueError("hours must be a list of {days, from, to}")
        windows = tuple(_window(h) for h in hours)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return Responder(email=email, timezone=zone, windows=windows)


def _zone(entry: Mapping[str, Any]) -> str:
    zone = _text(entry, "timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {zone!r} is not a known timezone "
                         "(e.g. America/Toronto)") from None
    return zone


def _window(entry: Any) -> DutyWindow:
    if not isinstance(entry, dict):
        raise ValueError("each hours entry must be a mapping with days, from and to")
    days = entry.get("days", list(WEEKDAYS))
    if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
        raise ValueError(f"days must be a list of: {', '.join(WEEKDAYS)}")
    start, end = _clock_time(entry, "from"), _clock_time(entry, "to")
    if start == end:
        raise ValueError("from and to must differ (leave hours out for 24/7)")
    return DutyWindow(frozenset(WEEKDAYS.index(d) for d in days), start, end)


def _clock_time(entry: Mapping[str, Any], key: str) -> time:
    value = entry.get(key)
    found = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"{key} must be a quoted time like \"08:30\" (24-hour clock)")
    return time(int(found.group(1)), int(found.group(2)))


def _country(where: str, entry: Any) -> CountryLines:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping")
    try:
        if "lines" not in entry and "line" in entry:  # the older one-line form
            line = CrisisLine(name=_localized(entry, "line_name"), phone=_text(entry, "line"))
            return CountryLines(emergency=_text(entry, "emergency"), lines=(line,))
        return CountryLines(
            emergency=_text(entry, "emergency"),
            lines=_lines(entry, required=True),
            name=_localized(entry, "name") if "name" in entry else None,
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _fallback(entry: Any) -> CountryLines:
    """Anywhere else: the local emergency number, and any lines that work everywhere."""
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        raise ValueError("crisis_fallback must be a mapping")
    try:
        emergency = _text(entry, "emergency") if "emergency" in entry else ""
        return CountryLines(emergency=emergency, lines=_lines(entry, required=False))
    except ValueError as exc:
        raise ValueError(f"crisis_fallback: {exc}") from None


def _lines(entry: Mapping[str, Any], *, required: bool) -> tuple[CrisisLine, ...]:
    if not required and not entry.get("lines"):
        return ()
    result = []
    for index, line in enumerate(_list(entry, "lines"), 1):
        try:
            result.append(_crisis_line(line))
        except ValueError as exc:
            raise ValueError(f"line {index}: {exc}") from None
    return tuple(result)


def _crisis_line(entry: Any) -> CrisisLine:
    if not isinstance(entry, dict):
        raise ValueError("must be a mapping")
    text = _text(entry, "text") if "text" in entry else ""
    if "phone" not in entry and not text:
        raise ValueError("phone must be a non-empty string (or give text for a text-only line)")
    phone = _text(entry, "phone") if "phone" in entry else ""
    chat = _text(entry, "chat") if "chat" in entry else ""
    if chat and not chat.startswith("https://"):
        raise ValueError(f"chat must be an https:// address, not {chat!r}")
    languages = entry.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or any(not isinstance(lang, str) or len(lang.strip()) != 2 for lang in languages)
    ):
        raise ValueError("languages must be a non-empty list of two-letter codes (en, fr)")
    return CrisisLine(
        name=_localized(entry, "name"),
        phone=phone,
        text=text,
        chat=chat,
        hours=_localized(entry, "hours"),
        languages=tuple(lang.strip().lower() for lang in languages),
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
        pairing=_pairing(entry["pairing"]) if entry.get("pairing") is not None else None,
    )


def _pairing(entry: Any) -> PairingSpec:
    if not isinstance(entry, dict):
        raise ValueError("pairing must be a mapping with cadence, weekday, at and timezone")
    try:
        cadence = _text(entry, "cadence")
        if cadence not in CADENCES:
            raise ValueError(f"cadence must be one of: {', '.join(CADENCES)}")
        weekday = _text(entry, "weekday")
        if weekday not in WEEKDAYS[:5]:
            raise ValueError(f"weekday must be a working day: {', '.join(WEEKDAYS[:5])}")
        spec = PairingSpec(cadence=cadence, weekday=WEEKDAYS.index(weekday),
                           at=_clock_time(entry, "at"), timezone=_zone(entry),
                           followup_days=_count(entry, "followup_days", 4))
    except ValueError as exc:
        raise ValueError(f"pairing: {exc}") from None
    gap = {"weekly": 7, "biweekly": 14, "monthly": 28}[spec.cadence]
    if spec.followup_days >= gap:
        raise ValueError(f"pairing: followup_days must come before the next round "
                         f"(1 to {gap - 1} for {spec.cadence})")
    return spec


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


def _count(data: Mapping[str, Any], key: str, default: int, most: int = 365) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise ValueError(f"{key} must be a whole number from 1 to {most}")
    return value
