// RFC 9110 §5.6 list and token syntax, as the WebSocket handshake headers use it.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/response_writer.h"

namespace viper::ws {

// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
// "~" / DIGIT / ALPHA
inline bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// Calls fn(element) for each element of a comma-separated list value, trimmed of blanks; empty
// elements ("a, , b", RFC 9110 §5.6.1) are skipped.  Stops early when fn returns false; returns
// false then.  No quoted strings: for Connection, Upgrade and Sec-WebSocket-Protocol, whose
// elements are tokens.
template <typename Fn>
bool for_each_list_element(std::string_view value, Fn fn) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view e = http::trim_blanks(value.substr(0, comma));
    if (!e.empty() && !fn(e)) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace viper::ws
