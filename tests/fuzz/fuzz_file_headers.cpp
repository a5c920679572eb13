// libFuzzer target for the static file server's header helpers (engine/http/file_headers.h)
// and the MIME table (engine/static/mime.h).
//
// Input: byte 0 is the range cap (mod 65), byte 1 picks the representation size (bit 0 set: the
// next 8 bytes as a full uint64, else the byte's high four bits), then the text.  The text up to
// its first '\n' is the header value given to every parser; what follows is the server's ETag.
// Invariants checked (a violation traps):
//   parse_range    Ok: 1 <= n <= cap, first <= last < size, total length <= size, the same
//                  answer with a larger cap; otherwise n == 0; size 0 is never Ok.
//   etag lists     a match (other than "*") contains the server's opaque tag; a strong
//                  If-Range tag match is also a weak If-None-Match match.
//   parse_http_date  in years 0..9999; independent of `now` except for RFC 850; formats back
//                  to a date that parses to the same second, and to the same text (after the
//                  unchecked day name) when the input was an IMF-fixdate; If-Range agrees.
//   accepts_gzip   true only if the value mentions gzip or '*'.
//   mime_for_path  never empty; charset exactly on text/*; extension case does not matter.
//
// Build (the fuzz CMakeLists does the same):
//   clang++-14 -std=c++20 -fsanitize=fuzzer,address,undefined -I engine -I engine/include
//     tests/fuzz/fuzz_file_headers.cpp engine/http/file_headers.cpp
//     engine/http/response_writer.cpp engine/static/mime.cpp
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/file_headers.h"
#include "http/response_writer.h"
#include "static/mime.h"

namespace {

using namespace viper::http;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

constexpr size_t kMaxCap = 64;
constexpr int64_t kYear0 = -62167219200;     // 0000-01-01T00:00:00Z
constexpr int64_t kYear9999 = 253402300799;  // 9999-12-31T23:59:59Z

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c + 32) : c;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); i++) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == needle[j])
      j++;
    if (j == needle.size()) return true;
  }
  return false;
}

void check_range(std::string_view v, uint64_t size, size_t cap) {
  ByteRange out[kMaxCap];
  size_t n = 12345;
  RangeResult r = parse_range(v, size, out, cap, &n);
  if (r != RangeResult::Ok) {
    CHECK(n == 0);
    return;
  }
  CHECK(size > 0);
  CHECK(n >= 1 && n <= cap);
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK(out[i].first <= out[i].last);
    CHECK(out[i].last < size);
    uint64_t len = out[i].last - out[i].first + 1;
    CHECK(len <= size - total);
    total += len;
  }
  // A larger cap cannot change an accepted answer.
  ByteRange more[kMaxCap];
  size_t m = 0;
  CHECK(parse_range(v, size, more, kMaxCap, &m) == RangeResult::Ok);
  CHECK(m == n);
  for (size_t i = 0; i < n; i++)
    CHECK(more[i].first == out[i].first && more[i].last == out[i].last);
}

void check_etags(std::string_view v, std::string_view etag) {
  bool weak_match = etag_list_matches(v, etag);
  if (weak_match && trim(v) != "*") {
    std::string_view e = etag.substr(0, 2) == "W/" ? etag.substr(2) : etag;
    CHECK(e.size() >= 2 && v.find(e) != std::string_view::npos);
  }
  if (if_range_matches(v, etag, 0) && (trim(v).substr(0, 1) == "\"")) {
    CHECK(trim(v) == etag);
    CHECK(weak_match);
  }
}

void check_date(std::string_view v) {
  int64_t t;
  if (!parse_http_date(v, &t)) {
    CHECK(!parse_http_date(v, &t, 0));  // `now` only moves RFC 850 years
    return;
  }
  CHECK(t >= kYear0 - 100LL * 366 * 86400 && t <= kYear9999);  // RFC 850 may go back a century
  int64_t t2;
  CHECK(parse_http_date(v, &t2, kYear9999) && parse_http_date(v, &t2, INT64_MIN));
  std::string_view s = trim(v);
  bool rfc850 = s.size() > 3 && s[3] != ',' && s[3] != ' ';
  if (!rfc850) CHECK(t2 == t);
  char f[29];
  format_http_date(t, f);
  int64_t back;
  CHECK(parse_http_date(std::string_view(f, 29), &back) && back == t);
  if (s.size() == 29 && s[3] == ',') CHECK(std::memcmp(f + 5, s.data() + 5, 24) == 0);
  CHECK(if_range_matches(v, "\"x\"", t));
  CHECK(!if_range_matches(v, "\"x\"", t + 1));
}

void check_gzip(std::string_view v) {
  if (accepts_gzip(v)) CHECK(contains_ci(v, "gzip") || v.find('*') != std::string_view::npos);
}

void check_mime(std::string_view v) {
  std::string_view t = viper::fs::mime_for_path(v);
  CHECK(!t.empty());
  CHECK((t.substr(0, 5) == "text/") == (t.find("; charset=utf-8") != std::string_view::npos));
  char upper[256];
  if (v.size() > sizeof upper) return;
  for (size_t i = 0; i < v.size(); i++)
    upper[i] = v[i] >= 'a' && v[i] <= 'z' ? char(v[i] - 32) : v[i];
  CHECK(viper::fs::mime_for_path(std::string_view(upper, v.size())) == t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t cap = data[0] % (kMaxCap + 1);
  uint64_t rep_size = data[1] >> 4;
  bool big = data[1] & 1;
  data += 2;
  size -= 2;
  if (big) {
    if (size < 8) return 0;
    std::memcpy(&rep_size, data, 8);
    data += 8;
    size -= 8;
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nl = text.find('\n');
  std::string_view value = text.substr(0, nl);
  std::string_view etag = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

  check_range(value, rep_size, cap);
  check_etags(value, etag);
  check_date(value);
  check_gzip(value);
  check_mime(value);
  return 0;
}

#include "replay_main.h"
