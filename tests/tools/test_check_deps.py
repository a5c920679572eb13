"""scripts/check_deps.py, the dependency guard: the project's own lists pass, and each kind of
defect it exists for is caught with a message that names the module or tool and the package
to add.  The guard does not rely on a package being absent: a module that is installed here
(python3-multipart, python3-requests, curl ...) but not provided by the list is an error."""

import pathlib
import shutil
import subprocess
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUARD = ROOT / "scripts" / "check_deps.py"
PY = "/usr/bin/python3"


def run_guard(*args, timeout=600):
    p = subprocess.run([PY, str(GUARD), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, cwd=str(ROOT))
    return p.returncode, p.stdout + p.stderr


def test_python3_multipart_missing_from_the_list_is_caught(tmp_path):
    """Issue 10's defect: FastAPI's Form needs python3-multipart, which apt installs only as a
    recommendation of python3-fastapi.  The module is installed on this machine; the guard
    must still fail when the list does not provide it."""
    real = (ROOT / "scripts" / "install-deps.sh").read_text()
    assert " python3-multipart" in real
    copy = tmp_path / "install-deps.sh"
    copy.write_text(real.replace(" python3-multipart", ""))
    rc, out = run_guard("--install-deps", copy, "--collect", "tests/parity", "test")
    assert rc == 1, out
    assert "module 'multipart'" in out
    assert "provided by the Debian package python3-multipart" in out
    assert "add python3-multipart to that list" in out
    # the real list: no error (scripts/test.sh runs the guard on every suite as its first step)
    rc, out = run_guard("--collect", "tests/parity", "test")
    assert rc == 0, out
    assert "all provided by the test list" in out


# A small repository of its own for each case: its install-deps.sh lists LIST for every task.


def fake_repo(tmp_path, files, packages=("python3-minimal",)):
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "install-deps.sh").write_text(
        "#!/usr/bin/env bash\n[[ $1 == --list ]] && printf '%s\\n' " +
        " ".join(packages) + "\n")
    for name, text in files.items():
        f = root / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(textwrap.dedent(text))
    return root


def guard_repo(root, *extra):
    return run_guard("--root", root, *extra, "test")


def test_module_imported_inside_a_function(tmp_path):
    root = fake_repo(tmp_path, {"tests/a/test_x.py": """
        def helper():
            import requests
            return requests
        """})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "module 'requests' (tests/a/test_x.py:3)" in out
    assert "add python3-requests to that list" in out
    root = fake_repo(tmp_path / "2", {"tests/a/test_x.py": "import requests\n"},
                     packages=("python3-minimal", "python3-requests"))
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 0, out


def test_importorskip_and_import_module_count(tmp_path):
    root = fake_repo(tmp_path, {"tests/a/test_x.py": """
        import importlib
        import pytest
        fastapi = pytest.importorskip("fastapi")
        urllib3 = importlib.import_module("urllib3.util")
        """}, packages=("python3-minimal", "python3-pytest"))
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "module 'fastapi' (tests/a/test_x.py:4)" in out
    assert "module 'urllib3' (tests/a/test_x.py:5)" in out


def test_module_that_is_not_installed(tmp_path):
    root = fake_repo(tmp_path, {"tests/a/test_x.py": "import no_such_module_xyz\n"})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "module 'no_such_module_xyz' (imported at tests/a/test_x.py:1) is not installed" in out


def test_module_loaded_only_at_run_time_of_a_library(tmp_path):
    """What a suite's collection loads counts, also when no file of ours names it: here the
    test module imports requests through a name the static scan cannot read."""
    root = fake_repo(tmp_path, {"tests/a/test_x.py": """
        import importlib
        NAME = "req" + "uests"
        mod = importlib.import_module(NAME)

        def test_nothing():
            pass
        """}, packages=("python3-minimal", "python3-pytest"))
    rc, out = guard_repo(root)
    assert rc == 1, out
    assert "module 'requests' (loaded while collecting tests/a, first imported at " in out
    assert "add python3-requests to that list" in out


def test_collection_that_fails_names_the_missing_import(tmp_path):
    """On a machine where a needed module is absent, the suite's collection fails: the guard
    says so, and names the import that failed."""
    root = fake_repo(tmp_path, {"tests/a/test_x.py": """
        import importlib
        importlib.import_module("no_such_" + "module_xyz")
        """}, packages=("python3-minimal", "python3-pytest"))
    rc, out = guard_repo(root)
    assert rc == 1, out
    assert "pytest --collect-only" in out
    assert "module 'no_such_module_xyz' could not be imported" in out


