#include "tmpl/text.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace viper::tmpl {

namespace {

struct CaseRun {
  uint32_t first;
  uint16_t count;
  uint8_t stride;
  int32_t delta;
};
struct CaseSpecial {
  uint32_t cp;
  const char* utf8;
};

#include "tmpl/unicode_data.inc"

template <size_t N>
const CaseRun* find_run(const CaseRun (&runs)[N], uint32_t cp) {
  size_t lo = 0, hi = N;  // first run with first > cp
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (runs[mid].first <= cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return nullptr;
  const CaseRun& r = runs[lo - 1];
  uint32_t off = cp - r.first;
  if (off % r.stride != 0 || off / r.stride >= r.count) return nullptr;
  return &r;
}

template <size_t N>
const char* find_special(const CaseSpecial (&sp)[N], uint32_t cp) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (sp[mid].cp < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < N && sp[lo].cp == cp ? sp[lo].utf8 : nullptr;
}

bool is_digit_in(char c, int base, int* d) {
  int v = c >= '0' && c <= '9'   ? c - '0'
          : c >= 'a' && c <= 'z' ? c - 'a' + 10
          : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                 : 99;
  *d = v;
  return v < base;
}

// Trims Python whitespace from both ends.
std::string_view strip_space(std::string_view s) {
  return strip_code_points(s, is_space);
}

bool ieq(std::string_view a, const char* b) {
  size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

void Buf::put(std::string_view s) {
  size_t room = cap - n;
  if (s.size() > room) {
    overflow = true;
    if (room) std::memcpy(p + n, s.data(), room);
    n = cap;
    return;
  }
  if (!s.empty()) std::memcpy(p + n, s.data(), s.size());
  n += s.size();
}

uint32_t utf8_next(std::string_view s, size_t* i) {
  auto c = uint8_t(s[*i]);
  size_t len = utf8_len(c);
  if (len == 1 || *i + len > s.size()) {
    *i += 1;
    return c;
  }
  uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
  for (size_t k = 1; k < len; k++)
    cp = (cp << 6) | (uint8_t(s[*i + k]) & 0x3f);
  *i += len;
  return cp;
}

void utf8_put(Buf* out, uint32_t cp) {
  if (cp < 0x80) {
    out->put(char(cp));
  } else if (cp < 0x800) {
    out->put(char(0xc0 | (cp >> 6)));
    out->put(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->put(char(0xe0 | (cp >> 12)));
    out->put(char(0x80 | ((cp >> 6) & 0x3f)));
    out->put(char(0x80 | (cp & 0x3f)));
  } else {
    out->put(char(0xf0 | (cp >> 18)));
    out->put(char(0x80 | ((cp >> 12) & 0x3f)));
    out->put(char(0x80 | ((cp >> 6) & 0x3f)));
    out->put(char(0x80 | (cp & 0x3f)));
  }
}

size_t utf8_count(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    n += (uint8_t(c) & 0xc0) != 0x80;
  return n;
}

bool utf8_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = uint8_t(s[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len = utf8_len(c);
    if (len == 1 || i + len > s.size()) return false;
    uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; k++) {
      auto cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // no overlong forms, no surrogates, nothing past U+10FFFF
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += len;
  }
  return true;
}

bool is_space(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20);
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

std::string_view html_entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&#34;";
    case '\'':
      return "&#39;";
    default:
      return {};
  }
}

void html_escape(Buf* out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); i++) {
    std::string_view e = html_entity(s[i]);
    if (e.empty()) continue;
    out->put(s.substr(start, i - start));
    out->put(e);
    start = i + 1;
  }
  out->put(s.substr(start));
}

void format_int(Buf* out, int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out->put(std::string_view(tmp, size_t(r.ptr - tmp)));
}

void format_float(Buf* out, double v) {
  if (std::isnan(v)) return out->put("nan");
  if (std::isinf(v)) return out->put(v < 0 ? "-inf" : "inf");
  // Shortest round-trip digits in scientific form ("d.ddde+XX"), then laid out as repr does.
  char sci[40];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  std::string_view s(sci, size_t(r.ptr - sci));
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  size_t e = s.find('e');
  char digits[24];
  size_t nd = 0;
  for (size_t i = 0; i < e; i++)
    if (s[i] != '.' && nd < sizeof digits) digits[nd++] = s[i];
  int exp10 = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+'), s.data() + s.size(), exp10);
  int decpt = exp10 + 1;  // value = 0.d1d2... * 10^decpt
  if (neg) out->put('-');
  if (decpt <= -4 || decpt > 16) {
    out->put(digits[0]);
    if (nd > 1) {
      out->put('.');
      out->put(std::string_view(digits + 1, nd - 1));
    }
    out->put('e');
    int x = decpt - 1;
    out->put(x < 0 ? '-' : '+');
    if (x < 0) x = -x;
    if (x < 10) out->put('0');
    format_int(out, x);
    return;
  }
  if (decpt <= 0) {
    out->put("0.");
    for (int i = 0; i < -decpt; i++)
      out->put('0');
    out->put(std::string_view(digits, nd));
    return;
  }
  for (int i = 0; i < decpt; i++)
    out->put(size_t(i) < nd ? digits[i] : '0');
  out->put('.');
  if (size_t(decpt) < nd)
    out->put(std::string_view(digits + decpt, nd - size_t(decpt)));
  else
    out->put('0');
}

