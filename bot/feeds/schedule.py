"""When to ask a feed again: a pure function of its state, the time and the outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.feeds.model import FeedState, FetchError


@dataclass(frozen=True, kw_only=True, slots=True)
class Backoff:
    """Exponential backoff with jitter, capped, reset by the first success."""

    base: float = 30.0
    cap: float = 3600.0
    jitter: float = 0.2


def due(state: FeedState, now: datetime) -> bool:
    return state.next_check_at is None or state.next_check_at <= now


def next_check(
    state: FeedState,
    now: datetime,
    *,
    interval: float,
    error: FetchError | None,
    backoff: Backoff,
    random: Callable[[], float],
) -> datetime:
    """The earliest time the feed should be fetched again.

    After a success: one interval, jittered. After the n-th failure in a row:
    ``base * 2**(n-1)`` capped at ``backoff.cap``, jittered, never sooner than
    the server's Retry-After. ``state`` is the state *after* the outcome.
    """
    spread = 1 + backoff.jitter * (2 * random() - 1)
    if error is None:
        return now + timedelta(seconds=interval * spread)
    exponent = max(0, state.consecutive_failures - 1)
    delay = min(backoff.cap, max(interval, backoff.base) * 2.0**exponent) * spread
    if not error.retryable:
        delay = max(delay, min(backoff.cap, interval * 10))
    if error.retry_after is not None:
        delay = max(delay, min(error.retry_after, backoff.cap * 4))
    return now + timedelta(seconds=delay)
