"""Key rotation: every sealed column re-encrypted and every stored fingerprint re-keyed
under the first key of the cipher, so the older keys can then be dropped.

It runs beside a live Peerlink: every process has restarted with the new key first and
the old ones after it, so each decrypts either and looks fingerprints up under any. The
work goes in batches in primary-key order, each its own short transaction, and every
write is conditional on the values read (a row a running process changed meanwhile is
read again, never overwritten with what it held before). Running it again changes only
what is still under an older key: tokens already under the current one are skipped.

Two fingerprints cannot be recomputed from a sealed value next to them, so they are
mapped from every fingerprint they could have held: hidden supporters over everyone's
id, "did you meet?" answers over the groups of their round. What cannot be mapped stays
as it is, harmless: a hidden supporter of someone no longer a person, and answers of
rounds whose groups were already erased (they only stopped a second answer to a round
that asks no more).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, CipherError
from storage.db import Database
from storage.models import (
    Base,
    CheckinHistory,
    Concern,
    Escalation,
    HiddenSupporter,
    InboundBatch,
    OutboxItem,
    PairingAnswer,
    PairingMember,
    PairingRound,
    Person,
    SlackInstallation,
    SupportRequest,
)

Fix = Callable[[AsyncSession, Row[Any]], Awaitable[bool]]


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def _naming(purpose: str, field: str) -> Callable[[Any], str | None]:
    """What a ``purpose`` fingerprint is of, from a sealed ``{field: person id}``."""

    def named(value: Any) -> str | None:
        person = value.get(field) if isinstance(value, dict) else None
        return None if person is None else f"{purpose}|{person}"

    return named


@dataclass(frozen=True)
class Fingerprinted:
    """Fingerprint ``columns`` recomputed from the sealed column ``source``."""

    source: str
    named: Callable[[Any], str | None]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Sealed:
    """A table's sealed columns, and the fingerprints kept beside them."""

    table: Table
    columns: tuple[str, ...]
    keyed: Fingerprinted | None = None


# Every sealed column of the schema (tests/test_rotate_key.py checks none is missing).
SEALED = (
    Sealed(_table(OutboxItem), ("payload",)),
    Sealed(_table(InboundBatch), ("sealed",)),
    Sealed(_table(SupportRequest), ("seeker", "goals"),
           Fingerprinted("seeker", _naming("seeker", "person_id"), ("seeker_key",))),
    Sealed(_table(Escalation), ("subject",),
           Fingerprinted("subject", _naming("escalation", "person_id"),
                         ("subject_key", "open_key"))),
    Sealed(_table(Concern), ("sealed",),
           Fingerprinted("sealed", _naming("concern", "reporter"), ("reporter_key",))),
    Sealed(_table(CheckinHistory), ("sealed",)),
    Sealed(_table(PairingMember), ("never",)),
    Sealed(_table(PairingRound), ("sealed",)),
    Sealed(_table(SlackInstallation), ("sealed",)),
)


async def rotate(db: Database, batch: int = 500) -> dict[str, int]:
    """Bring everything under ``db.cipher``'s current key; rows changed, per table."""
    counts = {}
    for spec in SEALED:
        counts[spec.table.name] = await _sweep(db, spec.table, batch,
                                               partial(_reseal, db.cipher, spec))
    for table, column, renamed in (
        (_table(HiddenSupporter), "seeker_key", await _seekers(db)),
        (_table(PairingAnswer), "person_key", await _answerers(db)),
    ):
        counts[table.name] = await _sweep(db, table, batch,
                                          partial(_rekey, table, column, renamed))
    return counts


