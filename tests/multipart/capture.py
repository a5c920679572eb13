#!/usr/bin/python3
"""Captures the multipart bodies real clients send, for the differential corpus.

Run by hand (not by CI: it needs Chromium, which the test machine does not install):

    /usr/bin/python3 tests/multipart/capture.py

It starts an HTTP server on 127.0.0.1 (a free port) that serves form pages and saves the raw
body and Content-Type of every POST, then makes three kinds of clients post to it:

* Python ``requests`` (Debian's python3-requests 2.28.1, urllib3 1.26.12): ``files=``/``data=``;
* ``curl -F`` (Debian's curl 7.88.1);
* Debian's Chromium, headless (``--headless --no-sandbox --disable-gpu --disable-quic
  --no-first-run --disable-background-networking --disable-component-update --disable-sync``
  and a fresh ``--user-data-dir``), loading a page whose script puts files into the form's
  file inputs (``DataTransfer``) and submits it: the body is made by Chromium's own form
  encoder, as when a user picks files.  Also a form with no fields, and a ``fetch`` of a
  ``FormData``.

Each body goes to ``tests/multipart/corpus/<client>-<case>.body`` and its Content-Type and how
it was made to ``corpus/captured.json``.  The bodies are committed; the test
(``test_differential.py``) only reads them.
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# Bytes with every value, CRs and LFs, and lines that start like a delimiter.
BINARY = bytes(range(256)) * 8 + b"\r\n--\r\n------WebKitFormBoundary\r\n--" + bytes(range(255, -1, -1))

captured = {}  # path -> (content_type, body)
arrived = threading.Condition()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        page = PAGES.get(self.path)
        if page is None:
            self.send_error(404)
            return
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with arrived:
            captured[self.path] = (self.headers.get("Content-Type", ""), body)
            arrived.notify_all()
        reply = b"saved"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(reply)


def js_bytes(data):
    return "new Uint8Array([" + ",".join(str(b) for b in data) + "])"


FILES_JS = """
const dt = new DataTransfer();
dt.items.add(new File([%(binary)s], "binary.bin", {type: "application/octet-stream"}));
dt.items.add(new File([], "empty.txt", {type: "text/plain"}));
dt.items.add(new File(["za\\u017c\\u00f3\\u0142\\u0107 g\\u0119\\u015bl\\u0105 ja\\u017a\\u0144\\n"],
                      "za\\u017c\\u00f3\\u0142\\u0107 g\\u0119\\u015bl\\u0105 ja\\u017a\\u0144.txt",
                      {type: "text/plain"}));
