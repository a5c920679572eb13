"""Parity apps: each module defines ``make_app(fw)`` (``fw`` is ``fastapi`` or ``viperhttp``)
and ``REQUESTS``, the table of requests run against both frameworks."""

import re


def is_fastapi(fw):
    return fw.__name__ == "fastapi"


def path(fw, p):
    """``/items/{item_id:int}`` for ViperHTTP (the engine's converter), ``/items/{item_id}``
    for FastAPI (whose type comes from the annotation, which both honour)."""
    if is_fastapi(fw):
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", p)
    return p


def responses(fw):
    if is_fastapi(fw):
        import fastapi.responses
        return fastapi.responses
    import viperhttp.responses
    return viperhttp.responses
