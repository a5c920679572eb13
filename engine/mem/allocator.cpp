#include "mem/allocator.h"

#include <atomic>
#include <cstdint>
#include <cstring>

#include "port/port.h"
#include "viper/config.h"

namespace viper::mem {
namespace {

// A header in front of each block remembers its size, so release() can account for it.  Blocks
// are cache-line aligned: the bridge keeps its producer and consumer indices on separate lines
// (alignas(64)), and there are only a handful of allocations, all at start-up.
constexpr size_t kAlign = 64;
struct alignas(kAlign) BlockHeader {
  size_t bytes;
};

// The largest request alloc() can satisfy: header and rounding must not wrap size_t (a 32-bit
// MCU asked for 4 GB would otherwise get a 64-byte block).
constexpr size_t kMaxRequest = SIZE_MAX - sizeof(BlockHeader) - kAlign;

// Word-sized counters: lock-free everywhere, also on 32-bit MCUs where 64-bit atomics are
// library calls (__atomic_*_8).  Bytes held can never exceed the address space, so size_t is
// exact; several threads allocate (start-up, route registration), hence the read-modify-writes.
std::atomic<size_t> g_allocations{0};
std::atomic<size_t> g_in_use{0};
std::atomic<size_t> g_heap_in_use{0};
std::atomic<size_t> g_large_in_use{0};
std::atomic<size_t> g_peak{0};
std::atomic<size_t> g_refused{0};
std::atomic<size_t> g_budget{size_t(VIPER_MEMORY_BUDGET_BYTES)};

size_t block_bytes(size_t bytes) {
  return (sizeof(BlockHeader) + bytes + kAlign - 1) / kAlign * kAlign;
}

void* refuse() {
  g_refused.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

}  // namespace

void* alloc(size_t bytes) {
  if (bytes > kMaxRequest) return refuse();
  size_t budget = g_budget.load(std::memory_order_relaxed);
  size_t in_use = g_in_use.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  // in_use < bytes: the sum wrapped (only possible with requests near the address space).
  if (in_use < bytes || (budget != 0 && in_use > budget)) {
    g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
    return refuse();
  }
  size_t total = block_bytes(bytes);
  auto* h = static_cast<BlockHeader*>(port::alloc_aligned(kAlign, total));
  if (h == nullptr) {
    g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
    return refuse();
  }
  std::memset(static_cast<void*>(h), 0, total);
  h->bytes = bytes;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_heap_in_use.fetch_add(total, std::memory_order_relaxed);
  if (total >= port::kLargeBlockBytes) g_large_in_use.fetch_add(total, std::memory_order_relaxed);
  size_t peak = g_peak.load(std::memory_order_relaxed);
  while (in_use > peak && !g_peak.compare_exchange_weak(peak, in_use)) {
  }
  return h + 1;
}

void release(void* p) {
  if (p == nullptr) return;
  auto* h = static_cast<BlockHeader*>(p) - 1;
  size_t total = block_bytes(h->bytes);
  g_in_use.fetch_sub(h->bytes, std::memory_order_relaxed);
  g_heap_in_use.fetch_sub(total, std::memory_order_relaxed);
  if (total >= port::kLargeBlockBytes) g_large_in_use.fetch_sub(total, std::memory_order_relaxed);
  port::free_aligned(h);
}

Stats stats() {
  return Stats{g_allocations.load(), g_in_use.load(),      g_peak.load(),        g_refused.load(),
               g_budget.load(),      g_heap_in_use.load(), g_large_in_use.load()};
}

void set_budget(uint64_t bytes) {
  g_budget.store(bytes > SIZE_MAX ? SIZE_MAX : size_t(bytes));
}

}  // namespace viper::mem
