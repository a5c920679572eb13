"""Differential test: the engine's form parsers against Debian's python-multipart 0.0.5.

Every body of ``tests/multipart/corpus`` (``hand-*``: written by ``make_corpus.py`` to probe one
rule each; ``chromium-*``, ``curl-*``, ``requests-*``: what those clients sent to a local server,
``capture.py``) is parsed twice:

* by the reference, the code path FastAPI 0.92 takes: Starlette 0.26's ``MultiPartParser`` (or,
  for urlencoded bodies, python-multipart's ``QuerystringParser`` as Starlette's ``FormParser``
  drives it) on python-multipart 0.0.5.  Starlette's limits are lifted, and its
  ``_user_safe_decode`` is made to decode Latin-1 so that names, filenames and values compare
  byte for byte;
* by the engine, through ``viper_form_events`` (``tests/multipart/form_events.cpp``), fed whole,
  a byte at a time, in 7-byte pieces and in random pieces — which must all agree.

The two must agree on accepting or refusing the body and, when both accept, on every part: name,
filename (files only: a part is a file when it has a filename), content type and headers (files:
what ``UploadFile`` exposes) and data.  Where they do not, the case is listed in DIFFERENCES with
the reason; docs/http.md ("Request bodies: multipart and forms") gives the same list.  A
difference that is not listed, or a listed one that went away, fails the test.

Run: ``VIPER_FORM_EVENTS=build/debug/tests/multipart/viper_form_events /usr/bin/python3 -m
pytest -q tests/multipart``.
"""

import asyncio
import hashlib
import json
import os
import subprocess
import urllib.parse

import pytest

import multipart
import starlette.formparsers as formparsers
from starlette.datastructures import Headers, UploadFile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get("VIPER_FORM_EVENTS",
                     os.path.join(ROOT, "build/debug/tests/multipart/viper_form_events"))
URLENC = "application/x-www-form-urlencoded"

# Why the engine differs from python-multipart 0.0.5 (docs/http.md lists the same).
WHY = {
    "truncated": "python-multipart does not check that the body ends with the close delimiter "
                 "(its finalize() is a TODO): an upload cut short looks complete",
    "preamble": "RFC 2046 allows a preamble before the first boundary; python-multipart only "
                "skips CR and LF there",
    "padding": "RFC 2046 allows transport padding (SP, HTAB) after a boundary; python-multipart "
               "refuses it after the first and takes it for data after the others",
    "empty-form": "a close delimiter first is an empty form: browsers send it for a form "
                  "without fields; python-multipart refuses it",
    "boundary": "RFC 2046 boundaries are 1-70 bchars; python-multipart takes any value",
    "delimiter-junk": "RFC 2046: a line starting with the delimiter is a delimiter; "
                      "python-multipart takes the line for data",
    "header-name": "part header names are RFC 9110 tokens (curl -F 'x=y;headers=X-Custom-1: v' "
                   "sends a digit); python-multipart takes only letters and '-'",
    "header-value": "header values lose surrounding whitespace (RFC 9110 OWS); python-multipart "
                    "keeps a leading tab and trailing spaces",
    "header-line": "a header line without ':', a bare LF or a control byte is malformed; "
                   "python-multipart ends the headers at such a line or keeps the byte",
    "repeated": "a repeated Content-Disposition, Content-Type or name/filename parameter makes "
                "filters and the application see different parts; Starlette takes the last "
                "Content-Disposition, the first Content-Type, the last parameter",
    "disposition-junk": "a Content-Disposition that cannot be read without guessing (a type that "
                        "is not a token, a parameter without '=', bytes right after a value) is "
                        "malformed; python-multipart's regex skips what it cannot read",
    "filename-star": "filename* (RFC 8187) is decoded and wins over filename (RFC 6266 4.3), "
                     "and a part with only filename* is a file; a filename* in another charset "
                     "than UTF-8/ISO-8859-1 is refused; python-multipart ignores filename*",
    "ue-trailing-name": "a last field without '=' is a field with an empty value (as in query "
                        "strings); python-multipart drops it",
    "ue-semicolon": "only '&' separates fields (WHATWG); python-multipart also splits at ';' "
                    "when no '&' follows in the same chunk",
}

