// libFuzzer target for the request parser, the chunked decoder and percent_decode
// (engine/http/request_parser.h).
//
// Each input is parsed as a request head with two sets of limits (the defaults, and small ones
// so that every limit is reached), and checked:
//   - whole vs split: fed as a prefix then whole (split point derived from the input), and a
//     byte at a time for short inputs, the parser gives the same result, the same views;
//   - a prefix alone, in its own exact-size buffer (so ASan sees any over-read), returns 0, or
//     the whole input's error, or the whole input's head when it holds all of it;
//   - a success has head_bytes == return value <= len and every view inside the head; an
//     error has a status; 0 leaves no error;
//   - a complete head parses again to the same result.
// The input is also decoded as a chunked body (whole and split, each piece in an exact-size
// buffer), and the body after a parsed chunked head too; both must agree.
//
// Seeds: tests/engine/corpus/valid; dictionary: tests/fuzz/http.dict; see tests/fuzz/run.sh.
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace {

using namespace viper::http;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Outcome {
  int rc = 0;
  ParseError err = ParseError::None;
  std::unique_ptr<Request> req = std::make_unique<Request>();
};

// A view as an offset from the buffer start, so that two buffers' results compare.
bool same_view(std::string_view a, const char* abase, std::string_view b, const char* bbase) {
  if (!a.data() || !b.data()) return a.data() == b.data() && a.size() == b.size();
  return a.data() - abase == b.data() - bbase && a.size() == b.size();
}

bool same(const Outcome& a, const char* abase, const Outcome& b, const char* bbase) {
  if (a.rc != b.rc || a.err != b.err) return false;
  if (a.rc <= 0) return true;
  const Request& x = *a.req;
  const Request& y = *b.req;
  bool ok = same_view(x.method_token, abase, y.method_token, bbase) && x.method == y.method &&
            same_view(x.target, abase, y.target, bbase) &&
            same_view(x.path, abase, y.path, bbase) && same_view(x.query, abase, y.query, bbase) &&
            x.http_minor == y.http_minor && x.num_headers == y.num_headers &&
            x.head_bytes == y.head_bytes && x.body == y.body &&
            x.content_length == y.content_length && x.keep_alive == y.keep_alive &&
            x.expect_continue == y.expect_continue && x.upgrade == y.upgrade &&
            same_view(x.host, abase, y.host, bbase);
  for (int i = 0; ok && i < x.num_headers; i++) {
    ok = same_view(x.headers[i].name, abase, y.headers[i].name, bbase) &&
         same_view(x.headers[i].value, abase, y.headers[i].value, bbase);
  }
  return ok;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(uint8_t(a[i])) != std::tolower(uint8_t(b[i]))) return false;
  }
  return true;
}

// The header rules, checked the slow and obvious way on an accepted head.
void check_semantics(const Request& r) {
  int host = 0, length = 0, te = 0;
  for (int i = 0; i < r.num_headers; i++) {
    const Header& h = r.headers[i];
    if (iequals(h.name, "host")) host++;
    if (iequals(h.name, "content-length")) {
      length++;
      CHECK(!h.value.empty() && h.value.size() <= 19);
      for (const char ch : h.value)
        CHECK(ch >= '0' && ch <= '9');
    }
    if (iequals(h.name, "transfer-encoding")) {
      te++;
      CHECK(iequals(h.value, "chunked"));
    }
    if (iequals(h.name, "expect")) CHECK(iequals(h.value, "100-continue"));
  }
  CHECK(host <= 1 && (r.http_minor == 0 || host == 1));
  CHECK(length <= 1 && te <= 1 && !(length && te) && !(te && r.http_minor == 0));
  CHECK(r.body == (te ? BodyKind::Chunked : length ? BodyKind::Length : BodyKind::None));
  const std::string_view t = r.target;
  if (r.method == Method::Connect) {
    CHECK(t.find(':') != std::string_view::npos && t[0] != '/');
  } else if (t == "*") {
    CHECK(r.method == Method::Options);
  } else if (t[0] != '/') {
    CHECK(t.find("://") != std::string_view::npos && r.path[0] == '/');
  }
}

