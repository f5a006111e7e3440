"""Running the bot in an event loop of our own: polling and webhook mode, the sandbox, the tests.

These keep the order of PTB's `run_polling`: initialize, post_init, start ... (the updater's
stop), stop, shutdown, post_shutdown. sibot does not use `run_polling` itself: its signal handler
raises SystemExit into whatever the loop runs, and a SIGTERM while the updater started polling
(just after "ready") left that start's task to be resumed after its coroutine was closed
("Task exception was never retrieved ... cannot reuse already awaited coroutine").
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from telegram import Update
from telegram.error import TelegramError

from handlers.ptb.context import AnyApplication


@asynccontextmanager
async def running(
    application: AnyApplication, initialized: Callable[[], None] = lambda: None
) -> AsyncIterator[None]:
    """The application started, with its post_init done; stopped and shut down on the way out.
    `initialized` is called between post_init and the start."""
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        initialized()
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
async def polling(
    application: AnyApplication,
    poll_timeout: int = 10,
    initialized: Callable[[], None] = lambda: None,
    error_callback: Callable[[TelegramError], None] | None = None,
) -> AsyncIterator[None]:
    """The application running and polling for updates; a failed poll goes to `error_callback`
    (None: PTB logs it)."""
    async with running(application, initialized):
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES,
            error_callback=error_callback,
        )
        yield


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stopped_by_signals(stop: asyncio.Event) -> Iterator[Callable[[], None]]:
    """SIGINT and SIGTERM set `stop`, whenever they come. Until the start is done (call the
    `started` this yields) they also cancel the task that runs the block: initialize and post_init
    may wait out an outage for a minute, and a stop must not wait for them. After it, the start of
    the application and of its updater (one call to Telegram) is let finish."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    interruptible = True

    def on_signal() -> None:
        nonlocal interruptible
        stop.set()
        if interruptible:
            interruptible = False
            main.cancel()

    def started() -> None:
        nonlocal interruptible
        interruptible = False

    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, on_signal)
    try:
        yield started
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        main.uncancel()
    finally:
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)


async def serve_polling(application: AnyApplication, stop: asyncio.Event) -> None:
    """Poll until SIGINT or SIGTERM (or until `stop` is set), then stop cleanly, whenever it
    comes."""

    def to_error_handlers(error: TelegramError) -> None:
        # as run_polling does: a Conflict (another poller) reaches handlers.ptb.errors
        application.create_task(application.process_error(error=error, update=None))

    with stopped_by_signals(stop) as started:
        async with polling(application, initialized=started, error_callback=to_error_handlers):
            await stop.wait()
