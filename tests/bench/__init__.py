"""Benchmarks, run by ``make bench`` (never by ``make test``): performance targets live here.

``harness`` measures, prints the table and keeps the JSON; ``scores`` holds the rows for the
import of learners' scores (issue 6); ``arrange`` and ``scorefile`` build what they measure.
``test_quick_runs`` is the one module ``make test`` collects here: a smoke run of the rows, their
numbers checked for shape, never against the targets.
Kept free of imports so that ``memory_child`` starts as light as the code it measures allows.
"""
