"""A thread-safe sliding-window rate limiter (TMDB allows roughly 40 requests/s)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    """Lets at most ``max_requests`` calls of :meth:`wait` through in any ``period`` seconds."""

    def __init__(self, max_requests: int = 35, period: float = 1.0) -> None:
        if max_requests < 1 or period <= 0:
            raise ValueError("a rate limit needs max_requests >= 1 and period > 0")
        self.max_requests = max_requests
        self.period = period
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until one more request may start; returns the seconds slept."""
        slept = 0.0
        with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self.period:
                    self._starts.popleft()
                if len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return slept
                pause = self.period - (now - self._starts[0])
                time.sleep(pause)
                slept += pause
