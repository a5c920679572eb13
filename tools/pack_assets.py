#!/usr/bin/python3
"""Builds a ViperHTTP asset pack (docs/asset-pack.md) from a directory of web assets.

    /usr/bin/python3 tools/pack_assets.py SRC_DIR OUT.vpak [--mtime N] [--no-gzip]
                                          [--min-gzip-saving BYTES]

Each file gets its Content-Type (the engine's MIME rules), a strong ETag derived from its
content, its mtime and, when it saves space, a gzip variant.  The output is byte-reproducible
for the same input and --mtime.  Standard library only; importable: build_pack(src_dir).
"""

import argparse
import gzip
import hashlib
import os
import stat
import struct
import sys
import zlib

MAGIC = b"VPAK"
VERSION = 1
HEADER = struct.Struct("<4sIIIIIII")  # magic version count index_size pack_size crc reserved*2
ENTRY = struct.Struct("<IIIIIIqIIII")  # path type etag (off,len) mtime data gzip (off,len)
CRC_FIELD = 20
MAX_PACK_BYTES = 0xFFFFFFFF

# The engine's MIME table (engine/static/mime.cpp), which serves the same files from a
# directory: Python's mimetypes types for common web files (as Starlette serves them), pinned
# here rather than read from the running Python or the host's /etc/mime.types, either of which
# would make packs differ between machines.  text/* types get "; charset=utf-8" as Starlette's
# FileResponse adds it; anything else is application/octet-stream.  Keep the two tables equal
# (tests/tools/test_pack_assets.py compares them).
MIME_TYPES = {
    "7z": "application/x-7z-compressed", "aac": "audio/aac", "apng": "image/apng",
    "atom": "application/atom+xml", "avi": "video/vnd.avi", "avif": "image/avif",
    "bin": "application/octet-stream", "bmp": "image/bmp", "css": "text/css",
    "csv": "text/csv", "eot": "application/vnd.ms-fontobject", "flac": "audio/flac",
    "gif": "image/gif", "glb": "model/gltf-binary", "gltf": "model/gltf+json",
    "gz": "application/gzip", "htm": "text/html", "html": "text/html",
    "ico": "image/vnd.microsoft.icon", "ics": "text/calendar", "jpeg": "image/jpeg",
    "jpg": "image/jpeg", "js": "text/javascript", "json": "application/json",
    "jsonld": "application/ld+json", "m4a": "audio/mp4", "map": "application/json",
    "markdown": "text/markdown", "md": "text/markdown", "mjs": "text/javascript",
    "mkv": "video/matroska", "mov": "video/quicktime", "mp3": "audio/mpeg", "mp4": "video/mp4",
    "mpeg": "video/mpeg", "mpg": "video/mpeg", "ogg": "audio/ogg", "ogv": "video/ogg",
    "opus": "audio/opus", "otf": "font/otf", "pdf": "application/pdf", "png": "image/png",
    "rss": "application/rss+xml", "svg": "image/svg+xml", "tar": "application/x-tar",
    "tif": "image/tiff", "tiff": "image/tiff", "tsv": "text/tab-separated-values",
    "ttf": "font/ttf", "txt": "text/plain", "vtt": "text/vtt", "wasm": "application/wasm",
    "wav": "audio/wav", "weba": "audio/webm", "webm": "video/webm",
    "webmanifest": "application/manifest+json", "webp": "image/webp", "woff": "font/woff",
    "woff2": "font/woff2", "xhtml": "application/xhtml+xml", "xml": "text/xml",
    "yaml": "application/yaml", "yml": "application/yaml", "zip": "application/zip",
}
DEFAULT_TYPE = "application/octet-stream"


class PackError(Exception):
    """The directory cannot be packed (unsafe symlink, bad name, too large)."""


def content_type(path):
    """Full Content-Type value for a file path (str or bytes), as the engine computes it: by
    the extension of the last segment (leading dots excepted, as os.path.splitext), ASCII
    case-insensitive."""
    name = os.fsencode(path).rsplit(b"/", 1)[-1]
    ext = os.path.splitext(name)[1][1:].lower().decode("ascii", "replace")
    mime = MIME_TYPES.get(ext, DEFAULT_TYPE)
    if mime.startswith("text/"):
        mime += "; charset=utf-8"
    return mime


def etag(data):
    """Strong ETag from the content, stable across builds: quoted 16 hex digits of SHA-256."""
    return '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _walk(src_dir, exclude=()):
    """Yields (pack path as bytes, real file path) for every file to pack, in no set order.

    Dotfiles and dot-directories are skipped.  Symlinks are followed only when they resolve
    inside src_dir; one that points outside raises PackError.  Sockets, FIFOs and devices are
    skipped."""
    root = os.path.realpath(src_dir)
    if not os.path.isdir(root):
        raise PackError(f"{src_dir}: not a directory")
    excluded = {os.path.realpath(p) for p in exclude}
    stack = [(root, b"", frozenset([root]))]
    while stack:
        directory, prefix, ancestors = stack.pop()
        with os.scandir(directory) as it:
            entries = list(it)
        for ent in entries:
            if ent.name.startswith("."):
                continue
            rel = prefix + os.fsencode(ent.name)
            real = os.path.realpath(ent.path)
            if ent.is_symlink() and not _inside(real, root):
                raise PackError(f"{ent.path}: symlink points outside {src_dir}")
            if real in excluded:
                continue
            try:
                mode = os.stat(real).st_mode
            except FileNotFoundError:
                raise PackError(f"{ent.path}: dangling symlink") from None
            if stat.S_ISDIR(mode):
                if real in ancestors:
                    raise PackError(f"{ent.path}: symlink loop")
                stack.append((real, rel + b"/", ancestors | {real}))
            elif stat.S_ISREG(mode):
                yield rel, real


