# The WebSocket echo of bench/ws.sh on ViperHTTP (CPython and the MicroPython unix port): one
# Python round trip per message (receive_text, send_text), as FastAPI's below.
import sys

from viperhttp import ViperHTTP, WebSocketDisconnect

app = ViperHTTP()


@app.websocket("/ws")
async def echo(websocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    app.run(port=port, access_log=False, max_connections=256, ws_max_message_bytes=1 << 20,
            log_level="warning")
