// The encoded value format: how a template's context reaches the renderer (written by the
// bindings through ContextWriter, on the interpreter thread), how the compiler stores
// constant lists and dicts, and how the renderer builds the lists it makes at run time.
//
// One value is a tag byte and its payload, little-endian, unaligned (read with memcpy), and
// position independent — a value can be copied anywhere with memcpy:
//
//   None False True                  tag only
//   Int      i64                     Float  f64
//   Str Safe Bytes BigInt Callable   u32 n, n bytes (Safe: a str marked safe, like Markup;
//                                    BigInt: decimal digits of an int beyond int64;
//                                    Callable: repr of a function or method, an error to use)
//   List Tuple                       u32 count, u32 body bytes, `count` values
//   Dict                             u32 count, u32 body bytes, `count` (key, value) pairs
//   Object                           u32 count, u32 body bytes, u8 flags (1: truthy, 2: has
//                                    __html__), str() as a Str value, its __html__() as a
//                                    Safe value when flag 2, `count` (key, attribute) pairs
//   Range                            i64 start, i64 stop, i64 step (a Python range)
//   key                              KeyId u16 (a name of the program's name table: every
//                                    key the writer finds in that table is stored this way),
//                                    or a Str or Int value
//
// A blob is valid only with the program whose name table its KeyIds index.  Nothing here
// allocates; readers trust the writer (the bindings, the compiler, the renderer), which
// bounds every length by the buffer it writes into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace viper::tmpl {

enum Tag : uint8_t {
  kNone = 0,
  kFalse,
  kTrue,
  kInt,
  kFloat,
  kStr,
  kSafe,
  kBytes,
  kBigInt,
  kCallable,
  kList,
  kTuple,
  kDict,
  kObject,
  kKeyId,
  kRange,  // i64 start, i64 stop, i64 step
};

inline uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline int64_t rd64(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline double rdf64(const uint8_t* p) {
  double v;
  std::memcpy(&v, p, 8);
  return v;
}

inline bool is_bytes_tag(uint8_t t) {
  return t == kStr || t == kSafe || t == kBytes || t == kBigInt || t == kCallable;
}
inline bool is_container_tag(uint8_t t) {
  return t == kList || t == kTuple || t == kDict || t == kObject;
}

// Total encoded size of the value at p (tag included).
inline size_t enc_size(const uint8_t* p) {
  switch (p[0]) {
    case kInt:
    case kFloat:
      return 9;
    case kKeyId:
      return 3;
    case kRange:
      return 25;
    case kStr:
    case kSafe:
    case kBytes:
    case kBigInt:
    case kCallable:
      return 5 + rd32(p + 1);
    case kList:
    case kTuple:
    case kDict:
    case kObject:
      return 9 + rd32(p + 5);
    default:
      return 1;
  }
}

inline uint32_t enc_count(const uint8_t* p) {
  return rd32(p + 1);
}
inline std::string_view enc_bytes(const uint8_t* p) {
  return {reinterpret_cast<const char*>(p + 5), rd32(p + 1)};
}
// First element (List/Tuple), first key (Dict, Object) of a container.
inline const uint8_t* enc_first(const uint8_t* p) {
  const uint8_t* b = p + 9;
  if (p[0] == kObject) {  // flags, str(), __html__()
    uint8_t flags = b[0];
    b = b + 1 + enc_size(b + 1);
    if (flags & 2) b += enc_size(b);
  }
  return b;
}
inline const uint8_t* enc_end(const uint8_t* p) {
  return p + enc_size(p);
}
inline bool enc_object_truthy(const uint8_t* p) {
  return (p[9] & 1) != 0;
}
inline std::string_view enc_object_repr(const uint8_t* p) {
  return enc_bytes(p + 10);
}
// An object with __html__ (not a str): what __html__() returned; false for others.
inline bool enc_object_html(const uint8_t* p, std::string_view* html) {
  if (!(p[9] & 2)) return false;
  const uint8_t* h = p + 10 + enc_size(p + 10);
  *html = enc_bytes(h);
  return true;
}

// Writes values into a caller's fixed buffer.  Containers are opened and closed around their
// items; a write past the end sets `overflow` (the whole blob is then unusable).  Used by the
// bindings (context), the compiler (constants) and the renderer (lists built at run time).
class EncodedWriter {
 public:
  EncodedWriter() = default;
  EncodedWriter(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}

  void none() { tag(kNone); }
  void boolean(bool b) { tag(b ? kTrue : kFalse); }
  void integer(int64_t v) {
    if (tag(kInt)) raw(&v, 8);
  }
  void real(double v) {
    if (tag(kFloat)) raw(&v, 8);
  }
  // kStr, kSafe, kBytes, kBigInt or kCallable
  void bytes(uint8_t t, std::string_view s) {
    if (!tag(t)) return;
    auto n = uint32_t(s.size());
    raw(&n, 4);
    raw(s.data(), s.size());
  }
  void range(int64_t start, int64_t stop, int64_t step) {
    if (tag(kRange)) {
      raw(&start, 8);
      raw(&stop, 8);
      raw(&step, 8);
    }
  }
  void key_id(uint16_t id) {
    if (tag(kKeyId)) raw(&id, 2);
  }
  // Opens a List, Tuple or Dict; returns its position for close().
  size_t open(uint8_t t) {
    size_t at = len_;
    if (tag(t)) {
      uint32_t z[2] = {0, 0};
      raw(z, 8);
    }
    return at;
  }
  // Opens an Object: its truthiness, str() and (for an object with __html__) what __html__()
  // returns come first, then (key, value) pairs.
  size_t open_object(bool truthy, std::string_view repr, const std::string_view* html = nullptr) {
    size_t at = open(kObject);
    uint8_t t = uint8_t((truthy ? 1 : 0) | (html != nullptr ? 2 : 0));
    raw(&t, 1);
    bytes(kStr, repr);
    if (html != nullptr) bytes(kSafe, *html);
    return at;
  }
  // `count`: items (List, Tuple) or pairs (Dict, Object).
  void close(size_t at, uint32_t count) {
    if (overflow_) return;
    auto body = uint32_t(len_ - at - 9);
    std::memcpy(buf_ + at + 1, &count, 4);
    std::memcpy(buf_ + at + 5, &body, 4);
  }
  // Copies an encoded value as is.
  void copy(const uint8_t* p) { raw(p, enc_size(p)); }

  bool overflow() const { return overflow_; }
  size_t size() const { return len_; }
  uint8_t* data() const { return buf_; }
  void set_overflow() { overflow_ = true; }

 private:
  bool tag(uint8_t t) { return raw(&t, 1); }
  bool raw(const void* p, size_t n) {
    if (overflow_ || n > cap_ - len_) {
      overflow_ = true;
      return false;
    }
    if (n) std::memcpy(buf_ + len_, p, n);
    len_ += n;
    return true;
  }
  uint8_t* buf_ = nullptr;
  size_t cap_ = 0;
  size_t len_ = 0;
  bool overflow_ = false;
};

}  // namespace viper::tmpl
