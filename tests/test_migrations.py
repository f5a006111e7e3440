"""The schema: every migration goes up and down cleanly, and the models match the migrations."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, delete, inspect, select, text

from sibot.db import BrokenReferences, Database, alembic_config, run_alembic
from migrations import NEWEST_REVISION
from sibot.models import (
    Base,
    Broadcast,
    Checkin,
    DoseChange,
    ExerciseSession,
    Follower,
    FunctionActivity,
    FunctionScore,
    InflammatoryCheck,
    Patient,
    PictureFile,
    RedFlag,
    ReminderDelivery,
    ReplicaHeartbeat,
    ShareDelivery,
    ShareLink,
)
from sibot.routine import ROUTINE_KEYS, Pace
from sibot.sessions import Action, Command, act, active_session
from tests.factories import onboarded_patient
from tests.processes import REPOSITORY


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _row_counts_of(connection: Connection) -> dict[str, int]:
    return {
        table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        for table in _tables(connection)
    }


async def _row_counts(db: Database) -> dict[str, int]:
    """How many rows each table holds, of the tables the schema has now."""
    async with db.engine.connect() as connection:
        return await connection.run_sync(_row_counts_of)


AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
PATIENT_ID = 7
FOLLOWER_ID = 8


async def _a_row_in_every_table(db: Database) -> None:
    """A patient with rows in every table that refers to patients, directly or through another;
    a follower sharing with them; and a row in each of the tables that refer to none."""
    await onboarded_patient(db, PATIENT_ID, AT, reminder_at=time(9, 0))
    await onboarded_patient(db, FOLLOWER_ID, AT)
    async with db.transaction() as session:
        delivery = ReminderDelivery(
            reminder_id=1, patient_id=PATIENT_ID, occurrence_date=date(2026, 12, 5), kind="daily",
            status="sent", due_at=AT, created_at=AT, updated_at=AT, sent_at=AT,
        )
        # an active guided session: going below 0011 stops it, and keeps it
        exercise = ExerciseSession(
            patient_id=PATIENT_ID, source="command", exercise_keys=list(ROUTINE_KEYS), pace="guided",
            hold_seconds=5, repetitions=2, started_at=AT, updated_at=AT,
        )
        activity = FunctionActivity(patient_id=PATIENT_ID, suggestion="stairs", added_at=AT)
        session.add_all([delivery, exercise, activity, Follower(id=FOLLOWER_ID, created_at=AT)])
        await session.flush()
        checkin = Checkin(
            patient_id=PATIENT_ID, at=AT, score=6, source="after_session", session_id=exercise.id
        )
        link = ShareLink(
            patient_id=PATIENT_ID, follower_id=FOLLOWER_ID, role="clinician", code_hash="0" * 64,
            created_at=AT, expires_at=AT, accepted_at=AT, confirmed_at=AT,
        )
        session.add_all([checkin, link])
        await session.flush()
        session.add_all([
            RedFlag(
                patient_id=PATIENT_ID, at=AT, rule="severe_pain", urgency="doctor_today",
                checkin_id=checkin.id,
            ),
            InflammatoryCheck(patient_id=PATIENT_ID, started_at=AT, answers={"night": True}),
            FunctionScore(activity_id=activity.id, patient_id=PATIENT_ID, at=AT, score=4),
            DoseChange(
                patient_id=PATIENT_ID, at=AT, reason="easy", accepted=True, hold_from=5, hold_to=7,
                repetitions_from=2, repetitions_to=2,
            ),
            ShareDelivery(
                link_id=link.id, chat_id=FOLLOWER_ID, key="accepted", due_at=AT, created_at=AT,
                updated_at=AT,
            ),
            Broadcast(
                admin_id=1, text="hello", status="finished", created_at=AT, confirmed_at=AT,
                finished_at=AT,
            ),
            ReplicaHeartbeat(replica="host-1", written_at=AT),
            PictureFile(bot_id=1, picture="hip_adduction", file_id="AgAD", stored_at=AT),
        ])


async def test_stairway_upgrade_downgrade_upgrade_every_revision(any_database_url: str) -> None:
    db = Database(any_database_url)
    try:
        for revision in _revisions():
            await db.migrate("upgrade", revision)
            await db.migrate("downgrade", "-1")
            await db.migrate("upgrade", revision)
        await db.migrate("downgrade", "base")
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await db.dispose()


async def test_no_row_is_lost_going_down_to_the_first_revision_and_up_again(
    any_database_url: str,
) -> None:
    """On SQLite batch mode copies a table to change it and drops the old one: with foreign keys
    on, the drop deleted every row that refers to it (going below 0010, 0011 or 0012 did)."""
    db = Database(any_database_url)
    try:
        await db.upgrade()
        await _a_row_in_every_table(db)
        at_head = await _row_counts(db)
        assert set(at_head) == set(Base.metadata.tables) and all(at_head.values()), at_head
        revisions = _revisions()
        for revision in reversed(revisions[:-1]):
            await db.migrate("downgrade", revision)
            counts = await _row_counts(db)
            assert counts == {table: at_head[table] for table in counts}, f"down to {revision}"
        first = set(counts)
        for revision in revisions[1:]:
            await db.migrate("upgrade", revision)
            counts = await _row_counts(db)
            expected = {table: at_head[table] if table in first else 0 for table in counts}
            assert counts == expected, f"up to {revision}"
        # The bot's connections enforce foreign keys again: a patient's rows go with them.
        async with db.transaction() as session:
            await session.execute(delete(Patient).where(Patient.id == PATIENT_ID))
        left = await _row_counts(db)
        assert left["patients"] == 1 and left["exercise_sessions"] == left["reminders"] == 0
    finally:
        await db.dispose()


async def test_a_migration_refuses_a_connection_already_in_a_transaction(database: Database) -> None:
    """SQLite ignores turning foreign keys off inside a transaction; the migration would cascade."""
    async with database.engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="a migration runs in a transaction of its own"):
            await connection.run_sync(run_alembic, "downgrade", "-1")
    async with database.engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == NEWEST_REVISION


async def database_whose_upgrade_loses_a_patient(url: str) -> None:
    """A database at 0011, with a row in every table, whose upgrade to 0012 deletes the patient
    and leaves their rows behind: a trigger stands in for a faulty migration."""
    db = Database(url)
    try:
        await db.upgrade()
        await _a_row_in_every_table(db)
        await db.migrate("downgrade", "0011")
        async with db.engine.begin() as connection:
            # 0012 moves a patient held at this step of the old safety screen to its successor.
            await connection.execute(
                text("UPDATE patients SET onboarding_step = 'clearance:weakness' WHERE id = :id"),
                {"id": PATIENT_ID},
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER lose_the_patient AFTER UPDATE OF onboarding_step ON patients"
                    " BEGIN DELETE FROM patients WHERE id = NEW.id; END"
                )
            )
    finally:
        await db.dispose()


def _sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'sibot.db'}"


async def test_a_migration_that_would_leave_rows_referring_to_nothing_changes_nothing(
    tmp_path: Path,
) -> None:
    url = _sqlite_url(tmp_path)
    await database_whose_upgrade_loses_a_patient(url)
    db = Database(url)
    try:
        before = await _row_counts(db)
        with pytest.raises(BrokenReferences) as refusal:
            await db.upgrade()
        assert "would leave rows that refer to rows that are not there" in str(refusal.value)
        assert "1 of exercise_sessions without their row in patients" in str(refusal.value)
        assert "13 of safety_answers without their row in patients" in str(refusal.value)
        assert await _row_counts(db) == before
        async with db.engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            columns = await connection.run_sync(lambda sync: inspect(sync).get_columns("patients"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
        assert version == "0011" and "advised_at" not in {column["name"] for column in columns}
        assert foreign_keys == 1
    finally:
        await db.dispose()


async def test_the_alembic_command_says_in_one_line_that_it_changed_nothing(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    await database_whose_upgrade_loses_a_patient(url)
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alembic", "upgrade", "head",
        cwd=REPOSITORY, env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(command.communicate(), timeout=30))[0].decode()

    assert command.returncode != 0 and "Traceback" not in output, output
    assert "FAILED: the migration would leave rows that refer to rows that are not there" in output
    assert "without their row in patients); nothing was changed" in output
    with closing(sqlite3.connect(tmp_path / "sibot.db")) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [("0011",)]


async def test_rows_that_referred_to_nothing_before_a_migration_do_not_stop_it(
    tmp_path: Path, production_log_lines: io.StringIO
) -> None:
    """Rows an sqlite3 shell (foreign keys off) left behind are not the migration's doing."""
    url = _sqlite_url(tmp_path)
    db = Database(url)
    try:
        await db.upgrade()
        await _a_row_in_every_table(db)
        await db.migrate("downgrade", "0011")
        with closing(sqlite3.connect(tmp_path / "sibot.db")) as shell:
            shell.execute("DELETE FROM followers")
            shell.commit()  # the share link now refers to no follower
        await db.upgrade()
        async with db.engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            links = await connection.scalar(text("SELECT count(*) FROM share_links"))
        assert (version, links) == ("0012", 1)
        [warning] = [
            json.loads(line) for line in production_log_lines.getvalue().splitlines()
            if "refer to rows that are not there" in line
        ]
        assert warning["level"] == "WARNING" and warning["dangling"] == {"share_links->followers": 1}
    finally:
        await db.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_models_match_migrations(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        assert await connection.run_sync(_tables) == set(Base.metadata.tables)


async def test_upgrade_twice_is_harmless(database: Database) -> None:
    await database.upgrade()
    assert await database.ping()


def test_newest_revision_is_the_head_of_the_migrations() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == NEWEST_REVISION


async def test_a_database_behind_the_newest_revision_is_upgraded_at_start(any_database_url: str) -> None:
    db = Database(any_database_url)
    try:
        await db.migrate("upgrade", _revisions()[0])
        await db.upgrade()
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    finally:
        await db.dispose()


async def test_an_unfinished_broadcast_of_an_earlier_version_is_not_sent_again(
    any_database_url: str,
) -> None:
    db = Database(any_database_url)
    try:
        await db.migrate("upgrade", "0002")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO broadcasts (admin_id, text, created_at, confirmed_at, sent, failed)"
                    " VALUES (1, 'cut off', :at, :at, 10, 0)"
                ),
                {"at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC)},
            )
        await db.upgrade()
        async with db.transaction() as session:
            broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None and broadcast.finished_at == broadcast.confirmed_at
        assert (broadcast.sent_through, broadcast.held_by) == (0, None)
    finally:
        await db.dispose()


