# Prints, as JSON, what the package's introspection finds for handlers of every shape.  Run by
# test_introspection.py under the interpreter being tested (on MicroPython the names and
# defaults are read in C from the bytecode; on CPython with inspect).
import json
import sys

from viperhttp import _compat

EMPTY = _compat.EMPTY


def plain(a, b=2, c="x"):
    pass


async def coro(item_id, q=None, *, limit=10, flag):
    pass


def kwonly_after_args(x, *args, zeta=1, alpha, mid=3):
    pass


def make_closure():
    captured = 5

    def inner(p, q=captured):
        return captured

    return inner


class Thing:
    def method(self, a, b=1):
        pass

    async def amethod(self, z=0):
        pass


class Callable:
    def __call__(self, request, token="t"):
        pass


def describe(fn):
    out = []
    for name, default, _ in _compat.signature(fn):
        out.append([name, "EMPTY" if default is EMPTY else default])
    return {"params": out, "async": _compat.is_coroutine_function(fn)}


cases = {
    "plain": plain,
    "coro": coro,
    "kwonly_after_args": kwonly_after_args,
    "closure": make_closure(),
    "lambda": lambda u, v=4: None,
    "bound_method": Thing().method,
    "bound_async_method": Thing().amethod,
    "callable_instance": Callable(),
}
result = {}
for key, fn in cases.items():
    result[key] = describe(fn)

if sys.implementation.name == "micropython":
    import micropython

    @micropython.native
    def native_fn(n, m=7):
        pass

    result["native"] = describe(native_fn)

    @micropython.viper
    def viper_fn(n: int) -> int:
        return n

    try:
        _compat.signature(viper_fn)
        result["viper"] = "accepted"
    except ValueError as e:
        result["viper"] = "ValueError: " + str(e)

print(json.dumps(result))