# Each documented difference: case -> (what differs, WHY key).  "we refuse": python-multipart
# accepts the body, the engine answers 400/413; "we accept": the reverse; otherwise the set of
# part attributes that differ when both accept.
DIFFERENCES = {
    "hand-truncated-data": ("we refuse", "truncated"),
    "hand-truncated-headers": ("we refuse", "truncated"),
    "hand-truncated-after-part": ("we refuse", "truncated"),
    "hand-empty-body": ("we refuse", "truncated"),
    "hand-preamble-epilogue": ("we accept", "preamble"),
    "hand-padding": ("we accept", "padding"),
    "hand-padding-first-only": ("we accept", "padding"),
    "hand-empty-form": ("we accept", "empty-form"),
    "hand-close-then-junk": ("we accept", "empty-form"),
    "chromium-empty-form": ("we accept", "empty-form"),
    "hand-boundary-71": ("we refuse", "boundary"),
    "hand-boundary-badchar": ("we refuse", "boundary"),
    "hand-after-boundary-junk": ("we refuse", "delimiter-junk"),
    "hand-header-digit": ("we accept", "header-name"),
    "curl-fields-files": ("we accept", "header-name"),
    "hand-header-trailing-ws": ({"content_type", "headers"}, "header-value"),
    "hand-header-tab": ({"headers"}, "header-value"),
    "hand-header-no-colon": ("we refuse", "header-line"),
    "hand-lf-in-header": ("we refuse", "header-line"),
    "hand-nul-in-header": ("we refuse", "header-line"),
    "hand-repeated-disposition": ("we refuse", "repeated"),
    "hand-repeated-type": ("we refuse", "repeated"),
    "hand-repeated-name": ("we refuse", "repeated"),
    "hand-disposition-junk": ("we refuse", "disposition-junk"),
    "hand-disposition-bad-type": ("we refuse", "disposition-junk"),
    "hand-disposition-glued": ("we refuse", "disposition-junk"),
    "hand-filename-star": ({"filename"}, "filename-star"),
    "hand-filename-star-only": ({"filename", "headers"}, "filename-star"),
    "hand-filename-star-bad": ("we refuse", "filename-star"),
    "curl-urlencoded": ({"count"}, "ue-trailing-name"),
    "hand-ue-trailing-name": ({"count"}, "ue-trailing-name"),
    "hand-ue-semicolon-only": ({"count"}, "ue-semicolon"),
}

# The engine's answer to each body it refuses (FormError names); every other body, hand-made or
# captured from a client, it must accept.
ENGINE_ERRORS = {
    "hand-boundary-71": "BadBoundary",
    "hand-boundary-badchar": "BadBoundary",
    "hand-filename-star-bad": "BadFilename",
    "hand-truncated-data": "Truncated",
    "hand-truncated-headers": "Truncated",
    "hand-truncated-after-part": "Truncated",
    "hand-empty-body": "Truncated",
    "hand-no-boundary": "Truncated",
    "hand-after-boundary-junk": "BadDelimiter",
    "hand-first-boundary-junk": "BadDelimiter",
    "hand-bare-lf": "BadDelimiter",
    "hand-no-disposition": "NoContentDisposition",
    "hand-no-headers": "NoContentDisposition",
    "hand-no-name": "NoPartName",
    "hand-header-no-colon": "BadPartHeader",
    "hand-obs-fold": "BadPartHeader",
    "hand-lf-in-header": "BadPartHeader",
    "hand-nul-in-header": "BadPartHeader",
    "hand-space-before-colon": "BadPartHeader",
    "hand-repeated-disposition": "RepeatedPartHeader",
    "hand-repeated-type": "RepeatedPartHeader",
    "hand-repeated-name": "BadContentDisposition",
    "hand-disposition-junk": "BadContentDisposition",
    "hand-disposition-bad-type": "BadContentDisposition",
    "hand-disposition-glued": "BadContentDisposition",
    "hand-unterminated-quote": "BadContentDisposition",
}


def load_cases():
    cases = []
    for index in ("hand.json", "captured.json"):
        with open(os.path.join(CORPUS, index)) as f:
            cases += json.load(f)
    return cases


CASES = load_cases()


# --- the reference ----------------------------------------------------------------------------

async def _starlette_parse(content_type, body):
    async def stream():
        yield body

    parser = formparsers.MultiPartParser(Headers({"content-type": content_type}), stream(),
                                         max_files=float("inf"), max_fields=float("inf"),
                                         max_part_size=1 << 40)
    form = await parser.parse()
    items = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            await value.close()
            items.append({"name": name.encode("latin-1"),
                          "filename": value.filename.encode("latin-1"),
                          "content_type": (value.content_type.encode("latin-1")
                                           if value.content_type is not None else None),
                          "headers": [(k.lower(), v) for k, v in value.headers.raw],
                          "data": data})
        else:
            items.append({"name": name.encode("latin-1"), "filename": None,
                          "content_type": None, "headers": None,
                          "data": value.encode("latin-1")})
    return items


