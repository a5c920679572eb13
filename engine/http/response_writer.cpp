#include "http/response_writer.h"

#include <cstring>

#include "viper/config.h"

namespace viper::http {

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a Teapot";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm): no libc time zone code,
// which may allocate or take locks.
static void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = int(int64_t(yoe) + era * 400 + (m <= 2));
}

static void put2(char* p, unsigned v) {
  p[0] = char('0' + v / 10);
  p[1] = char('0' + v % 10);
}

void format_http_date(int64_t t, char out[29]) {
  static const char kDays[] = "ThuFriSatSunMonTueWed";  // 1970-01-01 was a Thursday
  static const char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  unsigned wd = unsigned(((days % 7) + 7) % 7);
  std::memcpy(out, kDays + wd * 3, 3);
  std::memcpy(out + 3, ", ", 2);
  put2(out + 5, d);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths + (m - 1) * 3, 3);
  out[11] = ' ';
  put2(out + 12, unsigned(y / 100) % 100);
  put2(out + 14, unsigned(y % 100));
  out[16] = ' ';
  put2(out + 17, unsigned(secs / 3600));
  out[19] = ':';
  put2(out + 20, unsigned(secs / 60 % 60));
  out[22] = ':';
  put2(out + 23, unsigned(secs % 60));
  std::memcpy(out + 25, " GMT", 4);
}

void DateCache::update(int64_t unix_seconds) {
  if (unix_seconds == second_) return;
  second_ = unix_seconds;
  std::memcpy(line_, "Date: ", 6);
  format_http_date(unix_seconds, line_ + 6);
  std::memcpy(line_ + 35, "\r\n", 2);
}

void Appender::put(std::string_view s) {
  if (s.empty()) return;  // an empty view may have a null data(): memcpy forbids that
  if (overflow_ || s.size() > cap_ - len_) {
    overflow_ = true;
    return;
  }
  std::memcpy(buf_ + len_, s.data(), s.size());
  len_ += s.size();
}

void Appender::put_uint(uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - ++n] = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(std::string_view(tmp + sizeof tmp - n, n));
}

void Appender::put_int(int64_t v) {
  if (v < 0) put("-");
  put_uint(v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v));
}

void Appender::put_hex(uint64_t v) {
  static const char kHex[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[sizeof tmp - ++n] = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  put(std::string_view(tmp + sizeof tmp - n, n));
}

size_t write_head(char* out, size_t cap, const ResponseHead& h, const DateCache& date) {
  Appender a(out, cap);
  a.put("HTTP/1.1 ");
  a.put_uint(h.status);
  a.put(" ");
  a.put(reason_phrase(h.status));
  a.put("\r\n");
  a.put(date.line());
  a.put("Server: " VIPER_SERVER_NAME "\r\n");
  if (!h.content_type.empty()) {
    a.put("Content-Type: ");
    a.put(h.content_type);
    a.put("\r\n");
  }
  if (h.framing == Framing::Length) {
    a.put("Content-Length: ");
    a.put_uint(h.content_length);
    a.put("\r\n");
  } else if (h.framing == Framing::Chunked) {
    a.put("Transfer-Encoding: chunked\r\n");
  }
  for (uint16_t i = 0; i < h.num_extra; i++) {
    a.put(h.extra[i].name);
    a.put(": ");
    a.put(h.extra[i].value);
    a.put("\r\n");
  }
  a.put(h.raw_headers);
  if (h.close) {
    a.put("Connection: close\r\n");
  } else if (h.keep_alive_10) {
    a.put("Connection: keep-alive\r\n");
  }
  a.put("\r\n");
  return a.ok() ? a.size() : 0;
}

size_t write_chunk_prefix(char* out, size_t cap, size_t n) {
  Appender a(out, cap);
  a.put_hex(n);
  a.put("\r\n");
  return a.ok() ? a.size() : 0;
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + 32);
    if (y >= 'A' && y <= 'Z') y = char(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view find_header_line(std::string_view lines, std::string_view name) {
  std::string_view found;
  for_each_header_line(lines, [&](std::string_view n, std::string_view v) {
    if (!ascii_iequal(n, name)) return true;
    found = v.data() != nullptr ? v : std::string_view("", 0);
    return false;
  });
  return found;
}

bool header_value_ok(std::string_view v) {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace viper::http
