"""Request tokens across the native module (docs/native-api.md "Tokens"): every token is an int
below 2**30 — a small int on a 32-bit MicroPython, so no heap object per request — made of the
slot and its generation; a stale token (client gone, 504) is dropped as late, also across the
generation's wrap, which every slot crosses within its first 8 requests; values that are no
token are refused.  apps/native_app.py is the interpreter side of the bridge here, so the test
chooses when each token is answered; the last test goes through the package (main_app.py).

On a 32-bit build before tokens were small ints, a response for any slot but 0 was lost."""

import json

import pytest

from pyapi_support import MICROPYTHON

TOKEN_LIMIT = 1 << 30
FIRST_WRAP = 8  # a slot's 8th deferred request has generation 0


def get(conn, path):
    r = conn.request("GET", path)
    assert r.status == 200, r
    return json.loads(r.body)


def slot_bits(max_connections):
    return (max_connections - 1).bit_length()


def split(token, max_connections):
    bits = slot_bits(max_connections)
    return token & ((1 << bits) - 1), token >> bits


def test_tokens_are_small_ints_of_slot_and_generation(start_app):
    srv = start_app("native_app.py", max_connections=8)
    idle = srv.conn()
    first = get(idle, "/r/0")  # this connection stays open and idle from here on
    conns = [srv.conn() for _ in range(3)]
    seen = {}
    for i in range(3 * FIRST_WRAP):
        for k, c in enumerate(conns):
            r = get(c, "/r/{}".format(100 * k + i))
            assert r["n"] == 100 * k + i
            t = r["token"]
            assert type(t) is int and 0 <= t < TOKEN_LIMIT, t
            seen.setdefault(k, []).append(t)
    mask = (1 << (30 - slot_bits(8))) - 1
    slots = set()
    for k, tokens in seen.items():
        assert len(set(tokens)) == len(tokens), tokens
        parts = [split(t, 8) for t in tokens]
        assert len(set(s for s, g in parts)) == 1, parts  # one connection, one slot
        slots.add(parts[0][0])
        gens = [g for s, g in parts]
        # Consecutive generations of the slot, crossing the wrap (… mask, 0, 1 …).
        assert all((b - a) & mask == 1 for a, b in zip(gens, gens[1:])), gens
        assert 0 in gens and mask in gens, gens
    assert len(slots) == 3 and split(first["token"], 8)[0] not in slots
    for c in conns + [idle]:
        c.close()
    stats = srv.stats()
    assert stats["late_completions"] == 0, stats


@pytest.mark.parametrize("how", ["client_left", "timeout_504"])
def test_stale_token_from_before_the_wrap_is_dropped(start_app, how):
    # One slot, so every request is the same slot's next generation: requests 1 .. 6 are
    # answered, the 7th (the last generation before the wrap: token 2**30 - 1) is held until
    # its client left or the engine answered 504, and the 8th (generation 0: token 0) releases
    # it — the stale response is queued first and must not reach the 8th request.
    srv = start_app("native_app.py", max_connections=1, handler_timeout_s=0.5)
    c = srv.conn()
    for i in range(1, FIRST_WRAP - 1):
        assert get(c, "/r/{}".format(i))["token"] == TOKEN_LIMIT - 1 - (FIRST_WRAP - 1 - i)
    if how == "client_left":
        c.send(b"GET /hold/7 HTTP/1.1\r\nHost: t\r\n\r\n")
        c.close_and_wait()  # the engine closed it (and abandoned the request): the slot is free
        c = srv.conn()
    else:
        r = c.request("GET", "/hold/7")
        assert r.status == 504, r
    released = get(c, "/release/7")
    assert released == {"released": 7, "token": 0}
    c.close()
    stats = srv.stats()
    assert stats["late_completions"] == 1, stats
    assert stats["bridge"]["responses_gone"] == 1, stats
    assert stats["timeouts_handler"] == (1 if how == "timeout_504" else 0), stats
    with srv.conn() as c2:
        checks = get(c2, "/checks")
    assert checks["cancelled"] == [TOKEN_LIMIT - 1], checks


def test_values_that_are_no_token_are_refused(start_app):
    srv = start_app("native_app.py", max_connections=4)
    with srv.conn() as c:
        checks = get(c, "/checks")["checks"]
    assert checks == [
        ["1073741824", "ValueError"], ["-1", "ValueError"],
        ["18446744073709551616", "ValueError"], ["-18446744073709551616", "ValueError"],
        ["True", "TypeError"], ["'1'", "TypeError"], ["1.0", "TypeError"], ["None", "TypeError"],
    ], checks
    stats = srv.stats()
    assert stats["late_completions"] == 0, stats  # nothing reached the engine


def test_package_answers_every_slot_while_slot_0_idles(start_app):
    # The 32-bit failure as a user saw it: one keep-alive connection idle in slot 0, and the
    # handlers' responses for the other connections never arrived.
    srv = start_app("main_app.py", max_connections=4)
    idle = srv.conn()
    assert idle.request("GET", "/sync").status == 200
    others = [srv.conn() for _ in range(3)]
    for i in range(2 * FIRST_WRAP):
        for c in others:
            r = c.request("GET", "/conv/int/{}".format(i))
            assert r.status == 200, r
            assert json.loads(r.body) == {"value": i, "type": "int"}, r.body
    for c in others + [idle]:
        c.close()
    stats = srv.stats()
    assert stats["late_completions"] == 0, stats
