// Tests of the HTTP/1.x request parser, the chunked decoder and percent_decode
// (engine/http/request_parser.h): one test per rule of the header, every limit at the limit and
// one past it, split/byte-at-a-time invariance, and over-reads caught by a PROT_NONE page.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.h"

namespace viper::http {
namespace {

using namespace std::string_literals;

// A copy of `bytes` that ends exactly where a PROT_NONE page begins, so that reading one byte
// past the input crashes the test (as picohttpparser's test.c does).
class Guarded {
 public:
  explicit Guarded(std::string_view bytes) : len_(bytes.size()) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    const size_t pages = (len_ + page - 1) / page + 1;
    map_len_ = (pages + 1) * page;
    void* m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) abort();
    base_ = static_cast<char*>(m);
    if (mprotect(base_ + pages * page, page, PROT_NONE) != 0) abort();
    data_ = base_ + pages * page - len_;
    if (len_) memcpy(data_, bytes.data(), len_);
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  ~Guarded() { munmap(base_, map_len_); }
  char* data() const { return data_; }
  size_t size() const { return len_; }

 private:
  size_t len_, map_len_;
  char* base_;
  char* data_;
};

// A request head: request line, header lines, blank line.
std::string head(const std::string& line, const std::vector<std::string>& headers) {
  std::string s = line + "\r\n";
  for (const std::string& h : headers)
    s += h + "\r\n";
  return s + "\r\n";
}

std::string get_with(const std::vector<std::string>& headers) {
  return head("GET / HTTP/1.1", headers);
}

struct Outcome {
  int rc = 0;
  ParseError err = ParseError::None;
  std::unique_ptr<Request> req = std::make_unique<Request>();
  const char* base = nullptr;
};

Outcome parse_at(const char* buf, size_t len, const ParseLimits& limits = {}) {
  Outcome o;
  RequestParser p;
  o.rc = p.parse(buf, len, limits, *o.req);
  o.err = p.error();
  o.base = buf;
  return o;
}

// Parses `s` whole, placed before a guard page.
struct Parsed {
  std::unique_ptr<Guarded> buf;
  Outcome out;
  const Request& req() const { return *out.req; }
  int rc() const { return out.rc; }
  ParseError err() const { return out.err; }
};

Parsed parse(std::string_view s, const ParseLimits& limits = {}) {
  Parsed p{std::make_unique<Guarded>(s), {}};
  p.out = parse_at(p.buf->data(), s.size(), limits);
  return p;
}

ParseError error_of(std::string_view s, const ParseLimits& limits = {}) {
  const Parsed p = parse(s, limits);
  EXPECT_EQ(p.rc() < 0, p.err() != ParseError::None);
  return p.err();
}

uint16_t status(std::string_view s, const ParseLimits& limits = {}) {
  return status_of(error_of(s, limits));
}

// Offset of a view in the buffer, or -1 for a null view; so results from two buffers compare.
std::pair<ptrdiff_t, size_t> where(std::string_view v, const char* base) {
  return {v.data() ? v.data() - base : -1, v.size()};
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(a.rc, b.rc);
  ASSERT_EQ(a.err, b.err);
  if (a.rc <= 0) return;
  const Request& x = *a.req;
  const Request& y = *b.req;
  EXPECT_EQ(where(x.method_token, a.base), where(y.method_token, b.base));
  EXPECT_EQ(x.method, y.method);
  EXPECT_EQ(where(x.target, a.base), where(y.target, b.base));
  EXPECT_EQ(where(x.path, a.base), where(y.path, b.base));
  EXPECT_EQ(where(x.query, a.base), where(y.query, b.base));
  EXPECT_EQ(x.http_minor, y.http_minor);
  ASSERT_EQ(x.num_headers, y.num_headers);
  for (int i = 0; i < x.num_headers; i++) {
    EXPECT_EQ(where(x.headers[i].name, a.base), where(y.headers[i].name, b.base));
    EXPECT_EQ(where(x.headers[i].value, a.base), where(y.headers[i].value, b.base));
  }
  EXPECT_EQ(x.head_bytes, y.head_bytes);
  EXPECT_EQ(x.body, y.body);
  EXPECT_EQ(x.content_length, y.content_length);
  EXPECT_EQ(x.keep_alive, y.keep_alive);
  EXPECT_EQ(x.expect_continue, y.expect_continue);
  EXPECT_EQ(x.upgrade, y.upgrade);
  EXPECT_EQ(where(x.host, a.base), where(y.host, b.base));
}

// Every view of a successful parse lies inside [buf, buf + head_bytes).
void expect_views_inside(const Request& r, const char* buf) {
  auto inside = [&](std::string_view v) {
    if (!v.data()) return v.empty();
    return v.data() >= buf && v.data() + v.size() <= buf + r.head_bytes;
  };
  EXPECT_TRUE(inside(r.method_token));
  EXPECT_TRUE(inside(r.target));
  EXPECT_TRUE(inside(r.path));
  EXPECT_TRUE(inside(r.query));
  EXPECT_TRUE(inside(r.host));
  for (int i = 0; i < r.num_headers; i++) {
    EXPECT_TRUE(inside(r.headers[i].name));
    EXPECT_TRUE(inside(r.headers[i].value));
  }
}

// ---- basics ---------------------------------------------------------------------------------

TEST(RequestParser, ParsesTypicalGet) {
  const std::string s = head("GET /a%20b/c?x=1&y=2 HTTP/1.1",
                             {"Host: example.com", "User-Agent: test/1.0", "Accept: */*"});
  const Parsed p = parse(s);
  ASSERT_EQ(p.rc(), int(s.size()));
  const Request& r = p.req();
  EXPECT_EQ(r.method_token, "GET");
  EXPECT_EQ(r.method, Method::Get);
  EXPECT_EQ(r.target, "/a%20b/c?x=1&y=2");
  EXPECT_EQ(r.path, "/a%20b/c");
  EXPECT_EQ(r.query, "x=1&y=2");
  EXPECT_EQ(r.http_minor, 1);
  ASSERT_EQ(r.num_headers, 3);
  EXPECT_EQ(r.headers[0].name, "Host");
  EXPECT_EQ(r.headers[0].value, "example.com");
  EXPECT_EQ(r.headers[2].name, "Accept");
  EXPECT_EQ(r.headers[2].value, "*/*");
  EXPECT_EQ(r.head_bytes, s.size());
  EXPECT_EQ(r.body, BodyKind::None);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.expect_continue);
  EXPECT_FALSE(r.upgrade);
  EXPECT_EQ(r.host, "example.com");
  expect_views_inside(r, p.buf->data());
}

