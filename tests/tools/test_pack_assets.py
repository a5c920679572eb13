"""tools/pack_assets.py: reproducibility, gzip choice, MIME values, symlinks, dotfiles.

Run: /usr/bin/python3 -m pytest -q tests/tools
The C++ side (engine/static/asset_pack.*) is checked against this packer in
tests/engine/test_asset_pack.cpp; here a small reader of the format checks the packer alone.
"""

import gzip
import hashlib
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import pack_assets  # noqa: E402

HEADER = struct.Struct("<4sIIIIIII")
ENTRY = struct.Struct("<IIIIIIqIIII")


def read_pack(pack):
    """Parses a pack into {path: dict}, checking the invariants the engine enforces."""
    magic, version, count, index_size, pack_size, crc, r0, r1 = HEADER.unpack_from(pack)
    assert (magic, version, r0, r1) == (b"VPAK", 1, 0, 0)
    assert pack_size == len(pack) and index_size % 4 == 0 and index_size <= pack_size
    zeroed = bytearray(pack[:index_size])
    zeroed[20:24] = b"\0\0\0\0"
    assert zlib.crc32(zeroed) == crc
    strings = HEADER.size + ENTRY.size * count
    out, prev = {}, None
    for i in range(count):
        f = ENTRY.unpack_from(pack, HEADER.size + i * ENTRY.size)
        p_off, p_len, t_off, t_len, e_off, e_len, mtime, d_off, d_len, z_off, z_len = f
        for off, n in ((p_off, p_len), (t_off, t_len), (e_off, e_len)):
            assert strings <= off and off + n <= index_size
        assert index_size <= d_off and d_off + d_len <= pack_size
        if z_len:
            assert index_size <= z_off and z_off + z_len <= pack_size
        else:
            assert z_off == 0
        path = pack[p_off:p_off + p_len]
        assert prev is None or prev < path
        prev = path
        out[path.decode()] = {
            "type": pack[t_off:t_off + t_len].decode(),
            "etag": pack[e_off:e_off + e_len].decode(),
            "mtime": mtime,
            "data": pack[d_off:d_off + d_len],
            "gzip": pack[z_off:z_off + z_len] if z_len else None,
        }
    return out


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "www"
    (src / "css").mkdir(parents=True)
    (src / "index.html").write_text("<p>hello</p>\n" * 200)
    (src / "css" / "site.css").write_text("body { color: red }\n" * 20)
    (src / "app.js").write_text("console.log('x')\n")
    (src / "tiny.txt").write_text("x")
    (src / "logo.png").write_bytes(os.urandom(500))
    (src / "empty.json").write_bytes(b"")
    (src / ".env").write_text("SECRET=1")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref")
    return src


def test_contents_and_metadata(site):
    entries = read_pack(pack_assets.build_pack(site, mtime=1234))
    assert sorted(entries) == ["app.js", "css/site.css", "empty.json", "index.html",
                               "logo.png", "tiny.txt"]
    for path, e in entries.items():
        data = (site / path).read_bytes()
        assert e["data"] == data
        assert e["etag"] == '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        assert e["mtime"] == 1234
        if e["gzip"] is not None:
            assert gzip.decompress(e["gzip"]) == data


def test_mtime_from_files(site):
    os.utime(site / "index.html", (0, 1_600_000_000.75))
    entries = read_pack(pack_assets.build_pack(site))
    assert entries["index.html"]["mtime"] == 1_600_000_000


def test_reproducible(site, tmp_path):
    a = pack_assets.build_pack(site, mtime=1)
    os.utime(site / "index.html", (0, 5))  # mtimes do not matter once forced
    assert pack_assets.build_pack(site, mtime=1) == a
    out1, out2 = tmp_path / "1.vpak", tmp_path / "2.vpak"
    for out in (out1, out2):
        subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(site),
                        str(out), "--mtime", "1"], check=True, capture_output=True)
    assert out1.read_bytes() == out2.read_bytes() == a


def test_gzip_only_when_smaller(site):
    entries = read_pack(pack_assets.build_pack(site, mtime=0))
    assert entries["index.html"]["gzip"] is not None
    assert len(entries["index.html"]["gzip"]) < len(entries["index.html"]["data"])
    assert entries["logo.png"]["gzip"] is None  # random bytes do not compress
    assert entries["tiny.txt"]["gzip"] is None  # gzip's header alone is larger
    assert entries["empty.json"]["gzip"] is None
    no_gzip = read_pack(pack_assets.build_pack(site, mtime=0, gzip_variants=False))
    assert all(e["gzip"] is None for e in no_gzip.values())
    css = entries["css/site.css"]
    saving = len(css["data"]) - len(css["gzip"])
    strict = read_pack(pack_assets.build_pack(site, mtime=0, min_gzip_saving=saving + 1))
    assert strict["css/site.css"]["gzip"] is None
    assert strict["index.html"]["gzip"] is not None
    exact = read_pack(pack_assets.build_pack(site, mtime=0, min_gzip_saving=saving))
    assert exact["css/site.css"]["gzip"] == css["gzip"]


