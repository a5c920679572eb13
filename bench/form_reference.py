"""python-multipart 0.0.5 (Debian's python3-multipart, the parser under FastAPI 0.92) on a body
written by viper_form_bench, fed in pieces as Starlette feeds it; prints MB/s (best of N).
Multipart: the parser with a data callback.  Urlencoded: the parser plus the unquote_plus of
every name and value that Starlette's FormParser does (python-multipart does not decode).

    /usr/bin/python3 bench/form_reference.py KIND BODY_FILE PIECE_BYTES REPETITIONS
"""
import sys
import time
from urllib.parse import unquote_plus

import multipart

BOUNDARY = b"----WebKitFormBoundary7MA4YWxkTrZu0gW"  # as bench/form_bench.cpp


def run(kind, body, piece):
    seen = [0]

    def data(buf, start, end):
        seen[0] += end - start

    if kind == "urlencoded":
        # As Starlette's FormParser: gather each field, then unquote_plus its name and value.
        name, value = [], []

        def field_end():
            seen[0] += len(unquote_plus(b"".join(name).decode("latin-1")))
            seen[0] += len(unquote_plus(b"".join(value).decode("latin-1")))
            del name[:], value[:]

        parser = multipart.QuerystringParser({
            "on_field_name": lambda b, s, e: name.append(b[s:e]),
            "on_field_data": lambda b, s, e: value.append(b[s:e]),
            "on_field_end": field_end})
    else:
        parser = multipart.MultipartParser(BOUNDARY, {"on_part_data": data})
    view = memoryview(body)
    for off in range(0, len(body), piece):
        parser.write(bytes(view[off:off + piece]))
    parser.finalize()
    return seen[0]


def main():
    kind, path, piece, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(path, "rb") as f:
        body = f.read()
    best = 0.0
    for _ in range(reps):
        t0 = time.perf_counter()
        seen = run(kind, body, piece)
        best = max(best, len(body) / (time.perf_counter() - t0) / 1e6)
    print("%s (python-multipart 0.0.5): %d bytes in %d-byte pieces, %d bytes out: best %.1f MB/s"
          % (kind, len(body), piece, seen, best))


if __name__ == "__main__":
    main()
