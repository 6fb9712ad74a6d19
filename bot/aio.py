"""Small asyncio helpers shared by the long-running loops."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable


async def first_of(*aws: Awaitable[object], timeout: float | None = None) -> None:  # noqa: ASYNC109 (a wait, not a deadline)
    """Wait until the first of ``aws`` finishes (or ``timeout``), then cancel the others.

    Exceptions of the awaitables are swallowed: callers look again at what they
    waited for.
    """
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
