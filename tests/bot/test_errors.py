"""The error texts a person reads: states and steps in words, placeholders filled."""

from zoneinfo import ZoneInfo

from bot.errors import describe
from bot.i18n import Translator
from domain.errors import InvalidTransition


def test_a_refused_transition_names_the_state_and_step_in_words() -> None:
    zh = Translator("zh", ZoneInfo("Asia/Shanghai"))
    text = describe(InvalidTransition("submitted", "withdraw"), zh)
    assert "待审核" in text and "撤回" in text
    assert "submitted" not in text and "withdraw" not in text
    en = describe(InvalidTransition("approved", "submit"), Translator("en", ZoneInfo("UTC")))
    assert "Approved" in en and "Submit for review" in en