dt.items.add(new File(["quoted"], 'say "hi".txt', {type: ""}));
dt.items.add(new File(["backslash"], "back\\\\slash.txt", {type: "application/x-thing"}));
dt.items.add(new File(["newline"], "two\\nlines\\r.txt", {type: "text/plain"}));
dt.items.add(new File(["trailing"], "dir\\\\", {type: "text/plain"}));
document.getElementById("files").files = dt.files;
""" % {"binary": js_bytes(BINARY)}

FORM_PAGE = """<!doctype html><meta charset="utf-8"><title>upload</title>
<form method="post" action="/save/chromium-form" enctype="multipart/form-data">
<input name="title" value="Hello, world">
<textarea name="notes">line1
line2
line3</textarea>
<input name='quote"d name' value="x">
<input name="unicode" value="za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144 \u20ac">
<input type="checkbox" name="agree" value="on" checked>
<input type="file" name="files" id="files" multiple>
<input type="file" name="nofile">
<input name="empty" value="">
</form>
<script>%s document.forms[0].submit();</script>
""" % FILES_JS

EMPTY_PAGE = """<!doctype html><meta charset="utf-8"><title>empty</title>
<form method="post" action="/save/chromium-empty-form" enctype="multipart/form-data">
<input value="no name, not sent"></form>
<script>document.forms[0].submit();</script>
"""

FETCH_PAGE = """<!doctype html><meta charset="utf-8"><title>fetch</title>
<script>
const fd = new FormData();
fd.append("field", "value with\\nLF");
fd.append("blob", new Blob([%s]));
fd.append("file", new File(["x"], "caf\\u00e9.txt", {type: "text/plain;charset=utf-8"}));
fetch("/save/chromium-fetch", {method: "POST", body: fd});
</script>
""" % js_bytes(BINARY[:300])

URLENCODED_PAGE = """<!doctype html><meta charset="utf-8"><title>urlencoded</title>
<form method="post" action="/save/chromium-urlencoded">
<input name="title" value="Hello, world &amp; more = 100%">
<textarea name="notes">line1
line2</textarea>
<input name="unicode" value="za\u017c\u00f3\u0142\u0107 \u20ac +">
<input name="a&amp;b=c" value="x;y">
<input name="empty" value="">
</form>
<script>document.forms[0].submit();</script>
"""

PAGES = {
    "/page/urlencoded": URLENCODED_PAGE,
    "/page/form": FORM_PAGE,
    "/page/empty": EMPTY_PAGE,
    "/page/fetch": FETCH_PAGE,
}

# (case, how it was made) for each capture; the key is the POST path.
HOW = {}


def wait_for(path, timeout=60):
    deadline = time.monotonic() + timeout
    with arrived:
        while path not in captured:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no POST to " + path)
            arrived.wait(left)


def run_chromium(base, page, save_path, how):
    profile = tempfile.mkdtemp(prefix="viper-chromium-")
    cmd = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + profile, base + page]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(save_path)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    HOW[save_path] = how + " (" + " ".join(cmd[:-2] + ["--user-data-dir=<fresh>", "<page>"]) + ")"


def run_curl(base, name, args, how):
    path = "/save/curl-" + name
    subprocess.run(["curl", "-sS", "-o", "/dev/null"] + args + [base + path], check=True,
                   timeout=30)
    wait_for(path)
    HOW[path] = "curl 7.88.1: curl " + " ".join(args)


def run_requests(base, name, how, **kwargs):
    path = "/save/requests-" + name
    requests.post(base + path, timeout=30, **kwargs).raise_for_status()
    wait_for(path)
    HOW[path] = "python3-requests 2.28.1: requests.post(url, " + how + ")"


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    work = tempfile.mkdtemp(prefix="viper-capture-")
    try:
        bin_path = os.path.join(work, "binary.bin")
        with open(bin_path, "wb") as f:
            f.write(BINARY)
        odd = os.path.join(work, 'na\u00efve "quoted" \\name.txt')
        with open(odd, "wb") as f:
            f.write(b"odd name\n")
        empty = os.path.join(work, "empty.dat")
        open(empty, "wb").close()

        run_chromium(base, "/page/form", "/save/chromium-form",
                     "Chromium 156 headless: an HTML form (text, textarea, a name with a quote, "
                     "non-ASCII, checkbox, seven files put into a multiple file input with "
                     "DataTransfer, a file input left empty, an empty text) submitted with "
                     "form.submit()")
        run_chromium(base, "/page/empty", "/save/chromium-empty-form",
                     "Chromium 156 headless: a form whose only input has no name, submitted")
        run_chromium(base, "/page/fetch", "/save/chromium-fetch",
                     "Chromium 156 headless: fetch() with a FormData (a field with LF, a Blob, "
                     "a File with a non-ASCII name and a type with parameters)")

        run_chromium(base, "/page/urlencoded", "/save/chromium-urlencoded",
                     "Chromium 156 headless: an HTML form without enctype (text with & = %, a "
                     "textarea, non-ASCII and +, a name with & and =, an empty text), submitted")
        run_curl(base, "urlencoded", ["-d", "a=1&b=two words", "--data-urlencode",
                                      "c=za\u017c\u00f3\u0142\u0107 & 100% + x=y",
                                      "-d", "flag"], "")
        run_requests(base, "urlencoded", "data={...}",
                     data={"title": "Hello, world & more", "unicode": "\u20ac+%",
                           "multi": ["1", "2"], "empty": ""})
        run_curl(base, "fields-files", [
            "-F", "title=Hello, world", "-F", "unicode=za\u017c\u00f3\u0142\u0107 \u20ac",
            "-F", "bin=@" + bin_path, "-F", "typed=@" + bin_path + ";type=image/png",
            "-F", "renamed=@" + bin_path + ";filename=other name.bin",
            "-F", "empty=@" + empty, "-F", "odd=@" + odd,
            "-F", "hdr=value;headers=\"X-Custom-1: one\"",
            "--form-string", "literal=@not a file;type=x"], "")
        run_curl(base, "only-field", ["-F", "a="], "")

        run_requests(base, "files-data", "files={...}, data={...}",
                     data={"title": "Hello, world", "unicode": "za\u017c\u00f3\u0142\u0107 \u20ac",
                           "multi": ["1", "2"]},
                     files=[("bin", ("binary.bin", BINARY, "application/octet-stream")),
                            ("noname", (None, b"no filename")),
                            ("odd", ('na\u00efve "q" \\b.txt', b"odd", "text/plain")),
                            ("empty", ("empty.dat", b""))])
        run_requests(base, "one-file", "files={'f': open(...)}",
                     files={"f": open(bin_path, "rb")})
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    os.makedirs(CORPUS, exist_ok=True)
    index = []
    for path in sorted(captured):
        ctype, body = captured[path]
        name = path.rsplit("/", 1)[1]
        with open(os.path.join(CORPUS, name + ".body"), "wb") as f:
            f.write(body)
        index.append({"file": name + ".body", "content_type": ctype, "origin": name.split("-")[0],
                      "how": HOW[path]})
        print("%-28s %6d bytes  %s" % (name, len(body), ctype))
    with open(os.path.join(CORPUS, "captured.json"), "w") as f:
        json.dump(index, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
