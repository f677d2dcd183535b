"""``python -m tests.bench [--only NAME] [--json PATH] [--quick]``: see ``tests.bench.harness``."""

import sys

from tests.bench.harness import main
from tests.bench.scores import BENCHMARKS

sys.exit(main(BENCHMARKS))
