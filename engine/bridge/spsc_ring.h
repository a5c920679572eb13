// Single-producer single-consumer ring of fixed-size records (SPEC §2.3).
//
// One thread pushes, one thread pops; neither ever blocks or allocates.  Positions are free-
// running 32-bit counters (capacity is a power of two), so "full" and "empty" need no spare
// slot and wrap-around is plain unsigned arithmetic.  The producer publishes a record with a
// release store of `tail_`; the consumer frees it with a release store of `head_`.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "mem/allocator.h"

namespace viper::bridge {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "records are copied as bytes");

 public:
  // `capacity` is rounded up to a power of two.  False if out of memory.
  bool init(uint32_t capacity) {
    uint32_t cap = 1;
    while (cap < capacity)
      cap <<= 1;
    slots_ = mem::alloc_array<T>(cap);
    mask_ = cap - 1;
    return slots_ != nullptr;
  }
  void destroy() {
    mem::release(slots_);
    slots_ = nullptr;
  }

  // Producer side.
  bool push(const T& v) {
    uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    slots_[t & mask_] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Producer side: true if the next push() will succeed (space only grows meanwhile).
  bool can_push() {
    uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) head_cache_ = head_.load(std::memory_order_acquire);
    return t - head_cache_ <= mask_;
  }

  // Consumer side.
  bool pop(T* out) {
    uint32_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return false;
    }
    *out = slots_[h & mask_];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

  uint32_t capacity() const { return mask_ + 1; }
  // Approximate from either side (exact when the other side is quiet).
  uint32_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  T* slots_ = nullptr;
  uint32_t mask_ = 0;
  alignas(64) std::atomic<uint32_t> head_{0};  // consumer writes
  uint32_t tail_cache_ = 0;                    // consumer's last view of tail_
  alignas(64) std::atomic<uint32_t> tail_{0};  // producer writes
  uint32_t head_cache_ = 0;                    // producer's last view of head_
};

}  // namespace viper::bridge
