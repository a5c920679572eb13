// Base64 (RFC 4648 §4: the standard alphabet with '=' padding), for the WebSocket handshake:
// Sec-WebSocket-Key is checked by decoding it, Sec-WebSocket-Accept is an encoded SHA-1.
// No allocation; the caller gives the output buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::ws {

// Characters the encoding of n bytes takes (always a multiple of 4).
constexpr size_t base64_encoded_size(size_t n) {
  return (n + 2) / 3 * 4;
}

// Encodes in[0..n) into out (base64_encoded_size(n) bytes, no terminator); returns that size.
size_t base64_encode(const uint8_t* in, size_t n, char* out);

// Decodes `in` into out[0..cap).  Returns the decoded size, or -1 when `in` is not base64:
// a length that is not a multiple of 4, a character outside the alphabet, '=' anywhere but the
// last one or two positions, or more bytes than `cap`.  No whitespace is skipped.  Pad bits
// that are not zero (e.g. "QR==" for "A") are accepted, as Python's b64decode and the
// WebSocket implementations it backs accept them (RFC 4648 §3.5 lets a decoder choose).
long base64_decode(std::string_view in, uint8_t* out, size_t cap);

}  // namespace viper::ws
