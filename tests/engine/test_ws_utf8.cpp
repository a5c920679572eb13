// UTF-8 validation (engine/ws/utf8.h): the cases of Autobahn's 6.x group and Markus Kuhn's
// decoder stress test, fail-fast positions, any split, and a differential check against two
// independent formulations of Unicode's Table 3-7 over every 1-, 2- and 3-byte sequence and
// many 4-byte ones.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "ws/utf8.h"

using namespace viper::ws;

namespace {

// Offset of the first byte the validator rejects, -1 when valid and complete, -2 when valid
// but incomplete at the end.
long check(const std::string& s) {
  Utf8Validator v;
  size_t bad = 0;
  if (!v.feed(s, &bad)) return long(bad);
  return v.complete() ? -1 : -2;
}

// Reference 1: Table 3-7 as rows of byte ranges; the same answer as check().
long reference_prefix(const std::string& s) {
  struct Row {
    uint8_t lo[4], hi[4];
    int n;
  };
  static const Row rows[] = {
      {{0x00}, {0x7F}, 1},
      {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
      {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
      {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
      {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
      {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
      {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
      {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
      {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
  };
  size_t i = 0;
  while (i < s.size()) {
    uint8_t b = uint8_t(s[i]);
    const Row* row = nullptr;
    for (const Row& r : rows)
      if (b >= r.lo[0] && b <= r.hi[0]) row = &r;
    if (row == nullptr) return long(i);
    for (int k = 1; k < row->n; k++) {
      if (i + k == s.size()) return -2;
      uint8_t c = uint8_t(s[i + k]);
      if (c < row->lo[k] || c > row->hi[k]) return long(i + k);
    }
    i += row->n;
  }
  return -1;
}

// Reference 2: decode code points arithmetically and reject overlong forms, surrogates and
// values above U+10FFFF.  Whole strings only (valid or not).
bool reference_decode(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t b = uint8_t(s[i]);
    int n;
    uint32_t cp;
    if (b < 0x80)
      n = 1, cp = b;
    else if ((b & 0xE0) == 0xC0)
      n = 2, cp = b & 0x1F;
    else if ((b & 0xF0) == 0xE0)
      n = 3, cp = b & 0x0F;
    else if ((b & 0xF8) == 0xF0)
      n = 4, cp = b & 0x07;
    else
      return false;
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; k++) {
      uint8_t c = uint8_t(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b)
    s += char(c);
  return s;
}

}  // namespace

// Autobahn 6.2 / 6.5 / 6.6: valid text, incl. every boundary code point.
TEST(WsUtf8, ValidText) {
  EXPECT_EQ(check(""), -1);
  EXPECT_EQ(check("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"), -1);
  EXPECT_EQ(check("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"), -1);  // κόσμε
  EXPECT_EQ(check(bytes({0x00})), -1);                                   // U+0000
  EXPECT_EQ(check(bytes({0x7F, 0xC2, 0x80, 0xDF, 0xBF})), -1);           // U+007F U+0080 U+07FF
  EXPECT_EQ(check(bytes({0xE0, 0xA0, 0x80, 0xEF, 0xBF, 0xBF})), -1);     // U+0800 U+FFFF
  EXPECT_EQ(check(bytes({0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80})), -1);     // U+D7FF U+E000
  EXPECT_EQ(check(bytes({0xEF, 0xBF, 0xBD})), -1);                       // U+FFFD
  EXPECT_EQ(check(bytes({0xF0, 0x90, 0x80, 0x80})), -1);                 // U+10000
  EXPECT_EQ(check(bytes({0xF4, 0x8F, 0xBF, 0xBF})), -1);                 // U+10FFFF
  EXPECT_EQ(check(bytes({0xEF, 0xBF, 0xBE})), -1);  // noncharacters are valid UTF-8 (6.23.x)
}

// Autobahn 6.3, 6.8-6.22: invalid text, and the offset at which it is detected: the first byte
// that no valid text can have there.
TEST(WsUtf8, InvalidFailsAtTheFirstBadByte) {
  EXPECT_EQ(check("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                  "edited"),
            12);
  EXPECT_EQ(check(bytes({0xF4, 0x90, 0x80, 0x80})), 1);        // U+110000: F4 90 is already wrong
  EXPECT_EQ(check(bytes({0xF5})), 0);                          // would be above U+10FFFF
  EXPECT_EQ(check(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})), 0);  // 5-byte form
  EXPECT_EQ(check(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})), 0);
  EXPECT_EQ(check(bytes({0xFE})), 0);
  EXPECT_EQ(check(bytes({0xFF})), 0);
  EXPECT_EQ(check(bytes({0x80})), 0);  // lone continuation bytes
  EXPECT_EQ(check(bytes({0x41, 0xBF})), 1);
  EXPECT_EQ(check(bytes({0xC0, 0xAF})), 0);  // overlong '/'
  EXPECT_EQ(check(bytes({0xC1, 0xBF})), 0);
  EXPECT_EQ(check(bytes({0xE0, 0x80, 0xAF})), 1);
  EXPECT_EQ(check(bytes({0xE0, 0x9F, 0xBF})), 1);  // overlong U+07FF
  EXPECT_EQ(check(bytes({0xF0, 0x80, 0x80, 0xAF})), 1);
  EXPECT_EQ(check(bytes({0xF0, 0x8F, 0xBF, 0xBF})), 1);              // overlong U+FFFF
  EXPECT_EQ(check(bytes({0xED, 0xA0, 0x80})), 1);                    // U+D800
  EXPECT_EQ(check(bytes({0xED, 0xBF, 0xBF})), 1);                    // U+DFFF
  EXPECT_EQ(check(bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80})), 1);  // a surrogate pair
  EXPECT_EQ(check(bytes({0xC2, 0x41})), 1);                          // a missing continuation byte
  EXPECT_EQ(check(bytes({0xE1, 0x80, 0x41})), 2);
  EXPECT_EQ(check(bytes({0xF1, 0x80, 0x80, 0xC0})), 3);
}

TEST(WsUtf8, IncompleteAtTheEndIsNotYetAnError) {
  EXPECT_EQ(check(bytes({0xC2})), -2);
  EXPECT_EQ(check(bytes({0xE0, 0xA0})), -2);
  EXPECT_EQ(check(bytes({0xF0, 0x90, 0x80})), -2);
  EXPECT_EQ(check("abc" + bytes({0xF4})), -2);
}

// Autobahn 6.4.x: a text message whose first fragment is valid and whose later fragment is not
// must fail as soon as the bad fragment (in 6.4.3/6.4.4: the bad byte) arrives.
TEST(WsUtf8, FailsFastAcrossPieces) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));
  size_t bad = 99;
  EXPECT_FALSE(v.feed("\xf4\x90\x80\x80", &bad));
  EXPECT_EQ(bad, 1u);
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed("ok", &bad));  // stays failed
  EXPECT_EQ(bad, 0u);
  v.reset();
  // The same bytes one at a time: accepted up to F4, refused at 90.
  const std::string s = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80";
  for (size_t i = 0; i < s.size(); i++) {
    bool ok = v.feed(s.substr(i, 1));
    ASSERT_EQ(ok, i < 12) << i;
    if (!ok) break;
  }
}

