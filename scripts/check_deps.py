#!/usr/bin/python3
"""The dependency guard: everything the project's scripts, suites and benchmarks need from
outside the repository must come from a Debian package that scripts/install-deps.sh installs
for that task, so that a fresh Debian 12 machine passes (and fails early and clearly when it
would not).  Usage:

    scripts/check_deps.py [--root DIR] [--install-deps FILE] [--no-trace] [--collect DIR]
                          [-v] [TASK ...]

TASK is build, test or bench (default: all three; a task whose listed packages are not all
installed is reported as not checked).  --no-trace skips the collection of the suites,
--collect DIR collects only DIR's suites, -v lists every module and tool with its package.  For each task it finds

* the Python modules its files import: every ``import`` and ``from ... import`` in every .py
  file (also inside functions), ``importlib.import_module("x")``, ``pytest.importorskip("x")``,
  the ``python`` blocks of docs/guide (tests/docs runs them), ``python3 -m X`` and
  ``python3 -c CODE`` in shell scripts; and, for the test task, every module that is loaded
  while the suites are collected (``pytest --collect-only``) and while tests/parity's FastAPI
  apps are built: that is where FastAPI and Starlette import what they need for a feature
  (``multipart`` for ``Form``), which no scan of our own files can see;
* the external tools it runs: commands of its shell scripts (parsed with shfmt), including
  commands passed to wrappers (``taskset``, ``nice``, ``env`` ...) and to functions of the same
  script, ``command -v X``; argv[0] of ``subprocess``/``os.exec*`` calls and ``shutil.which``
  in Python; absolute paths such as ``/usr/bin/chromium`` in Python and Node scripts; the
  generator and compilers of the CMake presets the task builds;
* the npm packages its Node scripts ``require``: they must be in the committed package.json
  and package-lock.json next to them.

A module is mapped to the Debian package that owns its file (``dpkg -S``), a tool through
its path (``command -v`` then ``dpkg -S``).  It is provided when that package is named in the
task's list (``install-deps.sh --list TASK``), is installed as a hard dependency (Depends,
Pre-Depends, recursively) of one named there, or is part of every Debian system (Essential or
Priority: required).  Anything else — a recommendation that happens to be installed, a package
installed by hand, a file no package owns, a module or tool that is missing — is an error that
names the module or tool, where it is used, and the package to add.
"""

import ast
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
# The guard checks what /usr/bin/python3 (the interpreter every script names) imports: the
# repository's own directories must not be on its path.
sys.path[:] = [p for p in sys.path if p and pathlib.Path(p).resolve() != HERE]

PY = "/usr/bin/python3"
VERBOSE = False

# Which files belong to which task (paths relative to the root; a directory means every file
# under it).  Every .py and .sh file under CHECKED_DIRS must be in at least one task.
TASKS = {
    "build": {
        "python": ["python", "examples", "tools/pack_assets.py"],
        "shell": ["scripts/demo.sh", "scripts/install-deps.sh"],
        "node": [],
        "presets": ["debug", "release"],
        "collect": [],
    },
    "test": {
        "python": ["tests", "python", "examples", "tools", "scripts/check_deps.py"],
        "guide": ["docs/guide"],
        "shell": ["scripts/test.sh", "scripts/micropython.sh", "scripts/install-npm.sh",
                  "scripts/install-deps.sh", "scripts/mcu-size.sh", "scripts/lwip.sh",
                  "tests", ".ci/run"],
        "node": ["tests/browser"],
        "presets": ["debug", "esp32", "asan", "tsan", "fuzz"],
        "collect": ["tests"],
    },
    "bench": {
        "python": ["bench", "python"],
        "shell": ["bench", "scripts/install-deps.sh"],
        "node": [],
        "presets": ["release"],
        "collect": [],
    },
}
CHECKED_DIRS = ["tests", "bench", "tools", "examples", "python", "scripts"]

# Modules that MicroPython provides and CPython does not (the package's _compat.py and the
# MicroPython-only test scripts import them on that interpreter only); they come with the
# MicroPython build (scripts/micropython.sh), not from a Debian package.
MICROPYTHON_MODULES = {"micropython", "uasyncio", "deflate", "machine", "network", "esp",
                       "esp32", "utime", "uos", "ujson", "usocket", "uselect", "uctypes",
                       "uzlib", "uio", "vfs"}

