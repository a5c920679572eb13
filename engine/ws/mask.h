// The XOR masking of RFC 6455 §5.3: the same operation masks (client) and unmasks (server).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace viper::ws {

// XORs p[0..n) with the 4-byte key, starting at key byte `phase` (0..3): the position of p[0]
// in the frame's payload modulo 4, so a payload may be unmasked piece by piece.  Returns the
// phase after the last byte.  Works eight bytes at a time.
inline uint8_t apply_mask(uint8_t* p, size_t n, const uint8_t key[4], uint8_t phase) {
  size_t i = 0;
  // Align the key with p: rotate it by `phase` once, then XOR whole words.
  uint8_t k[8];
  for (int j = 0; j < 8; j++)
    k[j] = key[(phase + j) & 3];
  uint64_t w8;
  std::memcpy(&w8, k, 8);
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= w8;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; i++)
    p[i] ^= k[i & 7];
  return uint8_t((phase + n) & 3);
}

}  // namespace viper::ws