async def test_broadcasts_get_their_state_and_a_downgrade_sends_no_cancelled_one(
    any_database_url: str,
) -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    db = Database(any_database_url)
    try:
        await db.migrate("upgrade", "0003")
        async with db.engine.begin() as connection:
            for confirmed, finished in ((None, None), (at, None), (at, at)):
                await connection.execute(
                    text(
                        "INSERT INTO broadcasts (admin_id, text, created_at, confirmed_at, finished_at,"
                        " sent, failed) VALUES (1, 'hi', :at, :confirmed, :finished, 0, 0)"
                    ),
                    {"at": at, "confirmed": confirmed, "finished": finished},
                )
        await db.upgrade()
        async with db.transaction() as session:
            rows = (await session.scalars(select(Broadcast).order_by(Broadcast.id))).all()
            assert [row.status for row in rows] == ["draft", "sending", "finished"]
            rows[0].status, rows[1].status = "cancelled", "cancelled"  # a draft, and one going out
        await db.migrate("downgrade", "0003")
        async with db.engine.connect() as connection:
            left = (await connection.execute(text("SELECT confirmed_at, finished_at FROM broadcasts"))).all()
        # What 0003 sends or resumes has no finished_at: none of them.
        assert all(confirmed is not None and finished is not None for confirmed, finished in left)
    finally:
        await db.dispose()


