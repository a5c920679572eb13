"""``StaticFiles``: files served by the engine alone, never by the interpreter (SPEC §3.8)::

    from viperhttp.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory="www"))             # a directory
    app.mount("/", StaticFiles(directory="www", html=True))        # a site: index.html, 404.html
    app.mount("/", StaticFiles(pack="www.vpak", html=True))        # an asset pack (tools/)
    app.mount("/favicon.ico", StaticFiles(file="www/favicon.ico")) # one file at one path

The engine answers GET and HEAD (405 for other methods) with the type from its MIME table (a
pack stores its own), ``ETag`` and ``Last-Modified`` (304 for ``If-None-Match`` /
``If-Modified-Since``), ``Range`` / ``If-Range`` (206, multipart/byteranges, 416), the gzip
variant when the client accepts gzip (``<name>.gz`` next to a file, or the pack's) with
``Vary: Accept-Encoding``, and ``Cache-Control`` when the mount sets ``cache_control``.  Paths
that try to leave the root (``..``, encoded or not, backslashes, NUL, symlinks pointing outside)
get 404.  Routes registered on the app win over a mount at the same place.
"""

import os


class StaticFiles:
    def __init__(self, directory=None, html=False, check_dir=True, pack=None, file=None,
                 cache_control=None):
        given = [x for x in (directory, pack, file) if x is not None]
        if len(given) != 1:
            raise ValueError("StaticFiles needs exactly one of directory=, pack= or file=")
        if directory is not None:
            self.kind, self.source = "directory", str(directory)
        elif pack is not None:
            self.kind, self.source = "pack", str(pack)
        else:
            self.kind, self.source = "file", str(file)
        if check_dir and self.kind == "directory" and not _is_dir(self.source):
            raise RuntimeError("Directory '{}' does not exist".format(self.source))
        self.html = bool(html)
        self.cache_control = cache_control or ""
        for ch in "\r\n\0":
            if ch in self.cache_control:
                raise ValueError("cache_control contains CR, LF or NUL")


def _is_dir(path):
    try:
        return os.stat(path)[0] & 0o170000 == 0o040000
    except OSError:
        return False
