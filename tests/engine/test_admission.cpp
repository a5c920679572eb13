// Pool admission decisions (engine/net/admission.h), without sockets.
#include <gtest/gtest.h>

#include "net/admission.h"

using viper::net::Admission;
using viper::net::AdmissionOptions;
using viper::net::EvictionCandidates;
using viper::net::Victim;

namespace {

Admission make(uint32_t idle = 1000, uint32_t head = 500, uint32_t turn = 20, uint32_t bound = 5000,
               uint32_t silent = 5000) {
  Admission a;
  a.configure(AdmissionOptions{idle, head, silent, turn, bound});
  return a;
}

EvictionCandidates all(uint64_t idle_since, uint64_t head_since, bool linger = false) {
  EvictionCandidates c;
  c.linger = linger;
  c.idle = true;
  c.idle_since_ms = idle_since;
  c.head = true;
  c.head_since_ms = head_since;
  return c;
}

}  // namespace

TEST(Admission, NobodyWaitingEvictsNothingAndEndsNoTurn) {
  Admission a = make();
  EXPECT_FALSE(a.waiting());
  EXPECT_EQ(a.pick(100000, all(0, 0, true)), Victim::None);
  EXPECT_FALSE(a.turn_over(100000, 0));
  EXPECT_FALSE(a.expired(100000));
  EXPECT_EQ(a.next_deadline(all(0, 0, true)), Admission::kNever);
}

TEST(Admission, LingeringGoesFirstAndAtOnce) {
  Admission a = make();
  a.clients_waiting(1000);
  EXPECT_EQ(a.pick(1000, all(1000, 1000, true)), Victim::Linger);
  EXPECT_EQ(a.next_deadline(all(1000, 1000, true)), 0u);
}

TEST(Admission, IdleOnlyAfterItsIdleTime) {
  Admission a = make(1000, 500);
  a.clients_waiting(10000);
  EvictionCandidates c;
  c.idle = true;
  c.idle_since_ms = 9500;  // idle for 500 ms at t=10000
  EXPECT_EQ(a.pick(10000, c), Victim::None);
  EXPECT_EQ(a.pick(10499, c), Victim::None);  // one before the limit
  EXPECT_EQ(a.pick(10500, c), Victim::Idle);  // at the limit
  EXPECT_EQ(a.next_deadline(c), 10500u);
}

TEST(Admission, HeadOnlyOnceOlderThanTheMinimum) {
  Admission a = make(1000, 500);
  a.clients_waiting(0);
  EvictionCandidates c;
  c.head = true;
  c.head_since_ms = 2000;  // admitted at 2000, nothing sent yet
  EXPECT_EQ(a.pick(2499, c), Victim::None);
  EXPECT_EQ(a.pick(2500, c), Victim::Head);
  EXPECT_EQ(a.next_deadline(c), 2500u);
}

TEST(Admission, IdlePreferredOverHeadWhenBothAreDue) {
  Admission a = make(1000, 500);
  a.clients_waiting(0);
  EXPECT_EQ(a.pick(5000, all(1000, 1000)), Victim::Idle);
  // Idle not yet due, head due: the head goes.
  EXPECT_EQ(a.pick(5000, all(4500, 1000)), Victim::Head);
}

TEST(Admission, ZeroMeansNever) {
  Admission a = make(0, 0, 0, 0);
  a.clients_waiting(0);
  EXPECT_EQ(a.pick(UINT32_MAX, all(0, 0)), Victim::None);
  EXPECT_FALSE(a.turn_over(UINT32_MAX, 0));
  EXPECT_FALSE(a.expired(UINT32_MAX));
  EXPECT_EQ(a.next_deadline(all(0, 0)), Admission::kNever);
  // A lingering connection is closing anyway: it still goes.
  EXPECT_EQ(a.pick(0, all(0, 0, true)), Victim::Linger);
}

TEST(Admission, TurnEndsOnlyWhileClientsWaitAndAfterTheTurn) {
  Admission a = make(1000, 500, 20);
  EXPECT_FALSE(a.turn_over(1000, 0));
  a.clients_waiting(1000);
  EXPECT_FALSE(a.turn_over(1019, 1000));
  EXPECT_TRUE(a.turn_over(1020, 1000));
  a.backlog_empty();
  EXPECT_FALSE(a.turn_over(5000, 1000));
}

TEST(Admission, BoundRestartsWithEveryAdmission) {
  Admission a = make(1000, 500, 20, 300);
  a.clients_waiting(1000);
  EXPECT_FALSE(a.expired(1299));
  a.admitted(1200);  // the queue moved
  EXPECT_FALSE(a.expired(1499));
  EXPECT_TRUE(a.expired(1500));
  EvictionCandidates none;
  EXPECT_EQ(a.next_deadline(none), 1500u);
}

TEST(Admission, WaitingSinceIsTheFirstArrivalNotTheLatest) {
  Admission a = make(1000, 500, 20, 300);
  a.clients_waiting(1000);
  a.clients_waiting(1250);  // another client: the bound still counts from the first
  EXPECT_TRUE(a.expired(1300));
  a.backlog_empty();
  EXPECT_FALSE(a.expired(1300));
  a.clients_waiting(2000);
  EXPECT_FALSE(a.expired(2299));
  EXPECT_TRUE(a.expired(2300));
}

TEST(Admission, DeadlineIsTheEarliestChange) {
  Admission a = make(1000, 500, 20, 5000);
  a.clients_waiting(0);
  EXPECT_EQ(a.next_deadline(all(800, 200)), 700u);   // head at 200 + 500
  EXPECT_EQ(a.next_deadline(all(100, 900)), 1100u);  // idle at 100 + 1000
  EvictionCandidates none;
  EXPECT_EQ(a.next_deadline(none), 5000u);  // only the 503 bound
}

TEST(Admission, SilentConnectionsOnlyAfterTheirLongerGrace) {
  // Nothing received yet (a browser's connection made ahead of use): evicted later than a
  // head that is trickling in, and after idle and head-stage connections.
  Admission a = make(1000, 500, 20, 60000, 5000);
  a.clients_waiting(0);
  EvictionCandidates c;
  c.silent = true;
  c.silent_since_ms = 1000;
  EXPECT_EQ(a.pick(5999, c), Victim::None);
  EXPECT_EQ(a.pick(6000, c), Victim::Silent);
  EXPECT_EQ(a.next_deadline(c), 6000u);
  c.head = true;
  c.head_since_ms = 5600;  // a trickling head, due at 6100
  EXPECT_EQ(a.pick(6200, c), Victim::Head);
  Admission never = make(1000, 500, 20, 60000, 0);
  never.clients_waiting(0);
  EXPECT_EQ(never.pick(UINT32_MAX, c), Victim::Head);
  c.head = false;
  EXPECT_EQ(never.pick(UINT32_MAX, c), Victim::None);
}
