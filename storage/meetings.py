"""Meetings of connections, and the cells that keep two of them from overlapping."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import Meeting, MeetingCell, SupportRequest

BOOKED, CANCELLED = "booked", "cancelled"
CELL = timedelta(minutes=15)


def cells(start: datetime, end: datetime, buffer: timedelta) -> list[datetime]:
    """The 15-minute cells from ``start`` to ``end`` plus the buffer after it."""
    found, cell = [], start
    while cell < end + buffer:
        found.append(cell)
        cell += CELL
    return found


class MeetingRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def book(self, request: SupportRequest, start: datetime, minutes: int, mode: str,
                   buffer: timedelta, now: datetime) -> Meeting:
        """Book a meeting; a slot taken meanwhile (even by another process) makes the
        transaction fail with a conflict when the cells are inserted."""
        meeting = Meeting(
            request_id=request.id, supporter_id=request.supporter_id,
            uid=f"{uuid.uuid4()}@peerlink", starts_at=start,
            ends_at=start + timedelta(minutes=minutes), minutes=minutes, mode=mode,
            status=BOOKED, sequence=0, created_at=now,
        )
        self._session.add(meeting)
        await self._session.flush()
        await self._hold(meeting, buffer)
        return meeting

    async def move(self, meeting: Meeting, start: datetime, buffer: timedelta) -> None:
        """Reschedule: same UID, the next SEQUENCE, new cells."""
        await self._release(meeting)
        meeting.starts_at = start
        meeting.ends_at = start + timedelta(minutes=meeting.minutes)
        meeting.sequence += 1
        await self._session.flush()
        await self._hold(meeting, buffer)

    async def cancel(self, meeting: Meeting) -> None:
        await self._release(meeting)
        meeting.status = CANCELLED
        meeting.sequence += 1

    async def _hold(self, meeting: Meeting, buffer: timedelta) -> None:
        rows = [{"supporter_id": meeting.supporter_id, "cell": c, "meeting_id": meeting.id}
                for c in cells(meeting.starts_at, meeting.ends_at, buffer)]
        await self._session.execute(insert(MeetingCell), rows)

    async def _release(self, meeting: Meeting) -> None:
        await self._session.execute(delete(MeetingCell)
                                    .where(MeetingCell.meeting_id == meeting.id))

    def signature(self, uid: str, person_id: int) -> str:
        """What an invite link carries so only that person's link opens it."""
        return self._cipher.fingerprint(f"invite|{uid}|{person_id}")[:32]

    def signed(self, uid: str, person_id: int, signature: str) -> bool:
        """Whether ``signature`` is that person's, under any key: links sent before a key
        rotation keep working."""
        given = signature.encode()
        return any(hmac.compare_digest(key[:32].encode(), given)
                   for key in self._cipher.fingerprints(f"invite|{uid}|{person_id}"))

    async def get(self, meeting_id: int) -> Meeting | None:
        return await self._session.get(Meeting, meeting_id)

    async def by_uid(self, uid: str) -> Meeting | None:
        return await self._session.scalar(select(Meeting).where(Meeting.uid == uid))

    async def busy(self, supporter_id: int, start: datetime, end: datetime, *,
                   exclude: int | None = None) -> list[tuple[datetime, datetime]]:
        """The supporter's booked meetings overlapping [start, end), but ``exclude``."""
        stmt = (select(Meeting.starts_at, Meeting.ends_at)
                .where(Meeting.supporter_id == supporter_id, Meeting.status == BOOKED,
                       Meeting.ends_at > start, Meeting.starts_at < end))
        if exclude is not None:
            stmt = stmt.where(Meeting.id != exclude)
        rows = await self._session.execute(stmt)
        return [(s, e) for s, e in rows]

    async def of_requests(self, request_ids: Sequence[int]) -> list[Meeting]:
        if not request_ids:
            return []
        return list(await self._session.scalars(
            select(Meeting).where(Meeting.request_id.in_(request_ids))
            .order_by(Meeting.starts_at)
        ))

    async def for_seeker(self, seeker_keys: Sequence[str]) -> list[Meeting]:
        """Meetings of the requests with any of these fingerprints (``support.seeker_key``)."""
        return list(await self._session.scalars(
            select(Meeting).join(SupportRequest, SupportRequest.id == Meeting.request_id)
            .where(SupportRequest.seeker_key.in_(seeker_keys)).order_by(Meeting.starts_at)
        ))

    async def for_supporter(self, profile_ids: Sequence[int]) -> list[Meeting]:
        if not profile_ids:
            return []
        return list(await self._session.scalars(
            select(Meeting).where(Meeting.supporter_id.in_(profile_ids))
            .order_by(Meeting.starts_at)
        ))
