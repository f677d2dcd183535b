"""Start and stop an Application in a running event loop, in the order ``run_polling`` uses.

The console and the end-to-end tests share the loop with the emulator, so they cannot call the
blocking ``run_polling``; these two functions do what it does, post_init and post_shutdown
included, so tests exercise the start-up path that production runs.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.app import prepare_database


async def start_polling(app: Application, *, poll_timeout: int = 10) -> None:  # type: ignore[type-arg]
    await prepare_database(app)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await app.start()


async def stop(app: Application) -> None:  # type: ignore[type-arg]
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
