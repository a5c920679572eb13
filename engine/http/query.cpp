#include "http/query.h"

namespace viper::http {

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool query_next(std::string_view q, size_t* pos, std::string_view* key, std::string_view* value) {
  while (*pos < q.size()) {
    size_t end = q.find('&', *pos);
    if (end == std::string_view::npos) end = q.size();
    std::string_view pair = q.substr(*pos, end - *pos);
    *pos = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    *key = pair.substr(0, eq);
    *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    return true;
  }
  return false;
}

// Compares an encoded key with a plain one without decoding into a buffer.
static bool key_equals(std::string_view enc, std::string_view plain) {
  size_t j = 0;
  for (size_t i = 0; i < enc.size(); i++, j++) {
    char c = enc[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < enc.size() && hex_value(enc[i + 1]) >= 0 &&
               hex_value(enc[i + 2]) >= 0) {
      c = char(hex_value(enc[i + 1]) * 16 + hex_value(enc[i + 2]));
      i += 2;
    }
    if (j >= plain.size() || plain[j] != c) return false;
  }
  return j == plain.size();
}

bool query_find(std::string_view query, std::string_view key, std::string_view* value) {
  size_t pos = 0;
  std::string_view k, v;
  while (query_next(query, &pos, &k, &v)) {
    if (key_equals(k, key)) {
      *value = v;
      return true;
    }
  }
  return false;
}

int form_decode(std::string_view in, char* out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < in.size(); i++) {
    if (n >= cap) return -1;
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) return -1;
      c = char(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    }
    out[n++] = c;
  }
  return int(n);
}

}  // namespace viper::http
