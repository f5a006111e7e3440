"""Alembic migrations; `sibot.db.Database.upgrade` runs them at start."""

# The head revision, so that a start with nothing to migrate need not load alembic to find out.
# A new migration moves it; tests/test_migrations.py fails until it does.
NEWEST_REVISION = "0012"
