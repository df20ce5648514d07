"""The roster version: who is on offer, cached per process, invalidated by one counter.

A search for support reads every supporter on offer in a program: thousands of
rows for a large org. They change rarely, so each process keeps them, keyed by
(program, day, version). ``roster_version.version`` is raised in the same
transaction as any change that can alter the roster or its ranking:

- ORM changes are caught in ``before_flush`` (any supporter profile; a person's
  name, timezone, location or reporting line);
- Core statements that bypass the ORM (taking a place, reporting-line refresh)
  call :func:`bump` themselves.

A transaction that raised the version never stores what it read: if it rolled
back, another change could reach the same version number with other content.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Person, RosterVersion, SupporterProfile

# A person's columns that searches read (see storage/support.py).
_PERSON_COLUMNS = ("display_name", "timezone", "org_timezone", "location", "reporting_path")
_CHANGED = "peerlink_roster_changed"


def bump_sync(session: Session) -> None:
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
        # On the connection: no ORM autoflush, so it is safe inside a flush. An upsert, so
        # a missing row (a table emptied by hand) is recreated rather than ignored.
        connection = session.connection()
        module = postgresql if connection.dialect.name == "postgresql" else sqlite
        table = RosterVersion.__table__
        stmt = module.insert(table).values(id=1, version=1)
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.id], set_={"version": table.c.version + 1}))


async def bump(session: Any) -> None:
    """Raise the version from an ``AsyncSession`` (after a Core statement)."""
    await session.run_sync(bump_sync)


def changed_here(session: Any) -> bool:
    """Whether this transaction raised the version (then it must not fill the cache)."""
    return bool(session.sync_session.info.get(_CHANGED))


async def current(session: Any) -> int:
    return int(await session.scalar(select(RosterVersion.version)
                                    .where(RosterVersion.id == 1)) or 0)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SupporterProfile) or (
            isinstance(obj, Person) and obj not in session.new and _person_changed(obj)
        ):
            bump_sync(session)
            return


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _person_changed(person: Person) -> bool:
    state = inspect(person)
    return any(state.attrs[name].history.has_changes() for name in _PERSON_COLUMNS)


class RosterCache:
    """A small LRU of rosters, shared by the units of work of one database."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
