// The template engine's text primitives (engine/tmpl/text.h) against what CPython prints:
// repr(float), int()/float() parsing, repr of str and bytes, MarkupSafe's escaping, UTF-8 and
// str.isspace(), and samples of the case tables (every code point is checked against CPython
// by tests/pyapi/test_templates_differential.py).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "tmpl/text.h"

using namespace viper::tmpl;

namespace {

std::string F(double v) {
  char b[64];
  Buf buf{b, 0, sizeof b};
  format_float(&buf, v);
  return std::string(buf.view());
}

std::string repr(std::string_view s, bool* ok = nullptr) {
  char b[256];
  Buf buf{b, 0, sizeof b};
  bool r = repr_str(&buf, s);
  if (ok) *ok = r;
  return std::string(buf.view());
}

std::string cased(std::string_view s, Case c) {
  char b[256];
  Buf buf{b, 0, sizeof b};
  size_t i = 0;
  while (i < s.size())
    EXPECT_TRUE(map_case(&buf, utf8_next(s, &i), c));
  return std::string(buf.view());
}

}  // namespace

TEST(TmplText, FloatReprAsPython) {
  // Expected strings are repr() in CPython 3.11.
  EXPECT_EQ(F(1.0), "1.0");
  EXPECT_EQ(F(0.1), "0.1");
  EXPECT_EQ(F(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(F(1e16), "1e+16");
  EXPECT_EQ(F(1e15), "1000000000000000.0");
  EXPECT_EQ(F(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(F(0.0001), "0.0001");
  EXPECT_EQ(F(0.00001), "1e-05");
  EXPECT_EQ(F(1.5e-7), "1.5e-07");
  EXPECT_EQ(F(-0.0), "-0.0");
  EXPECT_EQ(F(-2.5), "-2.5");
  EXPECT_EQ(F(1e300), "1e+300");
  EXPECT_EQ(F(5e-324), "5e-324");
  EXPECT_EQ(F(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(F(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(F(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(F(std::nan("")), "nan");
  EXPECT_EQ(F(100.0), "100.0");
  EXPECT_EQ(F(123.456), "123.456");
}

TEST(TmplText, IntParsingAsPython) {
  int64_t v = 0;
  bool big = false;
  char d[64];
  Buf digits{d, 0, sizeof d};
  EXPECT_TRUE(parse_int(" 42 ", 10, &v, &big, &digits));
  EXPECT_EQ(v, 42);
  EXPECT_TRUE(parse_int("-1_000", 10, &v, &big, &digits));
  EXPECT_EQ(v, -1000);
  EXPECT_TRUE(parse_int("0x1A", 16, &v, &big, &digits));
  EXPECT_EQ(v, 26);
  EXPECT_TRUE(parse_int("1A", 16, &v, &big, &digits));
  EXPECT_EQ(v, 26);
  EXPECT_TRUE(parse_int("0b101", 0, &v, &big, &digits));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(parse_int("0x_1f", 0, &v, &big, &digits));
  EXPECT_EQ(v, 31);
  EXPECT_TRUE(parse_int("000", 0, &v, &big, &digits));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_int("9223372036854775807", 10, &v, &big, &digits));
  EXPECT_FALSE(big);
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(parse_int("-9223372036854775808", 10, &v, &big, &digits));
  EXPECT_FALSE(big);
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(parse_int("-009223372036854775809", 10, &v, &big, &digits));
  EXPECT_TRUE(big);  // one past: the digits, normalised
  EXPECT_EQ(digits.view(), "-9223372036854775809");
  for (const char* bad : {"", " ", "1_", "_1", "1__0", "0x", "12a", "010", "1.5", "+-1", "0x1G"})
    EXPECT_FALSE(parse_int(bad, bad == std::string("010") ? 0 : 10, &v, &big, nullptr)) << bad;
  EXPECT_FALSE(parse_int("0x10", 10, &v, &big, nullptr));  // prefix of another base
}

TEST(TmplText, FloatParsingAsPython) {
  double v = 0;
  EXPECT_TRUE(parse_float(" 1.5 ", &v));
  EXPECT_EQ(v, 1.5);
  EXPECT_TRUE(parse_float("1_0.2_5", &v));
  EXPECT_EQ(v, 10.25);
  EXPECT_TRUE(parse_float(".5", &v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(parse_float("5.", &v));
  EXPECT_EQ(v, 5.0);
  EXPECT_TRUE(parse_float("-1e3", &v));
  EXPECT_EQ(v, -1000.0);
  EXPECT_TRUE(parse_float("1e999", &v));
  EXPECT_TRUE(std::isinf(v));
  EXPECT_TRUE(parse_float("1e-999", &v));
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(parse_float("InFiNiTy", &v));
  EXPECT_TRUE(std::isinf(v));
  EXPECT_TRUE(parse_float("-nan", &v));
  EXPECT_TRUE(std::isnan(v));
  for (const char* bad : {"", ".", "e5", "1e", "1_", "_1", "1__0", "1.5.5", "abc", "1e+", "0x10"})
    EXPECT_FALSE(parse_float(bad, &v)) << bad;
}

TEST(TmplText, ReprOfStrAndBytes) {
  EXPECT_EQ(repr("abc"), "'abc'");
  EXPECT_EQ(repr("it's"), "\"it's\"");
  EXPECT_EQ(repr("both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(repr("a\tb\nc\rd\\"), "'a\\tb\\nc\\rd\\\\'");
  EXPECT_EQ(repr(std::string("\x00\x1f\x7f", 3)), "'\\x00\\x1f\\x7f'");
  EXPECT_EQ(repr("\xc2\x80\xc2\xa0\xc2\xad\xc3\xa9"), "'\\x80\\xa0\\xad\xc3\xa9'");
  bool ok = true;
  repr("\xc5\xbc", &ok);  // U+017C: printability needs tables the engine does not carry
  EXPECT_FALSE(ok);
  char b[64];
  Buf buf{b, 0, sizeof b};
  repr_bytes(&buf, std::string("a'b\x00\xff\"", 6));
  EXPECT_EQ(buf.view(), "b'a\\'b\\x00\\xff\"'");
}

TEST(TmplText, MarkupSafeEscaping) {
  char b[128];
  Buf buf{b, 0, sizeof b};
  html_escape(&buf, "<a href=\"x\">Tom & 'Jerry'</a>");
  EXPECT_EQ(buf.view(), "&lt;a href=&#34;x&#34;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
}

TEST(TmplText, BufOverflowIsSticky) {
  char b[4];
  Buf buf{b, 0, sizeof b};
  buf.put("abcdef");
  EXPECT_TRUE(buf.overflow);
  EXPECT_EQ(buf.view(), "abcd");
}

TEST(TmplText, Utf8) {
  EXPECT_EQ(utf8_count("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d"), 4u);
  EXPECT_TRUE(utf8_valid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d"));
  EXPECT_FALSE(utf8_valid("\xc3"));              // truncated
  EXPECT_FALSE(utf8_valid("\xc0\xaf"));          // overlong
  EXPECT_FALSE(utf8_valid("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(utf8_valid("\xf4\x90\x80\x80"));  // past U+10FFFF
  size_t i = 0;
  EXPECT_EQ(utf8_next("\xe2\x82\xac", &i), 0x20acu);
  EXPECT_EQ(i, 3u);
}

TEST(TmplText, WhitespaceAsStrIsspace) {
  for (uint32_t cp : {0x09u, 0x0au, 0x0bu, 0x0cu, 0x0du, 0x1cu, 0x1fu, 0x20u, 0x85u, 0xa0u, 0x1680u,
                      0x2000u, 0x200au, 0x2028u, 0x2029u, 0x202fu, 0x205fu, 0x3000u})
    EXPECT_TRUE(is_space(cp)) << cp;
  for (uint32_t cp : {0x08u, 0x21u, 0x180eu, 0x200bu, 0xfeffu, 0x41u})
    EXPECT_FALSE(is_space(cp)) << cp;
}

TEST(TmplText, CaseSamples) {
  EXPECT_EQ(cased("Hello, World", Case::Upper), "HELLO, WORLD");
  EXPECT_EQ(cased("stra\xc3\x9f"
                  "e",
                  Case::Upper),
            "STRASSE");                                                   // ß -> SS
  EXPECT_EQ(cased("\xc4\xb0", Case::Lower), "i\xcc\x87");                 // İ -> i + dot
  EXPECT_EQ(cased("\xc3\xbf", Case::Upper), "\xc5\xb8");                  // ÿ -> Ÿ
  EXPECT_EQ(cased("\xc2\xb5", Case::Upper), "\xce\x9c");                  // µ -> Μ
  EXPECT_EQ(cased("\xc7\x86", Case::Title), "\xc7\x85");                  // ǆ -> ǅ
  EXPECT_EQ(cased("\xc3\x9f", Case::Title), "Ss");                        // ß -> Ss
  EXPECT_EQ(cased("\xd0\xb4\xd0\xb0", Case::Upper), "\xd0\x94\xd0\x90");  // да -> ДА
  EXPECT_EQ(cased("\xf0\x90\x90\x80", Case::Lower), "\xf0\x90\x90\xa8");  // Deseret
  char b[8];
  Buf buf{b, 0, sizeof b};
  EXPECT_FALSE(map_case(&buf, 0x3a3, Case::Lower));  // final sigma: context-dependent
  EXPECT_TRUE(map_case(&buf, 0x3a3, Case::Upper));
}
