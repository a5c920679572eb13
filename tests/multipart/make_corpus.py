#!/usr/bin/python3
"""Writes the hand-made bodies of the differential corpus, and the fuzzers' seeds.

    /usr/bin/python3 tests/multipart/make_corpus.py

Each case below is a body we wrote to probe one rule (valid and invalid ones); they go to
``tests/multipart/corpus/hand-<name>.body`` with ``corpus/hand.json`` (Content-Type and what the
case is about).  The script then turns every corpus body (these and the captured ones,
``capture.py``) into a seed for ``tests/fuzz/fuzz_multipart`` / ``fuzz_urlencoded``
(``tests/fuzz/seeds/<fuzzer>/``: one flags byte, the Content-Type line, the body).  Deterministic:
running it again writes the same files.
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SEEDS = os.path.join(HERE, "..", "fuzz", "seeds")

B = b"b0undary"
CT = "multipart/form-data; boundary=b0undary"
URLENC = "application/x-www-form-urlencoded"


def part(headers, data):
    return b"--" + B + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"


def field(name, value):
    return part([b'Content-Disposition: form-data; name="' + name + b'"'], value)


def file(name, filename, data, ctype=b"application/octet-stream"):
    return part([b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename +
                 b'"', b"Content-Type: " + ctype], data)


CLOSE = b"--" + B + b"--\r\n"

rng = random.Random(15)
BIG = bytes(rng.getrandbits(8) for _ in range(128 * 1024))
BIG = BIG.replace(b"\r\n--b0undary", b"\r\n--b0undarx")

CASES = [
    # name, content type, body, what it probes
    ("basic", CT, field(b"a", b"hello") + file(b"f", b"x.bin", b"\x00\x01\r\n\xff") + CLOSE,
     "a field and a file"),
    ("preamble-epilogue", CT,
     b"This is the preamble.\r\nIt is to be ignored.\r\n" + field(b"a", b"1") + CLOSE +
     b"This is the epilogue.\r\n", "RFC 2046 preamble and epilogue text"),
    ("leading-crlf", CT, b"\r\n\r\n" + field(b"a", b"1") + CLOSE, "empty lines before the first boundary"),
    ("leading-lf", CT, b"\n" + field(b"a", b"1") + CLOSE, "a bare LF before the first boundary"),
    ("padding", CT,
     b"--" + B + b"  \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + B +
     b"\t\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n" + CLOSE,
     "transport padding (LWSP) after boundaries"),
    ("padding-first-only", CT,
     b"--" + B + b" \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" + CLOSE,
     "transport padding after the first boundary only"),
    ("quoted-boundary", "multipart/form-data; boundary=\"quoted b'()+_,-./:=?\"",
     b"--quoted b'()+_,-./:=?\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
     b"--quoted b'()+_,-./:=?--\r\n", "a quoted boundary with every bchar"),
    ("boundary-70", "multipart/form-data; boundary=" + "x" * 70,
     b"--" + b"x" * 70 + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" +
     b"x" * 70 + b"--\r\n", "the longest boundary RFC 2046 allows"),
    ("boundary-71", "multipart/form-data; boundary=" + "x" * 71,
     b"--" + b"x" * 71 + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" +
     b"x" * 71 + b"--\r\n", "a boundary one character too long"),
    ("boundary-badchar", "multipart/form-data; boundary=a!b",
     b"--a!b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--a!b--\r\n",
     "a boundary with a character outside bchars"),
    ("lookalikes", CT,
     field(b"a", b"\r\n--b0und") + field(b"b", b"x\n--b0undary\r\n") + field(b"c", b"--b0undary") +
     field(b"d", b"\r\n--b0undar") + field(b"e", b"\r\r\n-") + CLOSE,
     "data with prefixes of the delimiter and the boundary after LF only"),
    ("crlf-data", CT, field(b"a", b"abc\r\n") + field(b"b", b"\r\n") + field(b"c", b"\n\n\r") + CLOSE,
     "data ending in CRLF, only CRLF, bare LFs and CR"),
    ("empty-values", CT, field(b"a", b"") + file(b"f", b"", b"") + field(b"", b"no name") + CLOSE,
     "an empty value, an empty file with an empty filename, an empty name"),
    ("escapes", CT,
     part([b'Content-Disposition: form-data; name="a\\"b\\\\c"'], b"1") +
     part([b'Content-Disposition: form-data; name="f"; filename="C:\\\\dir\\\\x.txt"'], b"2") +
     part([b'Content-Disposition: form-data; name="g"; filename="C:\\dir\\y.txt"'], b"3") +
     part([b'Content-Disposition: form-data; name="h"; filename="a\\b.txt"'], b"4") + CLOSE,
     "quoted-pair escapes, Internet Explorer paths, a lone backslash"),
    ("filename-star", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"euro.txt\"; "
           b"filename*=UTF-8''%e2%82%ac%20rates.txt"], b"1") + CLOSE,
     "filename and filename* (RFC 8187) together"),
    ("filename-star-only", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''caf%C3%A9.txt"], b"1") +
     CLOSE, "only filename*"),
    ("filename-star-bad", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"x\"; filename*=KOI8-R''x"],
          b"1") + CLOSE, "a filename* in a charset we do not decode"),
    ("header-case", CT,
     part([b"content-disposition:form-data; NAME=\"a\"; FileName=\"b.txt\"", b"CONTENT-TYPE:text/x"],
          b"1") + CLOSE, "header and parameter names in any case, no space after ':'"),
    ("header-digit", CT,
     part([b"Content-Disposition: form-data; name=\"a\"", b"X-Header-2: v"], b"1") + CLOSE,
     "a digit in a part header name"),
    ("header-trailing-ws", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"t.txt\"",
           b"Content-Type: text/plain  "], b"1") + CLOSE, "trailing spaces in a header value"),
    ("header-tab", CT,
     part([b"Content-Disposition:\tform-data; name=\"f\"; filename=\"t.txt\""], b"1") + CLOSE,
     "a tab before a header value"),
    ("header-empty-value", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"t.txt\"", b"X-Empty:"], b"1") +
     CLOSE, "an empty header value"),
    ("cte-base64", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"b64.txt\"",
           b"Content-Transfer-Encoding: base64"], b"aGVsbG8=") + CLOSE,
     "Content-Transfer-Encoding is not decoded (RFC 7578 4.7)"),
    ("disposition-type", CT,
     part([b"Content-Disposition: attachment; name=\"x\""], b"1") + CLOSE,
     "a disposition type other than form-data"),
    ("token-params", CT,
     part([b"Content-Disposition: form-data; name=field; filename=file.txt"], b"1") + CLOSE,
     "unquoted parameter values"),
    ("extra-params", CT,
     part([b"Content-Disposition: form-data; name=\"a\"; size=3; creation-date=\"x\";"], b"1") +
     CLOSE, "other parameters and a trailing ';'"),
    ("many-parts", CT, b"".join(field(b"f%d" % i, b"v%d" % i) for i in range(100)) + CLOSE,
     "a hundred fields"),
    ("large-file", CT, file(b"big", b"big.bin", BIG) + CLOSE, "a 128 KB random binary file"),
    ("empty-form", CT, CLOSE, "a close delimiter only (what browsers send for a form without fields)"),
    ("unicode", CT,
     field("za\u017c\u00f3\u0142\u0107".encode(), "g\u0119\u015bl\u0105 \u20ac".encode()) +
     file(b"f", "ja\u017a\u0144.txt".encode(), b"x") + file(b"g", b"latin1-\xe9.txt", b"y") + CLOSE,
     "raw UTF-8 names and filenames, and a Latin-1 byte"),
    ("lf-in-data", CT, field(b"a", b"line1\nline2\n") + CLOSE, "LF line ends inside data"),
    # Refused by one side or both.
    ("truncated-data", CT, field(b"a", b"1") + b"--" + B + b"\r\nContent-Disposition: form-data; "
     b"name=\"b\"\r\n\r\nno close delimiter", "the body ends inside a part"),
    ("truncated-headers", CT, b"--" + B + b"\r\nContent-Disposition: form-da",
     "the body ends inside part headers"),
    ("truncated-after-part", CT, field(b"a", b"1"), "the body ends after a part, before the close"),
    ("empty-body", CT, b"", "no body at all"),
    ("no-boundary", CT, b"hello world", "a body without the boundary"),
    ("after-boundary-junk", CT,
     field(b"a", b"1") + b"--" + B + b"X\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n" +
     CLOSE, "bytes after a boundary in the middle"),
    ("first-boundary-junk", CT,
     b"--" + B + b"X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" + CLOSE,
     "bytes after the first boundary"),
    ("bare-lf", CT, b"--" + B + b"\nContent-Disposition: form-data; name=\"a\"\n\n1\n--" + B + b"--\n",
     "LF line ends everywhere"),
    ("no-disposition", CT, part([b"Content-Type: text/plain"], b"1") + CLOSE,
     "a part without Content-Disposition"),
    ("no-headers", CT, part([], b"1") + CLOSE, "a part without headers"),
    ("no-name", CT, part([b"Content-Disposition: form-data; filename=\"x\""], b"1") + CLOSE,
     "a Content-Disposition without name"),
    ("header-no-colon", CT,
     part([b"Content-Disposition: form-data; name=\"a\"", b"Garbage"], b"1") + CLOSE,
     "a header line without ':'"),
    ("obs-fold", CT,
     part([b"Content-Disposition: form-data;", b" name=\"a\""], b"1") + CLOSE, "a folded header line"),
    ("lf-in-header", CT,
     part([b"Content-Disposition: form-data; name=\"a\"\nX-Injected: 1"], b"1") + CLOSE,
     "a bare LF inside a header line"),
    ("nul-in-header", CT, part([b"Content-Disposition: form-data; name=\"a\x00b\""], b"1") + CLOSE,
     "a NUL in a header value"),
    ("space-before-colon", CT, part([b"Content-Disposition : form-data; name=\"a\""], b"1") + CLOSE,
     "whitespace before ':'"),
    ("repeated-disposition", CT,
     part([b"Content-Disposition: form-data; name=\"a\"", b"Content-Disposition: form-data; name=\"b\""],
          b"1") + CLOSE, "Content-Disposition twice"),
    ("repeated-type", CT,
     part([b"Content-Disposition: form-data; name=\"f\"; filename=\"x\"", b"Content-Type: text/plain",
           b"Content-Type: text/html"], b"1") + CLOSE, "Content-Type twice"),
    ("repeated-name", CT, part([b"Content-Disposition: form-data; name=\"a\"; name=\"b\""], b"1") + CLOSE,
     "the name parameter twice"),
    ("disposition-junk", CT, part([b"Content-Disposition: form-data; name=\"a\"; junk"], b"1") + CLOSE,
     "a parameter without '='"),
    ("disposition-bad-type", CT, part([b"Content-Disposition: form data; name=\"a\""], b"1") + CLOSE,
     "a disposition type that is not a token"),
    ("disposition-glued", CT,
     part([b"Content-Disposition: form-data; name=\"f\"ilename=\"t.txt\""], b"1") + CLOSE,
     "bytes right after a quoted value"),
    ("unterminated-quote", CT, part([b"Content-Disposition: form-data; name=\"a"], b"1") + CLOSE,
     "a quoted-string that never ends"),
    ("close-then-junk", CT, CLOSE + b"--" + B + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
     "a part after the close delimiter (epilogue)"),
    # application/x-www-form-urlencoded
    ("ue-basic", URLENC, b"a=1&b=two+words&c=%41%62&d=%E2%82%AC", "fields, '+', escapes"),
    ("ue-empty", URLENC, b"a=1&&b=&c&&=&=x", "empty fields, no '=', empty names"),
    ("ue-malformed", URLENC, b"a=%zz&b=%4&c=%&d=100%", "malformed escapes are kept"),
    ("ue-semicolon", URLENC, b"a=1;b=2&c=3", "';' is not a separator"),
    ("ue-semicolon-only", URLENC, b"a=1;b=2", "';' and no '&' after it"),
    ("ue-trailing-name", URLENC, b"a=1&flag", "a last field without '='"),
    ("ue-equals", URLENC, b"a=b=c&%3D=%26", "a second '=' and escaped separators"),
    ("ue-empty-body", URLENC, b"", "no body"),
]


def main():
    os.makedirs(CORPUS, exist_ok=True)
    index = []
    for name, ctype, body, about in CASES:
        fname = "hand-" + name + ".body"
        with open(os.path.join(CORPUS, fname), "wb") as f:
            f.write(body)
        index.append({"file": fname, "content_type": ctype, "origin": "hand", "how": about})
    with open(os.path.join(CORPUS, "hand.json"), "w") as f:
        json.dump(index, f, indent=1, ensure_ascii=False)
        f.write("\n")

    cases = list(index)
    captured = os.path.join(CORPUS, "captured.json")
    if os.path.exists(captured):
        with open(captured) as f:
            cases += json.load(f)
    for fuzzer in ("fuzz_multipart", "fuzz_urlencoded"):
        os.makedirs(os.path.join(SEEDS, fuzzer), exist_ok=True)
    for case in cases:
        with open(os.path.join(CORPUS, case["file"]), "rb") as f:
            body = f.read()
        stem = case["file"][:-len(".body")]
        if case["content_type"] == URLENC:
            seeds = {stem: b"\x00" + body}
            fuzzer = "fuzz_urlencoded"
        else:
            if len(body) > 16384:
                continue  # large bodies slow the fuzzer down without new paths
            line = case["content_type"].encode() + b"\n"
            seeds = {stem: b"\x00" + line + body, stem + "-small-limits": b"\x01" + line + body}
            fuzzer = "fuzz_multipart"
        for seed_name, data in seeds.items():
            with open(os.path.join(SEEDS, fuzzer, seed_name), "wb") as f:
                f.write(data)
    print("%d hand-made bodies, seeds for %d corpus bodies" % (len(index), len(cases)))


if __name__ == "__main__":
    main()
