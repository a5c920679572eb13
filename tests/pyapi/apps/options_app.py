# Calls app.run once per case, in one process, and reports what happened (test_run_options.py).
#
# Each argument is one case: a JSON object of keyword arguments for app.run
# ({"__float__": "nan"} stands for float("nan"), {"__bytes__": "x"} for b"x").  One argument per case, because MicroPython's
# unix port cannot take an argument of 256 bytes or more (argv items become qstrs).  For case i it prints "CASE i", then either
# "RESULT i raised <ExceptionType> <JSON list of str(args)>" or, once a run that started
# serving has been stopped (the test sends SIGTERM), "RESULT i returned".
#
# Written in the subset MicroPython shares with CPython (imports: viperhttp, sys, json).
import json
import sys

from viperhttp import ViperHTTP

app = ViperHTTP(title="pyapi options app")


@app.get("/")
def root():
    return {"serving": True}


def say(line):
    sys.stdout.write(line + "\n")
    try:
        sys.stdout.flush()
    except AttributeError:
        pass


def decode(value):
    if isinstance(value, dict) and "__float__" in value:
        return float(value["__float__"])
    if isinstance(value, dict) and "__bytes__" in value:  # {"__bytes__": "text"}: b"text"
        return value["__bytes__"].encode()
    return value


def main(cases):
    for i, case in enumerate(cases):
        kwargs = {}
        for k in case:
            kwargs[k] = decode(case[k])
        say("CASE " + str(i))
        try:
            app.run(**kwargs)
        except Exception as e:
            say("RESULT " + str(i) + " raised " + type(e).__name__ + " " +
                json.dumps([str(a) for a in e.args]))
        else:
            say("RESULT " + str(i) + " returned")
    say("DONE")


if __name__ == "__main__":
    main([json.loads(arg) for arg in sys.argv[1:]])
