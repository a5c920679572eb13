"""The Python side's counters and ``server_stats()``.

The counters are a list indexed by the constants below (cheaper per request than a dict or
attributes, on MicroPython above all); ``snapshot`` names them.
"""

import json

from ._compat import const

# sync: requests run inline without a coroutine; fast_path: coroutines that finished without
# suspending; tasks_created: coroutines that suspended and became tasks; cancelled: tasks
# cancelled because the engine gave up on their request; errors: unhandled exceptions (and
# failing exception handlers); backlog_retries: responses queued again after the response
# queue was full; streams: streamed responses started (StreamingResponse, EventSourceResponse);
# sse_events: events an EventSourceResponse encoded.
NAMES = ("sync", "fast_path", "tasks_created", "cancelled", "errors", "backlog_retries",
         "streams", "sse_events")
SYNC = const(0)
FAST_PATH = const(1)
TASKS_CREATED = const(2)
CANCELLED = const(3)
ERRORS = const(4)
BACKLOG_RETRIES = const(5)
STREAMS = const(6)
SSE_EVENTS = const(7)


def new_counts():
    return [0] * len(NAMES)


def snapshot(engine_json, counts, in_flight_tasks, backlog):
    """The engine's and the bridge's counters (``engine.stats()``, JSON) with the Python
    side's under ``"python"``."""
    stats = json.loads(engine_json)
    py = {}
    for i, name in enumerate(NAMES):
        py[name] = counts[i]
    py["in_flight_tasks"] = in_flight_tasks
    py["backlog"] = backlog
    stats["python"] = py
    return stats


_current = None  # the most recently started server that is still running


def set_current(server):
    global _current
    _current = server


def current():
    return _current


def server_stats():
    """Counters of the running server: the engine's, the bridge's and the Python side's.

    ``{}`` when no server is running.  Example::

        @app.get("/stats")
        def stats():
            return viperhttp.server_stats()
    """
    if _current is None:
        return {}
    return _current.stats_snapshot()
