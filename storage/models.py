"""SQLAlchemy 2 typed models. Alembic owns the schema (storage/migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware UTC datetime (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Person(Base):
    """Anyone Peerlink knows: from org data, or from a first message."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    department: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    # The directory's values; the person's own choices below win over them.
    org_timezone: Mapped[str] = mapped_column(String(64), default="")
    org_language: Mapped[str] = mapped_column(String(8), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    # The manager chain from the top down to the direct manager, as ids: "4/12/57"
    # ("" with no manager). Kept by the org import, for conflict-of-interest checks.
    reporting_path: Mapped[str] = mapped_column(Text, default="")
    program_office: Mapped[bool] = mapped_column(Boolean, default=False)
    welcomed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[Identity]] = relationship(back_populates="person")

    @property
    def effective_timezone(self) -> str:
        """The person's chosen timezone, else the directory's ('' when neither)."""
        return self.timezone or self.org_timezone


class Identity(Base):
    """One platform account of a person (Slack user, Teams user, web or console)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("platform", "tenant", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(256))
    locale: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undeliverable: Mapped[str] = mapped_column(String(64), default="")
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="identities")


class Program(Base):
    """A support program; its words (names, descriptions) live in configuration."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    capacity_default: Mapped[int] = mapped_column(Integer, default=3)
    request_expiry_days: Mapped[int] = mapped_column(Integer, default=3)
    open_request_limit: Mapped[int] = mapped_column(Integer, default=3)
    leaders_only: Mapped[bool] = mapped_column(Boolean, default=False)


class SupporterProfile(Base):
    """A trained volunteer in one program (peer supporter, ambassador, buddy)."""

    __tablename__ = "supporter_profile"
    __table_args__ = (UniqueConstraint("person_id", "program_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    bio_en: Mapped[str] = mapped_column(Text, default="")
    bio_fr: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    oriented_on: Mapped[date | None] = mapped_column(Date)
    trained_on: Mapped[date | None] = mapped_column(Date)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="active")
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Accepted connections under way; raised only by a conditional UPDATE below capacity.
    load: Mapped[int] = mapped_column(Integer, default=0)
    # How they meet: video, phone, in_person, chat; with the link and the place they give.
    modes: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["video", "phone", "chat"])
    video_link: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(Text, default="")


class SupportRequest(Base):
    """A seeker asking a supporter to connect; once accepted, their connection.

    Who asked is sealed (``seeker``) and found by a keyed fingerprint (``seeker_key``):
    the database alone does not say who sought support from whom. The optional
    context travels only in the (encrypted) outbox message to the supporter.
    """

    __tablename__ = "support_request"
    __table_args__ = (Index("ix_support_request_open", "status", "supporter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter_profile.id", ondelete="CASCADE"), index=True
    )
    seeker: Mapped[str] = mapped_column(Text)
    seeker_key: Mapped[str] = mapped_column(String(64), index=True)
    # open, accepted, declined, expired, withdrawn, ended
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # Once a connection: resources the supporter sent, and the seeker's own goals
    # checklist (sealed; only the seeker sees it).
    referrals: Mapped[int] = mapped_column(Integer, default=0)
    goals: Mapped[str | None] = mapped_column(Text)


class HiddenSupporter(Base):
    """A supporter a seeker hid from their own results; the supporter is never told."""

    __tablename__ = "hidden_supporter"

    seeker_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter_profile.id", ondelete="CASCADE"), primary_key=True
    )


