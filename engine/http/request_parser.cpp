// HTTP/1.x request-head parser and chunked-body decoder; the rules are in request_parser.h.
//
// `parse` works in two steps.  The incremental step only looks for the CRLF CRLF that ends the
// head, resuming where the previous call stopped (each LF found is checked against the bytes
// before it, so only the scan position is kept, plus whether the request line was checked).
// The second step parses the complete head once, with tight loops (SIMD where available) over
// the caller's bytes.  Errors in header lines are therefore found when the head is complete;
// a bare LF, the request line and the size limits are checked on a partial head too.
//
// The result must not depend on how the bytes were split, so every outcome is decided by the
// bytes alone, looking only at the first max_header_bytes of them, in this order:
//   1. the request line, parsed left to right (also on a partial head, so that a long target is
//      414 before the rest arrives: an error found in a prefix is also the first error of the
//      whole line);
//   2. the first LF that is either bare (400) or ends the head (the headers are parsed);
//   3. no end of head within max_header_bytes: 431.
#include "http/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace viper::http {
namespace {

// ---- byte classes ----------------------------------------------------------------------------

enum : uint8_t {
  kTok = 1,  // tchar (RFC 9110 §5.6.2)
  kVal = 2,  // field-value byte: HTAB, SP, VCHAR, obs-text
  kTgt = 4,  // request-target byte: VCHAR except '#'
  kHex = 8,
  kScheme = 16,  // ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 §3.1)
};

constexpr uint8_t class_of(unsigned c) {
  const bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  const bool tsym =
      c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
  const bool hex = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
  uint8_t m = 0;
  if (alnum || tsym) m |= kTok;
  if (c == '\t' || (c >= 0x20 && c != 0x7f)) m |= kVal;
  if (c > 0x20 && c < 0x7f && c != '#') m |= kTgt;
  if (hex) m |= kHex;
  if (alnum || c == '+' || c == '-' || c == '.') m |= kScheme;
  return m;
}

struct ClassTable {
  uint8_t v[256];
  constexpr ClassTable() : v() {
    for (unsigned c = 0; c < 256; c++)
      v[c] = class_of(c);
  }
};
constexpr ClassTable kClass;

inline bool is(char c, uint8_t cls) {
  return kClass.v[uint8_t(c)] & cls;
}
inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
inline unsigned hex_value(char c) {
  return c <= '9' ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
}

// ASCII case-insensitive equality with a lowercase literal made of letters, digits and '-'.
// `| 0x20` folds case; no byte that reaches here (tchar or field-value) folds onto '-' or a digit.
bool ieq(const char* p, size_t n, std::string_view lower) {
  if (n != lower.size()) return false;
  for (size_t i = 0; i < n; i++) {
    if (char(p[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c | 0x20) : c;
}

// ---- scanning loops ------------------------------------------------------------------------
// Each returns the first byte in [p, end) of the class it stops at, or end.  The SIMD paths
// only load whole 16-byte blocks inside [p, end), so nothing past the buffer is read.

const char* find_lf(const char* p, const char* end) {
  return static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
}

// Stops at a byte that is not allowed in a target, and at '?' (the caller splits the query).
const char* skip_target(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i low = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);
  const __m128i hash = _mm_set1_epi8('#'), qm = _mm_set1_epi8('?');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x21" also catches them.
    __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, low), _mm_cmpeq_epi8(v, del));
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, hash), _mm_cmpeq_epi8(v, qm)));
    if (const int m = _mm_movemask_epi8(bad)) return p + __builtin_ctz(unsigned(m));
  }
#endif
  while (p < end && is(*p, kTgt) && *p != '?')
    ++p;
  return p;
}

// Stops at a byte that is not allowed in a field value (a CTL other than HTAB, or DEL).
const char* skip_value(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i ctl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i is_ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl);  // unsigned v <= 0x1f
    __m128i bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), is_ctl);
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, del));
    if (const int m = _mm_movemask_epi8(bad)) return p + __builtin_ctz(unsigned(m));
  }
#endif
  while (p < end && is(*p, kVal))
    ++p;
  return p;
}

// Stops at the first byte that is not a tchar.  Only used inside a complete head: the line's
// CR is followed by at least LF CR LF, so reading up to 3 bytes ahead stays inside the head.
const char* skip_token(const char* p) {
  const uint8_t* t = kClass.v;
  while (t[uint8_t(p[0])] & t[uint8_t(p[1])] & t[uint8_t(p[2])] & t[uint8_t(p[3])] & kTok)
    p += 4;
  while (is(*p, kTok))
    ++p;
  return p;
}

