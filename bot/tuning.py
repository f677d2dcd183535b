"""The interpreter tuned for a process that must keep answering while one admin imports a file.

Measured by the ``head_of_line_100k`` bench row (another admin's /menu every 50 ms while 100,000
learners are checked and stored): with Python's defaults its p99 was 0.4-0.8 s, with these
0.12 s. Two causes, two settings:

- **Full garbage collections.** An import holds a few million objects (the rows read, the
  preview, the records to store); each full collection walks all of them while holding the GIL,
  0.25-0.6 s during which nothing else runs, and the default thresholds ran about a dozen per
  import. Objects alive at start-up (modules, handlers, metadata: most of the heap) are frozen
  out of collections, and collections run less often: a young generation of 50,000 instead of
  700 allocations. Cyclic garbage waits longer to be freed; cebot makes little of it.
- **The GIL's switch interval.** A file is checked in a worker thread; the event loop waits for
  the GIL each time it wakes, up to the switch interval (5 ms by default) and an answer needs a
  few dozen wake-ups. At 0.5 ms the worker is interrupted more often, at a small cost to it.
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_S = 0.0005
GC_THRESHOLDS = (50_000, 20, 100)


def for_serving() -> None:
    """At start-up, once the Application is built and initialised (what is alive now stays)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


def after_serving() -> None:
    """At stop: what start-up froze becomes collectable again (tests start many Applications in
    one process; without this each one's leftovers would stay frozen)."""
    gc.unfreeze()
