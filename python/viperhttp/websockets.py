"""WebSocket routes (SPEC §3.7): ``@app.websocket(path)``, the ``WebSocket`` a handler gets,
``WebSocketDisconnect`` and ``WebSocketException``.

The protocol runs in the engine (engine/ws, net/ws_conn.cpp): the handshake's checks, frames,
masking, UTF-8, pings, the close handshake, the message size limit.  Python sees whole
messages.  The upgrade request arrives like any request (the engine has checked it and
deferred it under a token); the route's dependencies are solved as for an HTTP route, then the
endpoint gets a ``WebSocket``: ``accept()`` makes the engine answer 101, ``close()`` before
that answers 403.  Messages and the end of the connection arrive through the drain loop as
events addressed by the same token (``Hub.event``); ``send_*`` hands frames to the engine,
whose per-connection send queue is bounded: a send waits while it is full.

Example::

    @app.websocket("/ws/echo")
    async def echo(websocket):
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)
"""

import json

from . import _compat
from ._compat import asyncio
from .dependencies import Context, solve, solve_async
from .exceptions import HTTPException, RequestValidationError
from .requests import TOKEN, Request
from .datastructures import URL

# Event kinds of the engine's WebSocket records (docs/native-api.md).
_DATA = 1
_CLOSED = 2
_WRITABLE = 3
# Flags of a data piece.
_TEXT = 0x01
_FIRST = 0x10
_LAST = 0x20
# ws_send results.
_FULL = 1
_GONE = 2

_REFUSED = b'{"detail":"Forbidden"}'
_JSON = b"content-type: application/json\r\n"
_SERVER_ERROR = b'{"detail":"Internal Server Error"}'


