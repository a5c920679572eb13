#include "http/file_headers.h"

#include "http/response_writer.h"

namespace viper::http {

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

// `lower_word` must already be lower case.
bool ci_equal(std::string_view s, std::string_view lower_word) {
  if (s.size() != lower_word.size()) return false;
  for (size_t i = 0; i < s.size(); i++)
    if (lower(s[i]) != lower_word[i]) return false;
  return true;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// 1*DIGIT into a uint64; false when empty, not all digits, or too large.
bool parse_uint(std::string_view s, uint64_t* v) {
  if (s.empty()) return false;
  uint64_t x = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    unsigned d = unsigned(c - '0');
    if (x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  *v = x;
  return true;
}

// ---- Range -----------------------------------------------------------------------------------

enum class Spec : uint8_t { Bad, Unsatisfiable, Ok };

// One trimmed range-spec: "first-last", "first-" or "-suffix" (RFC 9110 §14.1.1).
Spec parse_spec(std::string_view s, uint64_t size, ByteRange* r) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return Spec::Bad;
  std::string_view a = s.substr(0, dash);
  std::string_view b = s.substr(dash + 1);
  if (a.empty()) {
    uint64_t len;
    if (!parse_uint(b, &len)) return Spec::Bad;
    if (len == 0 || size == 0) return Spec::Unsatisfiable;  // selects no byte
    r->first = len >= size ? 0 : size - len;
    r->last = size - 1;
    return Spec::Ok;
  }
  uint64_t first, last = UINT64_MAX;
  if (!parse_uint(a, &first)) return Spec::Bad;
  if (!b.empty() && (!parse_uint(b, &last) || last < first)) return Spec::Bad;
  if (first >= size) return Spec::Unsatisfiable;
  r->first = first;
  r->last = last < size - 1 ? last : size - 1;
  return Spec::Ok;
}

// ---- Entity tags ---------------------------------------------------------------------------

bool is_etagc(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u != 0x7F);  // obs-text (0x80-0xFF) included
}

// An entity-tag at the start of `s`: [ "W/" ] DQUOTE *etagc DQUOTE.  Returns its length, or 0
// when `s` does not start with one; *opaque is the text between the quotes.
size_t parse_etag(std::string_view s, bool* weak, std::string_view* opaque) {
  size_t i = 0;
  *weak = s.size() >= 2 && s[0] == 'W' && s[1] == '/';
  if (*weak) i = 2;
  if (i >= s.size() || s[i] != '"') return 0;
  size_t start = ++i;
  while (i < s.size() && s[i] != '"') {
    if (!is_etagc(s[i])) return 0;
    i++;
  }
  if (i == s.size()) return 0;  // no closing quote
  *opaque = s.substr(start, i - start);
  return i + 1;
}

// ---- HTTP-date -----------------------------------------------------------------------------

constexpr std::string_view kDayNames = "MonTueWedThuFriSatSun";
// What RFC 850's day-name-l adds to the three letters, in the same order.
constexpr std::string_view kDayTails[] = {"day", "sday", "nesday", "rsday", "day", "urday", "day"};
constexpr std::string_view kMonthNames = "JanFebMarAprMayJunJulAugSepOctNovDec";

// Reads the fixed-layout date grammar left to right; every step checks the bounds, so a short
// or garbled input fails instead of reading past the end.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool lit(std::string_view t) {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  // Exactly `k` digits.
  bool num(size_t k, int* v) {
    if (s.size() - i < k) return false;
    int x = 0;
    for (size_t j = 0; j < k; j++) {
      if (!is_digit(s[i + j])) return false;
      x = x * 10 + (s[i + j] - '0');
    }
    i += k;
    *v = x;
    return true;
  }
  // A three-letter name from `table`; returns its index, or -1.
  int name3(std::string_view table) {
    if (s.size() - i < 3) return -1;
    for (size_t k = 0; k < table.size(); k += 3) {
      if (s.substr(i, 3) == table.substr(k, 3)) {
        i += 3;
        return int(k / 3);
      }
    }
    return -1;
  }
  bool month(int* m) {
    *m = name3(kMonthNames) + 1;
    return *m > 0;
  }
  bool time(int* secs) {
    int h, mi, se;
    if (!num(2, &h) || !lit(":") || !num(2, &mi) || !lit(":") || !num(2, &se)) return false;
    // No leap second: Unix time has no 23:59:60, and format_http_date never writes one.
    if (h > 23 || mi > 59 || se > 59) return false;
    *secs = h * 3600 + mi * 60 + se;
    return true;
  }
  bool done() const { return i == s.size(); }
};

bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), the
// inverse of the civil_from_days behind format_http_date; no libc time zone or locale code.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

// The year of `now`, read back from format_http_date ("Sun, 06 Nov 1994 ..."), so the civil
// calendar code exists once.
int year_of(int64_t now) {
  constexpr int64_t kLastSecondOf9999 = 253402300799;
  if (now < kHttpDateMinNow) now = kHttpDateMinNow;
  if (now > kLastSecondOf9999) now = kLastSecondOf9999;
  char buf[29];
  format_http_date(now, buf);
  int y = 0;
  for (int k = 12; k < 16; k++)
    y = y * 10 + (buf[k] - '0');
  return y;
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
int expand_year(int yy, int64_t now) {
  int current = year_of(now);
  int y = current - current % 100 + yy;
  return y > current + 50 ? y - 100 : y;
}

// ---- Accept-Encoding -----------------------------------------------------------------------

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if invalid.
int parse_qvalue(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
  int q = s[0] == '1' ? 1000 : 0;
  if (s.size() == 1) return q;
  if (s[1] != '.' || s.size() > 5) return -1;
  int scale = 100;
  for (size_t i = 2; i < s.size(); i++, scale /= 10) {
    if (!is_digit(s[i]) || (q == 1000 && s[i] != '0')) return -1;
    q += (s[i] - '0') * scale;
  }
  return q;
}

// codings [ OWS ";" OWS "q=" qvalue ], trimmed.  Returns the weight in thousandths; -1 when the
// element is malformed (then *coding may still name the coding it refers to).
int parse_coding(std::string_view elem, std::string_view* coding) {
  size_t semi = elem.find(';');
  *coding = trim_ows(elem.substr(0, semi));
  if (!is_token(*coding)) return -1;
  if (semi == std::string_view::npos) return 1000;
  std::string_view w = trim_ows(elem.substr(semi + 1));
  if (w.size() < 2 || lower(w[0]) != 'q' || w[1] != '=') return -1;
  return parse_qvalue(w.substr(2));
}

}  // namespace

RangeResult parse_range(std::string_view value, uint64_t size, ByteRange* out, size_t cap,
                        size_t* n) {
  *n = 0;
  std::string_view v = trim_ows(value);
  if (v.size() < 6 || !ci_equal(v.substr(0, 5), "bytes") || v[5] != '=') return RangeResult::Ignore;
  v.remove_prefix(6);
  size_t specs = 0, got = 0;
  uint64_t total = 0;  // bytes selected so far; never above `size`
  for (size_t pos = 0; pos <= v.size();) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view elem = trim_ows(v.substr(pos, comma - pos));
    pos = comma + 1;
    if (elem.empty()) continue;  // "#rule": empty list elements are allowed
    // Unsatisfiable specs count too: the cap bounds the work a request can ask for.
    if (++specs > cap) return RangeResult::Ignore;
    ByteRange r;
    Spec s = parse_spec(elem, size, &r);
    if (s == Spec::Bad) return RangeResult::Ignore;
    if (s == Spec::Unsatisfiable) continue;
    // Overlapping ranges could multiply the response (and the disk reads) by `cap`; like nginx,
    // serve the whole representation instead once they add up to more than it.
    uint64_t len = r.last - r.first + 1;
    if (len > size - total) return RangeResult::Ignore;
    total += len;
    out[got++] = r;
  }
  if (specs == 0) return RangeResult::Ignore;  // "bytes=" or "bytes=,": 1#range-spec
  if (got == 0) return RangeResult::Unsatisfiable;
  *n = got;
  return RangeResult::Ok;
}

