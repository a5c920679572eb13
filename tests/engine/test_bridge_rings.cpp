// The bridge's rings: single-threaded edge cases, then a producer and a consumer thread
// hammering them (run under TSan in CI).
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "bridge/payload_ring.h"
#include "bridge/spsc_ring.h"

using namespace viper::bridge;

namespace {

struct Rec {
  uint64_t pos;
  uint32_t len;
  uint32_t seq;
};

TEST(SpscRing, FullAndEmptyWithoutSpareSlot) {
  SpscRing<uint32_t> r;
  ASSERT_TRUE(r.init(3));  // rounded to 4
  EXPECT_EQ(r.capacity(), 4u);
  uint32_t v;
  EXPECT_FALSE(r.pop(&v));
  for (uint32_t i = 0; i < 4; i++)
    EXPECT_TRUE(r.push(i));
  EXPECT_FALSE(r.push(99));
  for (uint32_t i = 0; i < 4; i++) {
    ASSERT_TRUE(r.pop(&v));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(r.pop(&v));
  r.destroy();
}

TEST(SpscRing, CountersWrapAround) {
  SpscRing<uint32_t> r;
  ASSERT_TRUE(r.init(2));
  uint32_t v;
  for (uint32_t i = 0; i < 100000; i++) {
    ASSERT_TRUE(r.push(i));
    ASSERT_TRUE(r.pop(&v));
    ASSERT_EQ(v, i);
  }
  r.destroy();
}

TEST(PayloadRing, SkipsTheTailGapAndCountsIt) {
  PayloadRing p;
  ASSERT_TRUE(p.init(100));
  uint64_t a = 0, b = 0, c = 0;
  ASSERT_NE(p.reserve(60, &a), nullptr);
  p.commit(a, 60);
  // 40 bytes remain at the end, 0 at the start: 50 does not fit anywhere yet.
  EXPECT_EQ(p.reserve(50, &b), nullptr);
  ASSERT_NE(p.reserve(30, &b), nullptr);
  p.commit(b, 30);
  EXPECT_EQ(b, 60u);
  p.release(a, 60);
  // 10 bytes at the end (gap), 60 free at the start: a 50-byte block goes to the start.
  char* q = p.reserve(50, &c);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(c, 100u);
  EXPECT_EQ(q, p.at(0));
  p.commit(c, 50);
  // Used: 30 (b) + 10 (gap) + 50 (c) = 90; 11 bytes cannot fit, 10 cannot either (the 10
  // free bytes are split: none at the end after c, 10 before b... b still holds 60..90).
  uint64_t d = 0;
  EXPECT_EQ(p.reserve(11, &d), nullptr);
  p.release(b, 30);
  p.release(c, 50);
  EXPECT_EQ(p.used_by_producer(), 0u);
  EXPECT_EQ(p.reserve(101, &d), nullptr);  // larger than the ring: never
  // Empty, write position at 150 (offset 50): a whole-ring block must wait for offset 0, but
  // any block up to half the ring fits an empty ring wherever the positions are.
  EXPECT_EQ(p.reserve(100, &d), nullptr);
  for (uint32_t n = 1; n <= 50; n++) {
    ASSERT_NE(p.reserve(n, &d), nullptr) << n;
  }
  p.destroy();
}

TEST(PayloadRing, ShorterCommitThanReservation) {
  PayloadRing p;
  ASSERT_TRUE(p.init(64));
  uint64_t a = 0, b = 0;
  ASSERT_NE(p.reserve(64, &a), nullptr);
  p.commit(a, 10);
  ASSERT_NE(p.reserve(54, &b), nullptr);
  EXPECT_EQ(b, 10u);
  p.destroy();
}

// Positions run past 2^32: only the low 32 bits of the consumer's position cross threads (no
// 64-bit atomics on a 32-bit MCU), and the producer must still see exactly how full the ring
// is when both positions straddle the boundary.  A ring of 3000 bytes does not divide 2^32, so
// the boundary falls in the middle of the storage.
TEST(PayloadRing, PositionsPast4GB) {
  PayloadRing p;
  ASSERT_TRUE(p.init(3000));
  uint64_t pos = 0, last_end = 0;
  constexpr uint32_t kBlock = 1400;  // two fit, a third does not
  // Walk the positions to just below 2^32 (blocks are never touched, so this is quick).
  while (last_end < (uint64_t(1) << 32) - 4 * kBlock) {
    ASSERT_NE(p.reserve(kBlock, &pos), nullptr);
    p.commit(pos, kBlock);
    p.release(pos, kBlock);
    last_end = pos + kBlock;
  }
  for (int round = 0; round < 16; round++) {  // across the boundary and beyond
    uint64_t a = 0, b = 0, c = 0;
    ASSERT_NE(p.reserve(kBlock, &a), nullptr) << round;
    p.commit(a, kBlock);
    ASSERT_NE(p.reserve(kBlock, &b), nullptr) << round;
    p.commit(b, kBlock);
    EXPECT_EQ(p.reserve(kBlock, &c), nullptr) << round;  // full: 2800 + a gap, or 4200 > 3000
    EXPECT_GE(p.used_by_producer(), 2u * kBlock);
    p.release(a, kBlock);
    p.release(b, kBlock);
    EXPECT_EQ(p.used_by_producer(), 0u) << round;
    pos = b;
  }
  EXPECT_GT(pos, uint64_t(1) << 32);
  p.destroy();
}

// A producer thread sends blocks of varying size (forcing wraps and gaps); a consumer thread
// checks every byte and releases in order.  Any overlap or lost publication shows up as a
// content mismatch; TSan checks the memory ordering.
TEST(BridgeRings, ProducerConsumerThreads) {
  SpscRing<Rec> records;
  PayloadRing payload;
  ASSERT_TRUE(records.init(64));
  ASSERT_TRUE(payload.init(4096));
  constexpr uint32_t kCount = 200000;
  std::thread consumer([&] {
    uint32_t next = 0;
    Rec r;
    while (next < kCount) {
      if (!records.pop(&r)) {
        std::this_thread::yield();
        continue;
      }
      ASSERT_EQ(r.seq, next);
      const char* p = payload.at(r.pos);
      for (uint32_t i = 0; i < r.len; i++)
        ASSERT_EQ(uint8_t(p[i]), uint8_t(r.seq + i)) << r.seq;
      payload.release(r.pos, r.len);
      next++;
    }
  });
  for (uint32_t seq = 0; seq < kCount; seq++) {
    uint32_t len = 1 + (seq * 7919u) % 1500u;
    uint64_t pos;
    char* dst;
    while ((dst = payload.reserve(len, &pos)) == nullptr)
      std::this_thread::yield();
    for (uint32_t i = 0; i < len; i++)
      dst[i] = char(uint8_t(seq + i));
    payload.commit(pos, len);
    while (!records.push(Rec{pos, len, seq}))
      std::this_thread::yield();
  }
  consumer.join();
  records.destroy();
  payload.destroy();
}

}  // namespace