bool parse_int(std::string_view s, int base, int64_t* v, bool* big, Buf* digits) {
  *big = false;
  s = strip_space(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() >= 2 && s[0] == '0') {
    char p = s[1] | 0x20;
    int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb != 0 && (base == 0 || base == pb)) {
      base = pb;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);  // "0x_1f"
      if (s.empty()) return false;
    }
  }
  if (base == 0) {  // no prefix: decimal, and "010" is an error (only zeros may lead)
    base = 10;
    if (s.size() > 1 && s[0] == '0') {
      for (char c : s)
        if (c != '0' && c != '_') return false;
    }
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  uint64_t acc = 0;
  bool overflow = false;
  const uint64_t limit = neg ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
  char prev = 0;
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return false;
      prev = c;
      continue;
    }
    int d;
    if (!is_digit_in(c, base, &d)) return false;
    prev = c;
    if (!overflow && (acc > (limit - uint64_t(d)) / uint64_t(base))) overflow = true;
    if (!overflow) acc = acc * uint64_t(base) + uint64_t(d);
  }
  if (overflow) {
    if (base != 10 || digits == nullptr) return false;
    *big = true;
    if (neg) digits->put('-');
    bool lead = true;
    for (char c : s) {
      if (c == '_' || (lead && c == '0')) continue;
      lead = false;
      digits->put(c);
    }
    return true;
  }
  *v = neg ? int64_t(0 - acc) : int64_t(acc);
  return true;
}

bool parse_float(std::string_view s, double* v) {
  s = strip_space(s);
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (ieq(body, "inf") || ieq(body, "infinity")) {
    *v = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (ieq(body, "nan")) {
    *v = neg ? -NAN : NAN;
    return true;
  }
  // digits [. digits] [e [sign] digits], underscores only between two digits
  char clean[128];
  size_t n = 0;
  bool digit_seen = false, exp_seen = false, dot_seen = false;
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c >= '0' && c <= '9') {
      digit_seen = true;
    } else if (c == '_') {
      bool ok = i > 0 && i + 1 < body.size() && body[i - 1] >= '0' && body[i - 1] <= '9' &&
                body[i + 1] >= '0' && body[i + 1] <= '9';
      if (!ok) return false;
      continue;
    } else if (c == '.') {
      if (dot_seen || exp_seen) return false;
      dot_seen = true;
    } else if (c == 'e' || c == 'E') {
      if (exp_seen || !digit_seen) return false;
      exp_seen = true;
      if (i + 1 < body.size() && (body[i + 1] == '+' || body[i + 1] == '-')) {
        if (n + 2 > sizeof clean) return false;
        clean[n++] = c;
        c = body[++i];
      }
      if (i + 1 >= body.size()) return false;
    } else {
      return false;
    }
    if (n + 1 > sizeof clean) return false;
    clean[n++] = c;
  }
  if (!digit_seen) return false;
  double d = 0;
  auto r = std::from_chars(clean, clean + n, d);
  if (r.ptr != clean + n) return false;
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves d untouched on range errors; Python gives inf, or 0.0 for underflow
    bool tiny = false;
    for (size_t i = 0; i < n; i++)
      if (clean[i] == 'e' || clean[i] == 'E') tiny = clean[i + 1] == '-';
    d = tiny ? 0.0 : HUGE_VAL;
  }
  *v = neg ? -d : d;
  return true;
}

bool repr_str(Buf* out, std::string_view s) {
  bool has_sq = s.find('\'') != std::string_view::npos;
  bool has_dq = s.find('"') != std::string_view::npos;
  char q = has_sq && !has_dq ? '"' : '\'';
  out->put(q);
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = utf8_next(s, &i);
    if (cp > 0xff) return false;
    if (cp == uint32_t(q) || cp == '\\') {
      out->put('\\');
      out->put(char(cp));
    } else if (cp == '\t') {
      out->put("\\t");
    } else if (cp == '\n') {
      out->put("\\n");
    } else if (cp == '\r') {
      out->put("\\r");
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) {
      static const char hex[] = "0123456789abcdef";
      out->put("\\x");
      out->put(hex[cp >> 4]);
      out->put(hex[cp & 15]);
    } else {
      utf8_put(out, cp);
    }
  }
  out->put(q);
  return true;
}

void repr_bytes(Buf* out, std::string_view s) {
  bool has_sq = s.find('\'') != std::string_view::npos;
  bool has_dq = s.find('"') != std::string_view::npos;
  char q = has_sq && !has_dq ? '"' : '\'';
  out->put('b');
  out->put(q);
  static const char hex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = uint8_t(ch);
    if (c == uint8_t(q) || c == '\\') {
      out->put('\\');
      out->put(char(c));
    } else if (c == '\t') {
      out->put("\\t");
    } else if (c == '\n') {
      out->put("\\n");
    } else if (c == '\r') {
      out->put("\\r");
    } else if (c < 0x20 || c >= 0x7f) {
      out->put("\\x");
      out->put(hex[c >> 4]);
      out->put(hex[c & 15]);
    } else {
      out->put(char(c));
    }
  }
  out->put(q);
}

bool map_case(Buf* out, uint32_t cp, Case c) {
  if (cp < 0x80) {  // the common case, without a table
    if (c == Case::Lower) {
      out->put(char(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else {
      out->put(char(cp >= 'a' && cp <= 'z' ? cp - 32 : cp));
    }
    return true;
  }
  if (c == Case::Lower && cp == 0x3a3) return false;
  const char* sp = c == Case::Upper   ? find_special(kUpperSpecial, cp)
                   : c == Case::Lower ? find_special(kLowerSpecial, cp)
                                      : find_special(kTitleSpecial, cp);
  if (sp != nullptr) {
    out->put(sp);
    return true;
  }
  const CaseRun* r = c == Case::Upper   ? find_run(kUpperRuns, cp)
                     : c == Case::Lower ? find_run(kLowerRuns, cp)
                                        : find_run(kTitleRuns, cp);
  utf8_put(out, r != nullptr ? uint32_t(int32_t(cp) + r->delta) : cp);
  return true;
}

}  // namespace viper::tmpl
