"""The schedule is a pure function of (state, now, outcome)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.feeds.model import ErrorKind, FeedState, FetchError
from bot.feeds.schedule import Backoff, due, next_check

NOW = datetime(2024, 1, 1, tzinfo=UTC)
BACKOFF = Backoff(base=30, cap=3600, jitter=0.2)
SERVER = FetchError(kind=ErrorKind.HTTP_SERVER, message="500")


def seconds(state: FeedState, error: FetchError | None, random: float = 0.5) -> float:
    when = next_check(state, NOW, interval=60, error=error, backoff=BACKOFF, random=lambda: random)
    return (when - NOW).total_seconds()


def test_after_a_success_the_next_check_is_one_jittered_interval() -> None:
    assert seconds(FeedState(), None) == 60
    assert seconds(FeedState(), None, random=0.0) == 48
    assert seconds(FeedState(), None, random=1.0) == 72


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    waits = [seconds(FeedState(consecutive_failures=n), SERVER) for n in range(1, 10)]
    assert waits[:4] == [60, 120, 240, 480]
    assert waits[-1] == 3600
    assert waits == sorted(waits)


def test_retry_after_is_honoured() -> None:
    limited = FetchError(kind=ErrorKind.RATE_LIMITED, message="429", retry_after=900)
    assert seconds(FeedState(consecutive_failures=1), limited) == 900


def test_a_missing_feed_is_retried_slowly_but_never_dropped() -> None:
    gone = FetchError(kind=ErrorKind.HTTP_CLIENT, message="404", status=404)
    assert seconds(FeedState(consecutive_failures=1), gone) == 600
    assert seconds(FeedState(consecutive_failures=30), gone) == 3600


def test_due() -> None:
    assert due(FeedState(), NOW)
    assert not due(FeedState(next_check_at=NOW + timedelta(seconds=1)), NOW)
    assert due(FeedState(next_check_at=NOW), NOW)
