"""Runs every ```python block of docs/guide/*.md, so the guide cannot rot.

Each block is a complete program: it builds an app, drives it with
``viperhttp.testclient.TestClient`` and checks the answers with plain ``assert``s.  It runs
in its own process on the interpreter under test (see tests/docs/README.md):

  VIPER_INTERPRETER  interpreter that runs the blocks (default /usr/bin/python3)
  VIPER_PYTHONPATH   its module path, entries relative to the repository root
                     (default build/debug/python:python); also MICROPYPATH (+ .frozen)

Markers after ``python`` on the fence line:

  ```python no-run               not run (e.g. ``app.run()``, which serves forever); only
                                 compiled, on CPython, to catch syntax errors
  ```python cpython-only: why    skipped on MicroPython, with ``why`` as the reason
"""

import os
import pathlib
import re
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
INTERPRETER = os.environ.get("VIPER_INTERPRETER") or "/usr/bin/python3"
if not os.path.isabs(INTERPRETER) and os.sep in INTERPRETER:
    INTERPRETER = str(ROOT / INTERPRETER)
MICROPYTHON = "micropython" in os.path.basename(INTERPRETER)
PYTHONPATH = os.pathsep.join(
    str((ROOT / p).resolve()) if not os.path.isabs(p) else p
    for p in (os.environ.get("VIPER_PYTHONPATH") or "build/debug/python:python").split(":")
    if p
)
TIMEOUT = 60

FENCE = re.compile(r"^```python(?P<info>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)


class Block:
    def __init__(self, page, index, line, info, code):
        self.page = page
        self.index = index
        self.line = line
        self.code = code
        info = info.strip()
        self.no_run = info == "no-run"
        self.cpython_only = None
        if info.startswith("cpython-only"):
            self.cpython_only = info[len("cpython-only"):].lstrip(":").strip() or "CPython only"
        elif info and not self.no_run:
            raise ValueError("{}:{}: unknown marker {!r} after ```python".format(
                page, line, info))

    @property
    def id(self):
        return "{}-{}".format(self.page[:-3], self.index)


def extract(path):
    text = path.read_text(encoding="utf-8")
    blocks = []
    for i, m in enumerate(FENCE.finditer(text), 1):
        line = text.count("\n", 0, m.start()) + 1
        blocks.append(Block(path.name, i, line, m.group("info"), m.group("code")))
    return blocks


def all_blocks():
    out = []
    for path in sorted(GUIDE.glob("*.md")):
        out.extend(extract(path))
    return out


BLOCKS = all_blocks()


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHONPATH
    env["MICROPYPATH"] = PYTHONPATH + os.pathsep + ".frozen"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONSTARTUP", None)
    return env


def test_guide_has_examples():
    assert GUIDE.is_dir(), GUIDE
    assert BLOCKS, "no ```python blocks found in docs/guide/*.md"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example(block):
    where = "docs/guide/{} line {} (block {})".format(block.page, block.line, block.index)
    if block.no_run:
        if MICROPYTHON:
            pytest.skip("no-run block")
        compile(block.code, where, "exec")  # syntax only
        pytest.skip("no-run block (compiled only)")
    if block.cpython_only is not None and MICROPYTHON:
        pytest.skip(block.cpython_only)
    with tempfile.TemporaryDirectory() as tmp:
        script = pathlib.Path(tmp) / (block.id.replace("-", "_") + ".py")
        # Line numbers in tracebacks match the page: pad with the lines before the block.
        script.write_text("\n" * block.line + block.code, encoding="utf-8")
        argv = [INTERPRETER, str(script)]
        if MICROPYTHON:
            argv[1:1] = ["-X", "heapsize=64M"]
        try:
            proc = subprocess.run(argv, cwd=str(ROOT), env=_env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            pytest.fail("{}: did not finish within {} s\nstdout:\n{}\nstderr:\n{}".format(
                where, TIMEOUT, (exc.stdout or b"").decode("utf-8", "replace"),
                (exc.stderr or b"").decode("utf-8", "replace")))
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, "{} exited with {}\nstdout:\n{}\nstderr:\n{}".format(
        where, proc.returncode, out, err)
