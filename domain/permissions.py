"""The permissions a role can hold; the super admin holds all of them."""

from __future__ import annotations

from enum import StrEnum

from domain.messages import N_


class Permission(StrEnum):
    PROFILE_EDIT = "profile.edit"
    ADMINS_MANAGE = "admins.manage"
    ROLES_MANAGE = "roles.manage"
    CLASSES_MANAGE = "classes.manage"
    SCORES_MANAGE = "scores.manage"
    PLANS_MANAGE = "plans.manage"
    SUMMARIES_MANAGE = "summaries.manage"
    MATERIALS_MANAGE = "materials.manage"

    @property
    def label(self) -> str:
        return PERMISSION_LABELS[self]


PERMISSION_LABELS: dict[Permission, str] = {
    Permission.PROFILE_EDIT: N_("机构信息管理"),
    Permission.ADMINS_MANAGE: N_("管理员管理"),
    Permission.ROLES_MANAGE: N_("角色管理"),
    Permission.CLASSES_MANAGE: N_("培训班管理"),
    Permission.SCORES_MANAGE: N_("学员成绩管理"),
    Permission.PLANS_MANAGE: N_("年度培训计划"),
    Permission.SUMMARIES_MANAGE: N_("年度工作总结"),
    Permission.MATERIALS_MANAGE: N_("年度工作材料报送"),
}

ALL_PERMISSIONS: frozenset[Permission] = frozenset(Permission)


_BY_NAME: dict[str, Permission] = {p.value: p for p in Permission}


def parse_permissions(values: list[str] | tuple[str, ...] | set[str]) -> frozenset[Permission]:
    """Stored permission names to enum members; unknown names (a retired permission) are dropped."""
    return frozenset(_BY_NAME[v] for v in values if v in _BY_NAME)
