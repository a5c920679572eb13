// Counters written by one thread and read by any (stats, /metrics): no read-modify-write, and
// no 64-bit atomics where the CPU has none.
//
// On a 32-bit MCU (Cortex-M, the ESP32-S3's Xtensa) std::atomic<uint64_t> is not lock-free:
// every load and store becomes a call to libatomic's __atomic_load_8/__atomic_store_8, which
// take a global lock (ESP-IDF: a spinlock with interrupts off).  A 32-bit counter would wrap:
// 4 GB of static bytes is hours of traffic.  So there the counter is two 32-bit words, and the
// high word doubles as a sequence number: the writer marks it odd while it carries into it, and
// a reader retries when it saw an odd or a changed high word.  The common increment (no carry)
// is one 32-bit load and one 32-bit store, as cheap as the 64-bit store on a 64-bit CPU; the
// reader never sees a torn value (e.g. the low word already wrapped but the high one not yet
// incremented, which would read as 4 GB less).  Values up to 2^63.
#pragma once

#include <atomic>
#include <cstdint>

namespace viper {

// 64-bit CPUs: one relaxed load and store.
class WideCounter {
 public:
  void inc(uint64_t n = 1) { set(get() + n); }
  void dec(uint64_t n = 1) { set(get() - n); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  void set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// 32-bit CPUs: two words and a sequence in the high one (see above).
class SplitCounter {
 public:
  void inc(uint64_t n = 1) { set(get() + n); }
  void dec(uint64_t n = 1) { set(get() - n); }

  // Any thread.
  uint64_t get() const {
    for (;;) {
      uint32_t h1 = hi_.load(std::memory_order_acquire);
      uint32_t lo = lo_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      uint32_t h2 = hi_.load(std::memory_order_relaxed);
      if (h1 == h2 && (h1 & 1u) == 0) return uint64_t(h1 >> 1) << 32 | lo;
    }
  }

  // The writing thread only.
  void set(uint64_t v) {
    uint32_t hi = uint32_t(v >> 32) << 1;  // 31 bits of value, shifted over the odd flag
    uint32_t lo = uint32_t(v);
    uint32_t old_hi = hi_.load(std::memory_order_relaxed);
    if (hi == old_hi) {
      lo_.store(lo, std::memory_order_relaxed);
      return;
    }
    hi_.store(old_hi | 1u, std::memory_order_relaxed);  // readers retry from here ...
    std::atomic_thread_fence(std::memory_order_release);
    lo_.store(lo, std::memory_order_relaxed);
    hi_.store(hi, std::memory_order_release);  // ... to here
  }

 private:
  std::atomic<uint32_t> hi_{0};
  std::atomic<uint32_t> lo_{0};
};

#if ATOMIC_LLONG_LOCK_FREE == 2
using Counter = WideCounter;
#else
using Counter = SplitCounter;
#endif

}  // namespace viper
