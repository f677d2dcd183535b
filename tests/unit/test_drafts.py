"""How long a form's draft lives (domain.drafts)."""

from datetime import UTC, datetime, timedelta

from domain import drafts
from domain.drafts import DraftAge

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_draft_is_fresh_then_idle_then_expired() -> None:
    assert drafts.age(T, T + timedelta(minutes=29)) is DraftAge.FRESH
    assert drafts.age(T, T + drafts.STEP_IDLE) is DraftAge.IDLE
    assert drafts.age(T, T + timedelta(days=2, hours=23)) is DraftAge.IDLE
    assert drafts.age(T, T + drafts.LIFETIME) is DraftAge.EXPIRED
    assert drafts.expires_at(T) == T + timedelta(days=3)
