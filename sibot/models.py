"""The database schema: SQLAlchemy 2 typed models.

Every timestamp is timezone-aware UTC (`UTCDateTime`). A patient's id is their Telegram user id,
which for a private chat is also the chat id. Every row that belongs to a patient is deleted with
them (ON DELETE CASCADE), so /delete is one statement.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sibot.routine import DEFAULT_HOLD_SECONDS, DEFAULT_REPETITIONS


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


def _patient_fk() -> Mapped[int]:
    return mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), index=True)


class Patient(Base):
    """A person who talks to the bot, from their first /start until /delete."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    cohort: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where onboarding stands ("disclaimer", "safety", ...); None once it is finished.
    onboarding_step: Mapped[str | None] = mapped_column(String(32), default="disclaimer")
    # The free text the bot waits for next ("timezone", "reminder_time", ...), if any.
    awaiting: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    # When the bot last sent the patient to an emergency department: until they say a clinician
    # has examined them (asked an hour later at the earliest), every message gets that advice.
    advised_at: Mapped[datetime | None]
    # When the patient last answered the weekly "Any new warning signs?" of the reminder.
    signs_checked_at: Mapped[datetime | None]
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_seconds: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_HOLD_SECONDS)
    repetitions: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_REPETITIONS)
    # "guided" (the bot times repetitions and rests) or "own" (Next at every step)
    pace: Mapped[str] = mapped_column(String(8), default="guided", server_default="guided")
    # The rest between guided repetitions; None: as long as the hold.
    rest_seconds: Mapped[int | None] = mapped_column(SmallInteger)
    gentle: Mapped[bool] = mapped_column(Boolean, default=False)
    followups_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # False for a patient who turned the exercise pictures off (a slow or metered connection).
    pictures: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    paused_until: Mapped[datetime | None]
    # False once Telegram says the patient blocked the bot; /start sets it back.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)


class SafetyAnswer(Base):
    """One answer of the onboarding safety screen: `question` holds the warning sign
    (sibot.safety.Sign); rows of signs no longer asked stay as they were answered."""

    __tablename__ = "safety_answers"

    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime]


