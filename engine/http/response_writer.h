// Serialises response heads and chunk framing into a caller's buffer.  No allocation; every
// function reports overflow instead of writing past `cap`, so a response that does not fit in
// the connection's output buffer is detected, never truncated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_parser.h"

namespace viper::http {

// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view reason_phrase(uint16_t status);

// The Date header line, formatted once per second (RFC 9110 §5.6.7 IMF-fixdate).
class DateCache {
 public:
  // Re-formats only when the second changed.
  void update(int64_t unix_seconds);
  // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
  std::string_view line() const { return std::string_view(line_, kLen); }

 private:
  static constexpr size_t kLen = 37;
  int64_t second_ = -1;
  char line_[kLen + 1] = {};
};

// Formats an IMF-fixdate (29 bytes) for `unix_seconds` into `out`.
void format_http_date(int64_t unix_seconds, char out[29]);

enum class Framing : uint8_t {
  Length,   // Content-Length: content_length
  Chunked,  // Transfer-Encoding: chunked
  Close,    // no length: the body ends when the connection closes (HTTP/1.0 streaming)
  NoBody,   // 1xx/204/304: neither header, no body
};

struct ResponseHead {
  uint16_t status = 200;
  std::string_view content_type;  // omitted when empty
  Framing framing = Framing::Length;
  uint64_t content_length = 0;
  bool close = false;             // add "Connection: close"
  bool keep_alive_10 = false;     // add "Connection: keep-alive" (HTTP/1.0 client that asked)
  const Header* extra = nullptr;  // further headers, written as given (validated by the caller)
  uint16_t num_extra = 0;
  std::string_view raw_headers;  // complete "Name: value\r\n" lines appended as they are
};

// `s` without leading and trailing spaces and tabs.
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Appends bytes to a fixed buffer; remembers overflow instead of writing past the end.
class Appender {
 public:
  Appender(char* buf, size_t cap) : buf_(buf), cap_(cap) {}
  void put(std::string_view s);
  void put_uint(uint64_t v);
  void put_int(int64_t v);
  void put_hex(uint64_t v);
  bool ok() const { return !overflow_; }
  size_t size() const { return len_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool overflow_ = false;
};

// Writes the status line and headers, ending with the blank line.  Returns the bytes written,
// or 0 if they do not fit in `cap`.
size_t write_head(char* out, size_t cap, const ResponseHead& head, const DateCache& date);

// Writes "<hex size>\r\n" for a chunk of `n` bytes; returns bytes written (0 if no room).
size_t write_chunk_prefix(char* out, size_t cap, size_t n);

// The last chunk of a chunked body, with no trailers.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// True if a header value may be sent as is: no CR, LF or NUL (response splitting defence).
bool header_value_ok(std::string_view v);

// ASCII case-insensitive equality (header names, media types).
bool ascii_iequal(std::string_view a, std::string_view b);
// Calls fn(name, value) for each "Name: value\r\n" line of `lines` (as the Python side sends
// a response's headers), both trimmed of blanks; stops early when fn returns false.
template <typename Fn>
void for_each_header_line(std::string_view lines, Fn fn) {
  while (!lines.empty()) {
    size_t eol = lines.find('\n');
    std::string_view line = lines.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        !fn(trim_blanks(line.substr(0, colon)), trim_blanks(line.substr(colon + 1))))
      return;
    if (eol == std::string_view::npos) return;
    lines.remove_prefix(eol + 1);
  }
}
// The value of the first such line called `name`; data() == nullptr when there is none.
std::string_view find_header_line(std::string_view lines, std::string_view name);

}  // namespace viper::http
