"""ViperHTTP: FastAPI for microcontrollers.

The HTTP engine is native (C++) and runs in its own thread; this package is the application
API, shared by CPython and MicroPython::

    from viperhttp import ViperHTTP, HTTPException

    app = ViperHTTP()

    @app.get("/hello")
    def hello():
        return {"message": "hello"}

    app.run(port=8000)
"""

from . import status
from .applications import FastAPI, ViperHTTP
from .background import BackgroundTask, BackgroundTasks
from .dependencies import Depends
from .exceptions import HTTPException, RequestValidationError
from .params import Body, Cookie, Form, Header, Path, Query
from .requests import Request
from .responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                        Response)
from .routers import APIRouter, Router
from .stats import server_stats
from .websockets import (ConnectionManager, WebSocket, WebSocketDisconnect, WebSocketException,
                         WebSocketState)

__version__ = "0.1.0"

__all__ = [
    "APIRouter", "BackgroundTask", "BackgroundTasks", "Body", "Cookie", "Depends", "Form", "Header", "Path", "Query",
    "FastAPI", "FileResponse", "HTMLResponse", "HTTPException", "JSONResponse", "PlainTextResponse",
    "RedirectResponse", "Request", "RequestValidationError", "Response", "Router", "ViperHTTP",
    "server_stats", "status", "ConnectionManager", "WebSocket", "WebSocketDisconnect", "WebSocketException",
    "WebSocketState",
]
