#include "mem/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "viper/config.h"

namespace viper::mem {
namespace {

// A header in front of each block remembers its size, so release() can account for it.
struct alignas(16) BlockHeader {
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
  auto* h = static_cast<BlockHeader*>(std::calloc(1, sizeof(BlockHeader) + bytes));
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
