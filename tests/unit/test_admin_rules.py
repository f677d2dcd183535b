"""What an admin's card offers: never anything on the super admin, never removing oneself."""

from __future__ import annotations

import pytest

from domain.model import Actor
from domain.permissions import ALL_PERMISSIONS, Permission
from domain.services.admins import AdminAction, AdminView, admin_actions

ME = 7
ALL = [
    AdminAction.CHANGE_ROLE,
    AdminAction.RESET_PASSWORD,
    AdminAction.HAND_OVER,
    AdminAction.REMOVE,
]


def actor(*, is_super: bool) -> Actor:
    permissions = ALL_PERMISSIONS if is_super else frozenset({Permission.ADMINS_MANAGE})
    return Actor(
        session_id=1,
        user_id=ME,
        user_name="王芳",
        base_id=1,
        base_name="武汉职业培训学院",
        membership_id=ME,
        is_super=is_super,
        permissions=permissions,
    )


def admin(*, user_id: int, is_super: bool = False) -> AdminView:
    return AdminView(
        membership_id=user_id,
        user_id=user_id,
        name="赵磊",
        masked_id_number="420106********1234",
        is_super=is_super,
        role_id=None,
        role_name=None,
    )


@pytest.mark.parametrize(
    ("acting_super", "target", "offered"),
    [
        (True, admin(user_id=8), ALL),
        (False, admin(user_id=8), [AdminAction.CHANGE_ROLE, AdminAction.REMOVE]),
        (False, admin(user_id=ME), [AdminAction.CHANGE_ROLE]),
        (False, admin(user_id=8, is_super=True), []),
        (True, admin(user_id=ME, is_super=True), []),
    ],
)
def test_the_card_offers_only_what_the_services_would_allow(
    acting_super: bool, target: AdminView, offered: list[AdminAction]
) -> None:
    assert admin_actions(actor(is_super=acting_super), target) == offered
