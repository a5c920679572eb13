// A fixed pool of equal-sized buffers, carved from one allocation at start-up.  Buffers are
// lent to connections while they have bytes in flight and returned when they go idle, so the
// number of buffers bounds memory whatever the number of connections.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mem/allocator.h"

namespace viper::net {

class BufferPool {
 public:
  // Returns false if the memory could not be had (out of memory or over budget).
  bool init(uint32_t count, uint32_t size) {
    size_ = size;
    count_ = count;
    storage_ = static_cast<char*>(mem::alloc(size_t(count) * size));
    free_ = mem::alloc_array<char*>(count);
    if (storage_ == nullptr || free_ == nullptr) return false;
    for (uint32_t i = 0; i < count; i++)
      free_[i] = storage_ + size_t(count - 1 - i) * size;
    top_ = count;
    return true;
  }
  void destroy() {
    mem::release(storage_);
    mem::release(free_);
    storage_ = nullptr;
    free_ = nullptr;
  }
  char* take() { return top_ == 0 ? nullptr : free_[--top_]; }
  void give(char* b) { free_[top_++] = b; }
  uint32_t size() const { return size_; }
  uint32_t in_use() const { return count_ - top_; }

 private:
  char* storage_ = nullptr;
  char** free_ = nullptr;
  uint32_t size_ = 0, count_ = 0, top_ = 0;
};

}  // namespace viper::net
