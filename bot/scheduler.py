"""The only module that imports APScheduler: one job per feed, never two runs of one feed at once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.feeds.model import FeedSpec

log = logging.getLogger(__name__)

Poll = Callable[[FeedSpec], Awaitable[object]]


class FeedScheduler:
    """Runs ``poll(spec)`` for every feed at its interval, jittered, first run at once.

    ``max_instances=1`` keeps a slow poll of a feed from overlapping the next
    one; ``coalesce`` folds runs missed while the loop was busy into one. The
    poll itself decides whether a feed is due (a failing feed backs off), so
    the trigger only sets the pace.
    """

    def __init__(self, poll: Poll, specs: Iterable[FeedSpec], *, jitter: float = 0.1) -> None:
        self._poll = poll
        self._specs = list(specs)
        self._jitter = jitter
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        now = datetime.now(UTC)
        for spec in self._specs:
            self._scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=spec.interval, jitter=spec.interval * self._jitter),
                args=[spec],
                id=f"feed:{spec.name}",
                name=f"poll {spec.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(spec.interval)),
                next_run_time=now,
            )
        self._scheduler.start()

    def jobs(self) -> list[dict[str, object]]:
        return [
            {"id": job.id, "max_instances": job.max_instances, "coalesce": job.coalesce,
             "misfire_grace_time": job.misfire_grace_time}
            for job in self._scheduler.get_jobs()
        ]  # fmt: skip

    async def _run(self, spec: FeedSpec) -> None:
        try:
            await self._poll(spec)
        except Exception:  # a feed's bug must never stop the others
            log.exception("poll crashed", extra={"feed": spec.name})

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
