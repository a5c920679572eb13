// Single-producer single-consumer byte ring for variable-length payloads (SPEC §2.3).
//
// The producer reserves a contiguous block, writes it, and commits; the consumer reads blocks
// in the same order and releases each one after copying it out.  A block never wraps: if it
// does not fit before the end of the storage, the producer skips the tail gap, and the gap is
// counted as used until the consumer releases past it.  (The original implementation ignored
// that gap in its free-space check and handed out overlapping blocks under load.)
//
// Positions are free-running 64-bit byte counters; a block is named by its start position.
// Only the low 32 bits of the consumer's position cross threads: the producer rebuilds the
// distance from its own position (write - read never exceeds the capacity, < 4 GB), so the ring
// needs no 64-bit atomics, which a 32-bit MCU would turn into locked library calls.
// Release is strictly in order: releasing block B frees everything before B's end.  A block of
// at most half the capacity always fits once the ring is empty; larger ones may have to wait
// for the positions to reach the wrap point, so users keep blocks within half the ring.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/allocator.h"

namespace viper::bridge {

class PayloadRing {
 public:
  bool init(uint32_t bytes) {
    buf_ = static_cast<char*>(mem::alloc(bytes));
    cap_ = bytes;
    return buf_ != nullptr;
  }
  void destroy() {
    mem::release(buf_);
    buf_ = nullptr;
  }

  // Producer: reserves `n` contiguous bytes.  Returns nullptr when they do not fit now;
  // otherwise the block's start position in *pos.  Nothing is visible to the consumer until
  // commit(): the record that names the block is what publishes it.
  char* reserve(uint32_t n, uint64_t* pos) {
    if (n > cap_) return nullptr;
    uint64_t w = write_;
    uint64_t off = w % cap_;
    uint64_t skip = off + n > cap_ ? cap_ - off : 0;
    if (w + skip + n - read_cache_ > cap_) {
      read_cache_ = w - distance(w);
      if (w + skip + n - read_cache_ > cap_) return nullptr;
    }
    *pos = w + skip;
    return buf_ + (*pos % cap_);
  }
  // Producer: makes the last reservation final (the bytes may be shorter than reserved:
  // `used` bytes from its start).
  void commit(uint64_t pos, uint32_t used) { write_ = pos + used; }

  // Consumer: the bytes of a block named by (pos, n) received in a record.
  const char* at(uint64_t pos) const { return buf_ + (pos % cap_); }
  // Consumer: frees every byte up to the end of this block.
  void release(uint64_t pos, uint32_t n) {
    read_.store(uint32_t(pos + n), std::memory_order_release);
  }

  uint32_t capacity() const { return cap_; }
  // Bytes in use, as the producer sees them.
  uint64_t used_by_producer() const { return distance(write_); }

 private:
  // Producer: bytes between the consumer's position and `w`, from the low words (mod 2^32).
  uint32_t distance(uint64_t w) const {
    return uint32_t(w) - read_.load(std::memory_order_acquire);
  }

  char* buf_ = nullptr;
  uint32_t cap_ = 0;
  alignas(64) std::atomic<uint32_t> read_{0};  // consumer writes: its position's low word
  alignas(64) uint64_t write_ = 0;             // producer only
  uint64_t read_cache_ = 0;                    // producer's last view of read_
};

}  // namespace viper::bridge
