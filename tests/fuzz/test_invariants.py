"""The database checks of the random chat see what they claim to: each breaks a copy of the fuzz
scene in one way, with SQL as a bug would, and its sentence must come out of ``violations``."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import make_engine
from tests.fuzz.invariants import violations
from tests.fuzz.scene import Scene, build_scene

WUHAN = "(SELECT id FROM users WHERE is_reviewer AND reviewer_regions LIKE '%\\u6b66%')"
HUANGSHI = "(SELECT id FROM users WHERE is_reviewer AND reviewer_regions LIKE '%\\u9ec4%')"
SUBMITTED_CLASS = "(SELECT MIN(id) FROM training_classes WHERE status = 'submitted')"
A_RETURN = (
    "INSERT INTO class_status_changes (class_id, status, action, at, by_user_id, reason) "
    f"SELECT {SUBMITTED_CLASS}, 'returned', 'return', at, {WUHAN}, {{reason}} "
    "FROM class_status_changes LIMIT 1",
    f"UPDATE training_classes SET status = 'returned' WHERE id = {SUBMITTED_CLASS}",
)

BROKEN = {
    "an approval by an admin": (
        ["UPDATE class_status_changes SET by_user_id = 1 WHERE action = 'approve'"],
        "by user 1, who is no reviewer",
    ),
    "an approval by another region's reviewer": (
        [f"UPDATE class_status_changes SET by_user_id = {HUANGSHI} WHERE action = 'approve'"],
        "who is a reviewer of ('黄石市',)",
    ),
    "a return without a reason": ([s.format(reason="'  '") for s in A_RETURN], "has no reason"),
    "a return with an untrimmed reason": (
        [s.format(reason="' 补充材料'") for s in A_RETURN],
        "keeps an untrimmed or too long reason",
    ),
    "a return nobody was told of": (
        [s.format(reason="'补充材料'") for s in A_RETURN],
        "left no notice ('class:",
    ),
    "an approval carrying a reason": (
        ["UPDATE class_status_changes SET reason = 'ok' WHERE action = 'approve'"],
        "carries a reason 'ok'",
    ),
    "the notices of approvals lost": (["DELETE FROM outbox"], "left no notice ('class:"),
    "a waiting class without its submission time": (
        [f"UPDATE training_classes SET submitted_at = NULL WHERE id = {SUBMITTED_CLASS}"],
        "says submitted_at None",
    ),
    "scores of a class not approved": (
        [
            "UPDATE score_records SET class_id = "
            "(SELECT id FROM training_classes WHERE status = 'draft') "
            "WHERE class_id = (SELECT MIN(class_id) FROM score_records)"
        ],
        "is draft but has 2 learners' scores",
    ),
}


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return asyncio.run(build_scene(tmp_path_factory.mktemp("scene")))


def _check(url: str) -> list[str]:
    async def run() -> list[str]:
        engine = make_engine(url)
        try:
            return await violations(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_scene_itself_breaks_nothing(scene: Scene, tmp_path: Path) -> None:
    assert _check(scene.copy_to(tmp_path)) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_check_names_what_a_bug_would_break(scene: Scene, tmp_path: Path, case: str) -> None:
    url = scene.copy_to(tmp_path)
    statements, sentence = BROKEN[case]
    with sqlite3.connect(tmp_path / "cebot.db") as db:
        for statement in statements:
            assert db.execute(statement).rowcount > 0, statement
    problems = _check(url)
    assert any(sentence in problem for problem in problems), "\n".join(problems)


def test_a_base_that_moved_keeps_the_decisions_made_before(scene: Scene, tmp_path: Path) -> None:
    """Its audit trail names the region it left: the approvals of 武汉市's reviewer stay right.
    Moved without a trace, the same approvals would be another region's reviewer's."""
    url = scene.copy_to(tmp_path)
    with sqlite3.connect(tmp_path / "cebot.db") as db:
        db.execute("UPDATE bases SET region = '仙桃市'")
    assert any("who is a reviewer of ('武汉市',)" in problem for problem in _check(url))
    with sqlite3.connect(tmp_path / "cebot.db") as db:
        db.execute(
            "INSERT INTO audit_events (at, base_id, actor_user_id, action, subject, old_value, "
            "new_value) SELECT at, base_id, actor_user_id, 'profile.region', subject, '武汉市', "
            "'仙桃市' FROM audit_events WHERE base_id IS NOT NULL LIMIT 1"
        )
    assert _check(url) == []
