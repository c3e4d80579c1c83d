"""How a subscription waits between attempts to reach a restarting daemon."""

from __future__ import annotations

import time

FIRST_DELAY_S = 0.05
MAX_DELAY_S = 1.0


class Backoff:
    """Delays that double from 50 ms up to 1 s, within ``limit`` seconds overall (``None``:
    no limit), counted from the first failure."""

    def __init__(self, limit: float | None) -> None:
        self._limit = limit
        self._delay = FIRST_DELAY_S
        self._give_up_at = None if limit is None else time.monotonic() + limit

    def next_delay(self) -> float | None:
        """The delay before the next attempt, or ``None`` when the limit has passed."""
        if self._give_up_at is not None:
            left = self._give_up_at - time.monotonic()
            if left <= 0:
                return None
            delay = min(self._delay, left)
        else:
            delay = self._delay
        self._delay = min(self._delay * 2, MAX_DELAY_S)
        return delay
