#include "ws/utf8.h"

#include <cstring>

namespace viper::ws {

namespace {

// Byte classes: bytes that lead to the same transitions share a class.
enum : uint8_t {
  kAscii,   // 00-7F
  kCont80,  // 80-8F  continuation, low
  kCont90,  // 90-9F  continuation, middle
  kContA0,  // A0-BF  continuation, high
  kBad,     // C0 C1 F5-FF: never in UTF-8 (overlong leads, beyond U+10FFFF)
  kLead2,   // C2-DF
  kE0,      // E0: the next byte must be A0-BF (no overlong 3-byte forms)
  kLead3,   // E1-EC EE EF
  kED,      // ED: the next byte must be 80-9F (no surrogates D800-DFFF)
  kF0,      // F0: the next byte must be 90-BF (no overlong 4-byte forms)
  kLead4,   // F1-F3
  kF4,      // F4: the next byte must be 80-8F (nothing above U+10FFFF)
  kClasses
};

// States: 0 accept; 1/2/3 = that many continuation bytes (80-BF) due; 4..7 = the byte after
// E0, ED, F0, F4 (restricted range); 8 reject.
enum : uint8_t { S0, S1, S2, S3, SE0, SED, SF0, SF4, SX };

struct Tables {
  uint8_t cls[256];
  uint8_t next[9][kClasses];
  constexpr Tables() : cls(), next() {
    for (int b = 0; b < 256; b++) {
      uint8_t c = kBad;
      if (b <= 0x7F)
        c = kAscii;
      else if (b <= 0x8F)
        c = kCont80;
      else if (b <= 0x9F)
        c = kCont90;
      else if (b <= 0xBF)
        c = kContA0;
      else if (b <= 0xC1)
        c = kBad;
      else if (b <= 0xDF)
        c = kLead2;
      else if (b == 0xE0)
        c = kE0;
      else if (b == 0xED)
        c = kED;
      else if (b <= 0xEF)
        c = kLead3;
      else if (b == 0xF0)
        c = kF0;
      else if (b <= 0xF3)
        c = kLead4;
      else if (b == 0xF4)
        c = kF4;
      cls[b] = c;
    }
    for (int s = 0; s < 9; s++)
      for (int c = 0; c < kClasses; c++)
        next[s][c] = SX;
    next[S0][kAscii] = S0;
    next[S0][kLead2] = S1;
    next[S0][kE0] = SE0;
    next[S0][kLead3] = S2;
    next[S0][kED] = SED;
    next[S0][kF0] = SF0;
    next[S0][kLead4] = S3;
    next[S0][kF4] = SF4;
    for (uint8_t c : {kCont80, kCont90, kContA0}) {
      next[S1][c] = S0;
      next[S2][c] = S1;
      next[S3][c] = S2;
    }
    next[SE0][kContA0] = S1;
    next[SED][kCont80] = S1;
    next[SED][kCont90] = S1;
    next[SF0][kCont90] = S2;
    next[SF0][kContA0] = S2;
    next[SF4][kCont80] = S2;
  }
};
constexpr Tables kT;

static_assert(Utf8Validator::kAccept == S0 && Utf8Validator::kReject == SX);

}  // namespace

bool Utf8Validator::feed(std::string_view s, size_t* bad_at) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  uint8_t st = state_;
  if (st == SX) {
    if (bad_at) *bad_at = 0;
    return false;
  }
  size_t i = 0;
  while (i < n) {
    if (st == S0) {
      // Between code points: skip ASCII a word at a time (text is mostly ASCII).
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      while (i < n && p[i] < 0x80)
        i++;
      if (i == n) break;
    }
    st = kT.next[st][kT.cls[p[i]]];
    if (st == SX) {
      state_ = SX;
      if (bad_at) *bad_at = i;
      return false;
    }
    i++;
  }
  state_ = st;
  return true;
}

bool utf8_valid(std::string_view s) {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

}  // namespace viper::ws
