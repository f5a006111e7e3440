"""Alembic migrations; `sibot.db.Database.upgrade` runs them at start."""