async def _sweep(db: Database, table: Table, batch: int, fix: Fix) -> int:
    """``fix`` every row of ``table``, ``batch`` rows a transaction in key order; how
    many it changed. A fix may change the key itself: the next batch starts after the
    key as read, so a row is never skipped (one moved ahead is seen again, unchanged)."""
    key = tuple_(*table.primary_key.columns)
    changed, after = 0, None
    while True:
        stmt = select(table).order_by(*table.primary_key.columns).limit(batch)
        if after is not None:
            stmt = stmt.where(key > after)
        async with db.transaction() as uow:
            rows = (await uow.session.execute(stmt)).all()
            for row in rows:
                try:
                    changed += await fix(uow.session, row)
                except CipherError as exc:
                    raise CipherError(f"{table.name}: {exc}") from exc
        if len(rows) < batch:
            return changed
        after = tuple(rows[-1]._mapping[c] for c in table.primary_key.columns)


def _same_row(table: Table, row: Row[Any]) -> list[ColumnElement[bool]]:
    return [c == row._mapping[c] for c in table.primary_key.columns]


def _changes(cipher: Cipher, spec: Sealed, row: Row[Any]) -> dict[str, str]:
    """What to write to bring a row under the current key (nothing when it is)."""
    values = row._mapping
    found = {c: cipher.rotate(values[c]) for c in spec.columns
             if values[c] and not cipher.is_current(values[c])}
    keyed = spec.keyed
    if keyed is not None and values[keyed.source]:
        named = keyed.named(cipher.decrypt(values[keyed.source]))
        if named is not None:
            key = cipher.fingerprint(named)
            # Only fingerprints still held: one erased or settled (None, "") stays so.
            found |= {c: key for c in keyed.columns if values[c] and values[c] != key}
    return found


async def _reseal(cipher: Cipher, spec: Sealed, session: AsyncSession, row: Row[Any]) -> bool:
    """Rewrite the row's stale columns, only if they still hold what was read."""
    table = spec.table
    current: Row[Any] | None = row
    while current is not None:
        values = _changes(cipher, spec, current)
        if not values:
            return False
        unchanged = [table.c[name] == current._mapping[name] for name in values]
        result = await session.execute(
            update(table).where(*_same_row(table, current), *unchanged).values(values))
        if int(getattr(result, "rowcount", 0)) == 1:
            return True
        # Changed by a running process meanwhile (or gone): read it as it is now.
        current = (await session.execute(select(table).where(*_same_row(table, row)))).first()
    return False


async def _rekey(table: Table, column: str, renamed: Mapping[str, str],
                 session: AsyncSession, row: Row[Any]) -> bool:
    """Move a row from an older fingerprint in its primary key to the current one."""
    new = renamed.get(row._mapping[column])
    if new is None:
        return False
    try:
        async with session.begin_nested():
            result = await session.execute(
                update(table).where(*_same_row(table, row)).values({column: new}))
    except IntegrityError:
        # The same row exists under the current key already (written meanwhile): one will do.
        result = await session.execute(delete(table).where(*_same_row(table, row)))
    return int(getattr(result, "rowcount", 0)) == 1


def _renamed(cipher: Cipher, values: Iterable[str]) -> dict[str, str]:
    """Each value's fingerprint under an older key, to its fingerprint under the current."""
    found: dict[str, str] = {}
    for value in values:
        current, *older = cipher.fingerprints(value)
        found.update((old, current) for old in older if old != current)
    return found


async def _seekers(db: Database) -> dict[str, str]:
    """Hidden supporters' fingerprints: of anyone who is a person."""
    async with db.transaction() as uow:
        people = list(await uow.session.scalars(select(Person.id)))
    return _renamed(db.cipher, (f"seeker|{person}" for person in people))


async def _answerers(db: Database) -> dict[str, str]:
    """"Did you meet?" fingerprints: of everyone in a round's groups, while it has them."""
    async with db.transaction() as uow:
        rounds = await uow.session.scalars(
            select(PairingRound).where(PairingRound.sealed.is_not(None)))
        members = [(found.id, person) for found in rounds
                   for group in uow.pairing.groups(found) for person in group]
    return _renamed(db.cipher, (f"pairing|{round_id}|{person}" for round_id, person in members))
