"""Running the bot in an event loop someone else owns: webhook mode, the sandbox, the tests.

PTB's `run_polling` owns its loop; these keep its order inside ours: initialize, post_init,
start ... (the updater's stop), stop, shutdown, post_shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update

from handlers.ptb.context import AnyApplication


@asynccontextmanager
async def running(application: AnyApplication) -> AsyncIterator[None]:
    """The application started, with its post_init done; stopped and shut down on the way out."""
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


@asynccontextmanager
async def polling(application: AnyApplication, poll_timeout: int = 10) -> AsyncIterator[None]:
    """The application running and polling for updates."""
    async with running(application):
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )
        yield
