"""The schema: every migration goes up and down cleanly, and the models match the migrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text

from sibot.db import Database, alembic_config
from migrations import NEWEST_REVISION
from sibot.models import Base, Broadcast, Patient
from sibot.routine import ROUTINE_KEYS, Pace
from sibot.sessions import Action, Command, act, active_session


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


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
