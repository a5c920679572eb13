// Literals: numbers with Jinja2's integer and float syntax (underscores, 0x/0o/0b prefixes,
// ints beyond 64 bits kept as their digits) and string literals decoded as Jinja2 does
// (Python's unicode-escape after backslashreplace).
#include "tmpl/compiler_impl.h"
#include "tmpl/text.h"

namespace viper::tmpl::detail {

void Compiler::number(const Token& t, ExprInfo* e) {
  char clean[64];
  size_t n = 0;
  for (char c : t.text) {
    if (c == '_') continue;
    if (n + 1 >= sizeof clean) {
      fail(t.offset, "number literal too long");
      return;
    }
    clean[n++] = c;
  }
  e->is_const = true;
  if (t.kind == Tok::Float) {
    double d = 0;
    if (!parse_float(std::string_view(clean, n), &d)) {
      fail(t.offset, "invalid float literal");
      return;
    }
    uint8_t enc[9];
    EncodedWriter w(enc, sizeof enc);
    w.real(d);
    uint32_t off = add_data(std::string_view(reinterpret_cast<char*>(enc), w.size()));
    op(kOpConst, 1);
    u32(off);
    return;
  }
  int64_t v = 0;
  bool big = false;
  char digits[80];
  Buf db{digits, 0, sizeof digits};
  if (!parse_int(std::string_view(clean, n), 0, &v, &big, &db) || db.overflow) {
    fail(t.offset, "integer literal out of range");
    return;
  }
  if (big) {
    uint8_t enc[96];
    EncodedWriter w(enc, sizeof enc);
    w.bytes(kBigInt, db.view());
    uint32_t off = add_data(std::string_view(reinterpret_cast<char*>(enc), w.size()));
    op(kOpConst, 1);
    u32(off);
    return;
  }
  op(kOpInt, 1);
  i64(v);
}

bool Compiler::string_literal(std::string_view raw, uint32_t at, std::string_view* out) {
  // Python's unicode-escape over the literal after backslashreplace (jinja2/lexer.py): the
  // usual escapes, octal, \x \u \U, a backslash-newline continuation; other escapes stay as
  // written; a backslash before a non-ASCII character yields its backslashreplace spelling.
  std::string_view s = raw.substr(1, raw.size() - 2);
  uint32_t start = uint32_t(data_.size());
  char tmp[12];
  auto put = [this](const char* p, size_t n) {
    data_.append(reinterpret_cast<const uint8_t*>(p), n);
  };
  auto put_cp = [&](uint32_t cp) {
    char u[4];
    Buf b{u, 0, sizeof u};
    utf8_put(&b, cp);
    put(u, b.n);
  };
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = char(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c != '\\') {
      put(&c, 1);
      continue;
    }
    char e = s[++i];  // the lexer guarantees a character after a backslash
    switch (e) {
      case '\n':
        break;
      case '\\':
      case '\'':
      case '"':
        put(&e, 1);
        break;
      case 'a':
        put("\a", 1);
        break;
      case 'b':
        put("\b", 1);
        break;
      case 'f':
        put("\f", 1);
        break;
      case 'n':
        put("\n", 1);
        break;
      case 'r':
        put("\r", 1);
        break;
      case 't':
        put("\t", 1);
        break;
      case 'v':
        put("\v", 1);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t want = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t k = 0; k < want; k++) {
          int h = i + 1 + k < s.size() ? hexval(s[i + 1 + k]) : -1;
          if (h < 0) return fail(at, "truncated \\%c escape in a string literal", e), false;
          cp = cp * 16 + uint32_t(h);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          return fail(at, "illegal Unicode character in a string literal"), false;
        i += want;
        put_cp(cp);
        break;
      }
      case 'N':
        return fail(at, "\\N{...} escapes are not supported"), false;
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = uint32_t(e - '0');
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
            cp = cp * 8 + uint32_t(s[++i] - '0');
          put_cp(cp);
        } else if (uint8_t(e) >= 0x80) {
          // backslashreplace turned the character into \xNN, \uNNNN or \UNNNNNNNN, whose
          // backslash the preceding one escaped
          size_t j = i;
          uint32_t cp = utf8_next(s, &j);
          i = j - 1;
          int w = cp < 0x100 ? 2 : cp < 0x10000 ? 4 : 8;
          // (no printf: the MicroPython port links its own, without '*' widths)
          static const char hex[] = "0123456789abcdef";
          tmp[0] = w == 2 ? 'x' : w == 4 ? 'u' : 'U';
          for (int k = 0; k < w; k++)
            tmp[1 + k] = hex[(cp >> (4 * (w - 1 - k))) & 15];
          put("\\", 1);
          put(tmp, size_t(w + 1));
        } else {
          put("\\", 1);
          put(&e, 1);
        }
    }
  }
  if (data_.failed()) return fail(at, "out of memory"), false;
  *out =
      std::string_view(reinterpret_cast<const char*>(data_.data()) + start, data_.size() - start);
  return true;
}

}  // namespace viper::tmpl::detail
