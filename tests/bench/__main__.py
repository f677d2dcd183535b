"""``python -m tests.bench [--only NAME] [--json PATH] [--quick]``: see ``tests.bench.harness``."""

import sys

from tests.bench import reminders, scores, updates
from tests.bench.harness import main

sys.exit(main(scores.BENCHMARKS + reminders.BENCHMARKS + updates.BENCHMARKS))