def reference_multipart(content_type, body):
    saved = formparsers._user_safe_decode
    formparsers._user_safe_decode = lambda src, codec: bytes(src).decode("latin-1")
    try:
        return {"ok": True, "items": asyncio.run(_starlette_parse(content_type, body))}
    except Exception as e:  # FastAPI answers 400 for any error while parsing the form
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    finally:
        formparsers._user_safe_decode = saved


def reference_urlencoded(body):
    fields = []
    name, value = [], []

    def on_field_start():
        del name[:], value[:]

    def on_field_end():
        fields.append((b"".join(name), b"".join(value)))

    parser = multipart.QuerystringParser({
        "on_field_start": on_field_start,
        "on_field_name": lambda data, start, end: name.append(data[start:end]),
        "on_field_data": lambda data, start, end: value.append(data[start:end]),
        "on_field_end": on_field_end,
    })
    parser.write(body)
    parser.finalize()

    def decode(b):  # Starlette's unquote_plus, byte for byte
        return urllib.parse.unquote_to_bytes(b.replace(b"+", b" "))

    return {"ok": True, "items": [{"name": decode(n), "data": decode(v)} for n, v in fields]}


# --- the engine -------------------------------------------------------------------------------

def engine(case):
    """The engine's result; it was the same fed whole, a byte at a time, in 7-byte pieces and in
    random pieces (viper_form_events --schedules prints one line for each)."""
    path = os.path.join(CORPUS, case["file"])
    out = subprocess.run([CLI, "--schedules", case["content_type"], path],
                         capture_output=True, check=True, timeout=120)
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 5
    for way, line in zip(["a byte at a time", "7-byte pieces", "random pieces 1",
                          "random pieces 2"], lines[1:]):
        assert line == lines[0], "fed %s, the engine says something else" % way
    return decode_engine(case, json.loads(lines[0]))


def decode_engine(case, r):
    result = {"ok": r["ok"], "error": r["error"], "status": r["status"]}
    h = bytes.fromhex
    if case["content_type"] == URLENC:
        result["items"] = [{"name": h(n), "data": h(v)} for n, v in r["fields"]]
        return result
    items = []
    for p in r["parts"]:
        if not p["ended"]:
            continue  # the part an error interrupted
        is_file = p["filename"] is not None
        items.append({"name": h(p["name"]),
                      "filename": h(p["filename"]) if is_file else None,
                      "content_type": (h(p["content_type"]) if is_file and p["content_type"]
                                       is not None else None),
                      "headers": ([(h(n).lower(), h(v)) for n, v in p["headers"]]
                                  if is_file else None),
                      "data": h(p["data"])})
    result["items"] = items
    return result


def difference(ref, got):
    """None when both agree, else a short description."""
    if ref["ok"] != got["ok"]:
        return "we refuse" if ref["ok"] else "we accept"
    if not got["ok"]:
        return None
    if len(ref["items"]) != len(got["items"]):
        return {"count"}
    attrs = set()
    for a, b in zip(ref["items"], got["items"]):
        for key in a:
            if a[key] != b.get(key):
                attrs.add(key)
    return attrs or None


def show(items, other):
    """The items that differ from `other`'s, with data as a length and a hash."""
    out = []
    for i, it in enumerate(items):
        if i < len(other) and it == other[i]:
            continue
        d = dict(it)
        d["data"] = "%d bytes sha256 %s" % (len(it["data"]),
                                            hashlib.sha256(it["data"]).hexdigest()[:12])
        out.append((i, d))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["file"][:-5] for c in CASES])
def test_against_python_multipart(case):
    with open(os.path.join(CORPUS, case["file"]), "rb") as f:
        body = f.read()
    if case["content_type"] == URLENC:
        ref = reference_urlencoded(body)
    else:
        ref = reference_multipart(case["content_type"], body)
    got = engine(case)
    name = case["file"][:-5]
    assert got["error"] == ENGINE_ERRORS.get(name), "the engine's answer changed"
    diff = difference(ref, got)
    expected = DIFFERENCES.get(name)
    message = "%s (%s)\n reference: %s\n engine:    %s" % (
        name, case["how"], ref.get("error") or show(ref["items"], got.get("items", [])),
        got.get("error") or show(got["items"], ref.get("items", [])))
    if expected is None:
        assert diff is None, "undocumented difference: %s\n%s" % (diff, message)
    else:
        assert diff == expected[0], "documented difference (%s) changed: %s\n%s" % (
            WHY[expected[1]], diff, message)


def test_every_documented_difference_has_a_case():
    names = {c["file"][:-5] for c in CASES}
    assert set(DIFFERENCES) <= names and set(ENGINE_ERRORS) <= names
    assert {why for _, why in DIFFERENCES.values()} == set(WHY)
