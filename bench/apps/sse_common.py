"""What both SSE benchmark apps stream (bench/sse.sh): the same bytes from the same producers.

* ``events(n)``: ``n`` events ``data: <seq> <time.time_ns()>\\n\\n``, the producer awaiting
  (``asyncio.sleep(0)``) every 64 events, as a feed that waits for its source would;
* ``blob(mb)``: ``mb`` MB from a sync generator, 64 KB per item.
"""

import asyncio
import time

EVENTS_PER_AWAIT = 64
BLOB_PIECE = b"v" * 65536


async def events(n):
    for seq in range(n):
        if seq % EVENTS_PER_AWAIT == 0:
            await asyncio.sleep(0)
        yield "data: %d %d\n\n" % (seq, time.time_ns())


def blob(mb):
    for _ in range(mb * 16):
        yield BLOB_PIECE
