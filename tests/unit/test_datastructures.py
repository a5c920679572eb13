"""The one Headers type (request, response and TestClient flavours), QueryParams, URL, the
TestClient's cookie and body encoding helpers."""

from unit_support import raises
from viperhttp.datastructures import URL, Headers, MutableHeaders, QueryParams, split_url
from viperhttp.testclient.cookies import Cookies, parse_set_cookie
from viperhttp.testclient.encoding import encode_body, pairs, urlencode
from viperhttp.testclient.models import Headers as ClientHeaders
from viperhttp._urlencoding import parse_qsl


def test_request_headers_from_the_engine_block():
    h = Headers(raw=b"host\x00example\x00cookie\x00a=1\x00cookie\x00b=2\x00")
    assert h["Host"] == "example" and h.get("HOST") == "example"
    assert h.get("missing") is None and h.get("missing", "d") == "d"
    assert h.getlist("cookie") == ["a=1", "b=2"]
    assert h["cookie"] == "a=1"  # the first, as Starlette
    assert h.keys() == ["host", "cookie", "cookie"]
    assert h.items() == [("host", "example"), ("cookie", "a=1"), ("cookie", "b=2")]
    assert "COOKIE" in h and "nope" not in h
    assert len(h) == 3 and list(h) == h.keys()
    with raises(KeyError):
        h["nope"]


def test_headers_from_mapping_or_pairs():
    h = Headers({"Content-Type": "text/plain", "X-N": 1})
    assert h["content-type"] == "text/plain" and h["x-n"] == "1"
    assert sorted(h.keys()) == ["Content-Type", "X-N"]  # names as given
    h = Headers([("Content-Type", "text/plain"), ("X-N", 1)])
    assert h.keys() == ["Content-Type", "X-N"]  # in order
    assert h == Headers([("content-type", "text/plain"), ("x-n", "1")])
    assert h.multi_items() == [("content-type", "text/plain"), ("x-n", "1")]
    with raises(TypeError):
        Headers("a: b")


def test_mutable_headers():
    h = MutableHeaders({"X-A": "1"})
    h.append("set-cookie", "a=1")
    h.append("Set-Cookie", "b=2")
    h["x-a"] = 2
    assert h.items() == [("set-cookie", "a=1"), ("Set-Cookie", "b=2"), ("x-a", "2")]
    assert h.setdefault("x-a", "9") == "2" and h.setdefault("x-b", "3") == "3"
    del h["SET-COOKIE"]
    assert h.getlist("set-cookie") == []
    del h["absent"]  # as Starlette: no error
    h.update({"x-a": "4"})
    assert h["x-a"] == "4"
    assert h.pop("x-b") == "3" and h.pop("x-b", None) is None
    h.clear()
    assert len(h) == 0
    copy = Headers(raw=b"a\x001\x00").mutablecopy()
    copy["b"] = "2"
    assert copy.items() == [("a", "1"), ("b", "2")]


def test_mutable_headers_refuse_cr_lf_nul():
    h = MutableHeaders()
    for bad in ("a\r\nb", "a\nb", "a\0b"):
        with raises(ValueError):
            h["x"] = bad
        with raises(ValueError):
            h.append(bad, "v")
    with raises(ValueError):
        MutableHeaders({"x": "a\rb"})