// A successful head is exactly: up to two CRLFs, the request line, one line per header, and
// the empty line; each view sits where it belongs and holds only the bytes the rules allow.
void check_structure(const Request& r, const char* buf) {
  const char* end = buf + r.head_bytes;
  const char* p = r.method_token.data();
  const size_t skipped = size_t(p - buf);
  CHECK(skipped <= 4 && skipped % 2 == 0);
  for (size_t i = 0; i < skipped; i += 2)
    CHECK(buf[i] == '\r' && buf[i + 1] == '\n');
  auto line_end = [&](const char* from) {  // the CR of the line's CRLF; no other CR or LF
    const char* q = from;
    while (*q != '\r' && *q != '\n')
      q++;
    CHECK(q + 1 < end && q[0] == '\r' && q[1] == '\n');
    return q;
  };
  const char* eol = line_end(p);
  const std::string_view line(p, size_t(eol - p));
  CHECK(line.substr(0, r.method_token.size() + 1) == std::string(r.method_token) + " ");
  CHECK(r.target.data() == p + r.method_token.size() + 1);
  const std::string_view version = line.substr(r.method_token.size() + 1 + r.target.size());
  CHECK(version.size() == 9 && version.substr(0, 6) == " HTTP/" && version[6] == '1');
  for (const char ch : r.target)
    CHECK(ch > 0x20 && ch < 0x7f && ch != '#');
  for (int i = 0; i < r.num_headers; i++) {
    p = eol + 2;
    eol = line_end(p);
    const Header& h = r.headers[i];
    CHECK(h.name.data() == p && p[h.name.size()] == ':');
    CHECK(h.value.data() >= p + h.name.size() + 1 && h.value.data() + h.value.size() <= eol);
    for (const char* q = p + h.name.size() + 1; q < eol; q++) {
      const bool in_value = q >= h.value.data() && q < h.value.data() + h.value.size();
      CHECK(in_value ? (*q == '\t' || uint8_t(*q) >= 0x20) && *q != 0x7f : *q == ' ' || *q == '\t');
    }
    if (!h.value.empty()) CHECK(h.value.front() != ' ' && h.value.back() != ' ');
  }
  CHECK(eol + 4 == end && eol[2] == '\r' && eol[3] == '\n');
  check_semantics(r);
}

void check_invariants(const Outcome& o, const char* buf, size_t len, const ParseLimits& limits) {
  if (o.rc < 0) {
    CHECK(o.err != ParseError::None);
    CHECK(status_of(o.err) >= 400 && status_of(o.err) <= 505);
    CHECK(!detail_of(o.err).empty());
    return;
  }
  CHECK(o.err == ParseError::None);
  if (o.rc == 0) return;
  const Request& r = *o.req;
  CHECK(size_t(o.rc) <= len);
  CHECK(r.head_bytes == uint32_t(o.rc));
  CHECK(r.head_bytes <= limits.max_header_bytes);
  CHECK(r.target.size() <= limits.max_uri_bytes);
  CHECK(r.num_headers <= limits.max_headers && r.num_headers <= VIPER_MAX_HEADERS_CAP);
  CHECK(!r.method_token.empty() && !r.target.empty());
  CHECK(r.http_minor <= 1);
  CHECK(r.body != BodyKind::Length || r.content_length <= limits.max_body_bytes);
  auto inside = [&](std::string_view v) {
    if (!v.data()) return v.empty();
    return v.data() >= buf && v.data() + v.size() <= buf + r.head_bytes;
  };
  CHECK(inside(r.method_token) && inside(r.target) && inside(r.path) && inside(r.query));
  CHECK(inside(r.host));
  for (int i = 0; i < r.num_headers; i++) {
    CHECK(inside(r.headers[i].name) && !r.headers[i].name.empty());
    CHECK(inside(r.headers[i].value) && r.headers[i].value.data());
    CHECK(r.header(r.headers[i].name).data());
  }
  check_structure(r, buf);
  // percent_decode never writes more than it reads.
  std::unique_ptr<char[]> out(new char[r.target.size()]);
  const int n = percent_decode(r.target, out.get(), r.target.size());
  CHECK(n >= -1 && n <= int(r.target.size()));
}

Outcome parse_whole(const char* buf, size_t len, const ParseLimits& limits) {
  Outcome o;
  RequestParser p;
  o.rc = p.parse(buf, len, limits, *o.req);
  o.err = p.error();
  // The server re-parses a complete head: same result with the same parser.
  if (o.rc > 0) {
    Outcome again;
    CHECK(p.parse(buf, len, limits, *again.req) == o.rc);
    again.rc = o.rc;
    CHECK(same(o, buf, again, buf));
  }
  return o;
}

