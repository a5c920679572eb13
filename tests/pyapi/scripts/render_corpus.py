"""Renders every case of templates_corpus.py with ViperHTTP on the interpreter under test
(test_templates_differential.py runs it).  Usage: render_corpus.py DIR [CASE_ID...]: the
templates of case X are in DIR/X/.  One JSON line per case, text as hex (UTF-8 bytes):
{"id": ..., "hex": ...} or {"id": ..., "error": class name, "hex": message}."""

import binascii
import json
import sys

import templates_corpus as C
from viperhttp.templating import Jinja2Templates, TemplateError


def hexed(b):
    return binascii.hexlify(b).decode()


def main():
    root = sys.argv[1]
    only = set(sys.argv[2:])
    for case_id, _, ctx, flags in C.CASES:
        if only and case_id not in only:
            continue
        strict = "lenient" not in flags.split()
        t = Jinja2Templates(directory=root + "/" + case_id, strict=strict, render_slots=1)
        try:
            out = t.render_bytes("page.html", C.CONTEXT if ctx is None else ctx)
            line = {"id": case_id, "hex": hexed(out)}
        except TemplateError as e:
            line = {"id": case_id, "error": type(e).__name__, "hex": hexed(str(e).encode())}
        finally:
            t.close()
        print(json.dumps(line))


main()
