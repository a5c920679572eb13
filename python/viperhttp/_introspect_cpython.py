"""Handler introspection on CPython (``inspect``).  MicroPython reads the same facts from the
function's bytecode in C (the MicroPython binding's ``signature``); both return the same shape.
"""

import inspect


def signature(fn, empty):
    """``[(name, default_or_empty, annotation_or_empty), ...]`` of the parameters a caller
    fills by keyword (``*args`` / ``**kwargs`` are skipped)."""
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = empty if p.default is p.empty else p.default
        annotation = empty if p.annotation is p.empty else p.annotation
        out.append((p.name, default, annotation))
    return out


def is_coroutine_function(fn):
    """True for ``async def`` functions (and callables whose ``__call__`` is one)."""
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)
