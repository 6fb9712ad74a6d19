"""A process that appends batches forever; the kill test SIGKILLs it mid-append.

usage: python -m tests.eventlog.appender URL SCHEMA BATCH_SIZE
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from bot.eventlog import NewEvent, open_log


async def main(url: str, schema: str, batch_size: int) -> None:
    log = await open_log(url, schema=schema)
    n = 0
    while True:
        batch_id = uuid.uuid4().hex
        events = [
            NewEvent.from_dict(
                event_id=uuid.uuid4(),
                type="BatchPart",
                data={"batch": batch_id, "size": batch_size, "i": i, "pad": "x" * 300},
            )
            for i in range(batch_size)
        ]
        await log.append(f"batch-{n % 5}", events)
        n += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
