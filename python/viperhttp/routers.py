"""``Router`` (alias ``APIRouter``): groups routes under a prefix, tags and dependencies.

A router only records its routes; ``app.include_router(router, prefix=...)`` registers them
on the app with the combined prefix, tags and dependencies (app-level, then include-level,
then router-level, then route-level, as FastAPI).  Routers nest::

    from viperhttp import Router, ViperHTTP

    items = Router(prefix="/items", tags=["items"])

    @items.get("/{item_id:int}")
    def read_item(item_id):
        return {"item_id": item_id}

    api = Router(prefix="/api")
    api.include_router(items)            # /api/items/{item_id:int}
    app = ViperHTTP()
    app.include_router(api, prefix="/v1")  # /v1/api/items/{item_id:int}
"""

from .routing import HTTP_METHODS as _HTTP_METHODS
from .routing import RouteDecorators


def _check_prefix(prefix):
    if prefix:
        if not prefix.startswith("/"):
            raise ValueError("a prefix must start with '/': {!r}".format(prefix))
        if prefix.endswith("/"):
            raise ValueError("a prefix must not end with '/': {!r}".format(prefix))
    return prefix or ""


class RouteSpec:
    """A route recorded by a router: registered on the app by ``include_router``."""

    def __init__(self, path, endpoint, methods, options):
        self.path = path
        self.endpoint = endpoint
        self.methods = methods
        self.options = options


class Router(RouteDecorators):
    """A group of routes with a common ``prefix``, ``tags`` and ``dependencies``."""

    def __init__(self, prefix="", tags=None, dependencies=None, responses=None,
                 default_response_class=None, deprecated=None, include_in_schema=True,
                 route_class=None, callbacks=None, generate_unique_id_function=None,
                 redirect_slashes=True):
        self.prefix = _check_prefix(prefix)
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.responses = dict(responses or {})
        self.default_response_class = default_response_class
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.route_class = route_class  # accepted for FastAPI code; routes are Route objects
        self.routes = []  # RouteSpec, with this router's prefix/tags/dependencies applied

    def add_api_route(self, path, endpoint, methods=None, **options):
        methods = [m.upper() for m in (methods or ["GET"])]
        for m in methods:
            if m not in _HTTP_METHODS and m != "WEBSOCKET":
                raise ValueError("unsupported HTTP method {!r}".format(m))
        full = self.prefix + path
        if not full.startswith("/"):
            raise ValueError("route path must start with '/': {!r}".format(full))
        options["tags"] = self.tags + list(options.get("tags") or [])
        options["dependencies"] = self.dependencies + list(options.get("dependencies") or [])
        _apply_router_options(options, self.responses, self.default_response_class,
                              self.deprecated, self.include_in_schema)
        spec = RouteSpec(full, endpoint, methods, options)
        self.routes.append(spec)
        return spec

    def include_router(self, router, prefix="", tags=None, dependencies=None, responses=None,
                       default_response_class=None, deprecated=None, include_in_schema=True):
        """Copies ``router``'s routes into this one under ``prefix`` (then this router's)."""
        for path, endpoint, methods, options in included_routes(
                router, prefix, tags, dependencies, responses, default_response_class,
                deprecated, include_in_schema):
            self.add_api_route(path, endpoint, methods, **options)


def _apply_router_options(options, responses, default_response_class, deprecated,
                          include_in_schema):
    # a router's (or an include's) defaults under the route's own keywords
    if responses:
        merged = dict(responses)
        merged.update(options.get("responses") or {})
        options["responses"] = merged
    if default_response_class is not None and options.get("response_class") is None:
        options["response_class"] = default_response_class
    if deprecated is not None and options.get("deprecated") is None:
        options["deprecated"] = deprecated
    if not include_in_schema:
        options["include_in_schema"] = False


def included_routes(router, prefix="", tags=None, dependencies=None, responses=None,
                    default_response_class=None, deprecated=None, include_in_schema=True):
    """(path, endpoint, methods, options) of ``router``'s routes as included with ``prefix``,
    ``tags`` and ``dependencies`` (prepended to the router's)."""
    prefix = _check_prefix(prefix)
    out = []
    for spec in router.routes:
        options = dict(spec.options)
        options["tags"] = list(tags or []) + list(options.get("tags") or [])
        options["dependencies"] = (list(dependencies or []) +
                                   list(options.get("dependencies") or []))
        _apply_router_options(options, responses, default_response_class, deprecated,
                              include_in_schema)
        out.append((prefix + spec.path, spec.endpoint, list(spec.methods), options))
    return out


APIRouter = Router
