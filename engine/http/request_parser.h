// Incremental, zero-copy HTTP/1.x request-head parser (RFC 9112), in the style of picohttpparser.
//
// The parser never allocates and never copies: every view in `Request` points into the caller's
// buffer, which must stay unchanged while the views are used.  It is incremental: call `parse`
// again with the same buffer start and a larger length after more bytes arrive; it resumes the
// search for the end of the head where it stopped, so a head fed one byte at a time costs
// O(n) scanning plus one full parse when the blank line arrives.  The result does not depend on
// how the bytes were split across reads.  The parser is deterministic and does not modify the
// buffer, so a complete head may be parsed again (the server re-parses a head when the body that
// follows it has arrived, instead of keeping the 2 KB `Request` per connection).
//
// Return contract of `parse`:
//   > 0  the head is complete; the value is its length including the final CRLF CRLF, and `out`
//        is filled;
//   0    incomplete: no error in the bytes seen so far, more are needed;
//   < 0  error: `error()` says which; the connection answers `status_of(error())` and closes.
//
// Limits are enforced as early as possible, i.e. on an incomplete head too: a request line with
// no CRLF that is already longer than the URI limit allows is 414 before the rest arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/method.h"
#include "viper/config.h"

namespace viper::http {

// Why a request was refused.  Each maps to exactly one status code (see `status_of`).
enum class ParseError : uint8_t {
  None,
  BadRequest,           // 400: malformed syntax, smuggling defence, bad Content-Length, ...
  UriTooLong,           // 414: request-target longer than max_uri_bytes
  HeadersTooLarge,      // 431: head longer than max_header_bytes, or more than max_headers
  PayloadTooLarge,      // 413: declared Content-Length above max_body_bytes
  NotImplemented,       // 501: a Transfer-Encoding other than "chunked"
  VersionNotSupported,  // 505: HTTP major version other than 1
  ExpectationFailed,    // 417: an Expect value other than "100-continue"
};

// Everything said about each error, in one place: its status, the `detail` of the engine's
// JSON error body, and its name among the `parse_errors` counters.  Indexed by ParseError.
struct ParseErrorInfo {
  uint16_t status;
  std::string_view detail;
  std::string_view counter;
};
inline constexpr ParseErrorInfo kParseErrors[] = {
    {0, "no error", "none"},
    {400, "malformed request", "bad_request"},
    {414, "request-target too long", "uri_too_long"},
    {431, "request header fields too large", "headers_too_large"},
    {413, "request body too large", "payload_too_large"},
    {501, "transfer-encoding not implemented", "not_implemented"},
    {505, "HTTP version not supported", "version_not_supported"},
    {417, "expectation not supported", "expectation_failed"},
};
inline constexpr size_t kNumParseErrors = sizeof(kParseErrors) / sizeof(kParseErrors[0]);
static_assert(kNumParseErrors == size_t(ParseError::ExpectationFailed) + 1,
              "one row per ParseError, in enum order");

inline uint16_t status_of(ParseError e) {
  return kParseErrors[size_t(e) < kNumParseErrors ? size_t(e) : 1].status;
}
inline std::string_view detail_of(ParseError e) {
  return kParseErrors[size_t(e) < kNumParseErrors ? size_t(e) : 1].detail;
}

// ParseLimits and Header: viper/types.h.

enum class BodyKind : uint8_t { None, Length, Chunked };

// The parsed head.  All views borrow from the buffer passed to `parse`.
struct Request {
  std::string_view method_token;  // as received, e.g. "GET"
  Method method = Method::Unknown;
  std::string_view target;  // raw request-target, e.g. "/a%20b?x=1"
  std::string_view path;    // raw (still percent-encoded) path part of the target, starts with
                            // '/'; for absolute-form targets the path after the authority
                            // ("/" if empty); "*" for OPTIONS *
  std::string_view query;   // raw query after '?', without it; empty if none
  uint8_t http_minor = 1;   // 0 or 1 (1.2..1.9 are treated as 1.1, RFC 9110 §2.5)
  uint16_t num_headers = 0;
  Header headers[VIPER_MAX_HEADERS_CAP];

  uint32_t head_bytes = 0;  // length of the head, including the final CRLF CRLF
  BodyKind body = BodyKind::None;
  uint64_t content_length = 0;   // valid when body == Length
  bool keep_alive = true;        // from version and Connection header
  bool expect_continue = false;  // "Expect: 100-continue" present
  bool upgrade = false;          // Connection: upgrade with an Upgrade header (later: WebSocket)
  std::string_view host;         // Host header value (empty when absent on HTTP/1.0)

