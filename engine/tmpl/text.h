// Text primitives of the template engine, each written to give exactly what CPython 3.11 and
// MarkupSafe give, because the renderer's output must be byte-for-byte Jinja2's:
// UTF-8 walking, Python's str.isspace(), HTML escaping, str() of ints and floats (repr's
// shortest round-trip form), repr() of str and bytes, int()/float() parsing, and the full
// Unicode case mappings of str.upper/lower and title-casing (tables generated from CPython by
// tools/gen_tmpl_unicode.py).  No allocation: everything appends into a caller's `Buf`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::tmpl {

// A bounded append buffer.  Appends past `cap` set `overflow` and are dropped, so a caller
// checks once at the end.
struct Buf {
  char* p = nullptr;
  size_t n = 0;
  size_t cap = 0;
  bool overflow = false;

  void put(char c) {
    if (n < cap)
      p[n++] = c;
    else
      overflow = true;
  }
  void put(std::string_view s);
  std::string_view view() const { return {p, n}; }
};

// --- UTF-8 ---------------------------------------------------------------------------------
// Length of the sequence starting with lead byte `c` (1 for a stray continuation byte).
inline size_t utf8_len(uint8_t c) {
  return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}
// Decodes the code point at s[i] (which must be < s.size()) and advances i.
uint32_t utf8_next(std::string_view s, size_t* i);
// Trims the code points for which drop(cp) is true from both ends (Python's str.strip).
template <class Drop>
std::string_view strip_code_points(std::string_view s, Drop drop) {
  size_t b = 0;
  while (b < s.size()) {
    size_t i = b;
    if (!drop(utf8_next(s, &i))) break;
    b = i;
  }
  size_t e = s.size();
  while (e > b) {
    size_t start = e - 1;
    while (start > b && (uint8_t(s[start]) & 0xc0) == 0x80)
      start--;
    size_t i = start;
    if (!drop(utf8_next(s, &i))) break;
    e = start;
  }
  return s.substr(b, e - b);
}
void utf8_put(Buf* out, uint32_t cp);
size_t utf8_count(std::string_view s);  // code points
bool utf8_valid(std::string_view s);

// Python's str.isspace() (what str.strip() and re's \s use).
bool is_space(uint32_t cp);

// MarkupSafe's escape: & < > " ' become &amp; &lt; &gt; &#34; &#39;.
void html_escape(Buf* out, std::string_view s);
// The escaped form of one byte, or an empty view when it needs none.
std::string_view html_entity(char c);

// --- numbers ---------------------------------------------------------------------------------
void format_int(Buf* out, int64_t v);
// Python's repr(float): shortest round-trip digits, fixed notation for exponents -4..15 with
// at least one decimal ("1.0"), else "1e+16" / "1e-05"; "inf", "-inf", "nan".
void format_float(Buf* out, double v);

// Python's int(s, base) for base 2..36 (base 0: by prefix): surrounding whitespace, a sign,
// an optional 0x/0o/0b prefix matching the base, single underscores between digits.
// Returns false if Python would raise ValueError.  *big is set when the value does not fit
// int64 (base 10 only: *digits then holds the normalised decimal digits with sign, in `out`).
bool parse_int(std::string_view s, int base, int64_t* v, bool* big, Buf* digits);
// Python's float(s): whitespace, sign, digits with single underscores, "inf", "infinity",
// "nan" in any case.  False if Python would raise ValueError.
bool parse_float(std::string_view s, double* v);

// --- repr --------------------------------------------------------------------------------------
// repr(str) as CPython writes it.  False when the text holds a code point above U+00FF (whose
// printability needs Unicode tables the engine does not carry): the caller reports an error.
bool repr_str(Buf* out, std::string_view s);
void repr_bytes(Buf* out, std::string_view s);

// --- case ----------------------------------------------------------------------------------------
enum class Case : uint8_t { Upper, Lower, Title };
// Appends the mapping of `cp`.  False for U+03A3 under Lower (final sigma depends on context).
bool map_case(Buf* out, uint32_t cp, Case c);

}  // namespace viper::tmpl