# Modules a library loads only because they happen to be installed, that nothing here needs
# (module -> why).  Loaded during collection but not required; empty until one shows up.
OPTIONAL_MODULES = {}

# Modules that come from neither Debian nor the repository and that only a benchmark mode
# uses, which skips itself (saying why) when the module is absent (module -> where it comes from).
EXTERNAL_BENCH_MODULES = {
    "microdot": "bench/run.sh microdot: Microdot's src/ named by MICRODOT_DIR, not a Debian package",
}

# Commands that run their arguments: every literal argument that is a command on this machine
# is a tool too (taskset -c 0 wrk ...).
WRAPPERS = {"env", "exec", "command", "nice", "nohup", "setsid", "taskset", "timeout", "time",
            "xargs", "sudo", "strace", "valgrind", "perf", "chrt", "stdbuf", "ionice", "flock",
            "hyperfine", "builtin"}
# Commands that name a tool without running it.
LOOKUPS = {"command": "-v", "which": None, "hash": None, "type": None}

PATH_RE = re.compile(r"(?<![\w.-])(/(?:usr/)?s?bin/[A-Za-z0-9][A-Za-z0-9_.+-]*)")
WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]*$")


class Use:
    """One thing a task needs: a module, a tool or an npm package, and where it is used."""

    def __init__(self, kind, name, where):
        self.kind = kind    # "module", "tool", "npm"
        self.name = name
        self.where = where  # "file:line" or a description

    def __repr__(self):
        return "%s %s (%s)" % (self.kind, self.name, self.where)


# ---------------------------------------------------------------------------------------------
# Files of a task


