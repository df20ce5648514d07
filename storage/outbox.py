"""The transactional outbox: messages written with the state change that caused them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, CipherError
from storage.leases import claim, settle
from storage.models import Identity, OutboxItem
from storage.sql import insert_ignoring_conflicts


@dataclass(frozen=True)
class OutboxEntry:
    """What the engine enqueues; ``payload`` is encrypted before it is stored."""

    key: str
    person_id: int
    priority: int
    payload: dict[str, Any]
    platform: str | None = None


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    key: str
    person_id: int | None
    platform: str
    priority: int
    attempts: int
    payload: dict[str, Any]
    address: dict[str, Any]
    in_doubt: bool = False  # the last attempt may have reached the platform


class OutboxRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(
        self,
        entries: Sequence[OutboxEntry],
        now: datetime,
        known: Mapping[tuple[int, str], tuple[int, str]] | None = None,
    ) -> list[int]:
        """Enqueue entries; a key already in the outbox is skipped (idempotent).

        ``known`` maps (person id, platform) to an identity (id, platform) the
        caller already resolved, saving a lookup for replies to the author.
        """
        if not entries:
            return []
        routes = dict(known or {})
        rows = []
        for entry in entries:
            route_key = (entry.person_id, entry.platform or "")
            if route_key not in routes:
                identity = await self._route(entry.person_id, entry.platform)
                routes[route_key] = (identity.id, identity.platform) if identity else (0, "")
            identity_id, platform = routes[route_key]
            rows.append(
                {
                    "key": entry.key,
                    "person_id": entry.person_id,
                    "identity_id": identity_id or None,
                    "platform": platform or entry.platform or "",
                    "priority": entry.priority,
                    "payload": self._cipher.encrypt(entry.payload),
                    "status": "pending" if identity_id else "unaddressed",
                    "attempts": 0,
                    "lease_owner": "",
                    "last_error": "",
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        stmt = insert_ignoring_conflicts(self._session, OutboxItem).returning(OutboxItem.id)
        connection = await self._session.connection()  # core executemany: one cached statement
        return list((await connection.execute(stmt, rows)).scalars())

    async def _route(self, person_id: int, platform: str | None) -> Identity | None:
        """The identity to deliver on: the platform asked for, else the last one seen."""
        stmt = select(Identity).where(Identity.person_id == person_id, Identity.undeliverable == "")
        if platform:
            stmt = stmt.where(Identity.platform == platform)
        stmt = stmt.order_by(Identity.last_seen_at.desc(), Identity.id.desc()).limit(1)
        return (await self._session.scalars(stmt)).first()

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        *,
        platforms: Sequence[str],
        user_id: str | None = None,
    ) -> list[ClaimedMessage]:
        """Lease ready messages for ``platforms``, most urgent first (crisis first).

        ``user_id`` narrows the claim to one platform account (a terminal chat
        delivers only to the person at that terminal).
        """
        scope: ColumnElement[bool] = OutboxItem.platform.in_(platforms)
        if user_id is not None:
            scope &= OutboxItem.identity_id.in_(
                select(Identity.id).where(Identity.user_id == user_id)
            )
        ready = (OutboxItem.status == "pending") & (OutboxItem.next_attempt_at <= now)
        order = (OutboxItem.priority, OutboxItem.next_attempt_at, OutboxItem.id)
        ids = await claim(
            self._session, OutboxItem, ready=ready, order_by=order,
            scope=scope,
            owner=owner, now=now, lease=lease, limit=limit,
            # Still "claimed" means its lease ran out: nobody knows how that attempt ended.
            also={"in_doubt": OutboxItem.status == "claimed"},
        )
        if not ids:
            return []
        rows = await self._session.execute(
            select(OutboxItem, Identity)
            .outerjoin(Identity, Identity.id == OutboxItem.identity_id)
            .where(OutboxItem.id.in_(ids))
            .order_by(*order)
        )
        claimed = []
        for item, identity in rows:
            try:
                payload = self._cipher.decrypt(item.payload) if item.payload else {}
            except CipherError:
                # Sealed with a key no longer configured: set aside, never block the rest.
                await self.dead_letter(item.id, owner, "undecryptable")
                continue
            claimed.append(self._claimed(item, identity, payload))
        return claimed

    @staticmethod
    def _claimed(
        item: OutboxItem, identity: Identity | None, payload: dict[str, Any]
    ) -> ClaimedMessage:
        address: dict[str, Any] = {}
        if identity is not None:
            address = {"tenant": identity.tenant, "user_id": identity.user_id, **identity.address}
        return ClaimedMessage(
            id=item.id,
            key=item.key,
            person_id=item.person_id,
            platform=item.platform,
            priority=item.priority,
            attempts=item.attempts,
            payload=payload,
            address=address,
            in_doubt=bool(item.in_doubt),
        )

    async def readdress(
        self, person_id: int, identity_id: int, platform: str, now: datetime
    ) -> int:
        """Messages that waited for a way to reach this person go to a new identity."""
        result = await self._session.execute(
            update(OutboxItem)
            .where(OutboxItem.person_id == person_id, OutboxItem.status == "unaddressed")
            .values(identity_id=identity_id, platform=platform, status="pending",
                    next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    async def purge_settled(self, delivered_before: datetime, dead_before: datetime) -> int:
        """Forget delivery records: who was messaged when is itself sensitive."""
        result = await self._session.execute(
            delete(OutboxItem).where(
                ((OutboxItem.status.in_(("sent", "undeliverable")))
                 & (OutboxItem.created_at < delivered_before))
                | ((OutboxItem.status == "dead") & (OutboxItem.created_at < dead_before))
            )
        )
        return int(getattr(result, "rowcount", 0))

    async def mark_sent(self, item_id: int, owner: str, now: datetime) -> bool:
        """Sent: the payload is erased, only the delivery record stays."""
        return await settle(
            self._session, OutboxItem, item_id, owner, status="sent", sent_at=now, payload=None
        )

    async def retry_at(self, item_id: int, owner: str, when: datetime, error: str) -> bool:
        return await settle(
            self._session, OutboxItem, item_id, owner,
            status="pending", next_attempt_at=when, last_error=error[:64],
        )

    async def remember_address(self, item_id: int, address: dict[str, Any]) -> None:
        """Merge what the platform told us about reaching this row's recipient."""
        identity = await self._session.scalar(
            select(Identity).join(OutboxItem, OutboxItem.identity_id == Identity.id)
            .where(OutboxItem.id == item_id)
        )
        if identity is not None:
            identity.address = {**identity.address, **address}

    async def defer(self, item_id: int, owner: str, when: datetime) -> bool:
        """Put back untried (our own pacing said "not yet"): the claim is not an attempt."""
        return await settle(
            self._session, OutboxItem, item_id, owner,
            status="pending", next_attempt_at=when, attempts=OutboxItem.attempts - 1,
        )

    async def dead_letter(self, item_id: int, owner: str, error: str) -> bool:
        return await settle(
            self._session, OutboxItem, item_id, owner, status="dead", last_error=error[:64]
        )

    async def undeliverable(self, item_id: int, owner: str, reason: str) -> bool:
        """The address is gone: mark the identity too, so later messages route elsewhere."""
        identity_id = await self._session.scalar(
            select(OutboxItem.identity_id).where(OutboxItem.id == item_id)
        )
        if identity_id is not None:
            await self._session.execute(
                update(Identity).where(Identity.id == identity_id).values(undeliverable=reason[:64])
            )
        return await settle(
            self._session, OutboxItem, item_id, owner,
            status="undeliverable", last_error=reason[:64], payload=None,
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._session.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
        )
        return {status: count for status, count in rows}

    async def status_of(self, key: str) -> str | None:
        return await self._session.scalar(select(OutboxItem.status).where(OutboxItem.key == key))
