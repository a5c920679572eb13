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
from .dependencies import Depends, Security, SecurityScopes
from .encoders import jsonable_encoder
from .exceptions import HTTPException, RequestValidationError
from .models import BaseModel, Field, Model, ValidationError
from .params import Body, Cookie, Form, Header, Path, Query
from .requests import Request
from .responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                        Response, StreamingResponse)
from .routers import APIRouter, Router
from .stats import server_stats
from .websockets import (ConnectionManager, WebSocket, WebSocketDisconnect, WebSocketException,
                         WebSocketState)

__version__ = "0.1.0"

__all__ = [
    "APIRouter", "BackgroundTask", "BackgroundTasks", "BaseModel", "Body", "Field", "Model",
    "ValidationError", "jsonable_encoder", "Cookie", "Depends", "Form", "Header", "Path", "Query",
    "Security", "SecurityScopes", "FastAPI", "FileResponse", "HTMLResponse", "HTTPException", "JSONResponse", "PlainTextResponse",
    "RedirectResponse", "Request", "RequestValidationError", "Response", "Router", "StreamingResponse",
    "ViperHTTP",
    "server_stats", "status", "ConnectionManager", "WebSocket", "WebSocketDisconnect", "WebSocketException",
    "WebSocketState",
]
