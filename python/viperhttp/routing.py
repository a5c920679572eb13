"""Routes and their per-route plans (SPEC §2.5).

When a route is registered, its handler is inspected once and turned into a plan: for each
parameter, where its value comes from (the path, the query string, the request object) and how
it is converted.  Per request, ``Route.arguments`` only follows the plan.  Path values arrive
already converted by the engine's router (``{id:int}`` gives an ``int``).
"""

from . import _compat
from ._compat import EMPTY
from .exceptions import RequestValidationError
from .params import Param, convert, error, value_kind

_CONVERTERS = ("str", "int", "float", "path")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


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


# Parameter sources in a plan.
_PATH, _QUERY, _REQUEST = 0, 1, 2


def _query_kind(default, annotation):
    # params.value_kind decides types for every plan; a query value is never a dict (only a
    # Body is checked against one), and list parameters take the full plan.
    kind = value_kind(default, annotation)
    return str if kind is dict else kind


def _needs_dependant(sig):
    from .dependencies import SPECIALS, Depends

    for name, default, annotation in sig:
        if isinstance(default, (Param, Depends, list)) or annotation is list or (
                name in SPECIALS and name != "request"):
            return True
    return False


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


class Route:
    """One registered path operation: pattern, methods, handler and its plan."""

    def __init__(self, path, endpoint, methods, status_code=None, response_class=None,
                 name=None, tags=None, summary=None, description=None, include_in_schema=True,
                 dependencies=None):
        self.path = path
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
        # dependant: the full plan (dependencies.py) when the handler uses Depends, Query(...)
        # & co., list parameters, ``response``/``background_tasks`` or route dependencies;
        # otherwise None and ``plan`` is the lean plan ``arguments`` follows.
        self.dependant = None
        self.plan = self._make_plan()
        # is_async: the request needs a coroutine (async handler or dependency).
        self.is_async = self.endpoint_async or (self.dependant is not None and
                                                self.dependant.needs_async)

    def _make_plan(self):
        plan = []
        sig = _compat.signature(self.endpoint)
        if self.dependencies or _needs_dependant(sig):
            from .dependencies import Dependant

            self.dependant = Dependant(self.endpoint, self.path_names, self.dependencies)
            dep = self.dependant
            dep.kind = 0  # the server calls the endpoint itself
            dep.needs_async = False
            for _, sub, _ in dep.deps:
                dep.needs_async = dep.needs_async or sub.needs_async
            return None
        for name, default, annotation in sig:
            if name in self.path_names:
                plan.append((name, _PATH, self.path_names.index(name), None, None))
            elif name == "request":
                plan.append((name, _REQUEST, None, None, None))
            else:
                if annotation is not EMPTY and not _compat.MICROPYTHON:
                    from .params import portability_warning

                    portability_warning(self.endpoint, name, annotation, default)
                plan.append((name, _QUERY, default, _query_kind(default, annotation), None))
        return plan

    def arguments(self, request, params):
        """Keyword arguments for the handler, or RequestValidationError with every error."""
        kwargs = {}
        errors = None
        query = None
        for name, source, extra, kind, _ in self.plan:
            if source is _PATH:
                kwargs[name] = params[extra]
            elif source is _REQUEST:
                kwargs[name] = request
            else:
                if query is None:
                    query = request.query_params
                raw = query.get(name)
                if raw is None:
                    if extra is EMPTY:
                        errors = errors or []
                        errors.append(error("missing", ["query", name], "Field required", None))
                    else:
                        kwargs[name] = extra
                    continue
                value, err = convert(kind, raw, ["query", name])
                if err is not None:
                    errors = errors or []
                    errors.append(err)
                else:
                    kwargs[name] = value
        if errors:
            raise RequestValidationError(errors)
        return kwargs
