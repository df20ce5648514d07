"""Program-office access to /admin: single-use sign-in links and sessions.

Tokens are random (32 bytes); only their SHA-256 is stored, so a database dump signs
nobody in. A link works once, before it expires; a session ends at its expiry or at
sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdminLink, AdminSession, Person


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AdminRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def new_link(self, person_id: int, now: datetime, ttl: timedelta) -> str:
        token = secrets.token_urlsafe(32)
        self._session.add(AdminLink(token_hash=digest(token), person_id=person_id,
                                    created_at=now, expires_at=now + ttl))
        return token

    async def use_link(self, token: str, now: datetime) -> int | None:
        """The person a live, unused link is for, marking it used (one conditional UPDATE:
        a replay, even a racing one, gets None)."""
        if not token or len(token) > 100:
            return None
        result = await self._session.execute(
            update(AdminLink)
            .where(AdminLink.token_hash == digest(token), AdminLink.used_at.is_(None),
                   AdminLink.expires_at > now)
            .values(used_at=now).returning(AdminLink.person_id))
        return result.scalar_one_or_none()

    async def new_session(self, person_id: int, now: datetime, ttl: timedelta
                          ) -> tuple[str, str]:
        """(session token for the cookie, CSRF token for forms)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._session.add(AdminSession(token_hash=digest(token), person_id=person_id,
                                       csrf=csrf, created_at=now, expires_at=now + ttl))
        return token, csrf

    async def session_of(self, token: str, now: datetime) -> tuple[Person, str] | None:
        """The signed-in program-office member and the session's CSRF token, or None
        (unknown, expired, or no longer in the program office)."""
        if not token or len(token) > 100:
            return None
        found = await self._session.get(AdminSession, digest(token))
        if found is None or found.expires_at <= now:
            return None
        person = await self._session.get(Person, found.person_id)
        if person is None or not person.program_office:
            return None
        return person, found.csrf

    async def end_session(self, token: str) -> None:
        await self._session.execute(delete(AdminSession)
                                    .where(AdminSession.token_hash == digest(token)))

    async def purge(self, now: datetime) -> int:
        links = await self._session.execute(delete(AdminLink).where(AdminLink.expires_at < now))
        sessions = await self._session.execute(
            delete(AdminSession).where(AdminSession.expires_at < now))
        return int(getattr(links, "rowcount", 0)) + int(getattr(sessions, "rowcount", 0))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
