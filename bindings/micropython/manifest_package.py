# The viperhttp package as frozen into firmware (included by manifest.py here and by the
# board's manifest).  The CPython-only introspection module and the test client (tests import
# it from the source tree) are left out, to save flash.  Paths are relative to this file.
package(
    "viperhttp",
    files=[
        "__init__.py",
        "_compat.py",
        "_urlencoding.py",
        "applications.py",
        "background.py",
        "datastructures.py",
        "dependencies.py",
        "exception_handlers.py",
        "exceptions.py",
        "lifespan.py",
        "logs.py",
        "middleware.py",
        "options.py",
        "outbox.py",
        "params.py",
        "pipeline.py",
        "requests.py",
        "routers.py",
        "responses.py",
        "routing.py",
        "server.py",
        "staticfiles.py",
        "stats.py",
        "status.py",
        "templating.py",
    ],
    base_path="../../python",
)