TEST(RequestParser, ViewsBorrowFromTheBuffer) {
  const std::string s = get_with({"Host: h", "X: y"});
  const Parsed p = parse(s);
  ASSERT_GT(p.rc(), 0);
  EXPECT_EQ(p.req().method_token.data(), p.buf->data());
  EXPECT_EQ(p.req().target.data(), p.buf->data() + 4);
  expect_views_inside(p.req(), p.buf->data());
}

TEST(RequestParser, IncompleteHeadReturnsZero) {
  const std::string s = get_with({"Host: h"});
  for (size_t n = 0; n < s.size(); n++) {
    EXPECT_EQ(parse(s.substr(0, n)).rc(), 0) << n;
  }
}

TEST(RequestParser, KnownAndUnknownMethods) {
  const std::pair<const char*, Method> cases[] = {
      {"GET", Method::Get},         {"HEAD", Method::Head},       {"POST", Method::Post},
      {"PUT", Method::Put},         {"PATCH", Method::Patch},     {"DELETE", Method::Delete},
      {"OPTIONS", Method::Options}, {"TRACE", Method::Trace},     {"FOO", Method::Unknown},
      {"get", Method::Unknown},     {"M-SEARCH", Method::Unknown}};
  for (const auto& [tok, m] : cases) {
    const Parsed p = parse(head(tok + " /x HTTP/1.1"s, {"Host: h"}));
    ASSERT_GT(p.rc(), 0) << tok;
    EXPECT_EQ(p.req().method_token, tok);
    EXPECT_EQ(p.req().method, m) << tok;
  }
  const Parsed c = parse(head("CONNECT example.com:443 HTTP/1.1", {"Host: example.com:443"}));
  ASSERT_GT(c.rc(), 0);
  EXPECT_EQ(c.req().method, Method::Connect);
}

