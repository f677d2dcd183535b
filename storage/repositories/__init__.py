"""SQL implementations of the repository Protocols of ``domain.ports``; they never commit."""

from storage.repositories.accounts import (
    SqlBaseRepository,
    SqlMembershipRepository,
    SqlRoleRepository,
    SqlUserRepository,
)
from storage.repositories.audit import SqlAuditRepository
from storage.repositories.classes import SqlClassRepository
from storage.repositories.files import SqlFileRepository
from storage.repositories.planning import SqlPlanningReadRepository
from storage.repositories.reminders import (
    SqlBlockedChatRepository,
    SqlDeadlineRepository,
    SqlMuteRepository,
    SqlOutboxRepository,
)
from storage.repositories.scores import SqlScoreRepository
from storage.repositories.sessions import SqlLoginFailureRepository, SqlSessionRepository
from storage.repositories.submissions import SqlSubmissionRepository

__all__ = [
    "SqlAuditRepository",
    "SqlBaseRepository",
    "SqlBlockedChatRepository",
    "SqlClassRepository",
    "SqlDeadlineRepository",
    "SqlFileRepository",
    "SqlLoginFailureRepository",
    "SqlMembershipRepository",
    "SqlMuteRepository",
    "SqlOutboxRepository",
    "SqlPlanningReadRepository",
    "SqlRoleRepository",
    "SqlScoreRepository",
    "SqlSessionRepository",
    "SqlSubmissionRepository",
    "SqlUserRepository",
]
