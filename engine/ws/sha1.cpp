#include "ws/sha1.h"

#include <cstring>

namespace viper::ws {

namespace {

inline uint32_t rol(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

}  // namespace

void Sha1::reset() {
  // FIPS 180-4 §5.3.1.
  h_[0] = 0x67452301;
  h_[1] = 0xEFCDAB89;
  h_[2] = 0x98BADCFE;
  h_[3] = 0x10325476;
  h_[4] = 0xC3D2E1F0;
  bytes_ = 0;
  buffered_ = 0;
}

void Sha1::block(const uint8_t* p) {
  // A 16-word ring instead of the 80-word schedule: 256 bytes less stack on the device.
  uint32_t w[16];
  for (int i = 0; i < 16; i++)
    w[i] = load_be32(p + 4 * i);
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (int t = 0; t < 80; t++) {
    if (t >= 16) {
      uint32_t x = w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15];
      w[t & 15] = rol(x, 1);
    }
    uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t tmp = rol(a, 5) + f + e + k + w[t & 15];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = tmp;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
}

void Sha1::update(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  bytes_ += n;
  if (buffered_ > 0) {
    size_t room = 64 - size_t(buffered_);
    size_t take = room < n ? room : n;
    std::memcpy(buf_ + buffered_, p, take);
    buffered_ = uint8_t(buffered_ + take);
    p += take;
    n -= take;
    if (buffered_ < 64) return;
    block(buf_);
    buffered_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64)
    block(p);
  if (n > 0) std::memcpy(buf_, p, n);
  buffered_ = uint8_t(n);
}

void Sha1::finish(uint8_t out[kDigestBytes]) {
  uint64_t bits = bytes_ * 8;
  // Padding: 0x80, zeros up to 56 mod 64, then the length in bits, big-endian.
  buf_[buffered_++] = 0x80;
  if (buffered_ > 56) {
    std::memset(buf_ + buffered_, 0, 64 - buffered_);
    block(buf_);
    buffered_ = 0;
  }
  std::memset(buf_ + buffered_, 0, 56 - buffered_);
  store_be32(buf_ + 56, uint32_t(bits >> 32));
  store_be32(buf_ + 60, uint32_t(bits));
  block(buf_);
  for (int i = 0; i < 5; i++)
    store_be32(out + 4 * i, h_[i]);
  reset();
}

void Sha1::digest(std::string_view s, uint8_t out[kDigestBytes]) {
  Sha1 h;
  h.update(s);
  h.finish(out);
}

}  // namespace viper::ws