@pytest.mark.parametrize("script, tool", [
    ("curl -s http://127.0.0.1/\n", "curl"),
    ("taskset -c 0 curl -s http://127.0.0.1/\n", "curl"),
    ("x=$(curl -s http://127.0.0.1/)\n", "curl"),
    ("run() { \"$@\"; }\nrun curl -s http://127.0.0.1/\n", "curl"),
    ("if command -v curl >/dev/null; then :; fi\n", "curl"),
])
def test_tool_run_by_a_shell_script(tmp_path, script, tool):
    root = fake_repo(tmp_path, {"tests/run.sh": "#!/bin/sh\n" + script})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "tool /usr/bin/%s" % tool in out
    assert "add %s to that list" % tool in out


def test_tool_run_by_python(tmp_path):
    root = fake_repo(tmp_path, {"tests/a/test_x.py": """
        import shutil
        import subprocess

        def test_it():
            subprocess.run(["curl", "-s", "http://127.0.0.1/"])
            assert shutil.which("wrk")
            subprocess.run(["/usr/bin/chromium", "--version"])
        """})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    for tool, package in (("curl", "curl"), ("wrk", "wrk"), ("chromium", "chromium")):
        if shutil.which(tool):
            assert "add %s to that list" % package in out
        else:
            assert "tool %r" % tool in out or "tool '/usr/bin/%s'" % tool in out


def test_tool_that_is_not_installed(tmp_path):
    root = fake_repo(tmp_path, {"tests/run.sh": "#!/bin/sh\nno-such-tool-xyz --version\n"})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "tool 'no-such-tool-xyz' (run at tests/run.sh:2) is not installed" in out


def test_functions_of_a_sourced_script_are_not_tools(tmp_path):
    # bench/pool.sh and the others source bench/lib.sh; what it defines is no tool to install,
    # and a tool run inside it still counts.
    root = fake_repo(tmp_path, {
        "tests/lib.sh": "helper_xyz() { no-such-tool-xyz --version; }\n",
        "tests/run.sh": "#!/bin/bash\nROOT=$PWD\nsource \"$ROOT/tests/lib.sh\"\nhelper_xyz\n"})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "tool 'helper_xyz'" not in out
    assert "tool 'no-such-tool-xyz' (run at tests/lib.sh:1) is not installed" in out


def test_base_system_tools_need_no_listing(tmp_path):
    root = fake_repo(tmp_path, {"tests/run.sh": """\
        #!/bin/bash
        set -eu
        f=$(mktemp)
        sed -n 1p /etc/hostname | grep -c . >"$f"
        for x in a b; do echo "$x"; done
        rm -f "$f"
        """})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 0, out


def test_npm_package_not_declared(tmp_path):
    root = fake_repo(tmp_path, {
        "tests/browser/package.json": '{"dependencies": {"playwright-core": "1.0.0"}}',
        "tests/browser/package-lock.json": '{"packages": {"": {"dependencies": '
                                           '{"playwright-core": "1.0.0"}}, '
                                           '"node_modules/playwright-core": {}}}',
        "tests/browser/x.js": "const fs = require('fs');\nconst pad = require('left-pad');\n"
                              "const { chromium } = require('playwright-core');\n",
    }, packages=("python3-minimal", "nodejs"))
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "tests/browser/x.js:2: npm package left-pad is required but not in " \
           "tests/browser/package.json" in out
    assert "playwright-core" not in out and "'fs'" not in out


def test_npm_lock_must_match(tmp_path):
    root = fake_repo(tmp_path, {
        "tests/browser/package.json": '{"dependencies": {"playwright-core": "1.0.0"}}',
        "tests/browser/package-lock.json": '{"packages": {"": {"dependencies": {}}}}',
        "tests/browser/x.js": "require('playwright-core');\n",
    }, packages=("python3-minimal", "nodejs"))
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "package-lock.json does not match package.json" in out


def test_every_script_belongs_to_a_task(tmp_path):
    root = fake_repo(tmp_path, {"tools/extra.sh": "#!/bin/sh\necho hi\n"})
    rc, out = guard_repo(root, "--no-trace")
    assert rc == 1, out
    assert "tools/extra.sh is in no task of scripts/check_deps.py" in out