// ---- request line -----------------------------------------------------------------------------

struct Ctx {
  const ParseLimits& limits;
  Request& out;
  ParseError err = ParseError::None;
};

// Parsing steps return the position after what they parsed, or nullptr to stop: with c.err set
// on an error, with c.err == None when [p, end) ended before the step could decide.
const char* fail(Ctx& c, ParseError e) {
  c.err = e;
  return nullptr;
}

// absolute-form: scheme "://" authority [path-abempty] [? query]; the path view points into
// the target ("/" borrowed from "://" when the path is empty).
bool split_absolute(const char* t, const char* end, const char* qmark, Request& out) {
  const char* p = t;
  if (!((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) return false;
  while (p < end && is(*p, kScheme))
    ++p;
  if (end - p < 3 || p[0] != ':' || p[1] != '/' || p[2] != '/') return false;
  const char* slash = p + 2;  // second '/' of "://"
  const char* auth = p + 3;
  const char* path_end = qmark ? qmark : end;
  const char* path = static_cast<const char*>(std::memchr(auth, '/', size_t(path_end - auth)));
  const char* auth_end = path ? path : path_end;
  if (auth_end == auth) return false;
  out.path = path ? std::string_view(path, size_t(path_end - path)) : std::string_view(slash, 1);
  return true;
}

// authority-form (CONNECT): host ":" port, host non-empty, port 1-5 digits.
bool check_authority(const char* t, const char* end, const char* qmark) {
  if (qmark) return false;
  const char* colon = end;
  while (colon > t && colon[-1] != ':')
    --colon;
  if (colon == t || colon - 1 == t) return false;
  if (end - colon < 1 || end - colon > 5) return false;
  for (const char* p = colon; p < end; p++) {
    if (*p < '0' || *p > '9') return false;
  }
  for (const char* p = t; p < colon - 1; p++) {
    if (*p == '/' || *p == '?' || *p == '@') return false;
  }
  return true;
}

bool classify_target(const char* t, const char* end, const char* qmark, Request& out) {
  out.query = qmark ? std::string_view(qmark + 1, size_t(end - qmark - 1)) : std::string_view();
  const char* path_end = qmark ? qmark : end;
  if (out.method == Method::Connect) {
    out.path = std::string_view();
    return check_authority(t, end, qmark);
  }
  if (*t == '/') {
    out.path = std::string_view(t, size_t(path_end - t));
    return true;
  }
  if (*t == '*' && end - t == 1) {
    out.path = std::string_view(t, 1);
    return out.method == Method::Options;
  }
  return split_absolute(t, end, qmark, out);
}

// "HTTP/" DIGIT "." DIGIT CRLF: mismatches are 400 as soon as seen; the major is checked once
// the whole version is there, so "HTTP/2.x" is 400 (malformed), not 505.
const char* parse_version(const char* p, const char* end, Ctx& c) {
  static constexpr char kPattern[] = "HTTP/0.0\r\n";
  uint64_t word;
  if (end - p >= 10) {
    std::memcpy(&word, p, 8);
    uint64_t want;
    std::memcpy(&want, "HTTP/1.1", 8);
    if (word == want && p[8] == '\r' && p[9] == '\n') {
      c.out.http_minor = 1;
      return p + 10;
    }
  }
  const size_t n = std::min<size_t>(size_t(end - p), 10);
  for (size_t i = 0; i < n; i++) {
    const bool ok = (i == 5 || i == 7) ? (p[i] >= '0' && p[i] <= '9') : p[i] == kPattern[i];
    if (!ok) return fail(c, ParseError::BadRequest);
  }
  if (n < 10) return nullptr;
  if (p[5] != '1') return fail(c, ParseError::VersionNotSupported);
  c.out.http_minor = p[7] == '0' ? 0 : 1;
  return p + 10;
}

const char* parse_request_line(const char* p, const char* end, Ctx& c) {
  Request& out = c.out;
  const char* m = p;
  while (p < end && is(*p, kTok))
    ++p;
  if (p == end) return nullptr;
  if (*p != ' ' || p == m) return fail(c, ParseError::BadRequest);
  out.method_token = std::string_view(m, size_t(p - m));
  out.method = method_from(out.method_token);

  // The target is scanned only up to one byte past the limit: the first bad byte decides, and
  // if it lies beyond the limit the target is too long whatever it is.
  const char* t = ++p;
  const size_t room = std::min<size_t>(size_t(end - t), size_t(c.limits.max_uri_bytes) + 1);
  const char* stop = t + room;
  const char* qmark = nullptr;
  for (;;) {
    p = skip_target(p, stop);
    if (p == stop || *p != '?') break;
    if (!qmark) qmark = p;
    ++p;
  }
  if (size_t(p - t) > c.limits.max_uri_bytes) return fail(c, ParseError::UriTooLong);
  if (p == end) return nullptr;
  if (*p != ' ' || p == t) return fail(c, ParseError::BadRequest);
  out.target = std::string_view(t, size_t(p - t));
  if (!classify_target(t, p, qmark, out)) return fail(c, ParseError::BadRequest);
  return parse_version(p + 1, end, c);
}

// ---- header fields ----------------------------------------------------------------------------

// What the headers said about framing and the connection, checked when the head is complete.
struct Seen {
  bool host = false, length = false, chunked = false, upgrade_header = false;
  bool conn_close = false, conn_keep_alive = false, conn_upgrade = false, bad_expect = false;
  uint8_t te = 0;
};

void parse_connection(const char* p, const char* end, Seen& s) {
  while (p < end) {
    while (p < end && (is_ows(*p) || *p == ','))
      ++p;
    const char* t = p;
    while (p < end && *p != ',')
      ++p;
    const char* e = p;
    while (e > t && is_ows(e[-1]))
      --e;
    const size_t n = size_t(e - t);
    if (ieq(t, n, "close"))
      s.conn_close = true;
    else if (ieq(t, n, "keep-alive"))
      s.conn_keep_alive = true;
    else if (ieq(t, n, "upgrade"))
      s.conn_upgrade = true;
  }
}

bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  uint64_t n = 0;
  for (char ch : v) {
    const unsigned d = unsigned(ch - '0');
    if (d > 9) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

// The few headers the engine itself acts on, found by length first.
bool apply_header(const Header& h, Seen& s, Request& out) {
  const char* n = h.name.data();
  switch (h.name.size()) {
    case 4:
      if (!ieq(n, 4, "host")) return true;
      if (s.host) return false;
      s.host = true;
      out.host = h.value;
      return true;
    case 6:
      if (!ieq(n, 6, "expect")) return true;
      if (ieq(h.value.data(), h.value.size(), "100-continue"))
        out.expect_continue = true;
      else
        s.bad_expect = true;
      return true;
    case 7:
      if (ieq(n, 7, "upgrade")) s.upgrade_header = true;
      return true;
    case 10:
      if (ieq(n, 10, "connection"))
        parse_connection(h.value.data(), h.value.data() + h.value.size(), s);
      return true;
    case 14:
      if (!ieq(n, 14, "content-length")) return true;
      if (s.length) return false;
      s.length = true;
      return parse_content_length(h.value, out.content_length);
    case 17:
      if (!ieq(n, 17, "transfer-encoding")) return true;
      if (s.te < 2) s.te++;
      s.chunked = ieq(h.value.data(), h.value.size(), "chunked");
      return true;
    default:
      return true;
  }
}

// One header line at p (not the final empty line).  The head ends with CRLF CRLF and holds no
// bare LF, so the loops below always stop at a CR before `end`.
const char* parse_header(const char* p, const char* end, Ctx& c, Seen& s) {
  if (is_ows(*p)) return fail(c, ParseError::BadRequest);  // obs-fold
  const char* name = p;
  p = skip_token(p);
  if (*p != ':' || p == name) return fail(c, ParseError::BadRequest);
  const size_t max_headers = std::min<size_t>(c.limits.max_headers, VIPER_MAX_HEADERS_CAP);
  if (c.out.num_headers >= max_headers) return fail(c, ParseError::HeadersTooLarge);
  const char* name_end = p++;
  while (is_ows(*p))
    ++p;
  const char* v = p;
  p = skip_value(p, end);
  if (p[0] != '\r' || p[1] != '\n') return fail(c, ParseError::BadRequest);
  const char* ve = p;
  while (ve > v && is_ows(ve[-1]))
    --ve;
  Header& h = c.out.headers[c.out.num_headers++];
  h.name = std::string_view(name, size_t(name_end - name));
  h.value = std::string_view(v, size_t(ve - v));
  if (!apply_header(h, s, c.out)) return fail(c, ParseError::BadRequest);
  return p + 2;
}

// Checks that need the whole head, in a fixed order: framing conflicts (400), unknown coding
// (501), body size (413), expectation (417).
ParseError finish_head(const Seen& s, Request& out, const ParseLimits& limits) {
  const bool http11 = out.http_minor == 1;
  if (http11 && !s.host) return ParseError::BadRequest;
  if (s.te) {
    if (s.te > 1 || s.length || !http11) return ParseError::BadRequest;
    if (!s.chunked) return ParseError::NotImplemented;
    out.body = BodyKind::Chunked;
  } else if (s.length) {
    if (out.content_length > limits.max_body_bytes) return ParseError::PayloadTooLarge;
    out.body = BodyKind::Length;
  }
  if (s.bad_expect) return ParseError::ExpectationFailed;
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  if (!http11) out.expect_continue = false;
  out.keep_alive = !s.conn_close && (http11 || s.conn_keep_alive);
  out.upgrade = s.conn_upgrade && s.upgrade_header;
  return ParseError::None;
}

ParseError parse_head(const char* buf, size_t start, size_t head_end, Ctx& c) {
  Request& out = c.out;
  out.num_headers = 0;
  out.body = BodyKind::None;
  out.content_length = 0;
  out.expect_continue = false;
  out.host = std::string_view();
  const char* end = buf + head_end;
  const char* p = parse_request_line(buf + start, end, c);
  if (!p) return c.err != ParseError::None ? c.err : ParseError::BadRequest;
  // Every line ends with CRLF and the first empty one is the head's last, so the lines stop
  // exactly there (a line merely starting with CR is not the end: it is a malformed field).
  Seen seen;
  while (p != end - 2) {
    p = parse_header(p, end, c, seen);
    if (!p) return c.err;
  }
  out.head_bytes = uint32_t(head_end);
  return finish_head(seen, out, c.limits);
}

// Outcome of the terminator search.
struct Scan {
  const char* lf = nullptr;  // the deciding LF, if any
  bool bare = false;         // it is a bare LF (else it ends the head)
};

// Looks at every LF in [from, end); the line being scanned started at or after `line0`.
Scan find_head_end(const char* line0, const char* from, const char* end) {
  for (const char* p = from; (p = find_lf(p, end)); p++) {
    if (p == line0 || p[-1] != '\r') return Scan{p, true};
    if (p - line0 >= 3 && p[-2] == '\n' && p[-3] == '\r') return Scan{p, false};
  }
  return Scan{};
}

}  // namespace

// ---- public interface -------------------------------------------------------------------------

int RequestParser::parse(const char* buf, size_t len, const ParseLimits& limits, Request& out) {
  if (error_ != ParseError::None) return -1;
  const size_t max_head = std::min<size_t>(limits.max_header_bytes, INT_MAX);
  const size_t lim = std::min(len, max_head);
  if (scanned_ == 0 || scanned_ > lim) {  // after reset(), or not the previous call's buffer
    scanned_ = 0;
    line_ok_ = false;
  }

  // Up to two empty lines before the request line; a lone CR at the end may start one.
  size_t start = 0;
  bool partial_crlf = false;
  for (int i = 0; i < 2 && start < lim && buf[start] == '\r'; i++) {
    if (start + 1 == lim) {
      partial_crlf = true;
      break;
    }
    if (buf[start + 1] != '\n') break;
    start += 2;
  }

  Ctx c{limits, out};
  const Scan s = find_head_end(buf + start, buf + std::max<size_t>(scanned_, start), buf + lim);
  if (s.lf && !s.bare) {
    error_ = parse_head(buf, start, size_t(s.lf + 1 - buf), c);
    return error_ == ParseError::None ? int(out.head_bytes) : -1;
  }
  // The request line is checked until it is complete (then it cannot change), so feeding a
  // head byte by byte costs O(n) plus one full parse.
  if (!partial_crlf && !line_ok_) {
    if (parse_request_line(buf + start, buf + lim, c))
      line_ok_ = true;
    else
      error_ = c.err;
  }
  if (error_ == ParseError::None && s.bare) error_ = ParseError::BadRequest;
  if (error_ == ParseError::None && len >= max_head) error_ = ParseError::HeadersTooLarge;
  if (error_ != ParseError::None) return -1;
  scanned_ = uint32_t(lim);
  return 0;
}

std::string_view Request::header(std::string_view name) const {
  for (uint16_t i = 0; i < num_headers; i++) {
    const std::string_view n = headers[i].name;
    if (n.size() != name.size()) continue;
    size_t k = 0;
    while (k < n.size() && to_lower(n[k]) == to_lower(name[k]))
      k++;
    if (k == n.size()) return headers[i].value;
  }
  return std::string_view();
}

int percent_decode(std::string_view in, char* out, size_t cap) {
  if (cap < in.size() || in.size() > size_t(INT_MAX)) return -1;
  const char* p = in.data();
  const char* end = p + in.size();
  char* o = out;
  while (p != end) {
    const char* pct = static_cast<const char*>(std::memchr(p, '%', size_t(end - p)));
    const char* run_end = pct ? pct : end;
    if (o != p) std::memmove(o, p, size_t(run_end - p));  // memmove: decoding in place is fine
    o += run_end - p;
    if (!pct) break;
    if (end - pct < 3 || !is(pct[1], kHex) || !is(pct[2], kHex)) return -1;
    const char ch = char(hex_value(pct[1]) << 4 | hex_value(pct[2]));
    if (ch == '\0') return -1;
    *o++ = ch;
    p = pct + 3;
  }
  return int(o - out);
}

// ---- chunked body -----------------------------------------------------------------------------

namespace {
constexpr uint16_t kMaxChunkExt = 256;
constexpr uint32_t kMaxTrailer = 4096;
}  // namespace

// One framing byte (anything but chunk data).  Returns false on malformed framing.
bool ChunkedDecoder::step(char ch, uint64_t max_body) {
  switch (state_) {
    case State::Size:
      if (is(ch, kHex)) {
        if (size_digits_ == 16) return false;  // would overflow 64 bits
        size_digits_++;
        remaining_ = remaining_ << 4 | hex_value(ch);
        if (remaining_ > max_body - total_) return !(too_large_ = true);
        return true;
      }
      if (size_digits_ == 0) return false;
      if (ch == '\r')
        state_ = State::SizeLf;
      else if (ch == ';')
        state_ = State::Ext;
      else if (is_ows(ch))
        state_ = State::ExtWs;
      else
        return false;
      line_bytes_ = 1;
      return true;
    case State::ExtWs:  // chunk-ext = *( BWS ";" ... ): whitespace must lead to a ';'
      if (ch == ';')
        state_ = State::Ext;
      else if (!is_ows(ch))
        return false;
      return ++line_bytes_ <= kMaxChunkExt;
    case State::Ext:
      if (ch == '\r')
        state_ = State::SizeLf;
      else if (!is(ch, kVal) || ++line_bytes_ > kMaxChunkExt)
        return false;
      return true;
    case State::SizeLf:
      if (ch != '\n') return false;
      state_ = remaining_ ? State::Data : State::Trailer;
      line_bytes_ = 0;
      return true;
    case State::DataCr:
      state_ = State::DataLf;
      return ch == '\r';
    case State::DataLf:
      state_ = State::Size;
      size_digits_ = 0;
      return ch == '\n';
    case State::Trailer:  // line_bytes_ == 0: at the start of a trailer line
      if (ch == '\r') {
        state_ = State::TrailerLf;
        if (line_bytes_ == 0) return true;  // the final empty line is not counted
      } else if (!is(ch, kVal)) {
        return false;
      } else {
        line_bytes_ = 1;
      }
      return ++trailer_bytes_ <= kMaxTrailer;
    case State::TrailerLf:
      if (ch != '\n') return false;
      if (line_bytes_ == 0) {
        state_ = State::Done;
        return true;
      }
      state_ = State::Trailer;
      line_bytes_ = 0;
      return ++trailer_bytes_ <= kMaxTrailer;
    default:
      return false;
  }
}

int ChunkedDecoder::decode(char* buf, size_t* len, uint64_t max_body) {
  const size_t n = *len;
  size_t src = 0, dst = 0;
  while (src < n && state_ != State::Done) {
    if (state_ == State::Data) {
      const size_t take = size_t(std::min<uint64_t>(remaining_, n - src));
      if (dst != src) std::memmove(buf + dst, buf + src, take);
      src += take;
      dst += take;
      remaining_ -= take;
      total_ += take;
      if (remaining_ == 0) state_ = State::DataCr;
    } else if (!step(buf[src++], max_body)) {
      state_ = State::Error;  // sticky: step() refuses every byte in this state
      break;
    }
  }
  *len = dst;
  if (state_ == State::Error) return -1;
  if (state_ != State::Done) return -2;
  const size_t rest = n - src;
  if (rest && dst != src) std::memmove(buf + dst, buf + src, rest);
  return int(std::min<size_t>(rest, INT_MAX));
}

}  // namespace viper::http
