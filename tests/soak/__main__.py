"""``make soak``: the fault soak for ``SOAK_SECONDS`` (default 180) at ``SOAK_FAULT_RATE`` (0.1).

Exits 1 and prints what was lost when the bot lost anything; see tests/soak/soak.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from tests.soak.soak import soak


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "180"))
    rate = float(os.environ.get("SOAK_FAULT_RATE", "0.1"))
    seed = int(os.environ.get("SOAK_SEED", "9"))
    with tempfile.TemporaryDirectory(prefix="cebot-soak-") as workdir:
        report = asyncio.run(soak(Path(workdir), seconds, rate=rate, seed=seed))
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