class DeclaredConflict(Base):
    """Two people who must never be matched (either of them declared it)."""

    __tablename__ = "declared_conflict"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ConversationState(Base):
    """Where one person is in a multi-step flow; gone once it expires."""

    __tablename__ = "conversation_state"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ProcessedEvent(Base):
    """Inbound event ids already handled, so a platform retry changes nothing."""

    __tablename__ = "processed_event"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxItem(Base):
    """A message waiting for delivery; its payload is encrypted and erased once sent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_ready", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identity.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None]
    # Claimed again after a lease ran out: the last attempt may have reached the platform
    # before its process died, so the sender checks before sending again.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class DueWork(Base):
    """Durable scheduled work: a kind, ids to act on, and when it is due."""

    __tablename__ = "due_work"
    __table_args__ = (Index("ix_due_work_ready", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(64), default="")
    done_at: Mapped[datetime | None]


class InboundBatch(Base):
    """Events taken before their platform was answered, waiting for their turns.

    One row per commit of the inbox writer (a burst's events share it), sealed, since
    the text is in it; deleted once every turn in it has committed: usually
    milliseconds later, at most a few lease periods after a crash.
    """

    __tablename__ = "inbound_batch"
    __table_args__ = (Index("ix_inbound_batch_ready", "status", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    events: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None]


class SlackInstallation(Base):
    """A workspace that installed the Slack app (multi-workspace mode); tokens encrypted."""

    __tablename__ = "slack_installation"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64), default="")
    sealed: Mapped[str] = mapped_column(Text)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthState(Base):
    """A one-time state value of an OAuth install in progress."""

    __tablename__ = "oauth_state"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Escalation(Base):
    """A person in crisis who needs a human: the audit of who was alerted and who answered.

    Never the message text. Who it is about is sealed (``subject``) and looked up by a
    keyed fingerprint (``subject_key``); both are erased once it is settled and old.
    ``open_key`` is the fingerprint while responders are being alerted: unique, so two
    messages racing can't start two escalations for one person.
    """

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str | None] = mapped_column(Text)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))  # consent | imminent
    status: Mapped[str] = mapped_column(String(16), default="alerting")
    round: Mapped[int] = mapped_column(Integer, default=0)
    triggers: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_trigger_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    alerts: Mapped[list[EscalationAlert]] = relationship(
        back_populates="escalation", order_by="EscalationAlert.id"
    )


class EscalationAlert(Base):
    """One responder (or program-office member) alerted in one round of an escalation."""

    __tablename__ = "escalation_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalation.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # responder | office
    round: Mapped[int] = mapped_column(Integer)
    alerted_at: Mapped[datetime] = mapped_column(default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="alerts")


class RosterVersion(Base):
    """One counter, raised in the transaction of any change that can alter who is on offer
    or how they rank (storage/roster.py); searches cache the roster by it."""

    __tablename__ = "roster_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Meeting(Base):
    """A private meeting of a connection (an accepted request), in UTC.

    ``uid`` stays the same for the life of the meeting, so a calendar replaces its
    invite on each change; ``sequence`` counts the changes (iCalendar SEQUENCE).
    """

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), index=True
    )
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter_profile.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="booked")  # or cancelled
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # What the seeker said afterwards: "" (not asked or not answered), held, missed.
    outcome: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingCell(Base):
    """The 15-minute cells a booked meeting holds in its supporter's time, buffer after it
    included. The primary key is the constraint: two bookings that overlap, even racing
    in two processes, cannot both hold a cell."""

    __tablename__ = "meeting_cell"

    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporter_profile.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[datetime] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )


class SurveyInvite(Base):
    """An unanswered survey or report form: who got it is not kept, only its token."""

    __tablename__ = "survey_invite"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # seeker | supporter
    program: Mapped[str] = mapped_column(String(64))
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SurveyAnswer(Base):
    """Survey answers and supporter reports, with no link to anyone: program, month, kind."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    program: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CheckinPlan(Base):
    """A person's well-being check-ins: how often, which day, what time (their own)."""

    __tablename__ = "checkin_plan"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    cadence: Mapped[str] = mapped_column(String(16))  # daily, weekly, biweekly
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 is Monday
    at: Mapped[str] = mapped_column(String(5))  # "09:30", in the person's timezone
    started_on: Mapped[date] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)
    next_at: Mapped[datetime | None]  # the prompt scheduled next (UTC)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CheckinPrompt(Base):
    """One prompt sent: answered once; closed when the next one arrives."""

    __tablename__ = "checkin_prompt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    sent_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # answered, closed


class CheckinHistory(Base):
    """A person's own answers, sealed: only they see them (their trend)."""

    __tablename__ = "checkin_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    sealed: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime]


class CheckinScore(Base):
    """The same answers with no link to anyone, for aggregates: month and score only."""

    __tablename__ = "checkin_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    score: Mapped[str] = mapped_column(String(8))  # "1".."5" or "skip"


class LeaderCheck(Base):
    """When a leader last marked a direct report as checked in with (nothing else)."""

    __tablename__ = "leader_check"

    leader_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    marked_at: Mapped[datetime]


class NudgeState(Base):
    """A leader's nudges: snoozed until when, and which tip comes next."""

    __tablename__ = "nudge_state"

    leader_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    tip: Mapped[int] = mapped_column(Integer, default=0)


class PairingMember(Base):
    """Someone in a program's pairing pool. Their "never pair me with" list is sealed:
    only the pairing itself reads it."""

    __tablename__ = "pairing_member"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime]
    skip_on: Mapped[date | None] = mapped_column(Date)  # the round they sit out
    paused_until: Mapped[date | None] = mapped_column(Date)
    never: Mapped[str | None] = mapped_column(Text)  # sealed list of person ids


class PairingRound(Base):
    """One round of a program. Who met whom is sealed, and erased once no later round
    needs it to avoid repeats; the counts stay."""

    __tablename__ = "pairing_round"
    __table_args__ = (UniqueConstraint("program_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    members: Mapped[int] = mapped_column(Integer, default=0)
    groups: Mapped[int] = mapped_column(Integer, default=0)
    sealed: Mapped[str | None] = mapped_column(Text)  # the groups, as lists of person ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PairingAnswer(Base):
    """One "did you meet?" answer, counted once per person (by a keyed fingerprint)."""

    __tablename__ = "pairing_answer"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pairing_round.id", ondelete="CASCADE"), primary_key=True
    )
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    met: Mapped[bool] = mapped_column(Boolean)


class Concern(Base):
    """A supporter's report to the program office: a category, and who reported and
    what they wrote, sealed (a report is kept, unlike chat). ``reporter_key`` finds a
    person's reports when they ask to be forgotten."""

    __tablename__ = "concern"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str | None] = mapped_column(Text)  # {"reporter": id, "text": "..."}
    reporter_key: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # or handled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class AdminLink(Base):
    """A single-use sign-in link to /admin: only its hash is kept."""

    __tablename__ = "admin_link"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AdminSession(Base):
    """A signed-in /admin session: the cookie holds the token, this its hash, its CSRF
    token and when it ends (sign-out ends it at once)."""

    __tablename__ = "admin_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ContentVersion(Base):
    """Program content (the YAML) as the program office last saved it in /admin: the
    newest row wins over the file, in every process."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    yaml: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime]
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
