"""Hypothesis profiles: ``ci`` for ``make test``, ``fuzz`` for ``make fuzz``.

``ci`` (the default) derives every example from the test itself (``derandomize``), so a run
fails or passes the same way on every machine and every retry: a red build is reproducible and
a green one does not turn red by luck. Finding new cases is the job of ``fuzz``, which draws fresh
randomness each run and keeps what failed in the local example database. ``HYPOTHESIS_PROFILE``
picks one (``make fuzz`` sets it); ``tests/conftest.py`` loads it before any test module builds
its ``settings``, which inherit from the loaded profile what they do not set themselves.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Final

from hypothesis import HealthCheck, settings

CI: Final = "ci"
FUZZ: Final = "fuzz"
VARIABLE: Final = "HYPOTHESIS_PROFILE"

settings.register_profile(
    CI,
    derandomize=True,  # implies no example database: nothing carried over from an earlier run
    max_examples=100,
    # Five times hypothesis' default: catches an example that blows up (a regex backtracking,
    # a quadratic loop) without failing a slow but sound one on two busy cores.
    deadline=timedelta(seconds=1),
    # How fast hypothesis generates data depends on the machine's load, not on the code.
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    FUZZ,
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)


def load(default: str = CI) -> str:
    """Loads the profile ``HYPOTHESIS_PROFILE`` names (else ``default``) and returns its name."""
    name = os.environ.get(VARIABLE) or default
    settings.load_profile(name)
    return name