class WebSocketState:
    """The states of ``client_state`` and ``application_state`` (Starlette's names)."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(Exception):
    """The connection has ended: ``code`` (1000 normal, 1001 going away, 1006 no close frame,
    ...) and ``reason`` as the peer sent them."""

    def __init__(self, code=1000, reason=None):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


class WebSocketException(Exception):
    """Raise it in a WebSocket route or its dependencies to end the connection with ``code``:
    before ``accept()`` the upgrade is refused (403), after it the connection is closed with
    this code and ``reason``."""

    def __init__(self, code, reason=None):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


class WebSocket(Request):
    """The WebSocket a route's ``websocket`` parameter receives.  Besides the request's
    ``headers``, ``query_params``, ``path_params``, ``cookies``, ``client``, ``state`` and
    ``url`` (``ws://...``): ``accept``, ``receive``, ``receive_text/bytes/json``,
    ``send_text/bytes/json``, ``iter_text/iter_bytes``, ``close``, ``client_state``,
    ``application_state``."""

    def __init__(self, item, app, hub):
        Request.__init__(self, item, app)
        self._hub = hub
        self._token = item[TOKEN]
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING
        self._messages = []  # received messages: str, bytes, or a WebSocketDisconnect
        self._pieces = []
        self._piece_text = False
        self._arrived = asyncio.Event()
        self._writable = asyncio.Event()
        self._close_code = None
        self.subprotocol = None

    @property
    def url(self):
        if self._url is None:
            host = self.headers.get("host") or "{}:{}".format(*self.app_address())
            self._url = URL("ws", host, self._path, self._item[4])
        return self._url

    @property
    def scope(self):
        return {"type": "websocket", "path": self._path, "subprotocols": self.subprotocols}

    @property
    def subprotocols(self):
        """The subprotocols the client offered, in its order."""
        out = []
        for line in self.headers.getlist("sec-websocket-protocol"):
            for p in line.split(","):
                p = p.strip()
                if p:
                    out.append(p)
        return out

    # --- the handshake ----------------------------------------------------------------------

    async def accept(self, subprotocol=None, headers=None):
        """Answers the upgrade with 101 (choosing ``subprotocol``, one the client offered, and
        adding ``headers``: a dict or (name, value) pairs)."""
        if self.application_state != WebSocketState.CONNECTING:
            raise RuntimeError('Cannot call "accept" more than once')
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError("subprotocol {!r} was not offered by the client".format(subprotocol))
        lines = []
        if headers:
            pairs = headers.items() if hasattr(headers, "items") else headers
            for name, value in pairs:
                name, value = str(name), str(value)
                if "\r" in name + value or "\n" in name + value or ":" in name:
                    raise ValueError("invalid header {!r}".format(name))
                lines.append(name + ": " + value + "\r\n")
        proto = (subprotocol or "").encode()
        raw = _compat.header_bytes("".join(lines))
        engine = self._hub.engine
        while engine.ws_accept(self._token, proto, raw) == _FULL:
            await self._hub.wait_room(self)
        self.subprotocol = subprotocol
        self.application_state = WebSocketState.CONNECTED
        if self.client_state == WebSocketState.CONNECTING:
            self.client_state = WebSocketState.CONNECTED

    # --- receiving --------------------------------------------------------------------------

    async def _next(self):
        if self.application_state == WebSocketState.CONNECTING:
            raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')
        while not self._messages:
            if self.application_state == WebSocketState.DISCONNECTED:
                raise RuntimeError('Cannot call "receive" once a disconnect message has been '
                                   'received.')
            self._arrived.clear()
            await self._arrived.wait()
        msg = self._messages.pop(0)
        if isinstance(msg, WebSocketDisconnect):
            self.application_state = WebSocketState.DISCONNECTED
            return msg
        msg, nbytes = msg
        # The engine hands on at most a receive window of unread data (about one maximum
        # message): tell it this much was read.
        self._hub.engine.ws_consumed(self._token, nbytes)
        return msg

    async def receive(self):
        """The next message as an ASGI event: ``{"type": "websocket.receive", "text": ...}`` (or
        ``"bytes"``), or ``{"type": "websocket.disconnect", "code": ..., "reason": ...}``."""
        msg = await self._next()
        if isinstance(msg, WebSocketDisconnect):
            return {"type": "websocket.disconnect", "code": msg.code, "reason": msg.reason}
        if isinstance(msg, str):
            return {"type": "websocket.receive", "text": msg}
        return {"type": "websocket.receive", "bytes": msg}

    async def _receive_kind(self, kind):
        msg = await self._next()
        if isinstance(msg, WebSocketDisconnect):
            raise msg
        if kind is str and not isinstance(msg, str):
            raise KeyError("text")  # as Starlette's message["text"]
        if kind is bytes and isinstance(msg, str):
            raise KeyError("bytes")
        return msg

    async def receive_text(self):
        """The next text message; ``WebSocketDisconnect`` when the connection has ended."""
        return await self._receive_kind(str)

    async def receive_bytes(self):
        """The next binary message; ``WebSocketDisconnect`` when the connection has ended."""
        return await self._receive_kind(bytes)

    async def receive_json(self, mode="text"):
        """The next message parsed as JSON (``mode="binary"``: a binary message)."""
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        data = await self._receive_kind(str if mode == "text" else bytes)
        return json.loads(data)

    def iter_text(self):
        """``async for text in websocket.iter_text()``: text messages until the disconnect."""
        return _Messages(self, str)

    def iter_bytes(self):
        """``async for data in websocket.iter_bytes()``: binary messages until the disconnect."""
        return _Messages(self, bytes)

    def iter_json(self):
        return _Messages(self, "json")

    # --- sending ----------------------------------------------------------------------------

    async def _send(self, opcode, data):
        if self.application_state != WebSocketState.CONNECTED:
            if self.application_state == WebSocketState.CONNECTING:
                raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        engine = self._hub.engine
        step = self._hub.max_frame
        n = len(data)
        pos = 0
        while True:
            chunk = data[pos:pos + step] if (pos or n > step) else data
            fin = pos + step >= n
            while True:
                r = engine.ws_send(self._token, opcode, fin, chunk)
                if r == 0:
                    break
                if r == _FULL:  # the send queue (or the ring) is full: wait for room
                    await self._hub.wait_room(self)
                    continue
                self.client_state = WebSocketState.DISCONNECTED
                raise WebSocketDisconnect(self._close_code or 1006)
            pos += step
            opcode = 0  # continuation frames
            if fin:
                return

    async def send_text(self, data):
        await self._send(1, data.encode())

    async def send_bytes(self, data):
        await self._send(2, bytes(data))

    async def send_json(self, data, mode="text"):
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        text = json.dumps(data)
        await self._send(1 if mode == "text" else 2, text.encode())

    async def send(self, message):
        """An ASGI send: ``websocket.accept``, ``websocket.send`` or ``websocket.close``."""
        kind = message.get("type")
        if kind == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
        elif kind == "websocket.send":
            if message.get("text") is not None:
                await self.send_text(message["text"])
            else:
                await self.send_bytes(message.get("bytes") or b"")
        elif kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason"))
        else:
            raise RuntimeError("unexpected ASGI message type {!r}".format(kind))

    async def close(self, code=1000, reason=None):
        """Closes with ``code`` and ``reason`` (at most 123 bytes of UTF-8).  Before ``accept``
        the upgrade is refused with 403."""
        if self.application_state == WebSocketState.DISCONNECTED:
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        if self.application_state == WebSocketState.CONNECTING:
            self.application_state = WebSocketState.DISCONNECTED
            self.client_state = WebSocketState.DISCONNECTED
            self._hub.refuse(self._token)
            return
        reason = (reason or "").encode()
        if len(reason) > 123:
            raise ValueError("close reason longer than 123 bytes")
        if not (code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or
                3000 <= code <= 4999):
            raise ValueError("invalid close code {}".format(code))
        self.application_state = WebSocketState.DISCONNECTED
        engine = self._hub.engine
        while engine.ws_close(self._token, code, reason) == _FULL:
            await self._hub.wait_room(self)
        if self.client_state != WebSocketState.DISCONNECTED:
            self.client_state = WebSocketState.DISCONNECTED
        self._close_code = code

    # --- events from the engine (Hub) -----------------------------------------------------

    def _piece(self, flags, data):
        if flags & _FIRST:
            self._pieces = []
            self._piece_text = bool(flags & _TEXT)
        self._pieces.append(data)
        if flags & _LAST:
            body = self._pieces[0] if len(self._pieces) == 1 else b"".join(self._pieces)
            self._pieces = []
            self._messages.append((body.decode() if self._piece_text else body, len(body)))
            self._arrived.set()

    def _closed(self, code, reason):
        if self._close_code is None:
            self._close_code = code
        if self.client_state == WebSocketState.DISCONNECTED and \
                self.application_state == WebSocketState.DISCONNECTED:
            return
        self.client_state = WebSocketState.DISCONNECTED
        self._messages.append(WebSocketDisconnect(code, reason))
        self._arrived.set()
        self._writable.set()


class _Messages:
    """The async iterator of ``iter_text``/``iter_bytes`` (a class: MicroPython has no async
    generators)."""

    def __init__(self, websocket, kind):
        self.websocket = websocket
        self.kind = kind

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            if self.kind == "json":
                return await self.websocket.receive_json()
            return await self.websocket._receive_kind(self.kind)
        except WebSocketDisconnect:
            raise StopAsyncIteration


class Hub:
    """The server's open WebSockets by token: routes the engine's events to them."""

    def __init__(self, engine, outbox):
        self.engine = engine
        self.outbox = outbox
        self.sockets = {}  # token -> WebSocket
        self.waiting = []  # WebSockets waiting for room to send
        self.max_frame = engine.ws_max_frame()

    def event(self, item):
        token, kind, arg, data = item
        ws = self.sockets.get(token)
        if ws is None:
            return
        if kind == _DATA:
            ws._piece(arg, data)
        elif kind == _CLOSED:
            reason = data.decode() if data else ""
            ws._closed(arg, reason)
        elif kind == _WRITABLE:
            ws._writable.set()

    def cancelled(self, token):
        """The engine gave up on the token: True when it named an accepted WebSocket (then
        it has ended, 1006), False when the caller should cancel its task."""
        ws = self.sockets.get(token)
        if ws is None or ws.application_state == WebSocketState.CONNECTING:
            return False
        ws._closed(1006, "")
        return True

    def after_drain(self):
        # Room may have been made in the response ring or a send queue: let waiting senders
        # try again (a full send queue says so with its own event too).
        if self.waiting:
            waiting, self.waiting = self.waiting, []
            for ws in waiting:
                ws._writable.set()

    async def wait_room(self, ws):
        ws._writable.clear()
        self.waiting.append(ws)
        await ws._writable.wait()

    def refuse(self, token, status=403):
        body = _REFUSED if status == 403 else _SERVER_ERROR
        if self.engine.respond(token, status, _JSON, body) == 1:
            self.outbox.backlog.append((token, status, _JSON, body))


async def run(pipeline, hub, item, route):
    """One WebSocket connection: dependencies, the endpoint, then the end (SPEC §3.7)."""
    token = item[TOKEN]
    ws = WebSocket(item, pipeline.app, hub)
    hub.sockets[token] = ws
    plan = route.plan
    ctx = Context() if plan.needs_context else None
    error = None
    try:
        try:
            if plan.empty:
                kwargs = {}
            elif plan.sync:
                kwargs = solve(plan, item, ws, ctx)
            else:
                kwargs = await solve_async(plan, item, ws, ctx)
            result = route.endpoint(**kwargs)
            if route.endpoint_async:
                await result
        except WebSocketDisconnect:
            pass
        except (WebSocketException, RequestValidationError, HTTPException) as exc:
            error = exc
            code = getattr(exc, "code", 1008)
            if isinstance(exc, HTTPException) or isinstance(exc, RequestValidationError):
                code = 1008
            if ws.application_state == WebSocketState.CONNECTING:
                ws.application_state = WebSocketState.DISCONNECTED
                hub.refuse(token)
            elif ws.application_state == WebSocketState.CONNECTED:
                await ws.close(code, getattr(exc, "reason", None))
        except Exception as exc:
            error = exc
            pipeline.counts[4] += 1  # stats.ERRORS
            pipeline.log("error", "Exception in WebSocket handler for {}".format(ws._path))
            _compat.print_exception(exc)
            if pipeline.on_error is not None:
                pipeline.on_error(exc)
            if ws.application_state == WebSocketState.CONNECTING:
                ws.application_state = WebSocketState.DISCONNECTED
                hub.refuse(token, 500)
            elif ws.application_state == WebSocketState.CONNECTED:
                await ws.close(1011)
        # The endpoint returned without closing: close normally, as uvicorn does; without
        # accepting: the upgrade is refused.
        if ws.application_state == WebSocketState.CONNECTING:
            ws.application_state = WebSocketState.DISCONNECTED
            hub.refuse(token)
        elif ws.application_state == WebSocketState.CONNECTED:
            if ws.client_state == WebSocketState.DISCONNECTED:
                ws.application_state = WebSocketState.DISCONNECTED
            else:
                await ws.close(1000)
        if ctx is not None:
            later = ctx.finish(error)
            if later is not None:
                await later
    finally:
        hub.sockets.pop(token, None)
        pipeline.tasks.pop(token, None)


class ConnectionManager:
    """Broadcast to many WebSockets without letting one slow client stall the others.

    Each connected client gets a bounded queue (``max_queue`` messages) and a sender task that
    drains it; ``broadcast`` only appends to the queues, so it never waits for a client.  A
    client whose queue is full (it does not read fast enough: the engine's send queue and its
    own are both full) is closed with 1013 (try again later) and dropped.  Example::

        manager = ConnectionManager()

        @app.websocket("/ws/room")
        async def room(websocket):
            await manager.connect(websocket)
            try:
                async for text in websocket.iter_text():
                    await manager.broadcast(text)
            finally:
                manager.disconnect(websocket)
    """

    def __init__(self, max_queue=32):
        self.max_queue = max_queue
        self._clients = {}  # WebSocket -> _Client
        self.dropped = 0  # clients closed with 1013 for falling behind

    @property
    def active_connections(self):
        return list(self._clients)

    async def connect(self, websocket, subprotocol=None, headers=None):
        """Accepts ``websocket`` (unless it is accepted already) and adds it."""
        if websocket.application_state == WebSocketState.CONNECTING:
            await websocket.accept(subprotocol, headers)
        client = _Client(self, websocket)
        self._clients[websocket] = client
        client.task = asyncio.create_task(client.run())

    def disconnect(self, websocket):
        client = self._clients.pop(websocket, None)
        if client is not None:
            client.stop()

    async def send_personal_message(self, message, websocket):
        """Queues ``message`` (str or bytes) for one client."""
        client = self._clients.get(websocket)
        if client is not None:
            client.put(message)

    async def broadcast(self, message, exclude=None):
        """Queues ``message`` (str or bytes) for every client (but ``exclude``)."""
        for ws, client in list(self._clients.items()):
            if ws is not exclude:
                client.put(message)


class _Client:
    def __init__(self, manager, websocket):
        self.manager = manager
        self.websocket = websocket
        self.queue = []
        self.ready = asyncio.Event()
        self.task = None
        self.closing = False

    def put(self, message):
        if self.closing:
            return
        if len(self.queue) >= self.manager.max_queue:
            # Fallen behind: closed with 1013 rather than buffered without bound.  The close
            # frame does not wait behind the queued messages (the engine keeps room for it).
            self.stop()
            self.manager._clients.pop(self.websocket, None)
            self.manager.dropped += 1
            asyncio.create_task(self._close_slow())
            return
        self.queue.append(message)
        self.ready.set()

    async def _close_slow(self):
        try:
            await self.websocket.close(1013, "too slow")
        except (WebSocketDisconnect, RuntimeError):
            pass

    def stop(self):
        self.closing = True
        self.queue = []
        self.ready.set()

    async def run(self):
        ws = self.websocket
        try:
            while not self.closing:
                if not self.queue:
                    self.ready.clear()
                    await self.ready.wait()
                    continue
                message = self.queue.pop(0)
                if isinstance(message, str):
                    await ws.send_text(message)
                else:
                    await ws.send_bytes(message)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            if self.manager._clients.get(ws) is self:
                del self.manager._clients[ws]
