"""Routes and their plans (SPEC §2.5).

When a route is registered, its handler is inspected once: the route's ``Dependant``
(dependencies.py) says where each parameter comes from, and its ``Plan`` is that flattened
into the calls a request makes.  Per request the pipeline (pipeline.py) only follows the plan.
Path values arrive already converted by the engine's router (``{id:int}`` gives an ``int``).
"""

from . import _compat
from .dependencies import Dependant, Plan
from .responses import JSONResponse, Response
from . import _validation
from . import models as _models

_DEFAULT = object()  # response_model not given: the return annotation decides (CPython)

_CONVERTERS = ("str", "int", "float", "path")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
JSON_HEADERS = b"content-type: application/json\r\n"
# The "method" of a WebSocket route: the engine registers it as a GET that must upgrade.
WEBSOCKET = "WEBSOCKET"


def path_param_names(pattern):
    """``"/items/{item_id:int}/{rest:path}"`` -> ``["item_id", "rest"]`` (pattern order)."""
    names = []
    for segment in pattern.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name, _, conv = segment[1:-1].partition(":")
            if conv and conv not in _CONVERTERS:
                raise ValueError("unknown path converter {!r} in {!r}".format(conv, pattern))
            names.append(name)
    return names


class RouteDecorators:
    """``api_route`` and the per-method decorators, shared by the app and ``Router``; both
    provide ``add_api_route(path, endpoint, methods, **options)``."""

    def api_route(self, path, methods=None, **options):
        def decorator(fn):
            self.add_api_route(path, fn, methods, **options)
            return fn

        return decorator

    def get(self, path, **options):
        return self.api_route(path, ["GET"], **options)

    def post(self, path, **options):
        return self.api_route(path, ["POST"], **options)

    def put(self, path, **options):
        return self.api_route(path, ["PUT"], **options)

    def patch(self, path, **options):
        return self.api_route(path, ["PATCH"], **options)

    def delete(self, path, **options):
        return self.api_route(path, ["DELETE"], **options)

    def head(self, path, **options):
        return self.api_route(path, ["HEAD"], **options)

    def options(self, path, **options):
        return self.api_route(path, ["OPTIONS"], **options)

    def websocket(self, path, name=None, dependencies=None):
        """``@app.websocket("/ws")`` on ``async def endpoint(websocket, ...)``: a WebSocket
        route (viperhttp.websockets).  Parameters and ``Depends`` work as for HTTP routes; the
        WebSocket is the parameter named ``websocket``."""
        def decorator(fn):
            self.add_api_websocket_route(path, fn, name=name, dependencies=dependencies)
            return fn

        return decorator

    def add_api_websocket_route(self, path, endpoint, name=None, dependencies=None):
        return self.add_api_route(path, endpoint, [WEBSOCKET], name=name,
                                  dependencies=dependencies, include_in_schema=False)


class Route:
    """One registered path operation: pattern, methods, handler and its plan."""

    def __init__(self, path, endpoint, methods, status_code=None, response_class=None,
                 name=None, tags=None, summary=None, description=None, include_in_schema=True,
                 dependencies=None, response_model=_DEFAULT, response_model_include=None,
                 response_model_exclude=None, response_model_by_alias=True,
                 response_model_exclude_unset=False, response_model_exclude_defaults=False,
                 response_model_exclude_none=False, responses=None, deprecated=None,
                 operation_id=None, openapi_extra=None, response_description="Successful Response",
                 callbacks=None, generate_unique_id_function=None):
        self.path = path
        # Set by app.mount for the routes of a mounted application: the app whose exception
        # handlers answer (None: the app serving it) and the mount's path (request.scope)
        self.owner = None
        self.root_path = ""
        # Kept for the OpenAPI document
        self.responses = dict(responses or {})
        self.deprecated = deprecated
        self.operation_id = operation_id
        self.openapi_extra = openapi_extra
        self.response_description = response_description
        self.callbacks = callbacks
        self.endpoint = endpoint
        self.methods = [m.upper() for m in methods]
        self.status_code = status_code
        self.response_class = response_class
        self.name = name or getattr(endpoint, "__name__", "endpoint")
        self.tags = tags or []
        self.summary = summary
        self.description = description
        self.include_in_schema = include_in_schema
        self.dependencies = dependencies or []
        self.endpoint_async = _compat.is_coroutine_function(endpoint)
        self.path_names = path_param_names(path)
        self.websocket = self.methods == [WEBSOCKET]
        self.dependant = Dependant(endpoint, self.path_names, self.dependencies)
        self.plan = Plan(self.dependant)
        self.response_class = response_class
        status = status_code or 200
        self.status = status
        if response_model is _DEFAULT:  # CPython: a return annotation naming a model
            response_model = _models.return_model(endpoint)
        self.response_model = response_model
        self.response_field = None
        if response_model is not None:
            self.response_field = _validation.compile_type(response_model)
            self.dump_options = {"include": response_model_include,
                                 "exclude": response_model_exclude,
                                 "by_alias": response_model_by_alias,
                                 "exclude_unset": response_model_exclude_unset,
                                 "exclude_defaults": response_model_exclude_defaults,
                                 "exclude_none": response_model_exclude_none}
        # A plain return value becomes JSON with no Response object made (pipeline.py), unless
        # the route chose a response class or a response model, a status without a body, or a
        # ``response`` parameter whose headers are to be merged.
        self.plain_json = (response_class is None and 200 <= status and status not in (204, 304)
                           and not self.plan.uses_response and self.response_field is None)

    def rebuild(self, overrides):
        """The plan again, with ``overrides`` (``app.dependency_overrides``) applied."""
        from . import dependencies

        dependencies.set_overrides(overrides)
        try:
            self.dependant = Dependant(self.endpoint, self.path_names, self.dependencies)
            self.plan = Plan(self.dependant)
        finally:
            dependencies.set_overrides({})
        self.plain_json = (self.response_class is None and 200 <= self.status and
                           self.status not in (204, 304) and not self.plan.uses_response and
                           self.response_field is None)

    def make_response(self, value):
        """A handler's return value as a Response (SPEC §3.5)."""
        if isinstance(value, Response):
            return value
        status = self.status
        if self.response_field is not None:
            value = _models.serialize_response(self.response_field, value, self.dump_options)
        if self.response_class is not None:
            if self.status_code is None:  # the class's own default (RedirectResponse: 307)
                return self.response_class(value)
            return self.response_class(value, status_code=status)
        if status in (204, 304) or status < 200:
            return Response(b"", status_code=status)
        if isinstance(value, (bytes, bytearray)):
            return Response(value, status_code=status, media_type="application/octet-stream")
        return JSONResponse(value, status_code=status)


APIRoute = Route  # FastAPI's name
