# The app behind test_websocket.py: WebSocket routes (SPEC §3.7) with parameters, Depends,
# accept/refuse, subprotocols, close codes, disconnects, exceptions, iterators, large messages.
#
# Written in the subset MicroPython shares with CPython (no f-strings, no annotations).
# Arguments are ``key=value`` options for app.run.
import asyncio
import sys

from app_options import parse_options
import viperhttp
from viperhttp import (ConnectionManager, Cookie, Depends, Header, Query, ViperHTTP,
                       WebSocketDisconnect, WebSocketException, status)

app = ViperHTTP(title="pyapi websocket app")
events = []


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/events")
def get_events():
    out = list(events)
    del events[:]
    return out


@app.websocket("/ws/echo")
async def echo(websocket):
    await websocket.accept()
    try:
        while True:
            msg = await websocket.receive()
            if msg["type"] == "websocket.disconnect":
                events.append(["echo-disconnect", msg["code"]])
                return
            if "text" in msg:
                await websocket.send_text(msg["text"])
            else:
                await websocket.send_bytes(msg["bytes"])
    except WebSocketDisconnect as exc:
        events.append(["echo-disconnect", exc.code])


@app.websocket("/ws/iter")
async def iter_text(websocket):
    await websocket.accept()
    n = 0
    async for text in websocket.iter_text():
        n += 1
        await websocket.send_text("{}:{}".format(n, text))
    events.append(["iter-done", n])


@app.websocket("/ws/bytes")
async def iter_bytes(websocket):
    await websocket.accept()
    async for data in websocket.iter_bytes():
        await websocket.send_bytes(bytes(reversed(data)))


@app.websocket("/ws/json")
async def json_echo(websocket):
    await websocket.accept()
    data = await websocket.receive_json()
    await websocket.send_json({"got": data, "type": type(data).__name__})
    await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="done")


@app.websocket("/ws/params/{room}/{n:int}")
async def params(websocket, room, n, q=Query("none"), x_token=Header(None),
                 session=Cookie(None)):
    await websocket.accept()
    await websocket.send_json({"room": room, "n": n, "q": q, "x_token": x_token,
                               "session": session, "path_params": websocket.path_params,
                               "url": str(websocket.url), "client_host": websocket.client.host,
                               "query": websocket.query_params.get("q")})
    await websocket.close()


def need_token(token=Query(None)):
    if token != "secret":
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="bad token")
    return token


@app.websocket("/ws/guarded")
async def guarded(websocket, token=Depends(need_token)):
    await websocket.accept()
    await websocket.send_text("welcome " + token)
    await websocket.close()


@app.websocket("/ws/refuse")
async def refuse(websocket):
    await websocket.close()  # before accept: 403


@app.websocket("/ws/later-policy")
async def later_policy(websocket):
    await websocket.accept()
    text = await websocket.receive_text()
    if text != "ok":
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="not ok")
    await websocket.send_text("fine")


@app.websocket("/ws/subprotocol")
async def subprotocol(websocket):
    offered = websocket.subprotocols
    chosen = "chat.v2" if "chat.v2" in offered else None
    await websocket.accept(subprotocol=chosen, headers={"x-ws": "yes"})
    await websocket.send_text(",".join(offered))
    await websocket.close(4000, "custom")


@app.websocket("/ws/fail")
async def fail(websocket):
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("handler failed")


@app.websocket("/ws/fail-before")
async def fail_before(websocket):
    raise RuntimeError("failed before accept")


@app.websocket("/ws/big/{size:int}")
async def big(websocket, size):
    await websocket.accept()
    await websocket.send_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    text = await websocket.receive_text()
    await websocket.send_text(str(len(text)))


@app.websocket("/ws/states")
async def states(websocket):
    before = [websocket.client_state, websocket.application_state]
    await websocket.accept()
    after = [websocket.client_state, websocket.application_state]
    await websocket.send_json({"before": before, "after": after})
    try:
        await websocket.receive_text()
    except WebSocketDisconnect as exc:
        events.append(["states-disconnect", exc.code, exc.reason,
                       websocket.client_state, websocket.application_state])


@app.websocket("/ws/flood/{count:int}")
async def flood(websocket, count):
    # Many messages at once: sends wait while the engine's send queue is full.
    await websocket.accept()
    for i in range(count):
        await websocket.send_text("m{}-".format(i) + "x" * 1000)
    events.append(["flood-done", count])
    await websocket.receive_text()


lazy_go = asyncio.Event()


@app.websocket("/ws/lazy")
async def lazy(websocket):
    # Reads nothing until GET /lazy/go: the engine must stop handing messages on (the receive
    # window), not the interpreter buffer them all.
    await websocket.accept()
    await lazy_go.wait()
    n = 0
    total = 0
    while True:
        text = await websocket.receive_text()
        if text == "end":
            break
        n += 1
        total += len(text)
    await websocket.send_json({"messages": n, "bytes": total})


@app.get("/lazy/go")
def lazy_release():
    lazy_go.set()
    return {"ok": True}


# 256 messages of slack: a reader descheduled for a while on a loaded machine keeps up.
manager = ConnectionManager(max_queue=256)


@app.websocket("/ws/room")
async def room(websocket):
    await manager.connect(websocket)
    try:
        async for text in websocket.iter_text():
            await manager.broadcast(text)
    finally:
        manager.disconnect(websocket)


@app.get("/room")
def room_state():
    return {"clients": len(manager.active_connections), "dropped": manager.dropped}


@app.post("/broadcast/{count:int}")
async def broadcast(count):
    # One message per millisecond: a pace readers keep up with, and one that does not read
    # falls behind.
    for i in range(count):
        await manager.broadcast("b{}-".format(i) + "y" * 4000)
        await asyncio.sleep(0.001)
    return {"clients": len(manager.active_connections), "dropped": manager.dropped}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