void fuzz_parser(const char* buf, size_t len, size_t split, const ParseLimits& limits) {
  const Outcome whole = parse_whole(buf, len, limits);
  check_invariants(whole, buf, len, limits);

  Outcome two;
  {
    RequestParser p;
    two.rc = p.parse(buf, split, limits, *two.req);
    if (two.rc == 0) two.rc = p.parse(buf, len, limits, *two.req);
    two.err = p.error();
  }
  CHECK(same(whole, buf, two, buf));

  if (len <= 600) {
    Outcome fed;
    RequestParser p;
    for (size_t n = 0; n <= len && fed.rc == 0; n++)
      fed.rc = p.parse(buf, n, limits, *fed.req);
    fed.err = p.error();
    CHECK(same(whole, buf, fed, buf));
  }

  // The prefix alone, in a buffer of exactly its size.
  std::unique_ptr<char[]> prefix(new char[split ? split : 1]);
  if (split) std::memcpy(prefix.get(), buf, split);
  const Outcome part = parse_whole(prefix.get(), split, limits);
  check_invariants(part, prefix.get(), split, limits);
  if (part.rc < 0) {
    CHECK(whole.rc < 0 && part.err == whole.err);
  } else if (part.rc > 0) {
    CHECK(same(whole, buf, part, prefix.get()));
  } else {
    CHECK(whole.rc <= 0 || size_t(whole.rc) > split);
  }
}

struct Decoded {
  int rc = -2;
  std::string body, rest;
  bool too_large = false;
  uint64_t total = 0;
};

// Decodes `in` as a chunked body in pieces cut at `split`, each piece in an exact-size buffer.
Decoded decode(std::string_view in, size_t split, uint64_t max_body) {
  ChunkedDecoder d;
  Decoded out;
  const std::string_view pieces[2] = {in.substr(0, split), in.substr(split)};
  for (int i = 0; i < 2 && out.rc == -2; i++) {
    const size_t n = pieces[i].size();
    std::unique_ptr<char[]> buf(new char[n ? n : 1]);
    if (n) std::memcpy(buf.get(), pieces[i].data(), n);
    size_t len = n;
    out.rc = d.decode(buf.get(), &len, max_body);
    CHECK(out.rc >= -2);
    CHECK(len <= n);
    out.body.append(buf.get(), len);
    if (out.rc >= 0) {
      CHECK(len + size_t(out.rc) <= n);
      out.rest.assign(buf.get() + len, size_t(out.rc));
      if (i == 0) out.rest.append(pieces[1]);
    }
  }
  out.too_large = d.too_large();
  out.total = d.total();
  CHECK(!out.too_large || out.rc == -1);
  CHECK(out.total <= max_body && out.total == out.body.size());
  return out;
}

void fuzz_chunked(std::string_view in, size_t split, uint64_t max_body) {
  const Decoded whole = decode(in, in.size(), max_body);
  const Decoded cut = decode(in, split, max_body);
  // -2 incomplete, -1 error, 0 complete (the remainder itself is compared).
  auto kind = [](int rc) { return rc >= 0 ? 0 : rc; };
  CHECK(kind(whole.rc) == kind(cut.rc));
  CHECK(whole.body == cut.body && whole.rest == cut.rest && whole.too_large == cut.too_large);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* buf = reinterpret_cast<const char*>(data);
  uint32_t h = 2166136261u;  // FNV-1a: a split point that moves with the content
  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 16777619u;
  const size_t split = size ? h % (size + 1) : 0;

  ParseLimits small;
  small.max_header_bytes = 256;
  small.max_headers = 4;
  small.max_uri_bytes = 32;
  small.max_body_bytes = 100;
  fuzz_parser(buf, size, split, ParseLimits{});
  fuzz_parser(buf, size, split, small);

  const std::string_view in(buf, size);
  fuzz_chunked(in, split, 1000);
  Request req;
  RequestParser p;
  const int rc = p.parse(buf, size, ParseLimits{}, req);
  if (rc > 0 && req.body == BodyKind::Chunked) {
    const std::string_view body = in.substr(size_t(rc));
    fuzz_chunked(body, split % (body.size() + 1), UINT64_MAX);
  }
  return 0;
}

#include "replay_main.h"