TEST(RequestParser, MalformedMethodIs400) {
  EXPECT_EQ(status(head("G(T / HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head(" / HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET\t/ HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET", {"Host: h"})), 400);
}

// ---- request line ---------------------------------------------------------------------------

TEST(RequestParser, SkipsUpToTwoEmptyLinesBeforeRequestLine) {
  const std::string body = get_with({"Host: h"});
  for (const std::string& prefix : {"\r\n"s, "\r\n\r\n"s}) {
    const std::string s = prefix + body;
    const Parsed p = parse(s);
    ASSERT_EQ(p.rc(), int(s.size()));
    EXPECT_EQ(p.req().method_token, "GET");
    EXPECT_EQ(p.req().head_bytes, s.size());
  }
  EXPECT_EQ(status("\r\n\r\n\r\n" + body), 400);
  EXPECT_EQ(parse("\r").rc(), 0);
  EXPECT_EQ(parse("\r\n").rc(), 0);
  EXPECT_EQ(parse("\r\n\r").rc(), 0);
  EXPECT_EQ(parse("\r\n\r\n").rc(), 0);
}

TEST(RequestParser, BareLfIs400) {
  EXPECT_EQ(status("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n"), 400);
  EXPECT_EQ(status("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  // Detected as soon as seen, without waiting for the end of the head.
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\nX: y"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\n"), 400);
}

TEST(RequestParser, BareCrIs400) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  // A line starting with CR is not the end of the head.
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n\rX: y\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\n\rHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n\r\n"), 400);
}

TEST(RequestParser, OriginFormSplitsPathAndQuery) {
  struct Case {
    const char *target, *path, *query;
  };
  const Case cases[] = {
      {"/", "/", ""},          {"/a/b", "/a/b", ""},
      {"/a?", "/a", ""},       {"/?x", "/", "x"},
      {"/a?b?c", "/a", "b?c"}, {"/%7Euser/a%2Fb?q=%20", "/%7Euser/a%2Fb", "q=%20"},
      {"//x", "//x", ""}};
  for (const Case& c : cases) {
    const Parsed p = parse(head("GET "s + c.target + " HTTP/1.1", {"Host: h"}));
    ASSERT_GT(p.rc(), 0) << c.target;
    EXPECT_EQ(p.req().target, c.target);
    EXPECT_EQ(p.req().path, c.path) << c.target;
    EXPECT_EQ(p.req().query, c.query) << c.target;
    expect_views_inside(p.req(), p.buf->data());
  }
  const Parsed p = parse(get_with({"Host: h"}));
  EXPECT_EQ(p.req().query.size(), 0u);
}

TEST(RequestParser, AbsoluteFormExtractsPath) {
  struct Case {
    const char *target, *path, *query;
  };
  const Case cases[] = {{"http://example.com/a/b?x=1", "/a/b", "x=1"},
                        {"http://example.com", "/", ""},
                        {"http://example.com?q", "/", "q"},
                        {"https://user@example.com:8443/p", "/p", ""},
                        {"HTTP://EXAMPLE.COM/", "/", ""},
                        {"coap+tcp://h/x", "/x", ""}};
  for (const Case& c : cases) {
    const Parsed p = parse(head("GET "s + c.target + " HTTP/1.1", {"Host: example.com"}));
    ASSERT_GT(p.rc(), 0) << c.target;
    EXPECT_EQ(p.req().target, c.target);
    EXPECT_EQ(p.req().path, c.path) << c.target;
    EXPECT_EQ(p.req().query, c.query) << c.target;
    expect_views_inside(p.req(), p.buf->data());  // even the "/" of an empty path
  }
  EXPECT_EQ(status(head("GET http:///x HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET http:/x HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET 1http://h/ HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET http//h/ HTTP/1.1", {"Host: h"})), 400);
}

TEST(RequestParser, AsteriskFormOnlyWithOptions) {
  const Parsed p = parse(head("OPTIONS * HTTP/1.1", {"Host: h"}));
  ASSERT_GT(p.rc(), 0);
  EXPECT_EQ(p.req().path, "*");
  EXPECT_EQ(p.req().query, "");
  EXPECT_EQ(status(head("GET * HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("OPTIONS *x HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("OPTIONS *?x HTTP/1.1", {"Host: h"})), 400);
}

TEST(RequestParser, AuthorityFormOnlyWithConnect) {
  for (const char* t : {"example.com:443", "[::1]:8080", "10.0.0.1:1"}) {
    const Parsed p = parse(head("CONNECT "s + t + " HTTP/1.1", {"Host: h"}));
    ASSERT_GT(p.rc(), 0) << t;
    EXPECT_EQ(p.req().target, t);
    EXPECT_EQ(p.req().path, "");
  }
  for (const char* t : {"/", "example.com", "example.com:", ":443", "example.com:123456",
                        "example.com:44a", "a/b:1", "h:1?x", "http://h:1/", "*"}) {
    EXPECT_EQ(status(head("CONNECT "s + t + " HTTP/1.1", {"Host: h"})), 400) << t;
  }
  EXPECT_EQ(status(head("GET example.com:443 HTTP/1.1", {"Host: h"})), 400);
}

TEST(RequestParser, OtherTargetsAre400) {
  for (const char* t : {"x", "a/b", "?x", "%2F"}) {
    EXPECT_EQ(status(head("GET "s + t + " HTTP/1.1", {"Host: h"})), 400) << t;
  }
}

TEST(RequestParser, BadTargetBytesAre400) {
  for (const std::string& bad :
       {"\x01"s, "\x1f"s, "\x7f"s, "#"s, "\x80"s, "\xff"s, "\t"s, std::string(1, '\0')}) {
    EXPECT_EQ(status(head("GET /a" + bad + "b HTTP/1.1", {"Host: h"})), 400)
        << int(uint8_t(bad[0]));
    // Also past the 16-byte blocks of the SIMD loop and in the query.
    EXPECT_EQ(status(head("GET /" + std::string(40, 'a') + bad + " HTTP/1.1", {"Host: h"})), 400);
    EXPECT_EQ(status(head("GET /?" + std::string(17, 'a') + bad + " HTTP/1.1", {"Host: h"})), 400);
  }
  EXPECT_EQ(status(head("GET /a b HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET  / HTTP/1.1", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET / HTTP/1.1 ", {"Host: h"})), 400);
  EXPECT_EQ(status(head("GET /  HTTP/1.1", {"Host: h"})), 400);
}

TEST(RequestParser, UriLimitExactlyAndOnePast) {
  for (uint32_t limit : {1u, 16u, 100u, 512u, 3000u}) {
    ParseLimits lim;
    lim.max_uri_bytes = limit;
    lim.max_header_bytes = VIPER_IO_BUFFER_BYTES;
    const std::string at = "/" + std::string(limit - 1, 'a');
    const std::string past = at + "b";
    const Parsed ok = parse(head("GET " + at + " HTTP/1.1", {"Host: h"}), lim);
    ASSERT_GT(ok.rc(), 0) << limit;
    EXPECT_EQ(ok.req().target.size(), limit);
    EXPECT_EQ(status(head("GET " + past + " HTTP/1.1", {"Host: h"}), lim), 414) << limit;
    // Early: the request line has not ended yet.
    EXPECT_EQ(parse("GET " + at, lim).rc(), 0);
    EXPECT_EQ(status("GET " + past, lim), 414) << limit;
    // The first bad byte decides: past the limit any byte means "too long".
    EXPECT_EQ(status(head("GET " + past + "\x01 HTTP/1.1", {"Host: h"}), lim), 414);
    EXPECT_EQ(status(head("GET " + at + "\x01 HTTP/1.1", {"Host: h"}), lim), 400);
  }
}

TEST(RequestParser, Versions) {
  struct Case {
    const char* version;
    int minor;  // -1: error
    uint16_t status;
  };
  const Case cases[] = {{"HTTP/1.1", 1, 0},     {"HTTP/1.0", 0, 0},     {"HTTP/1.2", 1, 0},
                        {"HTTP/1.9", 1, 0},     {"HTTP/2.0", -1, 505},  {"HTTP/0.9", -1, 505},
                        {"HTTP/3.1", -1, 505},  {"HTTP/9.9", -1, 505},  {"HTTP/1", -1, 400},
                        {"HTTP/1.", -1, 400},   {"HTTP/1.1x", -1, 400}, {"HTTP/11.1", -1, 400},
                        {"HTTP/1.10", -1, 400}, {"http/1.1", -1, 400},  {"HTTPS/1.1", -1, 400},
                        {"HTTP/2.x", -1, 400},  {"HTTP 1.1", -1, 400},  {"", -1, 400},
                        {"HTTP/a.1", -1, 400},  {"HTTP/1.1 ", -1, 400}};
  for (const Case& c : cases) {
    const Parsed p = parse(head("GET / "s + c.version, {"Host: h"}));
    if (c.minor >= 0) {
      ASSERT_GT(p.rc(), 0) << c.version;
      EXPECT_EQ(p.req().http_minor, c.minor) << c.version;
    } else {
      EXPECT_EQ(status_of(p.err()), c.status) << c.version;
    }
  }
  // 505 is decided on the request line alone, before the head is complete.
  EXPECT_EQ(status("GET / HTTP/2.0\r\n"), 505);
}

// ---- header fields ----------------------------------------------------------------------------

TEST(RequestParser, HeaderValuesAreTrimmed) {
  const Parsed p = parse(get_with({"Host: h", "A:x", "B:   spaced out  ", "C:\t\ttab\t",
                                   "D:", "E:    ", "F: a \t b", "G: caf\xc3\xa9 \x80\xff"}));
  ASSERT_GT(p.rc(), 0);
  const Request& r = p.req();
  ASSERT_EQ(r.num_headers, 8);
  EXPECT_EQ(r.header("A"), "x");
  EXPECT_EQ(r.header("B"), "spaced out");
  EXPECT_EQ(r.header("C"), "tab");
  EXPECT_EQ(r.header("D"), "");
  EXPECT_NE(r.header("D").data(), nullptr);  // present but empty
  EXPECT_EQ(r.header("E"), "");
  EXPECT_EQ(r.header("F"), "a \t b");
  EXPECT_EQ(r.header("G"), "caf\xc3\xa9 \x80\xff");
  expect_views_inside(r, p.buf->data());
}

TEST(RequestParser, HeaderLookupIsCaseInsensitive) {
  const Parsed p = parse(get_with({"Host: h", "X-Thing: 1", "x-thing: 2", "Content-TYPE: t"}));
  ASSERT_GT(p.rc(), 0);
  EXPECT_EQ(p.req().header("x-thing"), "1");
  EXPECT_EQ(p.req().header("X-THING"), "1");
  EXPECT_EQ(p.req().header("content-type"), "t");
  EXPECT_EQ(p.req().header("HOST"), "h");
  EXPECT_EQ(p.req().header("missing").data(), nullptr);
  EXPECT_EQ(p.req().header("x-thin").data(), nullptr);
  EXPECT_EQ(p.req().header("").data(), nullptr);
}

TEST(RequestParser, WhitespaceBeforeColonIs400) {
  EXPECT_EQ(status(get_with({"Host : h"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "X\t: y"})), 400);
}

TEST(RequestParser, ObsFoldIs400) {
  EXPECT_EQ(status(get_with({"Host: h", "X: a", " continued"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "X: a", "\tcontinued"})), 400);
  EXPECT_EQ(status(get_with({" Host: h"})), 400);
}

TEST(RequestParser, CtlInValueIs400) {
  for (int c = 0; c < 0x20; c++) {
    if (c == '\t' || c == '\n') continue;  // HTAB is fine; a LF is a bare LF (400 too)
    const std::string ctl(1, char(c));
    EXPECT_EQ(status(get_with({"Host: h", "X: a" + ctl + "b"})), 400) << c;
    EXPECT_EQ(status(get_with({"Host: h", "X: " + std::string(33, 'v') + ctl})), 400) << c;
  }
  EXPECT_EQ(status(get_with({"Host: h", "X: a\x7f"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "X: " + std::string(20, 'v') + "\x7f"})), 400);
}

TEST(RequestParser, BadHeaderNameIs400) {
  EXPECT_EQ(status(get_with({"Host: h", ": empty name"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "a@b: x"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "a(b): x"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "no colon"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "nocolon"})), 400);
  EXPECT_EQ(status(get_with({"Host: h", "X\x80: y"})), 400);
  const Parsed p = parse(get_with({"Host: h", "!#$%&'*+-.^_`|~09azAZ: ok"}));
  ASSERT_GT(p.rc(), 0);
  EXPECT_EQ(p.req().headers[1].name, "!#$%&'*+-.^_`|~09azAZ");
}

std::string with_headers(size_t n) {
  std::string s = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 1; i < n; i++)
    s += "X-" + std::to_string(i) + ": v\r\n";
  return s + "\r\n";
}

TEST(RequestParser, MaxHeadersExactlyAndOnePast) {
  for (uint32_t limit : {1u, 5u, 24u, uint32_t(VIPER_MAX_HEADERS_CAP)}) {
    ParseLimits lim;
    lim.max_headers = limit;
    const Parsed ok = parse(with_headers(limit), lim);
    ASSERT_GT(ok.rc(), 0) << limit;
    EXPECT_EQ(ok.req().num_headers, limit);
    EXPECT_EQ(status(with_headers(limit + 1), lim), 431) << limit;
  }
  const Parsed defaults = parse(with_headers(VIPER_DEFAULT_MAX_HEADERS));
  EXPECT_GT(defaults.rc(), 0);
  EXPECT_EQ(status(with_headers(VIPER_DEFAULT_MAX_HEADERS + 1)), 431);
  // A limit above the hard cap is held to the cap (the size of the header array).
  ParseLimits big;
  big.max_headers = 1000;
  EXPECT_GT(parse(with_headers(VIPER_MAX_HEADERS_CAP), big).rc(), 0);
  EXPECT_EQ(status(with_headers(VIPER_MAX_HEADERS_CAP + 1), big), 431);
}

// A head of exactly `size` bytes.
std::string head_of_size(size_t size) {
  std::string s = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  const size_t fixed = s.size() + 4;
  s += std::string(size - fixed, 'v');
  return s + "\r\n\r\n";
}

TEST(RequestParser, MaxHeaderBytesExactlyAndOnePast) {
  for (uint32_t limit :
       {64u, 1000u, uint32_t(VIPER_DEFAULT_MAX_HEADER_BYTES), uint32_t(VIPER_IO_BUFFER_BYTES)}) {
    ParseLimits lim;
    lim.max_header_bytes = limit;
    const std::string at = head_of_size(limit);
    ASSERT_EQ(at.size(), limit);
    EXPECT_EQ(parse(at, lim).rc(), int(limit));
    EXPECT_EQ(status(head_of_size(limit + 1), lim), 431) << limit;
    // Early: limit bytes with no end of head in them are already too many.
    EXPECT_EQ(parse(at.substr(0, limit - 1), lim).rc(), 0);
    EXPECT_EQ(status(head_of_size(limit + 1).substr(0, limit), lim), 431);
    // Leading empty lines count: they are part of what the head occupies.
    EXPECT_EQ(status("\r\n" + at, lim), 431);
  }
}

TEST(RequestParser, HostRequiredOnceIn11) {
  EXPECT_EQ(status(get_with({})), 400);
  EXPECT_EQ(status(get_with({"X: y"})), 400);
  EXPECT_EQ(status(get_with({"Host: a", "Host: a"})), 400);
  EXPECT_EQ(status(get_with({"Host: a", "host: b"})), 400);
  const Parsed p10 = parse(head("GET / HTTP/1.0", {}));
  ASSERT_GT(p10.rc(), 0);
  EXPECT_TRUE(p10.req().host.empty());
  EXPECT_EQ(p10.req().host.data(), nullptr);
  // RFC 9112 §3.2: more than one Host line is 400 whatever the version.
  EXPECT_EQ(status(head("GET / HTTP/1.0", {"Host: a", "Host: b"})), 400);
  const Parsed empty = parse(get_with({"Host:"}));
  ASSERT_GT(empty.rc(), 0);
  EXPECT_EQ(empty.req().host, "");
  EXPECT_NE(empty.req().host.data(), nullptr);
  EXPECT_EQ(parse(get_with({"hOsT: x"})).req().host, "x");
}

TEST(RequestParser, ContentLength) {
  ParseLimits huge;
  huge.max_body_bytes = UINT64_MAX;
  struct Case {
    const char* value;
    uint64_t length;
  };
  const Case ok[] = {{"0", 0},
                     {"42", 42},
                     {"007", 7},
                     {"  12  ", 12},
                     {"9999999999999999999", 9999999999999999999ull},
                     {"0000000000000000001", 1}};
  for (const Case& c : ok) {
    const Parsed p =
        parse(head("POST / HTTP/1.1", {"Host: h", "Content-Length: "s + c.value}), huge);
    ASSERT_GT(p.rc(), 0) << c.value;
    EXPECT_EQ(p.req().body, BodyKind::Length);
    EXPECT_EQ(p.req().content_length, c.length);
  }
  for (const char* bad : {"", "+1", "-1", "1a", "a", "1 2", "1,1", "0x10", "1.0",
                          "10000000000000000000", "00000000000000000001"}) {
    EXPECT_EQ(status(head("POST / HTTP/1.1", {"Host: h", "Content-Length: "s + bad}), huge), 400)
        << bad;
  }
  EXPECT_EQ(status(head("POST / HTTP/1.1", {"Host: h", "Content-Length: 5", "content-length: 5"})),
            400);
  EXPECT_EQ(status(head("POST / HTTP/1.1", {"Host: h", "Content-Length: 5", "Content-Length: 6"})),
            400);
}

TEST(RequestParser, MaxBodyBytesExactlyAndOnePast) {
  for (uint64_t limit : {uint64_t(0), uint64_t(1), uint64_t(65536), uint64_t(1) << 40}) {
    ParseLimits lim;
    lim.max_body_bytes = limit;
    const Parsed ok = parse(
        head("POST / HTTP/1.1", {"Host: h", "Content-Length: " + std::to_string(limit)}), lim);
    ASSERT_GT(ok.rc(), 0) << limit;
    EXPECT_EQ(ok.req().content_length, limit);
    EXPECT_EQ(
        status(head("POST / HTTP/1.1", {"Host: h", "Content-Length: " + std::to_string(limit + 1)}),
               lim),
        413)
        << limit;
  }
  EXPECT_EQ(status(head("POST / HTTP/1.1",
                        {"Host: h",
                         "Content-Length: " + std::to_string(VIPER_DEFAULT_MAX_BODY_BYTES + 1)})),
            413);
}

TEST(RequestParser, TransferEncoding) {
  for (const char* v : {"chunked", "Chunked", "CHUNKED", " chunked "}) {
    const Parsed p = parse(head("POST / HTTP/1.1", {"Host: h", "Transfer-Encoding: "s + v}));
    ASSERT_GT(p.rc(), 0) << v;
    EXPECT_EQ(p.req().body, BodyKind::Chunked);
  }
  for (const char* v : {"gzip", "gzip, chunked", "chunked, chunked", "chunked;q=1", "identity", "",
                        "chunke", "xchunked"}) {
    EXPECT_EQ(status(head("POST / HTTP/1.1", {"Host: h", "Transfer-Encoding: "s + v})), 501) << v;
  }
  // Smuggling defences: with Content-Length (either order), in HTTP/1.0, repeated.
  EXPECT_EQ(status(head("POST / HTTP/1.1",
                        {"Host: h", "Transfer-Encoding: chunked", "Content-Length: 5"})),
            400);
  EXPECT_EQ(status(head("POST / HTTP/1.1",
                        {"Host: h", "Content-Length: 5", "Transfer-Encoding: chunked"})),
            400);
  EXPECT_EQ(
      status(head("POST / HTTP/1.1", {"Host: h", "Content-Length: 5", "Transfer-Encoding: gzip"})),
      400);
  EXPECT_EQ(status(head("POST / HTTP/1.0", {"Transfer-Encoding: chunked"})), 400);
  EXPECT_EQ(status(head("POST / HTTP/1.1",
                        {"Host: h", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"})),
            400);
  EXPECT_EQ(status(head("POST / HTTP/1.1",
                        {"Host: h", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"})),
            400);
}

TEST(RequestParser, Expect) {
  for (const char* v : {"100-continue", "100-Continue", "100-CONTINUE"}) {
    const Parsed p = parse(head("POST / HTTP/1.1", {"Host: h", "Expect: "s + v}));
    ASSERT_GT(p.rc(), 0) << v;
    EXPECT_TRUE(p.req().expect_continue);
  }
  for (const char* v : {"101-continue", "100-continue, foo", "", "foo"}) {
    EXPECT_EQ(status(head("POST / HTTP/1.1", {"Host: h", "Expect: "s + v})), 417) << v;
  }
  // RFC 9110 §10.1.1: an HTTP/1.0 client does not understand 100 Continue; ignored.
  const Parsed p10 = parse(head("POST / HTTP/1.0", {"Expect: 100-continue"}));
  ASSERT_GT(p10.rc(), 0);
  EXPECT_FALSE(p10.req().expect_continue);
}

TEST(RequestParser, KeepAliveRules) {
  struct Case {
    const char* version;
    std::vector<std::string> headers;
    bool keep_alive;
  };
  const Case cases[] = {
      {"HTTP/1.1", {"Host: h"}, true},
      {"HTTP/1.1", {"Host: h", "Connection: close"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: Close"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: keep-alive"}, true},
      {"HTTP/1.1", {"Host: h", "Connection: foo, close"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: ,, CLOSE ,"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: keep-alive, close"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: keep-alive", "Connection: close"}, false},
      {"HTTP/1.1", {"Host: h", "Connection: closed"}, true},
      {"HTTP/1.1", {"Host: h", "Connection: close-ish"}, true},
      {"HTTP/1.2", {"Host: h"}, true},
      {"HTTP/1.0", {}, false},
      {"HTTP/1.0", {"Connection: keep-alive"}, true},
      {"HTTP/1.0", {"Connection: Keep-Alive"}, true},
      {"HTTP/1.0", {"Connection: foo,\tkeep-alive"}, true},
      {"HTTP/1.0", {"Connection: keep-alive, close"}, false},
      {"HTTP/1.0", {"Connection: close"}, false},
      {"HTTP/1.0", {"Keep-Alive: timeout=5"}, false},
  };
  for (const Case& c : cases) {
    const Parsed p = parse(head("GET / "s + c.version, c.headers));
    ASSERT_GT(p.rc(), 0);
    EXPECT_EQ(p.req().keep_alive, c.keep_alive)
        << c.version << " " << (c.headers.empty() ? "" : c.headers.back());
  }
}

TEST(RequestParser, UpgradeNeedsConnectionTokenAndHeader) {
  auto up = [](const std::vector<std::string>& h) {
    const Parsed p = parse(get_with(h));
    EXPECT_GT(p.rc(), 0);
    return p.req().upgrade;
  };
  EXPECT_TRUE(up({"Host: h", "Connection: Upgrade", "Upgrade: websocket"}));
  EXPECT_TRUE(up({"Host: h", "Upgrade: websocket", "Connection: keep-alive, upgrade"}));
  EXPECT_FALSE(up({"Host: h", "Connection: upgrade"}));
  EXPECT_FALSE(up({"Host: h", "Upgrade: websocket"}));
  EXPECT_FALSE(up({"Host: h"}));
}

TEST(RequestParser, StatusAndDetailForEveryError) {
  const std::pair<ParseError, uint16_t> map[] = {
      {ParseError::BadRequest, 400},       {ParseError::UriTooLong, 414},
      {ParseError::HeadersTooLarge, 431},  {ParseError::PayloadTooLarge, 413},
      {ParseError::NotImplemented, 501},   {ParseError::VersionNotSupported, 505},
      {ParseError::ExpectationFailed, 417}};
  for (const auto& [e, code] : map) {
    EXPECT_EQ(status_of(e), code);
    EXPECT_FALSE(detail_of(e).empty());
  }
  EXPECT_EQ(status_of(ParseError::None), 0);
  // And each one reached through the parser.
  ParseLimits small;
  small.max_uri_bytes = 8;
  small.max_headers = 2;
  EXPECT_EQ(error_of("GET /\x01 HTTP/1.1\r\n\r\n"), ParseError::BadRequest);
  EXPECT_EQ(error_of("GET /123456789 HTTP/1.1\r\n\r\n", small), ParseError::UriTooLong);
  EXPECT_EQ(error_of(with_headers(3), small), ParseError::HeadersTooLarge);
  EXPECT_EQ(error_of(get_with({"Host: h", "Content-Length: 99999999"})),
            ParseError::PayloadTooLarge);
  EXPECT_EQ(error_of(get_with({"Host: h", "Transfer-Encoding: gzip"})), ParseError::NotImplemented);
  EXPECT_EQ(error_of(head("GET / HTTP/2.0", {"Host: h"})), ParseError::VersionNotSupported);
  EXPECT_EQ(error_of(get_with({"Host: h", "Expect: x"})), ParseError::ExpectationFailed);
}

TEST(RequestParser, ErrorsAreSticky) {
  const std::string s = "GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string good = get_with({"Host: h"});
  RequestParser p;
  Request r;
  EXPECT_EQ(p.parse(s.data(), s.size(), {}, r), -1);
  EXPECT_EQ(p.parse(good.data(), good.size(), {}, r), -1);
  EXPECT_EQ(p.error(), ParseError::BadRequest);
  p.reset();
  EXPECT_EQ(p.error(), ParseError::None);
  EXPECT_EQ(p.parse(good.data(), good.size(), {}, r), int(good.size()));
}

TEST(RequestParser, ResetForgetsTheRequestLine) {
  const std::string good = "GET / HTTP/1.1\r\nHo";
  const std::string bad = "G@T / HTTP/1.1\r\nHo";
  RequestParser p;
  Request r;
  EXPECT_EQ(p.parse(good.data(), good.size(), {}, r), 0);
  p.reset();
  EXPECT_EQ(p.parse(bad.data(), bad.size(), {}, r), -1);
  EXPECT_EQ(p.error(), ParseError::BadRequest);
  // Without reset, a shorter buffer also means "start over".
  RequestParser q;
  EXPECT_EQ(q.parse(good.data(), good.size(), {}, r), 0);
  EXPECT_EQ(q.parse(bad.data(), 10, {}, r), -1);
}

TEST(RequestParser, CompleteHeadCanBeParsedAgain) {
  const std::string s = get_with({"Host: h", "Content-Length: 3"}) + "abc";
  RequestParser p;
  Request a, b;
  const int n = p.parse(s.data(), 10, {}, a);
  EXPECT_EQ(n, 0);
  const int first = p.parse(s.data(), s.size(), {}, a);
  ASSERT_GT(first, 0);
  EXPECT_EQ(p.parse(s.data(), s.size(), {}, b), first);
  EXPECT_EQ(b.content_length, 3u);
  RequestParser fresh;
  EXPECT_EQ(fresh.parse(s.data(), size_t(first), {}, b), first);
}

// ---- split invariance --------------------------------------------------------------------------

const std::vector<std::string>& samples() {
  static const std::vector<std::string> s = {
      get_with({"Host: example.com", "Accept: */*"}),
      "\r\n\r\n" + get_with({"Host: h"}),
      head("POST /submit?x=%20 HTTP/1.1",
           {"Host: h", "Content-Type: text/plain", "Content-Length: 5"}) +
          "hello",
      head("PUT /x HTTP/1.1", {"Host: h", "Transfer-Encoding: chunked"}) + "0\r\n\r\n",
      head("GET http://example.com HTTP/1.0", {"Connection: keep-alive"}),
      head("OPTIONS * HTTP/1.1", {"Host: h", "Expect: 100-continue"}),
      get_with({"Host: h", "Connection: Upgrade", "Upgrade: websocket"}),
      with_headers(30),
      head_of_size(4096),
      head_of_size(4097),
      "GET /" + std::string(600, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /" + std::string(600, 'a') + "\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /" + std::string(200, 'a') + "\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
      "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\r\n\r\n",
      "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "\r\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n\rX: y\r\n\r\n",
      get_with({"Host: h", "X : y"}),
      get_with({"Host: h", " folded"}),
      get_with({"Host: a", "Host: b"}),
      get_with({"Host: h", "Content-Length: 1", "Content-Length: 1"}),
      get_with({"Host: h", "Transfer-Encoding: gzip"}),
      get_with({"Host: h", "Expect: nope"}),
      get_with({"Host: h", "Content-Length: 99999999"}),
      get_with({"Host: h", "X: a\rb"}),
      "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(5000, 'x'),
      "GET /" + std::string(5000, 'a'),
  };
  return s;
}

TEST(RequestParser, SplitAtEveryPositionGivesTheSameResult) {
  for (const std::string& s : samples()) {
    const Outcome whole = parse_at(s.data(), s.size());
    for (size_t k = 0; k <= s.size(); k++) {
      Outcome split;
      split.base = s.data();
      RequestParser p;
      int rc = p.parse(s.data(), k, {}, *split.req);
      if (rc == 0) rc = p.parse(s.data(), s.size(), {}, *split.req);
      split.rc = rc;
      split.err = p.error();
      expect_same(whole, split, s.substr(0, 40) + " split at " + std::to_string(k));
      if (HasFailure()) return;
    }
  }
}

TEST(RequestParser, ByteAtATimeGivesTheSameResult) {
  for (const std::string& s : samples()) {
    const Outcome whole = parse_at(s.data(), s.size());
    Outcome fed;
    fed.base = s.data();
    RequestParser p;
    size_t n = 0;
    do {
      fed.rc = p.parse(s.data(), ++n, {}, *fed.req);
    } while (fed.rc == 0 && n < s.size());
    fed.err = p.error();
    expect_same(whole, fed, s.substr(0, 40) + " byte at a time");
    // The head is complete with its last byte, not before.
    if (whole.rc > 0) {
      EXPECT_EQ(n, size_t(whole.rc));
    }
  }
}

TEST(RequestParser, PrefixesNeverReadPastTheEnd) {
  // Each prefix sits right before a PROT_NONE page: an over-read crashes.
  for (const std::string& s : samples()) {
    const Outcome whole = parse_at(s.data(), s.size());
    for (size_t k = 0; k <= s.size(); k++) {
      const Parsed p = parse(std::string_view(s).substr(0, k));
      if (p.rc() < 0) {
        EXPECT_EQ(p.err(), whole.err) << k;  // an early error is the final one
      } else if (whole.rc > 0 && k >= size_t(whole.rc)) {
        EXPECT_EQ(p.rc(), whole.rc);
      } else {
        EXPECT_EQ(p.rc(), 0) << k;
      }
    }
  }
}

TEST(RequestParser, Pipelined) {
  const std::string one = head("POST /a HTTP/1.1", {"Host: h", "Content-Length: 3"});
  const std::string two = head("GET /b?c HTTP/1.1", {"Host: h", "Connection: close"});
  const std::string s = one + "xyz" + two + "GET /c";
  const Guarded g(s);
  RequestParser p;
  Request r;
  const int n1 = p.parse(g.data(), g.size(), {}, r);
  ASSERT_EQ(n1, int(one.size()));
  EXPECT_EQ(r.target, "/a");
  EXPECT_EQ(r.content_length, 3u);
  const char* next = g.data() + n1 + r.content_length;
  p.reset();
  const size_t left = g.size() - size_t(next - g.data());
  const int n2 = p.parse(next, left, {}, r);
  ASSERT_EQ(n2, int(two.size()));
  EXPECT_EQ(r.path, "/b");
  EXPECT_EQ(r.query, "c");
  EXPECT_FALSE(r.keep_alive);
  p.reset();
  EXPECT_EQ(p.parse(next + n2, left - size_t(n2), {}, r), 0);
}

// The largest head the profile's server takes: as many headers as the header array holds
// (VIPER_MAX_HEADERS_CAP), filling nearly one I/O buffer (VIPER_IO_BUFFER_BYTES).
TEST(RequestParser, ResumesOnALargeHeadFedInChunks) {
  ParseLimits lim;
  lim.max_header_bytes = VIPER_IO_BUFFER_BYTES;
  lim.max_headers = VIPER_MAX_HEADERS_CAP;
  const size_t extra = VIPER_MAX_HEADERS_CAP - 1;            // X-Header-i, besides Host
  const size_t line = (VIPER_IO_BUFFER_BYTES - 64) / extra;  // bytes of each, CRLF included
  std::string s = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 0; i < extra; i++) {
    const std::string name = "X-Header-" + std::to_string(i) + ": ";
    s += name + std::string(line - name.size() - 2, 'v') + "\r\n";
  }
  s += "\r\n";
  ASSERT_LE(s.size(), size_t(VIPER_IO_BUFFER_BYTES));
  ASSERT_GT(s.size(), size_t(VIPER_IO_BUFFER_BYTES) - 128);
  for (size_t step : {1u, 7u, 100u, 1000u}) {
    RequestParser p;
    Request r;
    int rc = 0;
    size_t n = 0;
    while (rc == 0 && n < s.size())
      rc = p.parse(s.data(), n = std::min(s.size(), n + step), lim, r);
    ASSERT_EQ(rc, int(s.size())) << step;
    EXPECT_EQ(r.num_headers, VIPER_MAX_HEADERS_CAP);
  }
}

// ---- chunked decoder
// -----------------------------------------------------------------------------

struct Decoded {
  int rc = -2;
  std::string body, rest;
  bool too_large = false;
  uint64_t total = 0;
};

// Feeds `in` cut at the given points, each piece decoded in place in its own guarded buffer.
Decoded decode_pieces(const std::string& in, const std::vector<size_t>& cuts, uint64_t max_body) {
  ChunkedDecoder d;
  Decoded out;
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); i++) {
    const size_t to = i < cuts.size() ? cuts[i] : in.size();
    const Guarded g(std::string_view(in).substr(from, to - from));
    size_t len = g.size();
    out.rc = d.decode(g.data(), &len, max_body);
    out.body.append(g.data(), len);
    // The bytes after the body: the rest of this piece, then what was not fed yet.
    if (out.rc >= 0) {
      out.rest.assign(g.data() + len, size_t(out.rc)).append(in, to);
      out.rc = int(out.rest.size());
    }
    from = to;
    if (out.rc != -2) break;
  }
  out.too_large = d.too_large();
  out.total = d.total();
  return out;
}

Decoded decode(const std::string& in, uint64_t max_body = UINT64_MAX) {
  return decode_pieces(in, {}, max_body);
}

void expect_same_decode(const Decoded& a, const Decoded& b, const std::string& what) {
  EXPECT_EQ(a.rc, b.rc) << what;
  EXPECT_EQ(a.body, b.body) << what;
  EXPECT_EQ(a.rest, b.rest) << what;
  EXPECT_EQ(a.too_large, b.too_large) << what;
}

TEST(ChunkedDecoder, DecodesInPlace) {
  const Decoded d = decode("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(d.rc, 0);
  EXPECT_EQ(d.body, "hello world");
  EXPECT_EQ(d.total, 11u);
  EXPECT_FALSE(d.too_large);
}

TEST(ChunkedDecoder, HexSizesExtensionsAndTrailers) {
  const std::string big(0x1A, 'z');
  const Decoded d = decode("1a\r\n" + big + "\r\n1A;name=value;x=\"q;\\\"\"\r\n" + big +
                           "\r\n3 ; ext\r\nabc\r\n1\t;a\r\nd\r\n0;last\r\nX-Trailer: 1\r\nY: "
                           "two\r\n\r\n");
  EXPECT_EQ(d.rc, 0);
  EXPECT_EQ(d.body, big + big + "abcd");
}

TEST(ChunkedDecoder, ReturnsThePipelinedRemainder) {
  const std::string rest = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  const Decoded d = decode("3\r\nabc\r\n0\r\n\r\n" + rest);
  EXPECT_EQ(d.rc, int(rest.size()));
  EXPECT_EQ(d.body, "abc");
  EXPECT_EQ(d.rest, rest);
  // Called again after the end: everything given is remainder.
  ChunkedDecoder dec;
  std::string in = "0\r\n\r\n";
  size_t len = in.size();
  EXPECT_EQ(dec.decode(in.data(), &len, 10), 0);
  std::string more = "xy";
  len = more.size();
  EXPECT_EQ(dec.decode(more.data(), &len, 10), 2);
  EXPECT_EQ(len, 0u);
}

const std::vector<std::string>& chunked_samples() {
  static const std::vector<std::string> s = {
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      "5;a=b\r\nhello\r\n0;c\r\nTrailer: x\r\nOther: y\r\n\r\nGET / HTTP/1.1\r\n\r\n",
      "10\r\n0123456789abcdef\r\n0\r\n\r\nrest",
      "0\r\n\r\n",
      "5\r\nhelloX\r\n",
      "5\r\nhello\r\nzz\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "fffffffffffffffff\r\n",
      "3\r\nabc\r\n0\r\nX: y\nZ\r\n\r\n",
  };
  return s;
}

TEST(ChunkedDecoder, EverySplitAndByteAtATimeGiveTheSameResult) {
  for (const std::string& s : chunked_samples()) {
    const Decoded whole = decode(s);
    for (size_t k = 0; k <= s.size(); k++) {
      expect_same_decode(whole, decode_pieces(s, {k}, UINT64_MAX),
                         s + " split at " + std::to_string(k));
    }
    std::vector<size_t> every;
    for (size_t k = 1; k < s.size(); k++)
      every.push_back(k);
    expect_same_decode(whole, decode_pieces(s, every, UINT64_MAX), s + " byte at a time");
  }
}

TEST(ChunkedDecoder, MalformedFramingIsAnError) {
  for (const std::string& bad :
       {"g\r\n"s, "\r\n"s, ";x\r\n"s, "5\r\nhelloX\r\n0\r\n\r\n"s, "5\r\nhello\rX"s,
        "5\nhello\r\n"s, "5\r\rhello"s, "-5\r\n"s, "0x5\r\n"s, "5 x\x01\r\n"s,
        "0\r\nX: y\nZ: w\r\n\r\n"s, "0\r\nX: \x01\r\n\r\n"s, "0\r\n\r\r"s, "0\r\n\n"s,
        "5 5\r\nhello\r\n"s, "5 \r\nhello\r\n"s, "5\t\r\n"s}) {
    const Decoded d = decode(bad);
    EXPECT_EQ(d.rc, -1) << bad;
    EXPECT_FALSE(d.too_large) << bad;
  }
}

TEST(ChunkedDecoder, IncompleteBodyAsksForMore) {
  for (const std::string& part : {"5\r\nhel"s, "5"s, "5\r"s, "5\r\nhello"s, "5\r\nhello\r\n"s,
                                  "0\r\n"s, "0\r\nX: y\r\n"s, "0\r\n\r"s, "5;ext"s}) {
    EXPECT_EQ(decode(part).rc, -2) << part;
  }
}

TEST(ChunkedDecoder, ChunkSizeOverflow) {
  // At most 16 hex digits (64 bits), leading zeros included, as in picohttpparser.
  EXPECT_EQ(decode("ffffffffffffffff\r\n").rc, -2);
  EXPECT_EQ(decode("0000000000000003\r\nabc\r\n0\r\n\r\n").rc, 0);
  const Decoded d = decode("10000000000000000\r\n");
  EXPECT_EQ(d.rc, -1);
  EXPECT_FALSE(d.too_large);
  EXPECT_EQ(decode("00000000000000003\r\nabc\r\n0\r\n\r\n").rc, -1);
}

TEST(ChunkedDecoder, MaxBodyExactlyAndOnePast) {
  for (uint64_t limit : {uint64_t(0), uint64_t(1), uint64_t(10), uint64_t(65536)}) {
    std::string body(size_t(limit), 'b');
    std::string at;
    if (limit >= 2) {
      const size_t half = size_t(limit / 2);
      char hex[32];
      snprintf(hex, sizeof hex, "%zx\r\n", half);
      at += hex + body.substr(0, half) + "\r\n";
      snprintf(hex, sizeof hex, "%zx\r\n", size_t(limit) - half);
      at += hex + body.substr(half) + "\r\n";
    } else if (limit == 1) {
      at += "1\r\nb\r\n";
    }
    const Decoded ok = decode(at + "0\r\n\r\n", limit);
    EXPECT_EQ(ok.rc, 0) << limit;
    EXPECT_EQ(ok.body, body);
    const Decoded past = decode(at + "1\r\nx\r\n0\r\n\r\n", limit);
    EXPECT_EQ(past.rc, -1) << limit;
    EXPECT_TRUE(past.too_large) << limit;
  }
  // Refused as soon as the chunk size says so, before the data arrives.
  const Decoded early = decode("100\r\n", 255);
  EXPECT_EQ(early.rc, -1);
  EXPECT_TRUE(early.too_large);
}

TEST(ChunkedDecoder, ExtensionLimit) {
  // The extension is the bytes after the size, up to the CR: at most 256.
  const std::string at = "1;" + std::string(255, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(decode(at).rc, 0);
  const std::string past = "1;" + std::string(256, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(decode(past).rc, -1);
  // Per chunk line, not per body.
  EXPECT_EQ(decode("1;" + std::string(255, 'e') + "\r\nx\r\n" + at).rc, 0);
}

TEST(ChunkedDecoder, TrailerLimit) {
  // Trailer field lines, CRLF included, at most 4096 bytes in total.
  auto trailer = [](size_t n) {
    const std::string line = "X: " + std::string(n - 5, 't') + "\r\n";
    return "0\r\n" + line + "\r\n";
  };
  EXPECT_EQ(decode(trailer(4096)).rc, 0);
  EXPECT_EQ(decode(trailer(4097)).rc, -1);
  std::string many = "0\r\n";
  for (int i = 0; i < 512; i++)
    many += "A: 12\r\n";  // 7 * 512 = 3584
  EXPECT_EQ(decode(many + std::string("B: ") + std::string(507, 'x') + "\r\n\r\n").rc, 0);
  EXPECT_EQ(decode(many + std::string("B: ") + std::string(508, 'x') + "\r\n\r\n").rc, -1);
}

TEST(ChunkedDecoder, ErrorsAreSticky) {
  ChunkedDecoder d;
  std::string bad = "x\r\n";
  size_t len = bad.size();
  EXPECT_EQ(d.decode(bad.data(), &len, 100), -1);
  std::string good = "0\r\n\r\n";
  len = good.size();
  EXPECT_EQ(d.decode(good.data(), &len, 100), -1);
  d.reset();
  len = good.size();
  EXPECT_EQ(d.decode(good.data(), &len, 100), 0);
}

// ---- percent_decode ----------------------------------------------------------------------------

TEST(PercentDecode, Cases) {
  struct Case {
    std::string in;
    int rc;
    std::string out;
  };
  const Case cases[] = {{"", 0, ""},         {"abc", 3, "abc"},
                        {"a%20b", 3, "a b"}, {"%41%42", 2, "AB"},
                        {"%4a%4A", 2, "JJ"}, {"%2B+", 2, "++"},
                        {"a+b", 3, "a+b"},   {"%25", 1, "%"},
                        {"%2525", 3, "%25"}, {"%e2%82%AC", 3, "\xe2\x82\xac"},
                        {"%ff", 1, "\xff"},  {"/a%2Fb", 4, "/a/b"},
                        {"%", -1, ""},       {"%4", -1, ""},
                        {"ab%", -1, ""},     {"ab%4", -1, ""},
                        {"%zz", -1, ""},     {"%g1", -1, ""},
                        {"%1g", -1, ""},     {"% 1", -1, ""},
                        {"%00", -1, ""},     {"a%00b", -1, ""}};
  for (const Case& c : cases) {
    const Guarded in(c.in);
    std::string out(c.in.size() + 1, '?');
    const int rc = percent_decode(std::string_view(in.data(), in.size()), out.data(), c.in.size());
    EXPECT_EQ(rc, c.rc) << c.in;
    if (rc >= 0) {
      EXPECT_EQ(out.substr(0, size_t(rc)), c.out) << c.in;
    }
  }
}

TEST(PercentDecode, InPlaceAndCapacity) {
  const Guarded g("x%41y%42z");
  EXPECT_EQ(percent_decode(std::string_view(g.data(), g.size()), g.data(), g.size()), 5);
  EXPECT_EQ(std::string_view(g.data(), 5), "xAyBz");
  char out[4];
  EXPECT_EQ(percent_decode("abcde", out, sizeof out), -1);  // cap < in.size()
  EXPECT_EQ(percent_decode(std::string_view(), out, 0), 0);
}

}  // namespace
}  // namespace viper::http
