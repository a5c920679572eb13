// viper::Counter: the single-writer counters of the stats.  SplitCounter is what 32-bit MCUs
// use (no 64-bit atomics there); it is tested here on the PC, including readers racing the
// carry into the high word (also under TSan in scripts/test.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "viper/counter.h"

using viper::SplitCounter;
using viper::WideCounter;

template <typename C>
class CounterTest : public ::testing::Test {};
using CounterTypes = ::testing::Types<SplitCounter, WideCounter>;
TYPED_TEST_SUITE(CounterTest, CounterTypes);

TYPED_TEST(CounterTest, CountsAcrossThe32BitBoundary) {
  TypeParam c;
  EXPECT_EQ(c.get(), 0u);
  c.set(0xFFFFFFFEu);
  c.inc();
  EXPECT_EQ(c.get(), 0xFFFFFFFFu);
  c.inc();  // carries into the high word
  EXPECT_EQ(c.get(), 0x100000000u);
  c.inc(0x1FFFFFFFFull);
  EXPECT_EQ(c.get(), 0x2FFFFFFFFull);
  c.dec();
  EXPECT_EQ(c.get(), 0x2FFFFFFFEull);
  c.dec(0x1FFFFFFFFull);  // borrows from the high word
  EXPECT_EQ(c.get(), 0xFFFFFFFFu);
  c.set(uint64_t(1) << 62);
  EXPECT_EQ(c.get(), uint64_t(1) << 62);
}

// A reader on another thread never sees a torn value: every value it reads is one the writer
// stored (here: a multiple of the step), and values never go backwards.  Each step crosses a
// carry or lands next to one, where a torn read would be off by 4 GB.
TYPED_TEST(CounterTest, ReaderNeverSeesATornValue) {
  TypeParam c;
  constexpr uint64_t kStep = 0x80000001ull;  // about 2 GB: a carry every other step
  constexpr uint64_t kMinSteps = 200000, kMinReads = 100000;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  uint64_t bad = 0, backwards = 0;
  std::thread reader([&] {
    uint64_t last = 0;
    do {
      uint64_t v = c.get();
      if (v % kStep != 0) bad++;
      if (v < last) backwards++;
      last = v;
      reads.fetch_add(1, std::memory_order_relaxed);
    } while (!done.load(std::memory_order_acquire));
  });
  // The writer goes on until the reader has read often enough, however the threads start.
  uint64_t steps = 0;
  while (steps < kMinSteps || reads.load(std::memory_order_relaxed) < kMinReads) {
    c.inc(kStep);
    steps++;
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(c.get(), kStep * steps);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(backwards, 0u);
}

// What a 32-bit MCU compiles: the chosen type must not need 64-bit atomics where they are not
// lock-free (scripts/mcu-size.sh checks the cross build for __atomic_*_8 calls).
TEST(Counter, ChoiceFollowsTheCpu) {
  if (std::atomic<uint64_t>::is_always_lock_free) {
    EXPECT_TRUE((std::is_same_v<viper::Counter, WideCounter>));
  } else {
    EXPECT_TRUE((std::is_same_v<viper::Counter, SplitCounter>));
  }
  EXPECT_TRUE(std::atomic<uint32_t>::is_always_lock_free);
}
