"""Start and stop an Application in a running event loop, in the order ``run_polling`` uses.

``cebot run``, the console and the end-to-end tests all start the bot through these functions,
so the tests exercise the start-up path production runs. Updates come in through
``bot.intake`` (acknowledged only after they were handled), not python-telegram-bot's updater.
"""

from __future__ import annotations

from bot import tuning
from bot.app import prepare_database
from bot.intake import Intake, Poller
from bot.runtime import App

INTAKE_KEY = "cebot.intake"
POLLER_KEY = "cebot.poller"
DRAIN_SECONDS = 10.0
"""At a clean stop, how long updates in hand may take to finish; the rest come again later."""


async def start(app: App) -> Intake:
    """Database, Application and job queue started; returns the intake to feed updates to."""
    await prepare_database(app)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    tuning.for_serving()
    intake = Intake(app)
    app.bot_data[INTAKE_KEY] = intake
    return intake


async def start_polling(app: App, *, poll_timeout: int = 10) -> None:
    intake = await start(app)
    await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
    poller = Poller(intake, timeout=poll_timeout)
    app.bot_data[POLLER_KEY] = poller
    poller.start()


def updates_in_hand(app: App) -> int:
    intake = app.bot_data.get(INTAKE_KEY)
    return len(intake.in_hand) if isinstance(intake, Intake) else 0


async def stop(app: App, *, drain_seconds: float = DRAIN_SECONDS) -> None:
    poller = app.bot_data.pop(POLLER_KEY, None)
    if isinstance(poller, Poller):
        await poller.stop()
    intake = app.bot_data.pop(INTAKE_KEY, None)
    if isinstance(intake, Intake):
        await intake.drain(drain_seconds)
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    tuning.after_serving()
