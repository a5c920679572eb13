// Tokens of deferred requests (Responder::defer): which slot, and which of its requests.
//
// A token is `generation << slot_bits | slot`, always below 2^30: on a 32-bit MicroPython (the
// device) every token is a small int, so passing one to Python and back allocates nothing.
// slot_bits is just wide enough for the pool (max_connections - 1), and the generation takes
// the remaining bits: 27 on the device's 8 slots, 18 at the 4096-slot cap.  Each slot counts its
// own deferred requests, so a token goes stale once its slot defers again (a new request on the
// same connection, or a new connection in the slot): complete() then sees another generation
// and drops the response as late, however late it comes, until that one slot has deferred
// 2^generation_bits more times while the stale response was still held.
//
// Generations start a few steps below the wrap (as Linux starts jiffies just before theirs),
// so every server crosses the wrap within its first requests per slot and a mistake there
// shows in any test, not after 2^27 requests.  The format is described for users in
// docs/native-api.md.
#pragma once

#include <bit>
#include <cstdint>

#include "viper/config.h"

namespace viper::net {

// The token is a non-negative small int of a 32-bit MicroPython (31-bit signed).
inline constexpr uint32_t kTokenBits = 30;
// At least this many generation bits, whatever the pool size.
static_assert(VIPER_MAX_CONNECTIONS_CAP <= (1u << (kTokenBits - 12)),
              "slot indices would leave fewer than 12 bits for the generation");
// A slot's deferred request number 8 is the first whose generation wrapped to 0.
inline constexpr uint32_t kRequestsBeforeFirstWrap = 8;

class TokenFormat {
 public:
  explicit TokenFormat(uint32_t slots = 1)
      : slot_bits_(uint8_t(std::bit_width(slots > 1 ? slots - 1 : 0u))),
        generation_mask_((1u << (kTokenBits - slot_bits_)) - 1) {}

  uint32_t make(uint32_t slot, uint32_t generation) const {
    return (generation & generation_mask_) << slot_bits_ | slot;
  }
  // False for a value no token can have (2^30 or more).
  bool split(uint32_t token, uint32_t* slot, uint32_t* generation) const {
    if (token >> kTokenBits != 0) return false;
    *slot = token & ((1u << slot_bits_) - 1);
    *generation = token >> slot_bits_;
    return true;
  }
  uint32_t next(uint32_t generation) const { return (generation + 1) & generation_mask_; }
  // A slot's generation before its first deferred request.
  uint32_t first_generation() const {
    return (generation_mask_ - kRequestsBeforeFirstWrap + 1) & generation_mask_;
  }
  uint32_t generation_mask() const { return generation_mask_; }
  uint8_t slot_bits() const { return slot_bits_; }

 private:
  uint8_t slot_bits_;
  uint32_t generation_mask_;
};

}  // namespace viper::net
