// A value while rendering: 24 bytes, no ownership.  Scalars are held directly; strings are
// views (into the context blob, the program, or render scratch); containers stay encoded and
// are referred to by a pointer to their tag.
#pragma once

#include <cstdint>
#include <string_view>

#include "tmpl/encoded.h"

namespace viper::tmpl {

enum class VK : uint8_t {
  Undefined,
  None,
  Bool,
  Int,
  Float,
  Str,  // safe: marked safe (Markup)
  Bytes,
  BigInt,  // decimal digits (with '-')
  Enc,     // an encoded List, Tuple, Dict, Object or Callable
  Pair,    // a dict entry seen as a (key, value) tuple: e points at the key
  Range,   // i start, j stop, n step
  View,    // dict.items() (aux 0), keys() (1), values() (2): e is the dict
  Loop,    // the `loop` variable: i is the loop's index in the loop stack
};

// Why a value is undefined (for messages, and the inline-if one is never strict).
enum UndefHint : uint8_t { kUndefName, kUndefAttr, kUndefItem, kUndefInlineIf, kUndefEmpty };

struct Value {
  VK k = VK::Undefined;
  uint8_t safe = 0;  // Str: Markup
  uint8_t aux = 0;   // View: which; Undefined: UndefHint
  uint8_t pad = 0;
  uint32_t n = 0;  // Str/Bytes/BigInt: length; Range: step (as int32); Undefined: name id
  union {
    int64_t i;
    double f;
    const char* s;
    const uint8_t* e;
  };
  int64_t j = 0;  // Range: stop

  Value() : i(0) {}
  std::string_view sv() const { return {s, n}; }
  bool is_str() const { return k == VK::Str; }
  bool is_num() const { return k == VK::Bool || k == VK::Int || k == VK::Float; }
  uint8_t tag() const { return k == VK::Enc ? e[0] : 0xff; }
};
static_assert(sizeof(Value) == 24, "values are copied everywhere");

inline Value v_none() {
  Value v;
  v.k = VK::None;
  return v;
}
inline Value v_bool(bool b) {
  Value v;
  v.k = VK::Bool;
  v.i = b ? 1 : 0;
  return v;
}
inline Value v_int(int64_t x) {
  Value v;
  v.k = VK::Int;
  v.i = x;
  return v;
}
inline Value v_float(double x) {
  Value v;
  v.k = VK::Float;
  v.f = x;
  return v;
}
inline Value v_str(std::string_view s, bool safe = false) {
  Value v;
  v.k = VK::Str;
  v.s = s.data();
  v.n = uint32_t(s.size());
  v.safe = safe ? 1 : 0;
  return v;
}
inline Value v_undef(UndefHint why, uint16_t name = 0xffff) {
  Value v;
  v.k = VK::Undefined;
  v.aux = why;
  v.n = name;
  return v;
}

// The value encoded at p (a scalar becomes a direct value; a container stays encoded).
inline Value decode(const uint8_t* p) {
  Value v;
  switch (p[0]) {
    case kNone:
      return v_none();
    case kFalse:
      return v_bool(false);
    case kTrue:
      return v_bool(true);
    case kInt:
      return v_int(rd64(p + 1));
    case kFloat:
      return v_float(rdf64(p + 1));
    case kStr:
    case kSafe:
      return v_str(enc_bytes(p), p[0] == kSafe);
    case kBytes:
    case kBigInt:
      v = v_str(enc_bytes(p));
      v.k = p[0] == kBytes ? VK::Bytes : VK::BigInt;
      return v;
    case kRange:
      v.k = VK::Range;
      v.i = rd64(p + 1);
      v.j = rd64(p + 9);
      v.n = uint32_t(int32_t(rd64(p + 17)));
      return v;
    default:
      v.k = VK::Enc;
      v.e = p;
      return v;
  }
}

}  // namespace viper::tmpl
