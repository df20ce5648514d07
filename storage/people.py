"""People, their platform identities and their org data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage import roster
from storage.models import Identity, Person

# last_seen_at is only rewritten when older than this, to keep the hot path read-only.
_SEEN_GRANULARITY = timedelta(minutes=10)


@dataclass(frozen=True)
class IdentityKey:
    platform: str
    tenant: str
    user_id: str
    email: str = ""
    display_name: str = ""
    locale: str = ""
    address: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrgRecord:
    """One validated row of org data, keyed by email."""

    email: str
    name: str
    manager_email: str
    department: str
    location: str
    country: str
    timezone: str
    language: str
    start_date: date | None


# Built once: this runs on every turn.
_BY_IDENTITY = (
    select(Identity, Person)
    .join(Person, Person.id == Identity.person_id)
    .where(
        Identity.platform == bindparam("platform"),
        Identity.tenant == bindparam("tenant"),
        Identity.user_id == bindparam("user_id"),
    )
)


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, person_id: int) -> Person | None:
        return await self._session.get(Person, person_id)

    async def by_email(self, email: str) -> Person | None:
        return await self._session.scalar(select(Person).where(Person.email == email.lower()))

    async def resolve(self, key: IdentityKey, now: datetime) -> tuple[Person, Identity, bool]:
        """The person behind a platform identity, created (or linked by email) if new.

        Returns the person, the identity, and whether it was seen for the first time.
        """
        row = (
            await self._session.execute(
                _BY_IDENTITY,
                {"platform": key.platform, "tenant": key.tenant, "user_id": key.user_id},
            )
        ).first()
        if row is not None:
            identity, person = row
            if now - identity.last_seen_at > _SEEN_GRANULARITY:
                identity.last_seen_at = now
            if key.locale and identity.locale != key.locale:
                identity.locale = key.locale
            if identity.undeliverable:
                identity.undeliverable = ""  # they wrote to us, so we can reach them again
            merged = {**identity.address, **key.address}
            if merged != identity.address:
                identity.address = merged
            return person, identity, False
        found = await self.by_email(key.email) if key.email else None
        if found is None:
            found = Person(email=key.email.lower() or None, display_name=key.display_name)
            self._session.add(found)
            await self._session.flush()
        identity = Identity(
            person_id=found.id,
            platform=key.platform,
            tenant=key.tenant,
            user_id=key.user_id,
            locale=key.locale,
            address=dict(key.address),
            last_seen_at=now,
        )
        self._session.add(identity)
        await self._session.flush()
        return found, identity, True

    async def identities_of(self, person_id: int) -> Sequence[Identity]:
        """A person's platform identities, the most recently seen first."""
        return (
            await self._session.scalars(
                select(Identity).where(Identity.person_id == person_id)
                .order_by(Identity.last_seen_at.desc(), Identity.id)
            )
        ).all()

    async def reachable(self, person_ids: Sequence[int]) -> set[int]:
        """Those of these people with at least one identity we can deliver to."""
        rows = await self._session.scalars(
            select(Identity.person_id)
            .where(Identity.person_id.in_(person_ids), Identity.undeliverable == "")
            .distinct()
        )
        return set(rows)

    async def many(self, person_ids: Sequence[int]) -> list[Person]:
        """These people (those that still exist), read in chunks of a few thousand."""
        found: list[Person] = []
        ids = sorted(set(person_ids))
        for i in range(0, len(ids), 5000):
            found += (await self._session.scalars(
                select(Person).where(Person.id.in_(ids[i:i + 5000])))).all()
        return found

    async def by_emails(self, emails: Sequence[str]) -> dict[str, Person]:
        """Known people among these emails, by (lower-case) email."""
        if not emails:
            return {}
        found = await self._session.scalars(
            select(Person).where(Person.email.in_([e.lower() for e in emails]))
        )
        return {p.email: p for p in found if p.email}

    async def program_office(self) -> Sequence[Person]:
        return (
            await self._session.scalars(
                select(Person).where(Person.program_office.is_(True)).order_by(Person.id)
            )
        ).all()

    async def _write_paths(self, changed: list[dict[str, Any]]) -> None:
        """Write many reporting paths at once.

        PostgreSQL: one UPDATE joined to the two arrays, unnested. Elsewhere: one
        executemany on the table (Core; the ORM's bulk path costs more per row).
        """
        connection = await self._session.connection()
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("UPDATE person SET reporting_path = u.path "
                     "FROM unnest(CAST(:ids AS integer[]), CAST(:paths AS text[])) "
                     "AS u(id, path) WHERE person.id = u.id"),
                {"ids": [c["pid"] for c in changed], "paths": [c["path"] for c in changed]},
            )
            return
        table = Person.__table__
        assert isinstance(table, Table)
        await connection.execute(
            update(table).where(table.c.id == bindparam("pid"))
            .values(reporting_path=bindparam("path")),
            changed,
        )

    async def list_people(self, limit: int = 200) -> Sequence[Person]:
        return (
            await self._session.scalars(
                select(Person).where(Person.email.is_not(None)).order_by(Person.display_name)
                .limit(limit)
            )
        ).all()

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(Person)) or 0)

    async def leaders(self, person_ids: Sequence[int]) -> set[int]:
        """Those of these people who have direct reports."""
        rows = await self._session.scalars(
            select(Person.manager_id).where(Person.manager_id.in_(person_ids)).distinct()
        )
        return {r for r in rows if r is not None}

    async def direct_reports(self, person_id: int) -> Sequence[Person]:
        return (
            await self._session.scalars(select(Person).where(Person.manager_id == person_id))
        ).all()

    async def manager_map(self) -> dict[str, str]:
        """Every known person's email to their manager's email ('' when none)."""
        manager = select(Person.id, Person.email).subquery()
        rows = await self._session.execute(
            select(Person.email, manager.c.email)
            .outerjoin(manager, manager.c.id == Person.manager_id)
            .where(Person.email.is_not(None))
        )
        return {email: boss or "" for email, boss in rows if email}

    async def upsert_org(
        self, records: Sequence[OrgRecord], *, refresh_paths: bool = True
    ) -> tuple[int, int]:
        """Create or update people from org data; managers linked in a second pass.

        Returns (created, updated). The caller validated the whole batch first. An import
        in batches passes ``refresh_paths=False`` and calls :meth:`refresh_reporting_paths`
        once at the end.
        """
        emails = [r.email for r in records]
        known = {
            p.email: p
            for p in await self._session.scalars(select(Person).where(Person.email.in_(emails)))
        }
        created = 0
        for r in records:
            person = known.get(r.email)
            if person is None:
                person = Person(email=r.email)
                self._session.add(person)
                known[r.email] = person
                created += 1
            person.display_name = r.name
            person.department, person.location = r.department, r.location
            # Directory values only: a language or timezone the person chose stays.
            person.country, person.org_timezone = r.country, r.timezone
            person.org_language, person.start_date = r.language, r.start_date
        await self._session.flush()
        bosses = {r.manager_email for r in records if r.manager_email} - known.keys()
        if bosses:
            for p in await self._session.scalars(select(Person).where(Person.email.in_(bosses))):
                if p.email:
                    known[p.email] = p
        for r in records:
            boss = known.get(r.manager_email) if r.manager_email else None
            known[r.email].manager_id = boss.id if boss else None
        await self._session.flush()
        if refresh_paths:
            await self.refresh_reporting_paths()
        return created, len(records) - created

    async def refresh_reporting_paths(self) -> int:
        """Recompute everyone's manager chain; returns how many changed.

        One read of (id, manager, path) for the whole org, the chains worked out in
        memory, and one bulk UPDATE of the rows that changed.
        """
        rows = (await self._session.execute(
            select(Person.id, Person.manager_id, Person.reporting_path)
        )).all()
        paths = reporting_paths({pid: manager for pid, manager, _ in rows})
        changed = [{"pid": pid, "path": paths[pid]} for pid, _, old in rows if paths[pid] != old]
        if changed:
            await self._write_paths(changed)
            # Objects already loaded in this session would otherwise keep the old value.
            for obj in self._session.identity_map.values():
                if isinstance(obj, Person) and obj.id in paths:
                    set_committed_value(obj, "reporting_path", paths[obj.id])
            await roster.bump(self._session)
        return len(changed)


def reporting_paths(managers: Mapping[int, int | None]) -> dict[int, str]:
    """Each person's manager chain, top first, as "4/12/57" ("" for no manager).

    Iterative with memoisation: linear in the size of the org. A loop (which the
    import refuses) is cut where it closes rather than followed forever.
    """
    paths: dict[int, str] = {}
    for start in managers:
        chain: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node not in paths and node not in seen:
            seen.add(node)
            chain.append(node)
            node = managers.get(node)
        prefix = "" if node is None or node not in paths else paths[node]
        above = [int(x) for x in prefix.split("/") if x] + ([node] if node in paths else [])
        # Walk back down: each person's path is the path of their manager plus that manager.
        for person in reversed(chain):
            paths[person] = "/".join(str(x) for x in above)
            above = [*above, person]
    return paths