bool etag_list_matches(std::string_view if_none_match, std::string_view etag) {
  std::string_view v = trim_ows(if_none_match);
  if (v == "*") return true;  // any current representation matches
  bool weak;
  std::string_view mine;
  if (etag.empty() || parse_etag(etag, &weak, &mine) != etag.size()) return false;
  size_t pos = 0;
  while (pos < v.size()) {
    if (v[pos] == ',' || is_ows(v[pos])) {
      pos++;
      continue;
    }
    std::string_view tag;
    size_t len = parse_etag(v.substr(pos), &weak, &tag);
    size_t end = pos + len;
    while (end < v.size() && is_ows(v[end]))
      end++;
    if (len != 0 && (end == v.size() || v[end] == ',')) {
      if (tag == mine) return true;  // weak comparison: the W/ prefixes do not matter
      pos = end;
      continue;
    }
    // Malformed element (unquoted, bad byte, text after the tag): skip to the next comma.
    size_t comma = v.find(',', pos + 1);
    pos = comma == std::string_view::npos ? v.size() : comma + 1;
  }
  return false;
}

bool if_range_matches(std::string_view if_range, std::string_view etag, int64_t last_modified) {
  std::string_view v = trim_ows(if_range);
  if (v.empty()) return false;
  // An HTTP-date starts with a day name, which may be "Wed": only "W/" or a quote means a tag.
  if (v[0] == '"' || (v.size() >= 2 && v[0] == 'W' && v[1] == '/')) {
    bool weak_theirs, weak_mine;
    std::string_view theirs, mine;
    if (parse_etag(v, &weak_theirs, &theirs) != v.size()) return false;
    if (etag.empty() || parse_etag(etag, &weak_mine, &mine) != etag.size()) return false;
    return !weak_theirs && !weak_mine && theirs == mine;  // strong comparison
  }
  int64_t t;
  return parse_http_date(v, &t) && t == last_modified;
}

bool parse_http_date(std::string_view s, int64_t* unix_seconds, int64_t now) {
  Cursor c{trim_ows(s)};
  int wd = c.name3(kDayNames);
  if (wd < 0) return false;
  int day, month, year, secs;
  if (c.lit(", ")) {  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (!c.num(2, &day) || !c.lit(" ") || !c.month(&month) || !c.lit(" ") || !c.num(4, &year) ||
        !c.lit(" ") || !c.time(&secs) || !c.lit(" GMT"))
      return false;
  } else if (c.lit(" ")) {  // asctime: Sun Nov  6 08:49:37 1994
    if (!c.month(&month) || !c.lit(" ")) return false;
    if (!(c.lit(" ") ? c.num(1, &day) : c.num(2, &day))) return false;
    if (!c.lit(" ") || !c.time(&secs) || !c.lit(" ") || !c.num(4, &year)) return false;
  } else {  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    int yy;
    if (!c.lit(kDayTails[wd]) || !c.lit(", ") || !c.num(2, &day) || !c.lit("-") ||
        !c.month(&month) || !c.lit("-") || !c.num(2, &yy) || !c.lit(" ") || !c.time(&secs) ||
        !c.lit(" GMT"))
      return false;
    year = expand_year(yy, now);
  }
  if (!c.done() || day < 1 || day > days_in_month(year, month)) return false;
  *unix_seconds = days_from_civil(year, unsigned(month), unsigned(day)) * 86400 + secs;
  return true;
}

bool parse_http_date(std::string_view s, int64_t* unix_seconds) {
  return parse_http_date(s, unix_seconds, kHttpDateMinNow);
}

bool accepts_gzip(std::string_view accept_encoding) {
  int gzip = -1, star = -1;  // -1 not listed, 0 refused, 1 accepted; a refusal sticks
  std::string_view v = accept_encoding;
  for (size_t pos = 0; pos <= v.size();) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view elem = trim_ows(v.substr(pos, comma - pos));
    pos = comma + 1;
    if (elem.empty()) continue;
    std::string_view coding;
    int q = parse_coding(elem, &coding);
    int* slot = ci_equal(coding, "gzip") || ci_equal(coding, "x-gzip") ? &gzip
                : coding == "*"                                        ? &star
                                                                       : nullptr;
    if (slot != nullptr) *slot = *slot == 0 ? 0 : q > 0;
  }
  return gzip >= 0 ? gzip == 1 : star == 1;
}

}  // namespace viper::http
