"""How often and how long the client waits before asking TMDB again."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before asking again.

    ``retries`` counts 5xx answers, timeouts and connection errors;
    ``rate_limit_retries`` counts HTTP 429, which passes once TMDB's window
    moves on. Waits follow ``Retry-After`` when TMDB sends one, else double
    from ``backoff`` up to ``max_backoff``.
    """

    retries: int = 5
    rate_limit_retries: int = 10
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after:
            seconds = _parse_retry_after(retry_after)
            if seconds is not None:
                return min(max(seconds, 0.0), self.max_retry_after)
        return min(self.backoff * 2**attempt, self.max_backoff)


def _parse_retry_after(value: str) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()