def test_mime_values():
    ct = pack_assets.content_type
    assert ct("index.html") == "text/html; charset=utf-8"
    assert ct("a/B.HTM") == "text/html; charset=utf-8"
    assert ct("app.js") == "text/javascript; charset=utf-8"
    assert ct("mod.mjs") == "text/javascript; charset=utf-8"
    assert ct("site.css") == "text/css; charset=utf-8"
    assert ct("x.json") == "application/json"
    assert ct("x.svg") == "image/svg+xml"
    assert ct("x.wasm") == "application/wasm"
    assert ct("f.woff2") == "font/woff2"
    assert ct("x.png") == "image/png"
    assert ct("x.ico") == "image/vnd.microsoft.icon"
    assert ct("x.tar.gz") == "application/gzip"  # the last extension only
    for unknown in ("README", "x.unknownext", "x.", "d.d/noext", "..js", "x.py"):
        assert ct(unknown) == "application/octet-stream", unknown


def test_mime_table_matches_engine():
    """The packer and engine/static/mime.cpp must give a file the same Content-Type."""
    source = ROOT / "engine" / "static" / "mime.cpp"
    if not source.exists():
        pytest.skip("engine/static/mime.cpp not present")
    text = source.read_text()
    table = text[text.index("kTable[] = {"):]
    table = table[:table.index("};")]
    engine = dict(re.findall(r'\{"([^"]+)", "([^"]+)"\}', table))
    assert engine, "could not parse kTable"
    packer = {ext: pack_assets.content_type("f." + ext) for ext in pack_assets.MIME_TYPES}
    assert packer == engine


def test_dotfiles_skipped(site):
    entries = read_pack(pack_assets.build_pack(site, mtime=0))
    assert not any(p.startswith(".") or "/." in p for p in entries)


def test_symlink_outside_refused(site, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (site / "leak.txt").symlink_to(outside)
    with pytest.raises(pack_assets.PackError, match="outside"):
        pack_assets.build_pack(site)
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(site),
                        str(tmp_path / "o.vpak")], capture_output=True, text=True)
    assert r.returncode != 0 and "outside" in r.stderr
    assert not (tmp_path / "o.vpak").exists()


def test_symlink_dir_outside_refused(site, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (site / "ext").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(pack_assets.PackError, match="outside"):
        pack_assets.build_pack(site)


def test_symlink_inside_followed(site):
    (site / "alias.html").symlink_to(site / "index.html")
    (site / "styles").symlink_to(site / "css")
    entries = read_pack(pack_assets.build_pack(site, mtime=0))
    assert entries["alias.html"]["data"] == entries["index.html"]["data"]
    assert entries["styles/site.css"]["data"] == entries["css/site.css"]["data"]


def test_symlink_loop_refused(site):
    (site / "css" / "loop").symlink_to(site / "css")
    with pytest.raises(pack_assets.PackError, match="loop"):
        pack_assets.build_pack(site)


def test_bytewise_order_and_dedup(tmp_path):
    src = tmp_path / "s"
    (src / "a").mkdir(parents=True)
    for name in ("b.txt", "a-b.txt", "a/z.txt", "\u00e9.txt", "Z.txt"):
        (src / name).write_text("same content\n" * 50)
    pack = pack_assets.build_pack(src, mtime=0)
    entries = read_pack(pack)
    assert list(entries) == ["Z.txt", "a-b.txt", "a/z.txt", "b.txt", "\u00e9.txt"]
    assert pack.count(b"same content\n" * 50) == 1  # identical files stored once


def test_output_inside_source_is_not_packed(site):
    out = site / "site.vpak"
    for _ in range(2):
        subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(site),
                        str(out), "--mtime", "0"], check=True, capture_output=True)
    assert "site.vpak" not in read_pack(out.read_bytes())


def test_empty_directory(tmp_path):
    assert read_pack(pack_assets.build_pack(tmp_path, mtime=0)) == {}


def test_summary_printed(site, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(site),
                        str(tmp_path / "o.vpak"), "--mtime", "0"],
                       check=True, capture_output=True, text=True)
    assert "6 files" in r.stdout and "gzip" in r.stdout