def _check_path(path):
    if b"\\" in path or b"\0" in path:
        raise PackError(f"{path!r}: backslash or NUL in a file name cannot be served")
    try:
        path.decode("utf-8")
    except UnicodeDecodeError:
        raise PackError(f"{path!r}: file name is not UTF-8") from None


def _align4(n):
    return (n + 3) & ~3


def _build(src_dir, mtime=None, gzip_variants=True, min_gzip_saving=1, exclude=()):
    """Returns (pack bytes, stats dict)."""
    files = sorted(_walk(src_dir, exclude))  # bytewise order of the path, as the engine searches
    entries = []
    for path, real in files:
        _check_path(path)
        with open(real, "rb") as f:
            data = f.read()
        ts = mtime if mtime is not None else os.stat(real).st_mtime_ns // 1_000_000_000
        gz = b""
        if gzip_variants:
            candidate = gzip.compress(data, 9, mtime=0)
            if len(data) - len(candidate) >= max(1, min_gzip_saving):
                gz = candidate
        entries.append((path, content_type(path).encode(), etag(data).encode(),
                        ts, data, gz))

    # Index: header, entry table, then the strings (each distinct one stored once, so a
    # Content-Type shared by 50 files costs one copy); everything the CRC covers.
    strings = bytearray()
    string_offs_by_value = {}
    string_base = HEADER.size + ENTRY.size * len(entries)

    def add_string(s):
        if s not in string_offs_by_value:
            string_offs_by_value[s] = string_base + len(strings)
            strings.extend(s)
        return string_offs_by_value[s]

    string_offs = [tuple(add_string(s) for s in e[:3]) for e in entries]
    index_size = _align4(string_base + len(strings))

    # Data: each blob 4-byte aligned; identical blobs (copies of a file) stored once.
    blob = bytearray()
    blob_offs = {}

    def add_blob(b):
        key = hashlib.sha256(b).digest()
        if key not in blob_offs:
            blob.extend(b"\0" * (_align4(len(blob)) - len(blob)))
            blob_offs[key] = index_size + len(blob)
            blob.extend(b)
        return blob_offs[key]

    table = bytearray()
    for e, (p_off, t_off, g_off) in zip(entries, string_offs):
        path, ctype, tag, ts, data, gz = e
        d_off = add_blob(data) if data else index_size  # empty data: any in-bounds offset
        z_off = add_blob(gz) if gz else 0
        table += ENTRY.pack(p_off, len(path), t_off, len(ctype), g_off, len(tag), ts,
                            d_off, len(data), z_off, len(gz))
    pack_size = index_size + _align4(len(blob))
    if pack_size > MAX_PACK_BYTES:
        raise PackError("pack larger than 4 GiB")

    index = bytearray(HEADER.pack(MAGIC, VERSION, len(entries), index_size, pack_size, 0, 0, 0))
    index += table + strings
    index += b"\0" * (index_size - len(index))
    struct.pack_into("<I", index, CRC_FIELD, zlib.crc32(index))
    pack = bytes(index) + bytes(blob) + b"\0" * (pack_size - index_size - len(blob))

    stats = {
        "files": len(entries),
        "bytes": sum(len(e[4]) for e in entries),
        "gzip_files": sum(1 for e in entries if e[5]),
        "gzip_saved": sum(len(e[4]) - len(e[5]) for e in entries if e[5]),
        "pack_bytes": len(pack),
    }
    return pack, stats


def build_pack(src_dir, mtime=None, gzip_variants=True, min_gzip_saving=1, exclude=()):
    """The asset pack for src_dir as bytes.  mtime forces every entry's mtime (reproducible
    builds); gzip variants are kept only when they save at least min_gzip_saving bytes."""
    return _build(src_dir, mtime, gzip_variants, min_gzip_saving, exclude)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Build a ViperHTTP asset pack from a directory.")
    ap.add_argument("src_dir")
    ap.add_argument("out")
    ap.add_argument("--mtime", type=int, default=None,
                    help="mtime (Unix seconds) for every file, for reproducible packs")
    ap.add_argument("--no-gzip", action="store_true", help="store no gzip variants")
    ap.add_argument("--min-gzip-saving", type=int, default=1, metavar="BYTES",
                    help="keep a gzip variant only if it is at least BYTES smaller (default 1)")
    args = ap.parse_args(argv)
    try:
        pack, stats = _build(args.src_dir, args.mtime, not args.no_gzip, args.min_gzip_saving,
                             exclude=[args.out])
    except (PackError, OSError) as e:
        print(f"pack_assets: {e}", file=sys.stderr)
        return 2
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(pack)
    os.replace(tmp, args.out)
    print(f"{stats['files']} files, {stats['bytes']} bytes; gzip variants for "
          f"{stats['gzip_files']} files saving {stats['gzip_saved']} bytes; "
          f"pack {stats['pack_bytes']} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
