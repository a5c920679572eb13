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

    def __init__(self, prefix="", tags=None, dependencies=None):
        self.prefix = _check_prefix(prefix)
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
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
        spec = RouteSpec(full, endpoint, methods, options)
        self.routes.append(spec)
        return spec

    def include_router(self, router, prefix="", tags=None, dependencies=None):
        """Copies ``router``'s routes into this one under ``prefix`` (then this router's)."""
        for path, endpoint, methods, options in included_routes(router, prefix, tags,
                                                                 dependencies):
            self.add_api_route(path, endpoint, methods, **options)


def included_routes(router, prefix="", tags=None, dependencies=None):
    """(path, endpoint, methods, options) of ``router``'s routes as included with ``prefix``,
    ``tags`` and ``dependencies`` (prepended to the router's)."""
    prefix = _check_prefix(prefix)
    out = []
    for spec in router.routes:
        options = dict(spec.options)
        options["tags"] = list(tags or []) + list(options.get("tags") or [])
        options["dependencies"] = (list(dependencies or []) +
                                   list(options.get("dependencies") or []))
        out.append((prefix + spec.path, spec.endpoint, list(spec.methods), options))
    return out


APIRouter = Router
