// SHA-1 (engine/ws/sha1.h): the FIPS 180 / RFC 3174 test vectors, padding boundaries, and the
// same digest for every way of splitting the input.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "ws/sha1.h"

using viper::ws::Sha1;

namespace {

std::string hex(const uint8_t* d, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(b, sizeof b, "%02x", d[i]);
    s += b;
  }
  return s;
}

std::string sha1_hex(const std::string& s) {
  uint8_t d[Sha1::kDigestBytes];
  Sha1::digest(s, d);
  return hex(d, sizeof d);
}

}  // namespace

// RFC 3174 §7.3 (TEST1..TEST4) and FIPS 180-2 Appendix A.
TEST(WsSha1, Rfc3174Vectors) {
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  // TEST3: "a" one million times, fed in pieces as RFC 3174's test program does.
  Sha1 h;
  for (int i = 0; i < 1000000; i++)
    h.update("a", 1);
  uint8_t d[Sha1::kDigestBytes];
  h.finish(d);
  EXPECT_EQ(hex(d, sizeof d), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  std::string t4;
  for (int i = 0; i < 10; i++)
    t4 += "0123456701234567012345670123456701234567012345670123456701234567";
  EXPECT_EQ(sha1_hex(t4), "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST(WsSha1, EmptyAndPangram) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

// Lengths around the padding boundaries (55/56 bytes: the length still fits in the last block
// or needs another; 64: exactly one block).  Digests from Python's hashlib.
TEST(WsSha1, PaddingBoundaries) {
  struct V {
    size_t n;
    const char* digest;
  } vectors[] = {
      {1, "9842926af7ca0a8cca12604f945414f07b01e13d"},
      {55, "ddf57317ef34bfee3b6df83d359098930eb278bc"},
      {56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},
      {57, "11a02dcf95859677a62e75024067c22b165d890f"},
      {63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},
      {64, "bede92be29c3874e1b54ddc77988d606fc857a8e"},
      {65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},
      {119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"},
      {120, "82134b02fb3f702491be9bed581eeab59334acb2"},
      {127, "34d5e582029e9b9b85b2febe31da3db7cdabaaea"},
      {128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"},
      {129, "808aea332ce367541d37adae7f94e59c5c1a934e"},
  };
  for (const V& v : vectors) {
    std::string s;
    for (size_t i = 0; i < v.n; i++)
      s += char((i * 7 + 3) & 255);
    EXPECT_EQ(sha1_hex(s), v.digest) << v.n;
  }
}

TEST(WsSha1, AnySplitGivesTheSameDigest) {
  std::string s;
  for (int i = 0; i < 300; i++)
    s += char(i * 31 + 7);
  std::string whole = sha1_hex(s);
  for (size_t a = 0; a <= s.size(); a += 13)
    for (size_t b = a; b <= s.size(); b += 29) {
      Sha1 h;
      h.update(s.data(), a);
      h.update(s.data() + a, b - a);
      h.update(s.data() + b, s.size() - b);
      uint8_t d[Sha1::kDigestBytes];
      h.finish(d);
      ASSERT_EQ(hex(d, sizeof d), whole) << a << " " << b;
    }
}

TEST(WsSha1, FinishResetsForTheNextMessage) {
  Sha1 h;
  h.update("garbage");
  uint8_t d[Sha1::kDigestBytes];
  h.finish(d);
  h.update("abc");
  h.finish(d);
  EXPECT_EQ(hex(d, sizeof d), "a9993e364706816aba3e25717850c26c9cd0d89d");
}
