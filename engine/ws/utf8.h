// Incremental UTF-8 validation (RFC 3629 / Unicode Table 3-7) for WebSocket text messages.
//
// A DFA over byte classes: the state after each byte says how many continuation bytes are still
// due and which range the next one must be in, so a text message can be checked piece by piece
// as it arrives, split anywhere (across frames, across reads, inside a code point).  The DFA
// rejects at the first byte that cannot be part of a valid sequence — an overlong form (C0, C1,
// E0 80-9F, F0 80-8F), a surrogate (ED A0-BF), a code point above U+10FFFF (F4 90-BF, F5-FF),
// a missing or stray continuation byte — which is the "fail fast" Autobahn's 6.x cases expect:
// the connection is failed (1007) as soon as the bad byte arrives, not at the end of the
// message.  ASCII runs are skipped eight bytes at a time.  One byte of state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::ws {

class Utf8Validator {
 public:
  void reset() { state_ = kAccept; }

  // Validates the next piece.  Returns false at the first invalid byte (and stays failed until
  // reset); `*bad_at`, if given, is then set to that byte's offset in `s`.  An incomplete
  // sequence at the end of `s` is not an error: it may be completed by the next piece.
  bool feed(std::string_view s, size_t* bad_at = nullptr);

  // True when everything fed so far is complete, valid UTF-8 (no sequence left open): check it
  // at the end of a message.
  bool complete() const { return state_ == kAccept; }
  bool failed() const { return state_ == kReject; }

  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 8;

 private:
  uint8_t state_ = kAccept;
};

// Whole-string check (close reasons, handshake values).
bool utf8_valid(std::string_view s);

}  // namespace viper::ws
