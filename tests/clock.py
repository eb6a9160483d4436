"""A clock a test sets by hand: what code given ``clock=`` reads instead of ``time.monotonic``."""

from __future__ import annotations


class Clock:
    """Callable like ``time.monotonic``; returns ``now``, which the test moves."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