def tracked_files(root):
    """The repository's files, without build output, node_modules and caches."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = pathlib.Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if d not in (
            "node_modules", "__pycache__", ".git", ".pytest_cache") and not (
                rel == pathlib.Path(".") and (d == "build" or d.startswith("build-"))))
        out += [pathlib.Path(dirpath) / f for f in filenames]
    return sorted(out)


def select(files, root, prefixes):
    out = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        if any(rel == x or rel.startswith(x.rstrip("/") + "/") for x in prefixes):
            out.append(p)
    return out


def is_shell(path):
    if path.suffix == ".sh":
        return True
    if path.suffix:
        return False
    try:
        first = path.open("rb").readline()
    except OSError:
        return False
    return first.startswith(b"#!") and (b"sh" in first.split(b"/")[-1])


# ---------------------------------------------------------------------------------------------
# Python


def python_uses(source, where_file, line_offset=0):
    """Modules and tools one Python source uses (top-level module names)."""
    uses = []
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return [Use("error", "cannot parse: %s" % e, where_file)]

    def at(node):
        return "%s:%d" % (where_file, node.lineno + line_offset)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                uses.append(Use("module", a.name.split(".")[0], at(node)))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                uses.append(Use("module", node.module.split(".")[0], at(node)))
        elif isinstance(node, ast.Call):
            name = call_name(node.func)
            first = node.args[0] if node.args else None
            if name in ("importlib.import_module", "import_module", "__import__",
                        "pytest.importorskip", "importorskip"):
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    uses.append(Use("module", first.value.split(".")[0], at(node)))
            elif name.split(".")[-1] in ("run", "Popen", "call", "check_call", "check_output",
                                         "create_subprocess_exec", "execv", "execvp",
                                         "execve", "execvpe", "execl", "execlp", "spawnv",
                                         "spawnvp") and name.split(".")[0] in (
                                             "subprocess", "os", "asyncio", "run", "Popen",
                                             "check_output", "check_call", "call"):
                tool = argv0(first, node)
                if tool:
                    uses.append(Use("tool", tool, at(node)))
            elif name in ("shutil.which", "which"):
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    uses.append(Use("tool", first.value, at(node)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for m in PATH_RE.finditer(node.value):
                uses.append(Use("tool", m.group(1), at(node)))
    return uses


def call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return call_name(func.value) + "." + func.attr
    return ""


def argv0(arg, call):
    shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                for k in call.keywords)
    if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts:
        e = arg.elts[0]
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            return e.value
    elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        words = shlex.split(arg.value) if shell else [arg.value]
        return words[0] if words else None
    return None


def guide_uses(path, root):
    """The ``python`` blocks of a guide page, each scanned as Python."""
    uses = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    rel = path.relative_to(root).as_posix()
    while i < len(lines):
        if lines[i].strip() == "```python":
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            uses += python_uses("\n".join(lines[i + 1:j]), rel, line_offset=i)
            i = j
        i += 1
    return uses


def local_modules(root, files):
    """Top-level names the repository itself provides: its .py files and packages, and the
    Python extensions its CMake files build (Python3_add_library(NAME ...))."""
    names = set()
    for p in files:
        if p.suffix == ".py":
            # a package's top directory, or a module beside the script that imports it
            # (pytest puts a test directory itself on sys.path, package or not)
            top = p.parent
            if (top / "__init__.py").exists():
                while (top.parent / "__init__.py").exists():
                    top = top.parent
                names.add(top.name)
            if not (p.parent / "__init__.py").exists() or (p.parent / "conftest.py").exists():
                names.add(p.stem)
        if p.name == "CMakeLists.txt":
            names.update(re.findall(r"Python3_add_library\(\s*(\w+)", p.read_text()))
    return names


# ---------------------------------------------------------------------------------------------
# Shell (shfmt's syntax tree)


def shell_uses(path, root):
    rel = path.relative_to(root).as_posix()
    shfmt = shutil.which("shfmt")
    if not shfmt:
        return [Use("tool", "shfmt", "check_deps.py (parses the shell scripts)")]
    p = subprocess.run([shfmt, "--to-json", "--filename", str(path)],
                       input=path.read_bytes(), capture_output=True)
    if p.returncode != 0:
        return [Use("error", "shfmt cannot parse it: %s" % p.stderr.decode().strip(), rel)]
    tree = json.loads(p.stdout)
    functions, assigns = set(), {}
    for node in walk(tree):
        if node.get("Type") == "FuncDecl":
            functions.add(node["Name"]["Value"])
        for a in node.get("Assigns") or []:
            value = word_text(a.get("Value")) if a.get("Value") else ""
            if a.get("Array"):
                value = None
            assigns.setdefault(a["Name"]["Value"], set()).add(value)
    single = {k: next(iter(v)) for k, v in assigns.items() if len(v) == 1 and None not in v}
    for node in walk(tree):  # functions of the repository's scripts it sources
        if node.get("Type") == "CallExpr" and len(node.get("Args") or []) == 2 and \
                word_text(node["Args"][0]) in ("source", "."):
            functions |= sourced_functions(node["Args"][1], root)
    uses = []
    for node in walk(tree):
        if node.get("Type") != "CallExpr" or not node.get("Args"):
            continue
        words = [word_text(w, single) for w in node["Args"]]
        line = node["Args"][0]["Pos"]["Line"]
        uses += command_uses(words, functions, "%s:%d" % (rel, line))
    return uses


def sourced_functions(word, root):
    """The functions a sourced script defines, when the word names a file of the repository by
    its literal tail ("$ROOT/bench/lib.sh", "bench/lib.sh")."""
    parts = [w.get("Value", "") for w in word.get("Parts", []) if w.get("Type") == "Lit"]
    for q in word.get("Parts", []):
        if q.get("Type") == "DblQuoted":
            parts += [w.get("Value", "") for w in q.get("Parts", []) if w.get("Type") == "Lit"]
    tail = "".join(parts).lstrip("/")
    path = root / tail
    if not tail or not path.is_file():
        return set()
    p = subprocess.run([shutil.which("shfmt"), "--to-json", "--filename", str(path)],
                       input=path.read_bytes(), capture_output=True)
    if p.returncode != 0:
        return set()
    return {n["Name"]["Value"] for n in walk(json.loads(p.stdout)) if n.get("Type") == "FuncDecl"}


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def word_text(word, variables=None):
    """The literal text of a shell word, or None when part of it is not known statically
    (a variable without one literal assignment, a command substitution, ...)."""
    out = []
    for part in word.get("Parts", []):
        t = part.get("Type")
        if t == "Lit":
            out.append(part["Value"])
        elif t == "SglQuoted":
            out.append(part["Value"])
        elif t == "DblQuoted":
            inner = word_text(part, variables)
            if inner is None:
                return None
            out.append(inner)
        elif t == "ParamExp" and variables is not None and not part.get("Index") \
                and not part.get("Exp") and not part.get("Repl") and not part.get("Length"):
            value = variables.get(part["Param"]["Value"])
            if value is None:
                return None
            out.append(value)
        else:
            return None
    return "".join(out)


BASH_BUILTINS = None


def builtins():
    global BASH_BUILTINS
    if BASH_BUILTINS is None:
        out = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True,
                             text=True).stdout.split()
        BASH_BUILTINS = set(out) | {"[[", "]]", "{", "}", "!"}
    return BASH_BUILTINS


def command_uses(words, functions, where):
    uses = []
    # assignments before the command (FOO=1 cmd) are not in Args; a word with a variable is
    # None: not known
    if not words:
        return uses
    if words[0] is None:
        # a command from a variable ($sudo apt-get ...): what follows may still be one
        return [Use("tool?", w, where) for w in words[1:] if w and WORD_RE.match(w)]
    cmd = words[0]
    rest = words[1:]
    if cmd in LOOKUPS:
        flag = LOOKUPS[cmd]
        if flag is None or (rest and rest[0] == flag):
            for w in rest:
                if w and WORD_RE.match(w) and w != flag:
                    uses.append(Use("tool", w, where))
        return uses
    if cmd in functions:
        # a function of the same script: an argument that is a command here may be run by it
        uses += [Use("tool?", w, where) for w in rest if w and WORD_RE.match(w)]
        return uses
    if cmd in builtins() and cmd not in WRAPPERS:
        return uses
    if "/" in cmd and not cmd.startswith("/"):
        return uses  # a script of the repository (scripts/x.sh, build/...)
    if cmd not in builtins():
        uses.append(Use("tool", cmd, where))
    if cmd in WRAPPERS or os.path.basename(cmd) in WRAPPERS:
        uses += [Use("tool?", w, where) for w in rest if w and (WORD_RE.match(w) or
                                                                   PATH_RE.fullmatch(w))]
    if os.path.basename(cmd).startswith("python3") or cmd == PY:
        uses += python_command_uses(rest, where)
    return uses


def python_command_uses(args, where):
    uses = []
    for i, a in enumerate(args):
        if a == "-m" and i + 1 < len(args) and args[i + 1]:
            uses.append(Use("module", args[i + 1].split(".")[0], where))
            break
        if a == "-c" and i + 1 < len(args) and args[i + 1]:
            uses += [u for u in python_uses(args[i + 1], where) if u.kind == "module"]
            for u in uses:
                u.where = where
            break
    return uses


# ---------------------------------------------------------------------------------------------
# Node


def node_uses(directory, root):
    uses = []
    rel = directory.relative_to(root).as_posix()
    pkg_file, lock_file = directory / "package.json", directory / "package-lock.json"
    declared, locked = {}, {}
    if not pkg_file.is_file():
        uses.append(Use("error", "no package.json: the npm packages must be declared", rel))
    else:
        declared = json.loads(pkg_file.read_text()).get("dependencies", {})
        if not lock_file.is_file():
            uses.append(Use("error", "no package-lock.json: commit the lock file", rel))
        else:
            lock = json.loads(lock_file.read_text())
            top = lock.get("packages", {}).get("", {}).get("dependencies", {})
            if top != declared:
                uses.append(Use("error", "package-lock.json does not match package.json "
                                "(run npm install there and commit both)", rel))
            locked = {k[len("node_modules/"):] for k in lock.get("packages", {})
                      if k.startswith("node_modules/")}
    node_builtins = set()
    if shutil.which("node"):
        node_builtins = set(json.loads(subprocess.run(
            ["node", "-p", "JSON.stringify(require('module').builtinModules)"],
            capture_output=True, text=True).stdout or "[]"))
    for js in sorted(directory.glob("*.js")):
        text = js.read_text()
        jsrel = js.relative_to(root).as_posix()
        for n, line in enumerate(text.split("\n"), 1):
            for m in re.finditer(r"""require\(\s*['"]([^'"]+)['"]\s*\)|from\s+['"]([^'"]+)['"]""",
                                 line):
                name = m.group(1) or m.group(2)
                if name.startswith(".") or name.startswith("node:") or name in node_builtins:
                    continue
                base = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
                where = "%s:%d" % (jsrel, n)
                if base not in declared:
                    uses.append(Use("error", "npm package %s is required but not in %s/package.json"
                                    % (base, rel), where))
                elif base not in locked:
                    uses.append(Use("error", "npm package %s is not in %s/package-lock.json"
                                    % (base, rel), where))
            for m in PATH_RE.finditer(line):
                uses.append(Use("tool", m.group(1), "%s:%d" % (jsrel, n)))
        if "require(" in text or "import " in text:
            uses.append(Use("tool", "node", jsrel))
    return uses


# ---------------------------------------------------------------------------------------------
# CMake presets


def preset_uses(root, names):
    f = root / "CMakePresets.json"
    if not f.is_file() or not names:
        return []
    uses = []
    presets = {p["name"]: p for p in json.loads(f.read_text()).get("configurePresets", [])}
    for name in names:
        p = presets.get(name)
        if not p:
            continue
        where = "CMakePresets.json (%s)" % name
        uses.append(Use("tool", "cmake", where))
        if p.get("generator") == "Ninja":
            uses.append(Use("tool", "ninja", where))
        cache = p.get("cacheVariables", {})
        for key in ("CMAKE_C_COMPILER", "CMAKE_CXX_COMPILER"):
            value = cache.get(key)
            if isinstance(value, dict):
                value = value.get("value")
            uses.append(Use("tool", value or ("cc" if "_C_" in key else "c++"), where))
    return uses


# ---------------------------------------------------------------------------------------------
# What is loaded while the suites are collected (a child process of /usr/bin/python3)


TRACER = r'''
import importlib, importlib.abc, json, os, sys, traceback
out_path, suite, root = sys.argv[1], sys.argv[2], sys.argv[3]
before = set(sys.modules)
failed = {}
class Missing(importlib.abc.MetaPathFinder):
    # Last on sys.meta_path: called only for a module no other finder found.
    def find_spec(self, name, path, target=None):
        if path is None and name not in failed:
            f = sys._getframe(1)
            while f and ("importlib" in f.f_code.co_filename or
                         f.f_code.co_filename.startswith("<frozen")):
                f = f.f_back
            failed[name] = "%s:%d" % (f.f_code.co_filename, f.f_lineno) if f else "?"
        return None
sys.meta_path.append(Missing())
importers = {}
def importer_frame():
    f = sys._getframe(2)
    while f and ("importlib" in f.f_code.co_filename or
                 f.f_code.co_filename.startswith("<frozen")):
        f = f.f_back
    return "%s:%d" % (f.f_code.co_filename, f.f_lineno) if f else "?"
def audit(event, args):
    if event == "import":
        top = args[0].split(".")[0]
        if top not in importers and top not in before:
            importers[top] = importer_frame()
sys.addaudithook(audit)
problems = []
import pytest
rc = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", suite])
if rc not in (0, 5):
    problems.append("pytest --collect-only %s exited with %s" % (suite, rc))
# tests/parity: FastAPI imports what a feature needs when a route is declared (Form ->
# multipart); build every app as the suite does.
apps = os.path.join(root, "tests", "parity", "apps")
if os.path.abspath(suite) == os.path.join(root, "tests", "parity") and os.path.isdir(apps):
    try:
        import fastapi
        for name, mod in sorted(sys.modules.items()):
            if name.startswith("parity.apps.") and hasattr(mod, "make_app"):
                try:
                    mod.make_app(fastapi)
                except Exception as e:
                    problems.append("building %s with FastAPI failed: %s: %s"
                                    % (name, type(e).__name__, e))
    except Exception as e:
        problems.append("importing fastapi failed: %s: %s" % (type(e).__name__, e))
loaded = {}
for name, mod in list(sys.modules.items()):
    top = name.split(".")[0]
    if top in before or top in loaded:
        continue
    f = getattr(sys.modules.get(top), "__file__", None)
    if f:
        loaded[top] = [f, importers.get(top, "?")]
json.dump({"loaded": loaded, "failed": failed, "problems": problems}, open(out_path, "w"))
'''


def trace_suites(root, dirs, env_path):
    """{module: file} loaded while collecting each suite, failed top-level imports, and
    problems (collection errors)."""
    loaded, failed, problems = {}, {}, []
    suites = []
    for d in dirs:
        base = root / d
        if (base / "conftest.py").exists() or any(base.glob("test_*.py")):
            suites.append(base)
        suites += sorted(p for p in base.iterdir() if p.is_dir() and
                         (any(p.glob("test_*.py")) or (p / "conftest.py").exists()))
    with tempfile.TemporaryDirectory() as tmp:
        for i, suite in enumerate(suites):
            out = os.path.join(tmp, "%d.json" % i)
            env = dict(os.environ, PYTHONPATH=env_path, PYTHONDONTWRITEBYTECODE="1")
            p = subprocess.run([PY, "-c", TRACER, out, str(suite), str(root)], cwd=str(root),
                               env=env, capture_output=True, text=True, timeout=300)
            rel = suite.relative_to(root).as_posix()
            if not os.path.exists(out):
                problems.append("collecting %s failed:\n%s" % (rel, (p.stdout + p.stderr)[-3000:]))
                continue
            data = json.load(open(out))
            for k, (f, importer) in data["loaded"].items():
                loaded.setdefault(k, (f, "loaded while collecting %s, first imported at %s"
                                      % (rel, importer)))
            for k, v in data["failed"].items():
                failed.setdefault(k, (v, rel))
            for prob in data["problems"]:
                problems.append("%s: %s\n%s" % (rel, prob, p.stdout[-3000:]))
    return loaded, failed, problems


# ---------------------------------------------------------------------------------------------
# Debian packages


class Dpkg:
    def __init__(self):
        fmt = ("${Package}\t${Essential}\t${Priority}\t${Provides}\t${Pre-Depends}\t${Depends}"
               "\t${db:Status-Abbrev}\t${Architecture}\n")
        out = subprocess.run(["dpkg-query", "-W", "-f=" + fmt], capture_output=True,
                             text=True).stdout
        self.installed = {}
        self.qualified = set()  # "name:arch", for the multiarch (armhf) names of a task
        self.providers = {}
        self.base = set()
        for line in out.split("\n"):
            f = line.split("\t")
            if len(f) < 7 or not f[6].startswith("ii"):
                continue
            name = f[0]
            if len(f) > 7:
                self.qualified.add(name + ":" + f[7])
            self.installed[name] = f[4] + ("," if f[4] and f[5] else "") + f[5]
            if f[1] == "yes" or f[2] == "required":
                self.base.add(name)
            for prov in split_deps(f[3]):
                for alt in prov:
                    self.providers.setdefault(alt, set()).add(name)

    def closure(self, names):
        """The packages named, and everything they install through Depends/Pre-Depends."""
        seen = set()
        todo = list(names)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for group in split_deps(self.installed.get(n, "")):
                first = group[0]
                if first in self.installed:
                    todo.append(first)
                else:  # a virtual package, or a later alternative that is installed
                    todo += sorted(self.providers.get(first, ()))
                    if not self.providers.get(first):
                        todo += [a for a in group[1:] if a in self.installed][:1]
        return seen

    def base_closure(self):
        return self.closure(self.base)


def split_deps(field):
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            alt = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alt).strip()
            alt = alt.split(":")[0]
            if alt:
                alts.append(alt)
        if alts:
            groups.append(alts)
    return groups


def owners(paths):
    """{path: [package, ...]} from one ``dpkg -S`` call (also through symlinks)."""
    result = {}
    ask = {}
    for p in paths:
        names = {p, os.path.realpath(p)}
        for n in list(names):  # merged /usr: dpkg may know /bin/x as /bin/x, not /usr/bin/x
            if n.startswith("/usr/") and n.split("/")[2] in ("bin", "sbin", "lib", "lib64"):
                names.add(n[4:])
            elif n.split("/")[1] in ("bin", "sbin", "lib", "lib64"):
                names.add("/usr" + n)
        ask.setdefault(p, names)
    flat = sorted({x for v in ask.values() for x in v})
    if not flat:
        return result
    out = subprocess.run(["dpkg", "-S"] + flat, capture_output=True, text=True).stdout
    owned = {}
    for line in out.split("\n"):
        if ": " not in line:
            continue
        pkgs, path = line.rsplit(": ", 1)
        if "diversion" in pkgs:
            continue
        owned[path] = [x.strip().split(":")[0] for x in pkgs.split(",")]
    for p, candidates in ask.items():
        pk = []
        for c in sorted(candidates):
            pk += owned.get(c, [])
        result[p] = sorted(set(pk))
    return result


def suggest_packages(modules):
    """{module: Debian package that probably provides it (python3-NAME)} for the modules apt
    knows such a package for; one apt-cache call."""
    candidates = {}
    for m in modules:
        for name in ("python3-" + m.lower().replace("_", "-"), "python3-" + m.lower()):
            candidates.setdefault(name, m)
    if not candidates:
        return {}
    out = subprocess.run(["apt-cache", "show", "--no-all-versions"] + sorted(candidates),
                         capture_output=True, text=True).stdout
    known = set(re.findall(r"^Package: (\S+)$", out, re.M))
    result = {}
    for name, m in candidates.items():
        if name in known:
            result.setdefault(m, name)
    return result


def task_list(install_deps, task):
    p = subprocess.run(["bash", str(install_deps), "--list", task], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise SystemExit("check_deps: %s --list %s failed: %s" % (install_deps, task, p.stderr))
    return p.stdout.split()


# ---------------------------------------------------------------------------------------------
# The check


def module_file(name):
    import importlib.util
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return spec.origin
    if spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            return loc
    return "builtin"


def check_task(task, root, install_deps, dpkg, files, locals_, trace):
    cfg = TASKS[task]
    names = task_list(install_deps, task)
    errors, notes = [], []
    missing = [n for n in names if n not in dpkg.installed and n not in dpkg.qualified]
    if missing:
        return None, ["%s: not checked: listed packages not installed here: %s (run "
                      "scripts/install-deps.sh %s first)" % (task, " ".join(missing), task)]
    provided = dpkg.closure([n.split(":")[0] for n in names]) | dpkg.base_closure()
    uses = []
    for p in select(files, root, cfg["python"]):
        if p.suffix == ".py":
            uses += python_uses(p.read_text(encoding="utf-8"), p.relative_to(root).as_posix())
    for p in select(files, root, cfg.get("guide", [])):
        if p.suffix == ".md":
            uses += guide_uses(p, root)
    for p in select(files, root, cfg["shell"]):
        if is_shell(p):
            uses += shell_uses(p, root)
    for d in cfg["node"]:
        if (root / d).is_dir():
            uses += node_uses(root / d, root)
    uses += preset_uses(root, cfg["presets"])

    for u in uses:
        if u.kind == "error":
            errors.append("%s: %s: %s" % (task, u.where, u.name))

    # modules
    modules = {}
    for u in uses:
        if u.kind != "module" or u.name in sys.stdlib_module_names or u.name == "__future__":
            continue
        if u.name in locals_ or u.name in MICROPYTHON_MODULES or (
                task == "bench" and u.name in EXTERNAL_BENCH_MODULES):
            continue
        modules.setdefault(u.name, []).append(u.where)
    traced = {}
    if trace and cfg["collect"]:
        pythonpath = os.pathsep.join(str(root / d) for d in ("python",))
        loaded, failed, problems = trace_suites(root, cfg["collect"], pythonpath)
        for name, (f, suite) in loaded.items():
            if name in sys.stdlib_module_names or name in locals_ or name in OPTIONAL_MODULES:
                continue
            if pathlib.Path(f).resolve().is_relative_to(root.resolve()):
                continue
            traced[name] = (f, suite)
        missing = sorted(n for n in failed if n not in locals_ and n not in MICROPYTHON_MODULES
                         and n not in sys.stdlib_module_names) if problems else []
        suggested = suggest_packages(missing)
        for prob in problems:
            hint = []
            for name in missing:
                pkg = suggested.get(name)
                hint.append("  module %r could not be imported (by %s)%s" % (
                    name, failed[name][0], "; Debian package: %s" % pkg if pkg else ""))
            errors.append("%s: %s%s" % (task, prob, ("\nimports that failed on the way:\n" +
                                                     "\n".join(hint)) if hint else ""))
    files_of = {}
    absent = [name for name in modules if module_file(name) is None]
    suggested = suggest_packages(absent)
    for name in modules:
        f = module_file(name)
        if f is None:
            pkg = suggested.get(name)
            errors.append("%s: module %r (imported at %s) is not installed: %s" % (
                task, name, ", ".join(modules[name][:3]),
                "add %s to the %s list in scripts/install-deps.sh" % (pkg, task) if pkg else
                "add the Debian package that provides it to the %s list in "
                "scripts/install-deps.sh" % task))
        elif f != "builtin":
            files_of[name] = f
    for name, (f, suite) in traced.items():
        files_of.setdefault(name, f)
    own = owners(files_of.values())
    for name, f in sorted(files_of.items()):
        pkgs = own.get(f, [])
        where = (", ".join(modules[name][:3]) if name in modules else traced[name][1])
        if not pkgs:
            errors.append("%s: module %r (%s) comes from %s, which no Debian package owns "
                          "(installed by hand?): install it from a Debian package named in the "
                          "%s list of scripts/install-deps.sh" % (task, name, where, f, task))
        elif not set(pkgs) & provided:
            errors.append("%s: module %r (%s) is provided by the Debian package %s, which the "
                          "%s list of scripts/install-deps.sh neither names nor installs as a "
                          "dependency: add %s to that list" % (
                              task, name, where, " or ".join(pkgs), task, pkgs[0]))

    # tools
    tools = {}
    for u in uses:
        if u.kind in ("tool", "tool?"):
            tools.setdefault((u.name, u.kind), []).append(u.where)
    paths = {}
    for (name, kind), where in sorted(tools.items()):
        path = name if name.startswith("/") else shutil.which(name)
        if kind == "tool?" and (path is None or not re.match(r"/(usr/)?s?bin/", path)):
            continue  # an argument that is no system command here: a name, not a tool
        if path is None or not os.path.exists(path):
            errors.append("%s: tool %r (run at %s) is not installed: add the Debian package "
                          "that provides it to the %s list in scripts/install-deps.sh" % (
                              task, name, ", ".join(where[:3]), task))
            continue
        if pathlib.Path(path).resolve().is_relative_to(root.resolve()):
            continue
        paths.setdefault(path, []).extend(["%s at %s" % (name, w) for w in where[:2]])
    own = owners(paths)
    for path, where in sorted(paths.items()):
        pkgs = own.get(path, [])
        if not pkgs:
            errors.append("%s: tool %s (%s) is not from a Debian package: install it from "
                          "one named in the %s list of scripts/install-deps.sh" % (
                              task, path, ", ".join(where[:2]), task))
        elif not set(pkgs) & provided:
            errors.append("%s: tool %s (%s) is provided by the Debian package %s, which the %s "
                          "list of scripts/install-deps.sh neither names nor installs as a "
                          "dependency: add %s to that list" % (
                              task, path, ", ".join(where[:2]), " or ".join(pkgs), task,
                              pkgs[0]))
    summary = "%s: %d third-party modules, %d tools, all provided by the %s list" % (
        task, len(files_of), len(paths), task)
    if errors:
        summary = "%s: %d problem(s)" % (task, len(errors))
    notes = [summary]
    if VERBOSE:
        mod_own = owners(files_of.values())
        notes += ["  module %-20s %s" % (n, ",".join(mod_own.get(f, ["?"])))
                  for n, f in sorted(files_of.items())]
        notes += ["  tool   %-20s %s" % (p, ",".join(own.get(p, ["?"]))) for p in sorted(paths)]
    return errors, notes


def unassigned(root, files):
    """Python and shell files under CHECKED_DIRS that no task covers."""
    out = []
    for p in select(files, root, CHECKED_DIRS):
        if not (p.suffix == ".py" or is_shell(p)):
            continue
        rel = p.relative_to(root).as_posix()
        kinds = ["python"] if p.suffix == ".py" else ["shell"]
        if not any(select([p], root, TASKS[t][k]) for t in TASKS for k in kinds):
            out.append("%s is in no task of scripts/check_deps.py (TASKS): say which task "
                       "runs it" % rel)
    return out


def main(argv):
    root = pathlib.Path(__file__).resolve().parents[1]
    install_deps = None
    trace = True
    tasks = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--root":
            root = pathlib.Path(args.pop(0)).resolve()
        elif a == "--install-deps":
            install_deps = pathlib.Path(args.pop(0)).resolve()
        elif a == "--no-trace":
            trace = False
        elif a == "--collect":
            collect = args.pop(0)
            for cfg in TASKS.values():
                if cfg["collect"]:
                    cfg["collect"] = [collect]
        elif a in ("-v", "--verbose"):
            global VERBOSE
            VERBOSE = True
        elif a in TASKS:
            tasks.append(a)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    install_deps = install_deps or root / "scripts" / "install-deps.sh"
    tasks = tasks or list(TASKS)
    files = tracked_files(root)
    locals_ = local_modules(root, files)
    dpkg = Dpkg()
    errors = unassigned(root, files)
    notes = []
    for task in tasks:
        errs, msgs = check_task(task, root, install_deps, dpkg, files, locals_, trace)
        errors += errs or []
        notes += msgs
    for n in notes:
        print("check_deps: " + n)
    for e in errors:
        print("check_deps: ERROR: " + e, file=sys.stderr)
    if errors:
        print("check_deps: %d problem(s): a fresh Debian 12 machine would not have what the "
              "suites need" % len(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
