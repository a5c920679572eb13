"""Template rendering in-process (bench/run.sh templates): renders per second of the benchmark
page (bench/apps/templates/status.html, about 2 KB with a 50-item loop), compiled once, by
ViperHTTP and — on CPython — by Debian's Jinja2 (autoescape on, as Starlette's
Jinja2Templates); the share of ViperHTTP's time spent encoding the context (a render of
names_only.html, which names the same variables and prints nothing); and a long page
(bench/apps/templates/big.html, about 1 MB) rendered whole and in 16 KB pieces (how long the
interpreter is held per piece).  Runs on CPython and on the MicroPython unix port:

    PYTHONPATH=build/release/python:python /usr/bin/python3 bench/templates_bench.py [SECONDS]
    MICROPYPATH=python:.frozen build/micropython/micropython bench/templates_bench.py [SECONDS]

Prints one JSON object.
"""

import json
import sys

try:
    from time import perf_counter as _now

    def now_us():
        return _now() * 1e6

except ImportError:  # MicroPython
    from time import ticks_diff, ticks_us

    _T0 = ticks_us()

    def now_us():
        return ticks_diff(ticks_us(), _T0)

HERE = __file__.rpartition("/")[0] or "."
sys.path.insert(0, HERE + "/apps")

from templates_common import big_context, status_context  # noqa: E402
from viperhttp.templating import Jinja2Templates  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
REPEATS = 5
BIG_ROWS = 20000


def rate(fn):
    """Median calls per second over REPEATS rounds of about SECONDS / REPEATS each."""
    fn()
    n = 1
    while True:  # calibrate: calls per round
        t0 = now_us()
        for _ in range(n):
            fn()
        dt = now_us() - t0
        if dt > 20000:
            break
        n *= 2
    per_round = max(1, int(n * (SECONDS / REPEATS) * 1e6 / dt))
    rates = []
    for _ in range(REPEATS):
        t0 = now_us()
        for _ in range(per_round):
            fn()
        rates.append(per_round * 1e6 / (now_us() - t0))
    rates.sort()
    return rates[len(rates) // 2]


def main():
    out = {"interpreter": sys.implementation.name}
    ctx = status_context()
    templates = Jinja2Templates(directory=HERE + "/apps/templates", context_bytes=4 << 20,
                                max_output_bytes=8 << 20)
    page = templates.render("status.html", ctx)
    out["page_bytes"] = len(page.encode())
    out["compiled_bytes"] = templates.warmup(["status.html"])["status.html"]
    out["viper_renders_per_s"] = rate(lambda: templates.render("status.html", ctx))

    # The context's share: names_only.html names the same variables (so the same context is
    # encoded) but prints nothing.
    out["viper_encode_per_s"] = rate(lambda: templates.render("names_only.html", ctx))
    out["encode_share"] = out["viper_renders_per_s"] / out["viper_encode_per_s"]

    big = big_context(BIG_ROWS)
    t0 = now_us()
    whole = templates.render_bytes("big.html", big)
    out["big_page_bytes"] = len(whole)
    out["big_whole_ms"] = (now_us() - t0) / 1000
    t0 = now_us()
    stream = templates.stream("big.html", big, 16384)
    out["big_encode_ms"] = (now_us() - t0) / 1000
    longest = 0
    pieces = 0
    total = 0
    while True:
        t1 = now_us()
        try:
            piece = next(stream)
        except StopIteration:
            break
        dt = now_us() - t1
        pieces += 1
        total += len(piece)
        longest = max(longest, dt)
    assert total == len(whole)
    out["big_pieces"] = pieces
    out["big_longest_piece_ms"] = longest / 1000

    if sys.implementation.name == "cpython":
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE + "/apps/templates"),
                                 autoescape=True)
        jt = env.get_template("status.html")
        assert jt.render(ctx) == page, "the pages differ"
        out["jinja2_renders_per_s"] = rate(lambda: jt.render(ctx))
        out["ratio_vs_jinja2"] = out["viper_renders_per_s"] / out["jinja2_renders_per_s"]
        bt = env.get_template("big.html")
        t0 = now_us()
        assert bt.render(big).encode() == whole
        out["jinja2_big_whole_ms"] = (now_us() - t0) / 1000
    print(json.dumps(out))


main()
