// SHA-1 (FIPS 180-4), for the WebSocket handshake's Sec-WebSocket-Accept only.
//
// Our own because the engine must not call into the interpreter, and MicroPython builds may
// lack hashlib's sha1.  SHA-1 is broken for collision resistance; RFC 6455 uses it only to show
// that the server understood the handshake, which is all it is used for here.  Incremental
// (update in any split gives the same digest), no allocation, about 100 bytes of state (on the
// stack of the handshake).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::ws {

class Sha1 {
 public:
  static constexpr size_t kDigestBytes = 20;

  Sha1() { reset(); }
  void reset();
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Writes the digest and leaves the object reset, ready for another message.
  void finish(uint8_t out[kDigestBytes]);

  // One-shot convenience.
  static void digest(std::string_view s, uint8_t out[kDigestBytes]);

 private:
  void block(const uint8_t* p);  // one 64-byte block into h_
  uint32_t h_[5];
  uint64_t bytes_;    // message length so far (the padding needs it in bits)
  uint8_t buf_[64];   // a partial block
  uint8_t buffered_;  // bytes in buf_
};

}  // namespace viper::ws
