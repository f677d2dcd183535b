"""The composition root: everything cebot is built from, made from ``Settings`` in one place.

``cebot run`` and its standby, ``cebot console``, every operator command and the tests' Application
take the engine, the keys, the units of work, the hasher, the file store and the handlers'
:class:`~bot.runtime.Services` from a :class:`Root`, so no entry point wires storage by hand and
what a test drives is what production runs. The Telegram side (handlers, the Application) is
wired on top of a root in ``bot/app.py``.

A root builds each part when first asked (``cebot keys new`` opens no database) and owns every
engine it made: ``async with Root(settings) as root:`` disposes them at the end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.lease import AdvisoryLease, FileLease, Lease
from bot.runtime import Services
from domain.clock import Clock, SystemClock
from domain.ports import PasswordHasher
from domain.scoresheet import ScoreWorkbooks
from domain.services.auth import LoginPolicy
from domain.services.sessions import SessionPolicy
from storage.crypto import FieldCipher, Keyring, load_keyring
from storage.db import engine_schema, is_sqlite, make_engine
from storage.filestore import LocalFileStore
from storage.kv import PersistenceStore
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("cebot")

LEASE_FILE = "cebot.lease"


@dataclass
class Overrides:
    """What tests and the console replace: the clock, a cheaper hasher, the API root and token."""

    clock: Clock = field(default_factory=SystemClock)
    hasher: PasswordHasher | None = None
    token: str | None = None
    bot_api_url: str | None = None
    rate_limiter: bool = True
    migrate: bool | None = None
    """None: migrate an embedded SQLite only (a PostgreSQL deployment runs ``cebot db upgrade``)."""
    engine: AsyncEngine | None = None
    """An engine its owner disposes (a benchmark's arranged database); None: the root makes one."""


class Root:
    """One process's parts, each built once from ``settings`` when first needed."""

    def __init__(self, settings: Settings, overrides: Overrides | None = None) -> None:
        self.settings = settings
        self.overrides = overrides or Overrides()
        self._owned: list[AsyncEngine] = []

    async def __aenter__(self) -> Root:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Disposes the engines this root made, the last made first; a borrowed one is left to
        its owner."""
        while self._owned:
            await self._owned.pop().dispose()

    def _new_engine(self) -> AsyncEngine:
        engine = make_engine(self.settings.database_url)
        self._owned.append(engine)
        return engine

    # --- the database ---------------------------------------------------------------------

    @cached_property
    def engine(self) -> AsyncEngine:
        """The process's database: units of work, conversations, its row in ``bot_processes``."""
        return self.overrides.engine or self._new_engine()

    def lease(self) -> Lease:
        """The one-active-process lease, on an engine of its own: on PostgreSQL the lock lives on
        a connection the Application's pool never hands out (SQLite's lease is a file lock)."""
        return lease_for(self._new_engine(), self.settings.data_dir)

    async def prepare_database(self) -> None:
        """Runs before the Application reads anything: an embedded SQLite is migrated here."""
        migrate = self.overrides.migrate
        if migrate is None:
            migrate = is_sqlite(self.engine)
        if migrate:
            await upgrade_engine(self.engine)

    async def upgrade_schema(self) -> None:
        """``cebot db upgrade``: migrates whatever the database, to the latest schema."""
        await upgrade_engine(self.engine)

    # --- keys and what encrypts with them -----------------------------------------------------

    def read_keyring(self) -> Keyring:
        """The keys as they are now: ``CEBOT_SECRET_KEYS``, else the key file (made on first use).

        A standby reads them again when it becomes active: the key file may change meanwhile.
        """
        return load_keyring(self.settings.secret_keys, self.settings.data_dir, logger=log)

    @cached_property
    def keyring(self) -> Keyring:
        """The keys this process reads and writes with, read once, when first needed."""
        return self.read_keyring()

    @cached_property
    def cipher(self) -> FieldCipher:
        return FieldCipher(self.keyring)

    @cached_property
    def uow(self) -> UnitOfWorkFactory:
        return UnitOfWorkFactory(self.engine, self.cipher)

    @property
    def files_root(self) -> Path:
        """Where the encrypted file store keeps its blobs (backed up and rotated there too)."""
        return files_root(self.settings)

    @cached_property
    def blobs(self) -> LocalFileStore:
        return LocalFileStore(self.files_root, self.cipher)

    @cached_property
    def persistence_store(self) -> PersistenceStore:
        """The rows behind python-telegram-bot's persistence (``bot.persistence``)."""
        return PersistenceStore(self.engine, self.cipher)

    # --- what the handlers get ------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.overrides.clock

    @cached_property
    def hasher(self) -> PasswordHasher:
        return self.overrides.hasher or Argon2PasswordHasher()

    @cached_property
    def workbooks(self) -> ScoreWorkbooks:
        # Imported here, not above: openpyxl is about 0.2 s of the 2 s any cebot command takes to
        # start (python -X importtime), and only the Application reads or writes workbooks.
        from storage.spreadsheets import OpenpyxlScoreWorkbooks

        return OpenpyxlScoreWorkbooks()

    @cached_property
    def services(self) -> Services:
        settings = self.settings
        return Services(
            settings=settings,
            uow=self.uow,
            hasher=self.hasher,
            clock=self.clock,
            session_policy=SessionPolicy(
                idle_timeout=settings.session_idle, absolute_lifetime=settings.session_lifetime
            ),
            login_policy=LoginPolicy(),
            prepare_database=self.prepare_database,
            release_connections=self.engine.dispose,
            blobs=self.blobs,
            workbooks=self.workbooks,
        )


def files_root(settings: Settings) -> Path:
    return settings.data_dir / "files"


def lease_for(engine: AsyncEngine, data_dir: Path) -> Lease:
    """The lease that fits the database: a file lock beside an embedded SQLite, else an advisory
    lock named after the schema (tests, each in a schema of its own, never share one)."""
    if is_sqlite(engine):
        return FileLease(data_dir / LEASE_FILE)
    return AdvisoryLease(engine, engine_schema(engine) or "public")


def cheap_hasher() -> PasswordHasher:
    """1 MiB and one pass: for scratch sessions (a recorded console) whose passwords protect
    nothing, so that what a password costs never changes what is shown. Never for real accounts."""
    return Argon2PasswordHasher(memory_cost=1024, iterations=1)


def scratch_keys() -> str:
    """A fresh keyring, as ``CEBOT_SECRET_KEYS`` holds it, for a throw-away database."""
    return Keyring.generate().to_json()
