#include "mem/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "viper/config.h"

namespace viper::mem {
namespace {

// A header in front of each block remembers its size, so release() can account for it.  Blocks
// are cache-line aligned: the bridge keeps its producer and consumer indices on separate lines
// (alignas(64)), and there are only a handful of allocations, all at start-up.
constexpr size_t kAlign = 64;
struct alignas(kAlign) BlockHeader {
  uint64_t bytes;
};

std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_in_use{0};
std::atomic<uint64_t> g_peak{0};
std::atomic<uint64_t> g_refused{0};
std::atomic<uint64_t> g_budget{VIPER_MEMORY_BUDGET_BYTES};

}  // namespace

void* alloc(size_t bytes) {
  uint64_t budget = g_budget.load(std::memory_order_relaxed);
  uint64_t in_use = g_in_use.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (budget != 0 && in_use > budget) {
    g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
    g_refused.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  size_t total = (sizeof(BlockHeader) + bytes + kAlign - 1) / kAlign * kAlign;
  auto* h = static_cast<BlockHeader*>(std::aligned_alloc(kAlign, total));
  if (h != nullptr) std::memset(static_cast<void*>(h), 0, total);
  if (h == nullptr) {
    g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
    g_refused.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  h->bytes = bytes;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  uint64_t peak = g_peak.load(std::memory_order_relaxed);
  while (in_use > peak && !g_peak.compare_exchange_weak(peak, in_use)) {
  }
  return h + 1;
}

void release(void* p) {
  if (p == nullptr) return;
  auto* h = static_cast<BlockHeader*>(p) - 1;
  g_in_use.fetch_sub(h->bytes, std::memory_order_relaxed);
  std::free(h);
}

Stats stats() {
  return Stats{g_allocations.load(), g_in_use.load(), g_peak.load(), g_refused.load(),
               g_budget.load()};
}

void set_budget(uint64_t bytes) {
  g_budget.store(bytes);
}

}  // namespace viper::mem
