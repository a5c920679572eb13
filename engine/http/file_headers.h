// Conditional and range request headers for the static file server (RFC 9110 §8.8, §12.5.3,
// §13, §14): Range, If-None-Match, If-Range, HTTP-dates and Accept-Encoding.  Pure functions
// over views of the header values: no allocation, no locale, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::http {

// One resolved byte range, inclusive bounds, already clamped to the representation size.
struct ByteRange {
  uint64_t first;
  uint64_t last;
};

enum class RangeResult : uint8_t {
  Ignore,  // no usable Range header (absent, not "bytes", syntax error, more than `cap` ranges,
           // or satisfiable ranges whose total length exceeds the size: nginx's DoS guard
           // against overlapping ranges) -> serve 200 with the whole representation
  Ok,      // *n ranges (>= 1) in `out`, in the order given -> 206
  Unsatisfiable,  // syntactically valid but no range overlaps [0, size) -> 416 with
                  // "Content-Range: bytes */size"
};

// Parses a Range header value ("bytes=0-499", "bytes=-500", "bytes=9500-", "bytes=0-0,-1")
// against a representation of `size` bytes.  The unit is case-insensitive; whitespace around
// list elements and empty elements are allowed (RFC 9110 §5.6.1).  At most `cap` range-specs,
// satisfiable or not; more -> Ignore.  Unsatisfiable ranges inside a list with satisfiable ones
// are dropped; first-pos > last-pos or a number overflowing uint64 -> Ignore.  A suffix longer
// than the size selects the whole representation; a last-pos past the end is clamped.  *n is 0
// unless the result is Ok.  Ranges are neither sorted nor coalesced.
RangeResult parse_range(std::string_view value, uint64_t size, ByteRange* out, size_t cap,
                        size_t* n);

// If-None-Match: true when the value is "*" or its list holds a tag matching `etag` by WEAK
// comparison (W/"x" matches "x").  `etag` is the full tag as the server sends it ("\"abc\"" or
// "W/\"abc\"").  A malformed list element never matches; scanning resumes after the next comma.
bool etag_list_matches(std::string_view if_none_match, std::string_view etag);

// If-Range: true when the validator still matches, so the Range may be honoured: an entity tag
// compared STRONGLY (a weak tag on either side never matches), or an HTTP-date exactly equal to
// `last_modified`.  Anything unparseable -> false.  (RFC 9110 §13.1.5 also wants the caller to
// honour a date only when Last-Modified is strong, i.e. at least a second older than Date.)
bool if_range_matches(std::string_view if_range, std::string_view etag, int64_t last_modified);

// Parses an HTTP-date in any of RFC 9110's three formats into Unix seconds:
//   IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
//   asctime "Sun Nov  6 08:49:37 1994".
// Case-sensitive as the grammar; surrounding whitespace allowed; false on anything else (bad
// day for the month, hour > 23, minute or second > 59, unknown names, trailing bytes).  The
// day name must be one of the seven but is not checked against the date (as Go and nginx).
// RFC 850's two-digit year is placed in the century that keeps it at most 50 years after `now`
// (RFC 9110 §5.6.7); `now` earlier than kHttpDateMinNow counts as kHttpDateMinNow, so a device
// whose clock is not yet set still reads "94" as 1994 and "24" as 2024.
bool parse_http_date(std::string_view s, int64_t* unix_seconds, int64_t now);
// The same with now = kHttpDateMinNow: deterministic, no clock.
bool parse_http_date(std::string_view s, int64_t* unix_seconds);
inline constexpr int64_t kHttpDateMinNow = 1735689600;  // 2025-01-01T00:00:00Z
// (format_http_date, the inverse for IMF-fixdate, is in http/response_writer.h.)

// Accept-Encoding: true when gzip (or its alias x-gzip) is acceptable: listed with q > 0, or not
// listed and "*" listed with q > 0.  Codings are case-insensitive; q-values as RFC 9110 §12.4.2
// ("0", "0.5", "1", "1.000"; at most 3 decimals).  An element with an invalid weight or
// parameter counts as q=0 for its coding, and one refusal wins over another listing of the same
// coding ("gzip, gzip;q=0" -> false): sending gzip to a client that refused it is the worse
// error.  Absent or empty header -> false (identity is always acceptable instead).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace viper::http