class Reminder(Base):
    """A patient's daily reminder; `next_fire_at` is when the dispatcher acts on it next."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), unique=True
    )
    local_time: Mapped[time] = mapped_column(Time)
    weekdays: Mapped[int] = mapped_column(SmallInteger, default=0b1111111)  # bit 0 = Monday
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The pending occurrence: its local date, the kind of message and when to send it.
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    next_kind: Mapped[str] = mapped_column(String(16), default="daily")
    # The one gentle follow-up of the last occurrence sent, if it is still to come.
    followup_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_date: Mapped[date | None] = mapped_column(Date)


class OutboxRow:
    """What every outbox row keeps of its sending: status, tries, when, the last error, and the
    lease of the dispatcher sending it."""

    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    # Being sent: the dispatcher `claimed_by` holds the row until `lease_until`, and renews that
    # while the send is out. Once it has passed (that bot died) the row is due again, for anyone.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]


class ReminderDelivery(OutboxRow, Base):
    """The outbox: one row per (reminder, local date, kind) makes a second send impossible."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("reminder_id", "occurrence_date", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = _patient_fk()
    occurrence_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class ExerciseSession(Base):
    """One guided run through the routine; a step changes in one transaction."""

    __tablename__ = "exercise_sessions"
    __table_args__ = (Index("ix_exercise_sessions_patient_status", "patient_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(16))
    exercise_keys: Mapped[list[str]]
    # A session stored before the guided pace existed was at the patient's own pace.
    pace: Mapped[str] = mapped_column(String(8), server_default="own")
    hold_seconds: Mapped[int] = mapped_column(SmallInteger)
    repetitions: Mapped[int] = mapped_column(SmallInteger)
    rest_seconds: Mapped[int | None] = mapped_column(SmallInteger)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped at every change; a button carries the token it was made with, so old ones do nothing.
    step_token: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    awaiting: Mapped[str | None] = mapped_column(String(16))
    hold_ends_at: Mapped[datetime | None]
    skipped_exercises: Mapped[list[str]] = mapped_column(default=list)
    pain_before: Mapped[int | None] = mapped_column(SmallInteger)
    pain_after: Mapped[int | None] = mapped_column(SmallInteger)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Checkin(Base):
    """A pain check-in, from the diary, a reminder, a session or an "It hurts" tap."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    score: Mapped[int | None] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("exercise_sessions.id", ondelete="SET NULL"), index=True
    )
    locations: Mapped[list[str]] = mapped_column(default=list)
    symptoms: Mapped[list[str]] = mapped_column(default=list)
    sharp_or_shooting: Mapped[bool] = mapped_column(Boolean, default=False)


class RedFlag(Base):
    """A safety rule that fired, kept so the report and /stats can show it."""

    __tablename__ = "red_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_fk()
    at: Mapped[datetime] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(32))
    checkin_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("checkins.id", ondelete="SET NULL")
    )


class InflammatoryCheck(Base):
    """One run of the inflammatory back pain check (sibot/inflammatory_check.py). `answers` grows
    a tap at a time; `completed_at`, `outcome` and `count` are set by the last one."""

    __tablename__ = "inflammatory_checks"
    # AUTOINCREMENT: SQLite would give a dropped check's id to the next one, and the dropped
    # one's buttons, still in the chat, would answer it.
    __table_args__ = (
        Index("ix_inflammatory_checks_patient_started", "patient_id", "started_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE")
    )
    started_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question -> True or False
    completed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # The features counted; None when the check does not apply (see `outcome`).
    count: Mapped[int | None] = mapped_column(SmallInteger)


class FunctionActivity(Base):
    """An everyday activity the patient scores weekly (the Patient-Specific Functional Scale)."""

    __tablename__ = "function_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_fk()
    # One of the suggestions by key, or the patient's own words (health data: never logged).
    suggestion: Mapped[str | None] = mapped_column(String(32))
    typed: Mapped[str | None] = mapped_column(String(80))
    added_at: Mapped[datetime]
    # Replaced by another activity; its scores stay, as its history.
    retired_at: Mapped[datetime | None]


class FunctionScore(Base):
    """How well the patient could do an activity, 0 (unable) to 10 (as before the problem)."""

    __tablename__ = "function_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("function_activities.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = _patient_fk()
    at: Mapped[datetime]
    score: Mapped[int] = mapped_column(SmallInteger)


class DoseChange(Base):
    """A step up or back the bot offered and the patient answered; only an accepted one changed
    the dose."""

    __tablename__ = "dose_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_fk()
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16))
    accepted: Mapped[bool] = mapped_column(Boolean)
    hold_from: Mapped[int] = mapped_column(SmallInteger)
    hold_to: Mapped[int] = mapped_column(SmallInteger)
    repetitions_from: Mapped[int] = mapped_column(SmallInteger)
    repetitions_to: Mapped[int] = mapped_column(SmallInteger)


class Broadcast(Base):
    """An operator's message to every active patient, kept as an audit trail."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String(4096))
    # draft, sending, finished, cancelled or expired: see sibot.operators.BroadcastState.
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # When it ended: sent to everyone, or stopped by a cancel.
    finished_at: Mapped[datetime | None]
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Sending: every recipient up to patient id `sent_through` has had their try. The replica
    # `held_by` sends it until `held_until` and renews that as it goes; once it has passed (the
    # replica died) another one goes on from `sent_through`.
    sent_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    held_by: Mapped[str | None] = mapped_column(String(32))
    held_until: Mapped[datetime | None]


class ReplicaHeartbeat(Base):
    """When each bot process last wrote to the database, for /healthz: reading is not enough."""

    __tablename__ = "replica_heartbeats"

    replica: Mapped[str] = mapped_column(String(64), primary_key=True)  # host name and process id
    written_at: Mapped[datetime]


class Follower(Base):
    """A clinician or carer who follows patients: a user of their own kind. Every Telegram user
    has a `patients` row from first contact, so deleting that row (/delete) takes this one and
    every link with it."""

    __tablename__ = "followers"

    id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False,
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime]


class ShareLink(Base):
    """A patient's invitation and, once both sides said yes, the consent record that lets one
    follower see what the invitation listed. Only the code's hash is stored."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_fk()
    follower_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("followers.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The patient's choice at confirmation: an emergency red flag goes to the follower at once.
    alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    # The pending weekly summary: its Monday in the follower's zone, and when it is due (UTC).
    next_summary_at: Mapped[datetime | None] = mapped_column(index=True)
    summary_date: Mapped[date | None] = mapped_column(Date)


class ShareDelivery(OutboxRow, Base):
    """The outbox of sharing, leased and retried as reminders are: one row per (link, key)
    ("week:<date>", "flag:<id>", "accepted", "revoked") makes a second send impossible."""

    __tablename__ = "share_deliveries"
    __table_args__ = (UniqueConstraint("link_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("share_links.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(32))


class PictureFile(Base):
    """Telegram's file id of an exercise picture this bot uploaded, so it is sent by id after."""

    __tablename__ = "picture_files"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    picture: Mapped[str] = mapped_column(String(64), primary_key=True)  # see sibot.pictures
    file_id: Mapped[str] = mapped_column(String(255))
    stored_at: Mapped[datetime]
