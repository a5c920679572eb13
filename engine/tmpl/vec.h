// A growable array of trivially copyable items on the engine's counting allocator, for the
// template compiler and cache (never the render path).  A failed growth sets `failed()` and
// drops the item, so a caller checks once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "mem/allocator.h"

namespace viper::tmpl {

template <typename T>
class Vec {
  static_assert(std::is_trivially_copyable_v<T>, "Vec holds plain data");

 public:
  Vec() = default;
  ~Vec() { mem::release(p_); }
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;

  bool push(T v) {  // by value: v may live in this vector, which growing frees
    if (n_ == cap_ && !grow(n_ + 1)) return false;
    p_[n_++] = v;
    return true;
  }
  bool append(const T* v, size_t k) {
    if (n_ + k > cap_ && !grow(n_ + k)) return false;
    if (k) std::memcpy(static_cast<void*>(p_ + n_), v, k * sizeof(T));
    n_ += k;
    return true;
  }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  void truncate(size_t n) {
    if (n < n_) n_ = n;
  }
  bool failed() const { return failed_; }

 private:
  bool grow(size_t want) {
    size_t cap = cap_ ? cap_ * 2 : 64;
    while (cap < want)
      cap *= 2;
    T* p = static_cast<T*>(mem::alloc(cap * sizeof(T)));
    if (p == nullptr) {
      failed_ = true;
      return false;
    }
    if (n_) std::memcpy(static_cast<void*>(p), p_, n_ * sizeof(T));
    mem::release(p_);
    p_ = p;
    cap_ = cap;
    return true;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
  size_t cap_ = 0;
  bool failed_ = false;
};

}  // namespace viper::tmpl
