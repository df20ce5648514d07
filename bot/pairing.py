"""Pairing rounds: colleagues who opted in are paired for a coffee, a walk or lunch.

Each program with a ``pairing`` section runs rounds on its cadence (weekly, every two
weeks, or the first given weekday of each month) at a time in its timezone. The
working day before, everyone in the round gets a heads-up with "Skip this round";
at the round, the pool is split into groups of two (and one trio rather than leaving
someone out); ``followup_days`` later each person is asked "did you meet?".

The grouping (``make_groups``) never pairs two people when either said "never pair
me with" the other, nor a manager with a direct report; it avoids anyone met in the
last 12 weeks whenever someone else is left, prefers at least two shared working
hours, then different departments. It is greedy: the people of the largest
departments choose first, each the best of a random sample of those left (all of
them in a small pool), so 10,000 people take well under a second. A round with
fewer than two people messages nobody.

Who met whom is sealed in the round and erased after 12 weeks and the follow-up;
answers to "did you meet?" are counted per round, by a keyed fingerprint only.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.config import PairingSpec, ProgramConfig, ProgramSpec
from bot.i18n import Catalogs
from bot.messages import Outbound, Priority
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.support import lang_of, name_of
from bot.ui import Button, Card
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person

HEADS_UP, ROUND, FOLLOW_UP = "pairing.headsup", "pairing.round", "pairing.followup"
NO_REPEAT = timedelta(weeks=12)
EPOCH = date(2024, 1, 1)  # a Monday: every-two-weeks rounds are counted from it
WORKDAY = (time(9), time(17))  # working hours, when a person has not said otherwise
# What a pairing is worth: shared hours to meet in come first, then mixing departments;
# someone met in the last 12 weeks only when nobody else is left.
HOURS, CROSS, REPEAT = 8, 4, -100
MIN_SHARED = 120  # minutes
SAMPLE = 48  # candidates weighed for each person in a large pool

Links = dict[int, set[int]]  # who is linked to whom (met lately, or never to be paired)
NONE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Member:
    """What the grouping knows of someone: their department, their working hours on the
    day of the round (minutes from midnight UTC) and their manager."""

    id: int
    department: str = ""
    start: int = 9 * 60
    end: int = 17 * 60
    manager_id: int | None = None


@dataclass(frozen=True)
class Grouping:
    groups: list[tuple[int, ...]]
    unpaired: list[int]


def links_of(groups: Iterable[Sequence[int]], links: Links | None = None) -> Links:
    """Each person linked to the others of their groups (or pairs)."""
    links = {} if links is None else links
    for group in groups:
        for a in group:
            for b in group:
                if a != b:
                    links.setdefault(a, set()).add(b)
    return links


def score(a: Member, b: Member, recent: Links) -> int:
    value = HOURS if min(a.end, b.end) - max(a.start, b.start) >= MIN_SHARED else 0
    if a.department and b.department and a.department != b.department:
        value += CROSS
    return value + REPEAT if b.id in recent.get(a.id, NONE) else value


def allowed(a: Member, b: Member, blocked: Links) -> bool:
    return (a.manager_id != b.id and b.manager_id != a.id
            and b.id not in blocked.get(a.id, NONE))


def make_groups(members: Sequence[Member], recent: Links, blocked: Links, seed: int | str,
                sample: int = SAMPLE) -> Grouping:
    """Groups of two (and trios for whoever is left); see the module docstring.
    ``blocked`` must hold both directions (``links_of`` builds it so)."""
    if len(members) < 2:
        return Grouping([], [m.id for m in members])
    rng = random.Random(str(seed))
    sizes = Counter(m.department for m in members)
    order = list(members)
    rng.shuffle(order)
    order.sort(key=lambda m: -sizes[m.department] if m.department else 0)
    pool = list(order)
    where = {m.id: i for i, m in enumerate(pool)}

    def take(m: Member) -> None:
        i, last = where.pop(m.id), pool.pop()
        if last.id != m.id:
            pool[i] = last
            where[last.id] = i

    pairs: list[list[Member]] = []
    left: list[Member] = []
    draw = rng.random
    for a in order:
        if a.id not in where:
            continue
        take(a)
        size = len(pool)
        met, kept = recent.get(a.id, NONE), blocked.get(a.id, NONE)
        candidates = pool if size <= sample else [pool[int(draw() * size)]
                                                 for _ in range(sample)]
        best = _best(a, candidates, met, kept)
        if (best is None or best[0] < 0) and size > sample:
            best = _best(a, pool, met, kept) or best  # look at everyone left
        if best is None:
            left.append(a)
            continue
        take(best[1])
        pairs.append([a, best[1]])
    unpaired: list[int] = []
    for a in left:
        target = _best_pair_for(a, pairs, recent, blocked)
        if target is None:
            unpaired.append(a.id)
        else:
            target.append(a)
    return Grouping([tuple(m.id for m in g) for g in pairs], unpaired)


def _best(a: Member, candidates: Iterable[Member], met: Set[int], kept: Set[int]
          ) -> tuple[int, Member] | None:
    """The best partner for ``a`` among ``candidates`` (``score`` and ``allowed``, inlined:
    this loop is most of a round's time)."""
    best: tuple[int, Member] | None = None
    top = -1 << 30
    dept, start, end, boss, me = a.department, a.start, a.end, a.manager_id, a.id
    for b in candidates:
        if b.id in kept or b.id == boss or b.manager_id == me:
            continue
        value = HOURS if ((end if end < b.end else b.end)
                          - (start if start > b.start else b.start)) >= MIN_SHARED else 0
        if dept and b.department and dept != b.department:
            value += CROSS
        if b.id in met:
            value += REPEAT
        if value > top:
            top, best = value, (value, b)
    return best


def _best_pair_for(a: Member, groups: list[list[Member]], recent: Links,
                   blocked: Links) -> list[Member] | None:
    """The pair ``a`` is best added to (making a trio), or None."""
    best: tuple[int, list[Member]] | None = None
    for group in groups:
        if len(group) != 2 or not all(allowed(a, b, blocked) for b in group):
            continue
        value = sum(score(a, b, recent) for b in group)
        if best is None or value > best[0]:
            best = (value, group)
    return best[1] if best else None


def member_of(person: Person, at: datetime, offsets: dict[str, int] | None = None
              ) -> Member:
    """The grouping's view of a person, their working day placed in UTC at ``at``
    (``offsets`` caches each timezone's offset at ``at``, in minutes)."""
    offsets = {} if offsets is None else offsets
    zone = zone_of(person)
    minutes = offsets.get(zone.key)
    if minutes is None:
        offset = at.astimezone(zone).utcoffset() or timedelta()
        minutes = offsets[zone.key] = int(offset.total_seconds() // 60)
    start, end = (t.hour * 60 + t.minute - minutes for t in WORKDAY)
    return Member(person.id, person.department, start, end, person.manager_id)


# When.
def next_round(spec: PairingSpec, after: datetime) -> datetime:
    """The first round of the cadence after ``after`` (UTC)."""
    tz = ZoneInfo(spec.timezone)
    day = after.astimezone(tz).date()
    while True:
        if day.weekday() == spec.weekday and _on_cadence(spec, day):
            moment = datetime.combine(day, spec.at, tzinfo=tz).astimezone(UTC)
            if moment > after:
                return moment
        day += timedelta(days=1)


def _on_cadence(spec: PairingSpec, day: date) -> bool:
    if spec.cadence == "biweekly":
        return ((day - EPOCH).days // 7) % 2 == 0
    if spec.cadence == "monthly":
        return day.day <= 7
    return True


def local_day(spec: PairingSpec, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(spec.timezone)).date()


def heads_up_at(spec: PairingSpec, round_at: datetime) -> datetime:
    """The same time on the working day before the round."""
    tz = ZoneInfo(spec.timezone)
    local = round_at.astimezone(tz)
    day = local.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def pairing_programs(config: ProgramConfig) -> list[ProgramSpec]:
    return [p for p in config.programs if p.pairing is not None]


async def ensure_rounds(uow: UnitOfWork, config: ProgramConfig, now: datetime) -> int:
    """The next round of every program with a pool, its heads-up first (idempotent)."""
    scheduled = 0
    for spec in pairing_programs(config):
        program = await uow.programs.by_key(spec.key)
        if program is not None and spec.pairing is not None:
            scheduled += await schedule_round(uow, spec.pairing, program.id, now)
    return scheduled


async def schedule_round(uow: UnitOfWork, spec: PairingSpec, program_id: int, now: datetime
                         ) -> int:
    """Schedule the program's next round after ``now`` and its heads-up (each once)."""
    when = next_round(spec, now)
    day = local_day(spec, when).isoformat()
    payload = {"program_id": program_id, "day": day, "at": when.isoformat()}
    heads_up = max(heads_up_at(spec, when), now)
    scheduled = 0
    for kind, key, at in ((HEADS_UP, f"pairing-headsup:{program_id}:{day}", heads_up),
                          (ROUND, f"pairing-round:{program_id}:{day}", when)):
        if await uow.due.schedule(kind, key, at, payload):
            scheduled += 1
    return scheduled


class Rounds:
    """The heads-up, the round itself and the follow-up, run as due work."""

    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    async def _spec(self, uow: UnitOfWork, program_id: int) -> ProgramSpec | None:
        program = await uow.programs.get(program_id)
        spec = self.config.program(program.key) if program else None
        return spec if spec is not None and spec.pairing is not None else None

    async def heads_up(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                       ) -> Sequence[Outbound]:
        program_id, day = int(work.payload["program_id"]), date.fromisoformat(
            str(work.payload["day"]))
        spec = await self._spec(uow, program_id)
        eligible = await uow.pairing.eligible(program_id, day)
        if spec is None or len(eligible) < 2:
            return []  # nobody would be paired: nobody is told there is a round
        at = datetime.fromisoformat(str(work.payload["at"]))
        out = []
        for person, _never in eligible:
            lang = lang_of(person)
            _ = self.catalogs.gettext(lang)
            when = format_datetime(at.astimezone(zone_of(person)), "EEEE d MMMM, HH:mm",
                                   locale=lang)
            card = Card(
                title=_("Pairing round"),
                text=_("The next {program} round is on {when}: you will be paired with a "
                       "colleague for a coffee, a walk or lunch. Busy? Skip this one; you "
                       "stay in the pool.").format(program=spec.name(lang), when=when),
                buttons=(Button(_("Skip this round"), "pairing.skip", f"{spec.key}|{day}"),
                         Button(_("Pairing settings"), "pairing.show", spec.key)))
            out.append(Outbound(person.id, card, _("A message from Peerlink"), Priority.BULK,
                                lang=lang))
        return out

    async def run(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                  ) -> Sequence[Outbound]:
        program_id, day = int(work.payload["program_id"]), date.fromisoformat(
            str(work.payload["day"]))
        spec = await self._spec(uow, program_id)
        if spec is None or spec.pairing is None or await uow.pairing.round_on(program_id, day):
            return []
        at = datetime.fromisoformat(str(work.payload["at"]))
        await schedule_round(uow, spec.pairing, program_id, max(now, at))
        eligible = await uow.pairing.eligible(program_id, day)
        people = {p.id: p for p, _never in eligible}
        offsets: dict[str, int] = {}
        members = {p.id: member_of(p, at, offsets) for p in people.values()}
        blocked = links_of((p.id, other) for p, never in eligible if never
                           for other in uow.pairing.never_ids(never))
        recent = links_of(await uow.pairing.recent_groups(program_id, day - NO_REPEAT))
        grouping = make_groups(list(members.values()), recent, blocked,
                               seed=f"{program_id}:{day}")
        found = await uow.pairing.add_round(program_id, day, len(people), grouping.groups, now)
        if found is None or not grouping.groups:
            return []  # run already, or too few people: nobody messaged
        await uow.session.flush()
        follow_up = datetime.combine(
            local_day(spec.pairing, at) + timedelta(days=spec.pairing.followup_days),
            at.astimezone(ZoneInfo(spec.pairing.timezone)).time(),
            tzinfo=ZoneInfo(spec.pairing.timezone)).astimezone(UTC)
        await uow.due.schedule(FOLLOW_UP, f"pairing-followup:{found.id}", follow_up,
                               {"round_id": found.id})
        out = [self._intro(spec, people[pid], [people[o] for o in group if o != pid],
                           [members[m] for m in group], at)
               for group in grouping.groups for pid in group]
        out += [self._unpaired(spec, people[pid]) for pid in grouping.unpaired]
        return out

    def _intro(self, spec: ProgramSpec, person: Person, others: list[Person],
               group: list[Member], at: datetime) -> Outbound:
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        names = [name_of(o) + (f" ({o.department})" if o.department else "") for o in others]
        start, end = max(m.start for m in group), min(m.end for m in group)
        text = [_("This round you are paired with {names}. Say hello and suggest a coffee, a "
                  "walk or lunch, in person or by video, in the coming days.").format(
            names=_(" and ").join(names))]
        if end - start >= 30:
            midnight = datetime.combine(at.date(), time(), tzinfo=UTC)
            zone = zone_of(person)
            text.append(_("Your shared working hours: {start} to {end}, your time.").format(
                start=(midnight + timedelta(minutes=start)).astimezone(zone).strftime("%H:%M"),
                end=(midnight + timedelta(minutes=end)).astimezone(zone).strftime("%H:%M")))
        card = Card(title=_("Your pairing"), text="\n\n".join(text),
                    buttons=(Button(_("Pairing settings"), "pairing.show", spec.key),))
        return Outbound(person.id, card, _("A message from Peerlink"), Priority.BULK, lang=lang)

    def _unpaired(self, spec: ProgramSpec, person: Person) -> Outbound:
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        card = Card(text=_("There was nobody we could pair you with in this round. You stay "
                           "in the pool for the next one."),
                    buttons=(Button(_("Pairing settings"), "pairing.show", spec.key),))
        return Outbound(person.id, card, _("A message from Peerlink"), Priority.BULK, lang=lang)

    async def follow_up(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                        ) -> Sequence[Outbound]:
        found = await uow.pairing.get_round(int(work.payload["round_id"]))
        if found is None:
            return []
        groups = uow.pairing.groups(found)
        ids = [pid for g in groups for pid in g]
        people = {p.id: p for p in await uow.people.many(ids)} if ids else {}
        out = []
        for group in groups:
            for pid in group:
                person = people.get(pid)
                if person is None:
                    continue
                lang = lang_of(person)
                _ = self.catalogs.gettext(lang)
                names = _(" and ").join(name_of(people[o]) for o in group
                                        if o != pid and o in people)
                value = str(found.id)
                card = Card(
                    title=_("Your pairing"),
                    text=_("Did you manage to meet {names}? Your answer is counted with "
                           "no name, to see whether the rounds work.").format(names=names),
                    buttons=(Button(_("Yes, we met"), "pairing.met", f"{value}|yes"),
                             Button(_("Not this time"), "pairing.met", f"{value}|no"),
                             Button(_("Don't pair us again"), "pairing.notagain", value)))
                out.append(Outbound(pid, card, _("A message from Peerlink"), Priority.BULK,
                                    lang=lang))
        return out

    def due_handlers(self) -> dict[str, DueHandler]:
        return {HEADS_UP: self.heads_up, ROUND: self.run, FOLLOW_UP: self.follow_up}