TEST(WsUtf8, AnySplitGivesTheSameAnswer) {
  std::mt19937 rng(7);
  const std::string pieces[] = {
      "a",        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xed\xa0\x80",
      "\xc0\x80", "\xff",     "\x80",         "\xf4\x90\x80\x80"};
  for (int round = 0; round < 2000; round++) {
    std::string s;
    int n = int(rng() % 12);
    for (int i = 0; i < n; i++)
      s += pieces[rng() % (round % 3 == 0 ? 10 : 5)];
    long whole = check(s);
    ASSERT_EQ(whole, reference_prefix(s)) << round;
    for (size_t cut = 0; cut <= s.size(); cut++) {
      Utf8Validator v;
      size_t bad = 0;
      long got;
      if (!v.feed(s.substr(0, cut), &bad))
        got = long(bad);
      else if (!v.feed(s.substr(cut), &bad))
        got = long(cut + bad);
      else
        got = v.complete() ? -1 : -2;
      ASSERT_EQ(got, whole) << round << " cut " << cut;
    }
  }
}

TEST(WsUtf8, DifferentialAllShortSequences) {
  std::string s;
  for (int a = 0; a < 256; a++) {
    s = bytes({a});
    ASSERT_EQ(check(s), reference_prefix(s)) << a;
    ASSERT_EQ(check(s) == -1, reference_decode(s)) << a;
    for (int b = 0; b < 256; b++) {
      s = bytes({a, b});
      ASSERT_EQ(check(s), reference_prefix(s)) << a << " " << b;
      ASSERT_EQ(check(s) == -1, reference_decode(s));
      if (a < 0xC2 || a > 0xF4) continue;  // other leads fail at the first or second byte
      for (int c = 0; c < 256; c++) {
        s = bytes({a, b, c});
        ASSERT_EQ(check(s), reference_prefix(s)) << a << " " << b << " " << c;
        ASSERT_EQ(check(s) == -1, reference_decode(s));
      }
    }
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 200000; i++) {
    s = bytes({int(0xF0 + rng() % 6), int(0x80 + rng() % 64), int(0x70 + rng() % 0x60),
               int(0x70 + rng() % 0x60)});
    ASSERT_EQ(check(s), reference_prefix(s));
    ASSERT_EQ(check(s) == -1, reference_decode(s));
  }
}

TEST(WsUtf8, LongAsciiRunsAndMisalignedStarts) {
  std::string s(1000, 'x');
  s[997] = char(0xC3);
  s[998] = char(0xA9);
  EXPECT_EQ(check(s), -1);
  for (size_t at = 0; at < 40; at++) {
    std::string t(64, 'y');
    t[at] = char(0x80);
    ASSERT_EQ(check(t), long(at));
  }
  EXPECT_TRUE(utf8_valid("plain"));
  EXPECT_FALSE(utf8_valid("\xc3"));
}
