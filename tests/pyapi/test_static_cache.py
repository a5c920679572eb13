"""The engine's in-memory cache of small static files (static_cache_bytes): hits counted,
every change on disk seen at the next request (size or nanosecond mtime), a gzip variant added
later found, files above budget/8 not cached, the cache off with 0."""

import gzip
import os

import pytest
import requests

TIMEOUT = 10


def stats(app):
    return requests.get(app.url("/stats"), timeout=TIMEOUT).json()


def get(app, path, accept="identity"):
    r = requests.get(app.url(path), headers={"Accept-Encoding": accept}, timeout=TIMEOUT,
                     stream=True)
    return r, r.raw.read(decode_content=False)


@pytest.fixture
def root(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"first version")
    (tmp_path / "big.bin").write_bytes(os.urandom(9000))
    return tmp_path


def test_second_request_is_a_hit(start_app, root):
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=65536)
    before = stats(app)["static_cache_hits"]
    for _ in range(5):
        assert get(app, "/s/a.txt")[1] == b"first version"
    assert stats(app)["static_cache_hits"] - before == 4  # the first one read the disk


def test_change_is_seen_at_once(start_app, root):
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=65536)
    path = root / "a.txt"
    st = os.stat(path)
    assert get(app, "/s/a.txt")[1] == b"first version"
    assert get(app, "/s/a.txt")[1] == b"first version"
    # Same size, same second, a nanosecond later: still a different file.
    path.write_bytes(b"other version")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    r, body = get(app, "/s/a.txt")
    assert body == b"other version"
    path.write_bytes(b"a longer third version")
    assert get(app, "/s/a.txt")[1] == b"a longer third version"
    path.unlink()
    assert get(app, "/s/a.txt")[0].status_code == 404


def test_gzip_variant_added_later(start_app, root):
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=65536)
    r, body = get(app, "/s/a.txt", accept="gzip")
    assert "content-encoding" not in r.headers and body == b"first version"
    r, body = get(app, "/s/a.txt", accept="gzip")  # "no variant" remembered
    assert "content-encoding" not in r.headers
    (root / "a.txt.gz").write_bytes(gzip.compress(b"first version"))
    r, body = get(app, "/s/a.txt", accept="gzip")
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == b"first version"
    (root / "a.txt.gz").unlink()
    r, body = get(app, "/s/a.txt", accept="gzip")
    assert "content-encoding" not in r.headers and body == b"first version"


def test_large_files_are_not_cached(start_app, root):
    # budget 65536 -> files up to 8192 bytes; big.bin has 9000
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=65536)
    before = stats(app)["static_cache_hits"]
    data = (root / "big.bin").read_bytes()
    for _ in range(3):
        assert get(app, "/s/big.bin")[1] == data
    assert stats(app)["static_cache_hits"] == before


def test_cache_off(start_app, root):
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=0)
    for _ in range(3):
        assert get(app, "/s/a.txt")[1] == b"first version"
    assert stats(app)["static_cache_hits"] == 0


def test_ranges_and_head_from_the_cache(start_app, root):
    app = start_app("static_cache_app.py", root=str(root), static_cache_bytes=65536)
    get(app, "/s/a.txt")
    r = requests.get(app.url("/s/a.txt"), headers={"Range": "bytes=6-12"}, timeout=TIMEOUT)
    assert r.status_code == 206 and r.content == b"version"
    h = requests.head(app.url("/s/a.txt"), timeout=TIMEOUT)
    assert h.headers["content-length"] == "13" and h.content == b""
