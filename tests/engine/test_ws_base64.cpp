// Base64 (engine/ws/base64.h): the RFC 4648 §10 test vectors both ways, round trips, and what
// the decoder refuses.
#include <gtest/gtest.h>

#include <string>

#include "ws/base64.h"

using namespace viper::ws;

namespace {

std::string enc(const std::string& s) {
  std::string out(base64_encoded_size(s.size()), '?');
  size_t n = base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out.data());
  EXPECT_EQ(n, out.size());
  return out;
}

// The decoded text, or "<invalid>".
std::string dec(const std::string& s, size_t cap = 64) {
  uint8_t out[64];
  long n = base64_decode(s, out, cap);
  if (n < 0) return "<invalid>";
  return std::string(reinterpret_cast<char*>(out), size_t(n));
}

}  // namespace

TEST(WsBase64, Rfc4648Vectors) {
  const char* vectors[][2] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
  for (auto& v : vectors) {
    EXPECT_EQ(enc(v[0]), v[1]);
    EXPECT_EQ(dec(v[1]), v[0]);
  }
}

TEST(WsBase64, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; i++)
    all += char(i);
  for (size_t n = 0; n <= 64; n++) {
    std::string s = all.substr(n * 3 % 200, n);
    ASSERT_EQ(dec(enc(s)), s) << n;
  }
  // Both characters outside A-Za-z0-9: '+' (62) and '/' (63).
  EXPECT_EQ(enc(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(WsBase64, RefusesWhatIsNotBase64) {
  EXPECT_EQ(dec("Zg="), "<invalid>");  // length not a multiple of 4
  EXPECT_EQ(dec("Zg"), "<invalid>");
  EXPECT_EQ(dec("Zm9v YmFy"), "<invalid>");  // no whitespace
  EXPECT_EQ(dec("Zm9-"), "<invalid>");       // the URL-safe alphabet is not this one
  EXPECT_EQ(dec("Zm9_"), "<invalid>");
  EXPECT_EQ(dec("Z==="), "<invalid>");      // '=' in the second position
  EXPECT_EQ(dec("Zg=a"), "<invalid>");      // data after padding
  EXPECT_EQ(dec("Zg==Zg=="), "<invalid>");  // padding before the end
  EXPECT_EQ(dec("=Zg="), "<invalid>");
  EXPECT_EQ(dec(std::string("Zg=\0", 4)), "<invalid>");
  EXPECT_EQ(dec("Zm9vYmFy", 5), "<invalid>");  // more bytes than the output holds
  EXPECT_EQ(dec("Zm9vYmFy", 6), "foobar");
}

TEST(WsBase64, NonZeroPadBitsAreAccepted) {
  // "Zh==" has pad bits set; RFC 4648 §3.5 leaves it to the decoder.  Python's b64decode, and
  // so the clients built on it, accept it: so do we (the bits are dropped).
  EXPECT_EQ(dec("Zh=="), "f");
  EXPECT_EQ(dec("Zm9="), "fo");
}
