#include "ws/base64.h"

namespace viper::ws {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for the alphabet, 64 for '=', 255 for anything else.
struct DecodeTable {
  uint8_t v[256];
  constexpr DecodeTable() : v() {
    for (int i = 0; i < 256; i++)
      v[i] = 255;
    for (int i = 0; i < 64; i++)
      v[uint8_t(kAlphabet[i])] = uint8_t(i);
    v[uint8_t('=')] = 64;
  }
};
constexpr DecodeTable kDecode;

}  // namespace

size_t base64_encode(const uint8_t* in, size_t n, char* out) {
  char* o = out;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8 | in[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(in[i]) << 16;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (n - i == 2) {
    uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = '=';
  }
  return size_t(o - out);
}

long base64_decode(std::string_view in, uint8_t* out, size_t cap) {
  if (in.size() % 4 != 0) return -1;
  size_t len = 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint8_t a = kDecode.v[uint8_t(in[i])], b = kDecode.v[uint8_t(in[i + 1])];
    uint8_t c = kDecode.v[uint8_t(in[i + 2])], d = kDecode.v[uint8_t(in[i + 3])];
    bool last = i + 4 == in.size();
    // '=' only in the last quantum, as "xx==" or "xxx=".
    if (a > 63 || b > 63) return -1;
    int bytes = 3;
    if (c == 64) {
      if (!last || d != 64) return -1;
      bytes = 1;
    } else if (d == 64) {
      if (!last) return -1;
      bytes = 2;
    }
    if (c == 255 || d == 255) return -1;
    if (len + size_t(bytes) > cap) return -1;
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c & 63) << 6 | (d & 63);
    out[len++] = uint8_t(v >> 16);
    if (bytes > 1) out[len++] = uint8_t(v >> 8);
    if (bytes > 2) out[len++] = uint8_t(v);
  }
  return long(len);
}

}  // namespace viper::ws
