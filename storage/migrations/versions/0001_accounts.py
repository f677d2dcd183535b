"""Accounts: bases, users, roles, memberships, login sessions and failures, audit, bot persistence.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0001_accounts
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_accounts"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("contact_person", sa.String(), nullable=False),
        sa.Column("contact_phone", sa.String(), nullable=False),
        sa.Column("created_at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bases"),
        sa.UniqueConstraint("credit_code", name="uq_bases_credit_code"),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("id_number_enc", sa.Text(), nullable=False),
        sa.Column("id_number_idx", sa.String(64), nullable=False),
        sa.Column("mobile_enc", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _aware(), nullable=True),
        sa.Column("credentials_changed_at", _aware(), nullable=False),
        sa.Column("created_at", _aware(), nullable=False),
        sa.Column("is_reviewer", sa.Boolean(), nullable=False),
        sa.Column("reviewer_regions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("row_uuid", name="uq_users_row_uuid"),
        sa.UniqueConstraint("id_number_idx", name="uq_users_id_number_idx"),
    )

    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_roles_base_id_bases"),
        sa.UniqueConstraint("base_id", "name", name="uq_roles_base_id_name"),
    )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_super", sa.Boolean(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memberships"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_memberships_base_id_bases"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_memberships_user_id_users"),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name="fk_memberships_role_id_roles", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("base_id", "user_id", name="uq_memberships_base_id_user_id"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_index("ix_memberships_role_id", "memberships", ["role_id"])
    op.create_index(
        "uq_memberships_one_super",
        "memberships",
        ["base_id"],
        unique=True,
        sqlite_where=sa.text("is_super IS 1"),
        postgresql_where=sa.text("is_super IS true"),
    )

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("started_at", _aware(), nullable=False),
        sa.Column("last_seen_at", _aware(), nullable=False),
        sa.Column("ended_at", _aware(), nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_login_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_login_sessions_user_id_users"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_login_sessions_base_id_bases"),
    )
    op.create_index("ix_login_sessions_telegram_user_id", "login_sessions", ["telegram_user_id"])
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_index("ix_login_sessions_base_id", "login_sessions", ["base_id"])
    op.create_index(
        "uq_login_sessions_one_open",
        "login_sessions",
        ["telegram_user_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_telegram_user_id", "login_failures", ["telegram_user_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _aware(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_audit_events_base_id_bases"),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name="fk_audit_events_actor_user_id_users"
        ),
    )
    op.create_index("ix_audit_events_base_id_id", "audit_events", ["base_id", sa.text("id DESC")])
    op.create_index("ix_audit_events_actor_user_id", "audit_events", ["actor_user_id"])

    op.create_table(
        "bot_persistence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bot_persistence"),
        sa.UniqueConstraint("kind", "name", "key", name="uq_bot_persistence_kind_name_key"),
    )


def downgrade() -> None:
    op.drop_table("bot_persistence")
    op.drop_index("ix_audit_events_actor_user_id", table_name="audit_events")
    op.drop_index("ix_audit_events_base_id_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_login_failures_telegram_user_id", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("uq_login_sessions_one_open", table_name="login_sessions")
    op.drop_index("ix_login_sessions_base_id", table_name="login_sessions")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_index("ix_login_sessions_telegram_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
    op.drop_index("uq_memberships_one_super", table_name="memberships")
    op.drop_index("ix_memberships_role_id", table_name="memberships")
    op.drop_index("ix_memberships_user_id", table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("roles")
    op.drop_table("users")
    op.drop_table("bases")
