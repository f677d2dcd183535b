"""The unit of work: one transaction, committed once, rolled back otherwise.

Whoever starts an action opens one (the guard for a handler, a job, a command)::

    async with uow_factory() as uow:
        ...

and leaving the block commits it: cleanly, or with a refusal marked ``domain.errors.recorded``.
Any other exception rolls it back. That is the only commit: services, handlers and jobs never
commit, and the port they see (``domain.ports.UnitOfWork``) has no ``commit()`` to call. A job
that needs several transactions opens one unit of work for each (``scheduler/dispatch.py``).
``SqlUnitOfWork.commit()`` stays for storage itself and for storage tests that check what a
committed transaction leaves behind before their block ends.

On SQLite a writing unit of work begins with ``BEGIN IMMEDIATE`` (see ``storage.db``), so two of
them that each read and then write queue on the busy timeout instead of failing; a read-only one
begins DEFERRED and never blocks a writer. Nothing connects before the first statement.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from domain.errors import DomainError
from domain.ports import UnitOfWork
from storage.crypto import FieldCipher
from storage.db import is_sqlite, write_engine
from storage.repositories import (
    SqlAuditRepository,
    SqlBaseRepository,
    SqlBlockedChatRepository,
    SqlClassRepository,
    SqlDeadlineRepository,
    SqlFileRepository,
    SqlLoginFailureRepository,
    SqlMembershipRepository,
    SqlMuteRepository,
    SqlOutboxRepository,
    SqlPlanningReadRepository,
    SqlRoleRepository,
    SqlScoreRepository,
    SqlSessionRepository,
    SqlSubmissionRepository,
    SqlUserRepository,
)
from storage.repositories._common import conflict
from storage.writers import writing


class ReadOnlyViolation(RuntimeError):
    """A write attempted in a read-only unit of work: a programming error, never a user's."""


class SqlUnitOfWork:
    """Implements ``domain.ports.UnitOfWork`` over one ``AsyncSession``."""

    bases: SqlBaseRepository
    users: SqlUserRepository
    roles: SqlRoleRepository
    memberships: SqlMembershipRepository
    sessions: SqlSessionRepository
    login_failures: SqlLoginFailureRepository
    audit: SqlAuditRepository
    classes: SqlClassRepository
    files: SqlFileRepository
    scores: SqlScoreRepository
    submissions: SqlSubmissionRepository
    deadlines: SqlDeadlineRepository
    mutes: SqlMuteRepository
    blocked_chats: SqlBlockedChatRepository
    outbox: SqlOutboxRepository
    planning: SqlPlanningReadRepository

    def __init__(self, engine: AsyncEngine, cipher: FieldCipher, *, readonly: bool = False) -> None:
        self._engine = engine
        self._cipher = cipher
        self._readonly = readonly
        self._session: AsyncSession | None = None
        self._resources = AsyncExitStack()

    @property
    def readonly(self) -> bool:
        """Fixed at construction: whether the block's end commits depends on it."""
        return self._readonly

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is entered once")
        if not self.readonly:
            await self._resources.enter_async_context(writing(self._engine))
        self._session = session = AsyncSession(
            self._bind(),
            expire_on_commit=False,
            sync_session_class=ReadOnlySession if self.readonly else Session,
        )
        self.bases = SqlBaseRepository(session)
        self.users = SqlUserRepository(session, self._cipher)
        self.roles = SqlRoleRepository(session)
        self.memberships = SqlMembershipRepository(session, self._cipher)
        self.sessions = SqlSessionRepository(session, self._cipher)
        self.login_failures = SqlLoginFailureRepository(session)
        self.audit = SqlAuditRepository(session)
        self.classes = SqlClassRepository(session)
        self.files = SqlFileRepository(session)
        self.scores = SqlScoreRepository(session, self._cipher)
        self.submissions = SqlSubmissionRepository(session)
        self.deadlines = SqlDeadlineRepository(session)
        self.mutes = SqlMuteRepository(session)
        self.blocked_chats = SqlBlockedChatRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.planning = SqlPlanningReadRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed; then the writer's turn (if any) ends.
        async with self._resources:
            try:
                if not self.readonly and _keeps_writes(exc):
                    await self.commit()
            finally:
                await self.session.close()

    async def commit(self) -> None:
        """Commits now, for storage code and storage tests: everyone else leaves the block."""
        try:
            await self.session.commit()
        except IntegrityError as error:
            raise conflict(error) from error
        # Rows cached from the committed transaction must not answer the next one's reads.
        self.session.expunge_all()

    async def rollback(self) -> None:
        await self.session.rollback()

    @property
    def session(self) -> AsyncSession:
        """The session, for storage code beyond the repositories (file store, persistence)."""
        if self._session is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._session

    def _bind(self) -> AsyncEngine:
        if is_sqlite(self._engine):
            return self._engine if self.readonly else write_engine(self._engine)
        if self.readonly:
            return self._engine.execution_options(postgresql_readonly=True)
        return self._engine


def _keeps_writes(exc: BaseException | None) -> bool:
    """A clean end, or a refusal that is itself a fact to keep (``domain.errors.recorded``)."""
    return exc is None or (isinstance(exc, DomainError) and exc.recorded)


class ReadOnlySession(Session):
    """The session of a read-only unit of work: refuses writes on SQLite too, as PostgreSQL does.

    The listeners are the class's, registered once: per session they cost more than a query.
    """


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("write attempted in a read-only unit of work")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyViolation("write attempted in a read-only unit of work")


class UnitOfWorkFactory:
    """Opens units of work for the guard, a job, a command: ``async with uow_factory() as uow``.

    A job that needs several transactions receives it as a ``Callable[[], UnitOfWork]``.
    """

    def __init__(self, engine: AsyncEngine, cipher: FieldCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cipher, readonly=readonly)


if TYPE_CHECKING:
    # mypy's proof that the adapters satisfy the ports: the unit of work services are written
    # against, and the maker of them that a job needing several transactions receives.
    _satisfies_the_port: type[UnitOfWork] = SqlUnitOfWork

    def _makes_the_port(factory: UnitOfWorkFactory) -> Callable[[], UnitOfWork]:
        return factory
