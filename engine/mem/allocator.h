// The engine's counting allocator.  Every allocation the engine makes (pools at start-up, router
// nodes at registration) goes through here, so the engine can report what it holds, the tests
// can assert that nothing is allocated per request, and the esp32 profile can refuse a
// configuration that would not fit the device's memory budget (VIPER_MEMORY_BUDGET_BYTES).
#pragma once

#include <cstddef>
#include <cstdint>

namespace viper::mem {

// Returns nullptr when out of memory or over budget.  Memory is zeroed.
void* alloc(size_t bytes);
void release(void* p);

struct Stats {
  uint64_t allocations;   // calls to alloc() that succeeded, since start
  uint64_t bytes_in_use;  // as requested: what the budget is checked against
  uint64_t peak_bytes;
  uint64_t refused;  // calls refused: over budget, too large, or out of memory
  uint64_t budget;   // 0 = unlimited
  // What the heap really lends: each block with its header, rounded to the 64-byte alignment.
  uint64_t heap_bytes_in_use;
  // The part of heap_bytes_in_use in blocks of port::kLargeBlockBytes or more: buffers and
  // rings, which the ESP32 port places in PSRAM when the board has it.
  uint64_t large_bytes_in_use;
};
Stats stats();
// Overrides the compile-time budget (tests use it to exercise the refusal path).
void set_budget(uint64_t bytes);

// Allocate an array of T with alloc(); T must be trivially destructible or the caller must
// destroy the elements.
template <typename T>
T* alloc_array(size_t n) {
  if (n > SIZE_MAX / sizeof(T)) return static_cast<T*>(alloc(SIZE_MAX));  // refused, counted
  return static_cast<T*>(alloc(sizeof(T) * n));
}

}  // namespace viper::mem
