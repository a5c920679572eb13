"""Streamed responses: the producer side of the engine's streams (docs/guide/streaming.md,
docs/architecture.md "Streamed responses").

``StreamingResponse.send`` returns the coroutine ``drive``: it hands the head to the engine
(``engine.stream_start``), then pulls the body iterator and hands each chunk over
(``engine.stream_send``).  The engine gives each stream *credit* — the bytes it may have queued
and not yet written to the socket (``stream_buffer_bytes``) — and takes only that much; when the
credit is used up the producer awaits the stream's writable event, which the drain loop
(server.py) delivers once the engine has written the bytes out.  A slow reader therefore slows
the producer down instead of growing memory, and the engine's response queue never waits.

When the client goes away the engine cancels the request: the task running ``drive`` gets
``CancelledError`` wherever it waits (in the iterator's own ``await`` too), the iterator is
closed (``aclose()`` / ``close()``), and the pipeline goes on to the dependency cleanup and
background tasks as after any response.  An exception raised by the iterator is logged and the
connection is closed without the last chunk, so the client sees a truncated body rather than a
complete one.

Sync iterators run on the interpreter thread, one item at a time; ``drive`` yields to the event
loop after every ``YIELD_ITEMS`` items or ``YIELD_BYTES`` bytes (and whenever it waits for
credit), so other requests are served between items.  An item that takes long to produce holds
the loop for that long: such a producer should be an async iterator that awaits.

MicroPython has no async generators; ``iterate(step)`` makes an async iterator of an
``async def`` function that returns the next item (``None``: the end), which runs unchanged on
both interpreters.
"""

from . import _compat
from ._compat import asyncio, const
from .requests import METHOD, PATH
from .stats import ERRORS, STREAMS

_TOKEN = const(0)
_WAIT = const(0)
_FULL = const(-1)
_GONE = const(-2)
_QUEUE_FULL = const(1)

# A stream gives the loop a turn after this many items or bytes produced without a wait.
YIELD_ITEMS = 32
YIELD_BYTES = 65536

_CancelledError = asyncio.CancelledError


class _Gone(Exception):
    """The engine no longer knows the stream (its client left)."""


class Stream:
    """One open stream: its token and the event its producer waits on for credit."""

    def __init__(self, outbox, token):
        self.outbox = outbox
        self.engine = outbox.engine
        self.token = token
        self.event = asyncio.Event()
        self.gone = False

    def wake(self):
        self.event.set()

    async def wait_space(self):
        # The response queue is full: the engine wakes the interpreter once it drained some.
        self.event.clear()
        self.outbox.space_waiters.append(self)
        await self.event.wait()

    async def send(self, data, first=None):
        """Hands ``data`` to the engine, waiting for credit as often as needed.  ``first``:
        what a ``stream_send`` of all of it already answered."""
        engine = self.engine
        token = self.token
        total = len(data)
        off = 0
        view = None
        if first is not None:  # (no drain ran since that call: no event can have been missed)
            if first > 0:
                off = first
            elif first == _WAIT:
                await self.event.wait()
            elif first == _FULL:
                await self.wait_space()
            else:
                raise _Gone()
        while off < total:
            if self.gone:
                raise _Gone()
            # Cleared before asking: a writable event can only arrive in a later drain of this
            # same thread, so it is never lost between the call and the wait.
            self.event.clear()
            if off == 0:
                n = engine.stream_send(token, data)
            else:
                if view is None:
                    view = memoryview(data)
                n = engine.stream_send(token, view[off:])
            if n > 0:
                off += n
            elif n == _WAIT:
                await self.event.wait()
            elif n == _FULL:
                await self.wait_space()
            else:
                raise _Gone()

    async def end(self, abort):
        while True:
            r = self.engine.stream_end(self.token, abort)
            if r != _QUEUE_FULL:
                return
            await self.wait_space()


def _chunk(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("a streamed body yields bytes or str, not " + type(value).__name__)


def _length(response):
    value = response.headers.get("content-length")
    if value is None:
        return -1
    try:
        n = int(value)
    except ValueError:
        raise ValueError("content-length {!r} is not a number".format(value))
    if n < 0:
        raise ValueError("content-length {!r} is negative".format(value))
    return n


async def _close(iterator, is_async):
    try:
        if is_async:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        else:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # a failing close must not hide what happened before
        _compat.print_exception(exc)


def start(response, outbox, item):
    """``StreamingResponse.send``: what can fail before anything is sent fails here, in the
    send step (a 500); then the coroutine that streams."""
    headers = response.encode_headers()
    length = _length(response)
    content = response.body_iterator
    is_async = hasattr(content, "__aiter__")
    iterator = content.__aiter__() if is_async else iter(content)
    return drive(response, outbox, item, headers, length, iterator, is_async)


async def drive(response, outbox, item, headers, length, iterator, is_async):
    """Hands the head, then each chunk, to the engine (see the module)."""
    token = item[_TOKEN]
    engine = outbox.engine
    stream = Stream(outbox, token)
    status = response.status_code
    try:
        while True:
            r = engine.stream_start(token, status, headers, response.ping_ms, length)
            if r != _QUEUE_FULL:
                break
            await stream.wait_space()
    except BaseException:
        await _close(iterator, is_async)
        raise
    if r != 0:  # headers larger than the response queue can ever hold
        await _close(iterator, is_async)
        outbox.too_large(item, status, len(headers))
        return
    outbox.counts[STREAMS] += 1
    if outbox.access_log is not None:
        outbox.access_log.line(item, status)
    outbox.streams[token] = stream
    encode = response.encode_item
    try:
        if item[METHOD] != "HEAD":
            items = 0
            produced = 0
            while True:
                if is_async:
                    try:
                        value = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
                else:
                    try:
                        value = next(iterator)
                    except StopIteration:
                        break
                data = encode(value)
                if not data:
                    continue  # an empty chunk would end a chunked body
                # The common case in one call, without a coroutine: credit enough for it all.
                n = -2 if stream.gone else engine.stream_send(token, data)
                if n != len(data):
                    await stream.send(data, n)
                items += 1
                produced += len(data)
                if items >= YIELD_ITEMS or produced >= YIELD_BYTES:
                    items = produced = 0
                    await asyncio.sleep(0)  # other requests get a turn
        await stream.end(False)
    except (_CancelledError, _Gone):
        # The client left (the engine closed the connection and cancelled the request): stop
        # the producer; the pipeline then runs the cleanup and background tasks.
        stream.gone = True
    except Exception as exc:
        outbox.counts[ERRORS] += 1
        outbox.log("error", "Exception in streaming response for {} {}".format(
            item[METHOD], item[PATH]))
        _compat.print_exception(exc)
        if not stream.gone:
            await stream.end(True)  # no last chunk: the client sees a truncated body
    finally:
        outbox.streams.pop(token, None)
    await _close(iterator, is_async)


class iterate:
    """``iterate(step)``: an async iterator over the values ``await step()`` returns, until it
    returns ``None`` — a producer that awaits between items, on both interpreters (MicroPython
    has no async generators)::

        async def tick():
            await asyncio.sleep(1)
            return {"data": read_sensor()}

        return EventSourceResponse(iterate(tick))

    ``close``: called (and awaited if it returns an awaitable) when the stream ends or its
    client leaves.
    """

    def __init__(self, step, close=None):
        self.step = step
        self._close = close
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        value = await self.step()
        if value is None:
            raise StopAsyncIteration
        return value

    async def aclose(self):
        if self.closed:
            return
        self.closed = True
        if self._close is not None:
            result = self._close()
            if result is not None and hasattr(result, "send"):
                await result
