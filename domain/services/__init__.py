"""Use cases: one function per thing an administrator does."""
