"""Which commands a person may use now (domain/commands.py): the rule /help shows."""

from domain.commands import Standing, commands_for
from domain.model import Actor, ReviewerActor
from domain.permissions import ALL_PERMISSIONS, Permission


def an_admin(permissions: frozenset[Permission], *, is_super: bool = False) -> Actor:
    return Actor(
        session_id=1,
        user_id=1,
        user_name="王芳",
        base_id=1,
        base_name="基地",
        membership_id=1,
        is_super=is_super,
        permissions=permissions,
    )


def test_logged_out_may_log_in_or_register() -> None:
    assert commands_for(Standing()) == ("login", "register", "language", "help", "cancel")


def test_a_password_to_change_comes_first() -> None:
    standing = Standing(logged_in=True, must_change_password=True)
    assert commands_for(standing) == ("password", "logout", "language", "help", "cancel")


def test_a_base_to_choose_first() -> None:
    standing = Standing(logged_in=True, base_choice_required=True)
    assert commands_for(standing)[0] == "base"
    assert "menu" not in commands_for(standing)


def test_an_admin_by_permission() -> None:
    clerk = commands_for(
        Standing(home=an_admin(frozenset({Permission.SCORES_MANAGE})), logged_in=True)
    )
    assert clerk == (
        "menu",
        "scores",
        "deadlines",
        "base",
        "password",
        "logout",
        "language",
        "help",
        "cancel",
    )
    nothing = commands_for(Standing(home=an_admin(frozenset()), logged_in=True))
    assert "profile" not in nothing and "audit" not in nothing and "menu" in nothing


def test_the_super_admin_has_every_function_and_the_audit() -> None:
    boss = commands_for(Standing(home=an_admin(ALL_PERMISSIONS, is_super=True), logged_in=True))
    for command in ("profile", "admins", "roles", "classes", "scores", "plan", "summary"):
        assert command in boss
    assert "materials" in boss and "audit" in boss
    assert "login" not in boss and "register" not in boss and "review" not in boss


def test_a_reviewer() -> None:
    checker = ReviewerActor(session_id=1, user_id=2, user_name="周审核")
    assert commands_for(Standing(home=checker, logged_in=True)) == (
        "menu",
        "review",
        "deadlines",
        "password",
        "logout",
        "language",
        "help",
        "cancel",
    )
