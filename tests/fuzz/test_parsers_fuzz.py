"""One batch of the parser fuzz inside ``make test`` (derandomized by the ``ci`` profile: the same
examples on every run); ``make fuzz`` runs the long, random version.

The targets and the contract (a result or a documented ``Invalid("file", ...)``, nothing else,
bounded time) are in ``tests/fuzz/fuzz_parsers.py``.
"""

from __future__ import annotations

import pytest

from domain import uploads
from tests.fuzz import fuzz_parsers
from tests.fuzz.fuzz_parsers import UnexpectedOutcome, expect_result_or_refusal


def test_every_parser_keeps_its_contract_on_random_and_mutated_files() -> None:
    assert fuzz_parsers.run(4.0, batch=40, report=lambda line: None) >= 40 * len(
        fuzz_parsers.TARGETS
    )


def test_the_contract_check_tells_a_refusal_from_a_crash() -> None:
    assert expect_result_or_refusal(lambda: uploads.check_upload(b"", "a.pdf"), 0) is None
    with pytest.raises(UnexpectedOutcome, match="ZeroDivisionError"):
        expect_result_or_refusal(lambda: 1 / 0, 0)