def test_client_headers_join_repeated_values():
    h = ClientHeaders([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-One", "1")])
    assert h["SET-COOKIE"] == "a=1, b=2" and h.get("set-cookie") == "a=1, b=2"
    assert h.get_list("set-cookie") == ["a=1", "b=2"] == h.getlist("set-cookie")
    assert h.keys() == ["set-cookie", "x-one"]
    assert h.items() == [("set-cookie", "a=1, b=2"), ("x-one", "1")]
    assert ClientHeaders({"x-one": "1"}) == {"X-One": "1"}
    assert h == [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("x-one", "1")]
    assert len(h) == 2
    copy = h.copy()
    copy["x-one"] = "2"
    assert h["x-one"] == "1" and copy["x-one"] == "2"
    with raises(KeyError):
        del h["absent"]
    assert ClientHeaders({"a": ["1", "2"]}).get_list("a") == ["1", "2"]
    assert isinstance(h, Headers)  # one type: the client's reading is a subclass


def test_query_params():
    q = QueryParams("a=1&b=&a=2&c")
    assert q.get("a") == "2" and q["a"] == "2"  # the last value, as Starlette
    assert q.getlist("a") == ["1", "2"] and q.get("b") == "" and q.get("c") == ""
    assert q.keys() == ["a", "b", "c"] and len(q) == 3 and "b" in q
    assert q.items() == [("a", "2"), ("b", ""), ("c", "")]
    assert q.multi_items() == [("a", "1"), ("b", ""), ("a", "2"), ("c", "")]
    assert str(q) == "a=1&b=&a=2&c"
    assert q.get("z", "d") == "d"
    with raises(KeyError):
        q["z"]


def test_parse_qsl_decoding():
    assert parse_qsl("") == []
    assert parse_qsl("a=1&&b=2") == [("a", "1"), ("b", "2")]
    assert parse_qsl("k%20y=v+w&x=%E2%82%AC") == [("k y", "v w"), ("x", "\u20ac")]
    assert parse_qsl("bad=%zz%4") == [("bad", "%zz%4")]  # malformed escapes kept


def test_url():
    u = URL("http", "example.com:8080", "/a b", "x=1")
    assert str(u) == "http://example.com:8080/a b?x=1"
    assert u.hostname == "example.com" == u.host and u.port == 8080
    assert u.target == "/a b?x=1" and not u.is_secure
    assert u == "http://example.com:8080/a b?x=1" and hash(u) == hash(str(u))
    v6 = URL("https", "[::1]:443", "/", "")
    assert v6.hostname == "::1" and v6.port == 443 and v6.is_secure
    assert URL("http", "h", "/", "").port is None


def test_split_url():
    u = split_url("HTTP://host:1/p/q?x=1#frag")
    assert (u.scheme, u.netloc, u.path, u.query) == ("http", "host:1", "/p/q", "x=1")
    rel = split_url("/items?q=1")
    assert (rel.scheme, rel.netloc, rel.path, rel.query) == ("", "", "/items", "q=1")
    assert split_url("host").path == "host"


def test_client_encoding():
    assert urlencode([("a", 1), ("b", "x y"), ("c", True), ("d", None)]) == \
        "a=1&b=x%20y&c=true&d="
    assert pairs({"a": [1, 2], "b": 3}) == [("a", 1), ("a", 2), ("b", 3)]
    assert encode_body(None, None, None, {"a": 1}) == (b'{"a":1}', "application/json")
    assert encode_body(None, {"a": "1 2"}, None, None) == (
        b"a=1%202", "application/x-www-form-urlencoded")
    assert encode_body("text", None, None, None) == (b"text", None)
    body, ctype = encode_body(None, {"f": "v"}, {"up": ("a.txt", b"hi", "text/plain")}, None)
    assert ctype.startswith("multipart/form-data; boundary=")
    assert b'name="up"; filename="a.txt"' in body and b"hi" in body


def test_cookies_jar_and_set_cookie_parsing():
    jar = Cookies({"a": "1"})
    jar.set("b", "2")
    assert dict(jar.items()) == {"a": "1", "b": "2"}
    jar.delete("a")
    assert "a" not in jar and len(jar) == 1
    assert parse_set_cookie("s=abc; Path=/; HttpOnly") == ("s", "abc", False)
    assert parse_set_cookie('s=""; Max-Age=0') == ("s", "", True)
    assert parse_set_cookie("s=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT")[2] is True
    assert parse_set_cookie("noval") is None
