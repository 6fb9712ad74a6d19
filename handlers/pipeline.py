"""The subscribers that turn releases into knowledge, in the order they feed each other."""

from __future__ import annotations

from bot.eventlog import CatchUpSubscription, EventLog, Subscriber
from bot.eventlog.subscription import CheckpointMovedError
from handlers.extraction import ExtractionStage
from handlers.tracker import GuidanceTracker
from handlers.trial_state import TrialStateProjection

# Events per page read, and per commit while a subscriber is behind: pages share a
# commit until it holds COMMIT_EVERY events, so each document a projection touched is
# written once per commit rather than once per page (live, each page commits as it
# comes). `trialwire replay` reads bigger pages and commits less often.
PAGE_SIZE = 500
REPLAY_PAGE_SIZE = 5_000
COMMIT_EVERY = 10_000
REPLAY_COMMIT_EVERY = 100_000


def knowledge_subscribers() -> list[Subscriber]:
    """Extraction feeds the tracker; both feed the trial state."""
    return [ExtractionStage(), GuidanceTracker(), TrialStateProjection()]


async def catch_up(
    log: EventLog, subscribers: list[Subscriber] | None = None, *, page_size: int = PAGE_SIZE
) -> dict[str, int]:
    """Run every subscriber to the head of the log, again until none has anything left.

    Returns how many events each handled. Safe beside a running daemon: two
    runners of one subscriber take turns on its checkpoint.
    """
    runs = [
        CatchUpSubscription(log, subscriber, page_size=page_size, commit_every=COMMIT_EVERY)
        for subscriber in subscribers or knowledge_subscribers()
    ]
    handled = {run.name: 0 for run in runs}
    while True:
        progress = 0
        for run in runs:
            try:
                count = await run.catch_up()
            except CheckpointMovedError:
                count = 1  # someone else moved it on; look again
            handled[run.name] += count
            progress += count
        if not progress:
            return handled
