"""Parameter conversion and checks (viperhttp.params): the values and the 422 error shapes."""

from viperhttp._compat import EMPTY
from viperhttp.params import (BODY, HEADER, NUMBER, PATH, QUERY, Body, Header, Path, Query,
                              check, convert, error, json_invalid, value_kind)

LOC = ["query", "n"]


def test_convert_int_float_bool_str():
    assert convert(int, "42", LOC) == (42, None)
    assert convert(int, "-7", LOC) == (-7, None)
    assert convert(float, "2.5", LOC) == (2.5, None)
    assert convert(str, "x y", LOC) == ("x y", None)
    assert convert(NUMBER, "3", LOC) == (3, None)
    assert convert(NUMBER, "3.5", LOC) == (3.5, None)


def test_convert_bool_spellings_any_case():
    for raw in ("1", "true", "On", "YES", "t", "y"):
        assert convert(bool, raw, LOC) == (True, None), raw
    for raw in ("0", "false", "OFF", "no", "f", "N"):
        assert convert(bool, raw, LOC) == (False, None), raw


def test_convert_errors_are_pydantic_shaped():
    value, err = convert(int, "abc", LOC)
    assert value is None
    assert err == {"type": "int_parsing", "loc": ["query", "n"], "input": "abc",
                   "msg": "Input should be a valid integer, unable to parse string as an "
                          "integer"}
    assert convert(float, "x", LOC)[1]["type"] == "float_parsing"
    assert convert(NUMBER, "x", LOC)[1]["type"] == "float_parsing"
    assert convert(bool, "maybe", LOC)[1]["type"] == "bool_parsing"


def test_error_copies_loc():
    loc = ["query", "n"]
    e = error("missing", loc, "Field required", None)
    loc.append("x")
    assert e["loc"] == ["query", "n"]
    assert "ctx" not in e
    assert error("enum", loc, "m", 1, {"expected": "'a'"})["ctx"] == {"expected": "'a'"}


def test_value_kind_from_defaults():
    assert value_kind(10, EMPTY) is int
    assert value_kind(True, EMPTY) is bool  # before int: bool is an int subclass
    assert value_kind(0.5, EMPTY) is float
    assert value_kind("x", EMPTY) is str
    assert value_kind(None, EMPTY) is str
    assert value_kind(EMPTY, EMPTY) is str
    assert value_kind([], EMPTY) is list
    assert value_kind({}, EMPTY) is dict
    assert value_kind(None, int) is int  # an annotation wins (CPython)


def test_value_kind_numeric_constraints_without_type():
    assert value_kind(None, EMPTY, Query(None, ge=1)) is NUMBER
    assert value_kind(..., EMPTY, Query(..., lt=5)) is NUMBER
    assert value_kind(None, EMPTY, Query(None, min_length=1)) is str


def test_check_numbers_at_the_limit_and_one_past():
    spec = Query(0, ge=1, le=10)
    assert check(spec, 1, LOC) is None
    assert check(spec, 10, LOC) is None
    low = check(spec, 0, LOC, "0")
    assert low["type"] == "greater_than_equal" and low["ctx"] == {"ge": 1}
    assert low["input"] == "0"
    assert low["msg"] == "Input should be greater than or equal to 1"
    high = check(spec, 11, LOC)
    assert high["type"] == "less_than_equal" and high["ctx"] == {"le": 10}
    strict = Query(0, gt=0, lt=3)
    assert check(strict, 1, LOC) is None and check(strict, 2, LOC) is None
    assert check(strict, 0, LOC)["type"] == "greater_than"
    assert check(strict, 3, LOC)["type"] == "less_than"


def test_check_strings():
    spec = Query("", min_length=2, max_length=3, pattern="^[a-z]+$")
    assert check(spec, "ab", LOC) is None
    assert check(spec, "abc", LOC) is None
    short = check(spec, "a", LOC)
    assert short["type"] == "string_too_short"
    assert short["msg"] == "String should have at least 2 characters"
    assert check(spec, "abcd", LOC)["type"] == "string_too_long"
    bad = check(spec, "A1", LOC)
    assert bad["type"] == "string_pattern_mismatch" and bad["ctx"] == {"pattern": "^[a-z]+$"}
    one = Query("", min_length=1)
    assert check(one, "", LOC)["msg"] == "String should have at least 1 character"


def test_check_choices():
    spec = Query("a", choices=["a", "b", 3])
    assert check(spec, "b", LOC) is None
    err = check(spec, "z", LOC)
    assert err["type"] == "enum"
    assert err["msg"] == "Input should be 'a', 'b' or 3"


def test_declarations_know_their_source():
    assert Query().source is QUERY and Path().source is PATH
    assert Header().source is HEADER and Body().source is BODY
    assert Query().required and not Query(None).required
    assert Query(5, ge=1).has_checks and not Query(5).has_checks
    assert Query(None, regex="x").pattern == "x"  # FastAPI's old name


def test_json_invalid_error():
    class Exc(ValueError):
        pos = 3
        msg = "Expecting value"

    err = json_invalid(Exc())
    assert err["type"] == "json_invalid" and err["loc"] == ["body", 3]
    assert err["ctx"] == {"error": "Expecting value"}
    assert json_invalid(ValueError("syntax error"))["loc"] == ["body", 0]