  // First header with this name (ASCII case-insensitive), or an empty view with data()==nullptr.
  std::string_view header(std::string_view name) const;
};

class RequestParser {
 public:
  // Forget any progress: call before parsing a new request at a new buffer position.
  void reset() {
    scanned_ = 0;
    error_ = ParseError::None;
  }
  int parse(const char* buf, size_t len, const ParseLimits& limits, Request& out);
  ParseError error() const { return error_; }

 private:
  uint32_t scanned_ = 0;  // bytes known to hold no complete head terminator
  ParseError error_ = ParseError::None;
  bool line_ok_ = false;  // request line complete and valid; only trusted while scanned_ > 0
};

// Rules the parser applies (each has a test):
// - Request line: token SP request-target SP "HTTP/" DIGIT "." DIGIT CRLF.  Up to 2 empty lines
//   (CRLF) before the request line are skipped (RFC 9112 §2.2).  Bare LF line ends are 400.
// - request-target: origin-form ("/..."), absolute-form ("http://host/..."; path extracted),
//   "*" only with OPTIONS, authority-form only with CONNECT; anything else 400.  Control
//   characters, space, DEL, '#' and bytes >= 0x80 in the target are 400.  Length above
//   max_uri_bytes is 414.
// - Version: HTTP/1.0 and 1.1 (1.x, x >= 2, as 1.1); other majors 505; malformed 400.
// - Header: token ":" OWS value OWS CRLF.  Whitespace before ':' is 400, obs-fold (a line
//   starting with SP/HTAB) is 400, CTLs other than HTAB in a value are 400, empty name 400.
// - More than max_headers headers or a head above max_header_bytes: 431.
// - Host: required exactly once in HTTP/1.1 (missing or repeated: 400).
// - Content-Length: digits only, no sign, at most 19 digits; repeated (even equal) is 400;
//   above max_body_bytes is 413.
// - Transfer-Encoding: "chunked" (case-insensitive) is the only coding accepted; any other or
//   a list is 501; with Content-Length present 400; in HTTP/1.0 400; repeated 400.
// - Expect: "100-continue" (case-insensitive) sets expect_continue; any other value is 417.
// - Connection: comma-separated tokens, case-insensitive; "close" and "keep-alive" set
//   keep_alive (HTTP/1.0 defaults to close, 1.1 to keep-alive); "upgrade" with an Upgrade
//   header sets upgrade.

// Percent-decodes `in` into `out` (capacity `cap`, which must be >= in.size()).  Returns the
// decoded length, or -1 for a malformed escape ('%' not followed by two hex digits) or a decoded
// NUL byte.  '+' is left as is (it means space only in query strings, which are decoded later).
int percent_decode(std::string_view in, char* out, size_t cap);

// Decoder for a chunked request body (RFC 9112 §7.1), in place, like phr_decode_chunked.
//
// The caller keeps one decoder per body and feeds it the raw bytes that followed the head, in
// order, in as many calls as reads.  Each call decodes `buf[0..*len)` in place: on return the
// first `*len` bytes of `buf` are body bytes.  Returns:
//   -2  the body is not complete yet (all bytes given were consumed);
//   -1  malformed framing (bad hex, chunk size overflow, missing CRLF, extension or trailer
//       section too long) or the decoded total above `max_body` (then `too_large()` is true);
//   >=0 the body is complete; the value is the number of bytes that followed the final CRLF
//       (the start of a pipelined request), moved to `buf + *len`.
// Chunk extensions are skipped (at most 256 bytes per chunk line); trailer fields are skipped
// (at most 4096 bytes in total).
class ChunkedDecoder {
 public:
  void reset() { *this = ChunkedDecoder(); }
  int decode(char* buf, size_t* len, uint64_t max_body);
  bool too_large() const { return too_large_; }
  uint64_t total() const { return total_; }

 private:
  enum class State : uint8_t {
    Size,
    ExtWs,
    Ext,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailer,
    TrailerLf,
    Done,
    Error
  };
  bool step(char ch, uint64_t max_body);  // one framing byte; false: malformed or too large
  State state_ = State::Size;
  bool too_large_ = false;
  uint8_t size_digits_ = 0;
  uint16_t line_bytes_ = 0;  // bytes of the current size line or trailer section
  uint32_t trailer_bytes_ = 0;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  uint64_t total_ = 0;      // decoded bytes so far
};

}  // namespace viper::http
