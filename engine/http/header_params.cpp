#include "http/header_params.h"

#include <cstdint>
#include <cstring>

namespace viper::http {

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// python-multipart's token: anything but CTLs, DEL, SP and its special characters.
bool is_param_token(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return c > 0x20 && c != 0x7f && !std::strchr("()<>@,;:\\\"/[]?={}", c);
}

// RFC 8187 attr-char.
bool is_attr_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$&+-.^_`|~", c);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c + 32) : c;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k < len; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return false;
    i += len;
  }
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view header_value_type(std::string_view v) {
  size_t semi = v.find(';');
  std::string_view t = v.substr(0, semi);
  while (!t.empty() && is_ows(t.front()))
    t.remove_prefix(1);
  while (!t.empty() && is_ows(t.back()))
    t.remove_suffix(1);
  return t;
}

int header_param_next(std::string_view v, size_t* pos, HeaderParam* out) {
  // Two positions no value reaches mark "finished" and "failed", so the answer is sticky.
  constexpr size_t kDone = ~size_t(0), kFailed = ~size_t(0) - 1;
  if (*pos == kDone) return 0;
  if (*pos == kFailed) return -1;
  size_t i = *pos;
  if (i == 0) {
    i = v.find(';');
    if (i == std::string_view::npos) i = v.size();
  }
  const size_t n = v.size();
  for (;;) {
    while (i < n && is_ows(v[i]))
      i++;
    if (i == n) {
      *pos = kDone;
      return 0;
    }
    if (v[i] != ';') {
      *pos = kFailed;
      return -1;
    }
    i++;
    while (i < n && is_ows(v[i]))
      i++;
    if (i == n || v[i] == ';') continue;  // an empty parameter
    size_t name_start = i;
    while (i < n && is_param_token(v[i]))
      i++;
    if (i == name_start) {
      *pos = kFailed;
      return -1;
    }
    out->name = v.substr(name_start, i - name_start);
    while (i < n && is_ows(v[i]))
      i++;
    if (i == n || v[i] != '=') {
      *pos = kFailed;
      return -1;
    }
    i++;
    while (i < n && is_ows(v[i]))
      i++;
    if (i < n && v[i] == '"') {
      size_t open = i++;
      size_t close = std::string_view::npos;
      while (i < n) {
        if (v[i] == '\\' && i + 1 < n) {
          i += 2;
        } else if (v[i] == '"') {
          close = i;
          break;
        } else {
          i++;
        }
      }
      if (close == std::string_view::npos) close = v.find('"', open + 1);  // see the header
      if (close == std::string_view::npos) {
        *pos = kFailed;
        return -1;
      }
      out->value = v.substr(open + 1, close - open - 1);
      out->quoted = true;
      *pos = close + 1;
      return 1;
    }
    size_t value_start = i;
    while (i < n && is_param_token(v[i]))
      i++;
    if (i == value_start) {
      *pos = kFailed;
      return -1;
    }
    out->value = v.substr(value_start, i - value_start);
    out->quoted = false;
    *pos = i;
    return 1;
  }
}

std::string_view unescape_quoted(std::string_view s, char* out) {
  if (s.find('\\') == std::string_view::npos) return s;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == '"')) i++;
    out[n++] = s[i];
  }
  return std::string_view(out, n);
}

int decode_ext_value(std::string_view v, char* out) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return -1;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return -1;
  std::string_view charset = v.substr(0, q1);
  bool latin1;
  if (iequals(charset, "utf-8")) {
    latin1 = false;
  } else if (iequals(charset, "iso-8859-1")) {
    latin1 = true;
  } else {
    return -1;
  }
  for (size_t i = q1 + 1; i < q2; i++)  // the language tag: ALPHA / DIGIT / '-' (ignored)
    if (!is_attr_char(v[i])) return -1;
  size_t n = 0;
  for (size_t i = q2 + 1; i < v.size(); i++) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      if (i + 2 >= v.size() || hex_value(v[i + 1]) < 0 || hex_value(v[i + 2]) < 0) return -1;
      c = static_cast<unsigned char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
      i += 2;
      if (c == 0) return -1;
    } else if (!is_attr_char(char(c))) {
      return -1;
    }
    // An escape is 3 bytes and yields at most 2 (ISO-8859-1 above 0x7f), and the charset
    // comes first: the output never catches up with the input (decoding in place works too).
    if (latin1 && c >= 0x80) {
      out[n++] = char(0xc0 | (c >> 6));
      out[n++] = char(0x80 | (c & 0x3f));
    } else {
      out[n++] = char(c);
    }
  }
  if (!latin1 && !valid_utf8(reinterpret_cast<const unsigned char*>(out), n)) return -1;
  return int(n);
}

}  // namespace viper::http
