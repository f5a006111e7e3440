"""Alembic environment, close to the async template.

The bot and the tests hand a connection in through `config.attributes["connection"]`; the
`alembic` command line opens its own from DATABASE_URL (never from alembic.ini). Either way the
migrations run in sibot.db.migration_transaction: one transaction, and on SQLite with foreign keys
off and checked before the commit.
"""

import asyncio

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import async_engine_from_config

from sibot.db import BrokenReferences, migration_transaction
from sibot.models import Base
from sibot.settings import load_settings

target_metadata = Base.metadata


def do_run_migrations(connection: Connection) -> None:
    with migration_transaction(connection):
        # Configured inside the transaction, Alembic leaves it to us: outside, it would commit it
        # after each revision (it does not take SQLite's DDL for transactional).
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


async def run_async_migrations() -> None:
    url = load_settings(require_token=False).database_url
    engine = async_engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    except BrokenReferences as error:
        # The command line prints a CommandError as one line, without a traceback.
        raise CommandError(f"{error}; nothing was changed") from None
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is None:
    asyncio.run(run_async_migrations())
else:
    do_run_migrations(connection)