async def test_a_session_in_progress_at_the_upgrade_to_the_guided_pace_goes_on_step_by_step(
    any_database_url: str,
) -> None:
    at = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    db = Database(any_database_url)
    try:
        await db.migrate("upgrade", "0006")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO patients (id, language, timezone, pregnant, hold_seconds,"
                    " repetitions, gentle, followups_enabled, active, created_at, last_seen_at)"
                    " VALUES (7, 'en', 'UTC', false, 5, 2, false, true, true, :at, :at)"
                ),
                {"at": at},
            )
            await connection.execute(
                text(
                    "INSERT INTO exercise_sessions (patient_id, status, source, exercise_keys,"
                    " hold_seconds, repetitions, step_index, step_token, skipped_exercises,"
                    " started_at, updated_at) VALUES (7, 'active', 'command', :keys, 5, 2, 3, 9,"
                    " '[]', :at, :at)"
                ),
                {"at": at, "keys": json.dumps(list(ROUTINE_KEYS))},
            )
        await db.upgrade()
        async with db.transaction() as session:
            state = await active_session(session, 7, at)
            assert state is not None and (state.pace, state.step_index) == (Pace.OWN, 3)
            outcome = await act(session, 7, state.id, 9, Command(Action.NEXT), at)
            patient = await session.get(Patient, 7)
        assert outcome.state.step_index == 4 and outcome.state.awaiting is None
        assert patient is not None and (patient.pace, patient.rest_seconds) == ("guided", None)
    finally:
        await db.dispose()


async def test_patients_held_at_a_question_no_longer_asked_are_held_at_its_successor(
    any_database_url: str,
) -> None:
    """0012: an old clearance step names the new question; an old emergency hold is kept, and
    asks whether a clinician examined the patient the next time they write."""
    db = Database(any_database_url)
    seen = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    try:
        await db.migrate("upgrade", "0006")
        async with db.engine.begin() as connection:
            for patient_id, step in enumerate(
                ("clearance:weakness", "clearance:fever", "clearance:injury", "clearance:saddle", "safety"),
                start=1,
            ):
                await connection.execute(
                    text(
                        "INSERT INTO patients (id, language, timezone, onboarding_step, pregnant,"
                        " hold_seconds, repetitions, gentle, followups_enabled, active, created_at,"
                        " last_seen_at) VALUES (:id, 'en', 'UTC', :step, false, 5, 3, false, true,"
                        " true, :at, :at)"
                    ),
                    {"id": patient_id, "step": step, "at": seen},
                )
        await db.upgrade()
        async with db.transaction() as session:
            rows = (await session.scalars(select(Patient).order_by(Patient.id))).all()
        assert [(row.onboarding_step, row.advised_at) for row in rows] == [
            ("clearance:leg", None),
            ("clearance:history", None),
            ("clearance:history", None),
            ("clearance:saddle", seen),
            ("safety", None),
        ]
    finally:
        await db.dispose()
