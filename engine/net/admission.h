// Pool admission (SPEC §4 "When the pool is full"): who gets a slot when clients outnumber
// slots.  Pure decisions over times, no sockets, so every rule is unit-tested.
//
// Accept-then-evict livelocks: each newcomer evicts a connection that was idle for
// microseconds, or one accepted a moment ago that has not sent its request yet, and the
// evicted client reconnects to evict the next (measured: 45k req/s at 8 clients, 178 at 16).
// Instead, while every slot is taken the server stops accepting; new clients wait in the
// kernel's listen backlog (FIFO, so they are admitted oldest first), and room is made politely:
//   * a connection already closing (lingering after an error) goes at once;
//   * an idle keep-alive connection goes only after `evict_idle_after_ms` of idleness;
//   * a connection still sending its head goes only once its head is older than
//     `evict_head_after_ms`, so a slow client (slowloris) never holds a slot for long;
//   * a connection that has sent nothing yet goes only once it is older than
//     `evict_silent_after_ms`: browsers connect ahead of use (preconnects) and, when short of
//     CPU, take seconds to send on a connection they opened, and Chromium does not retry a
//     request whose fresh connection the server closed first (ERR_SOCKET_NOT_CONNECTED);
//   * a busy connection keeps its slot, but once it has held it for `slot_turn_ms` its next
//     response carries `Connection: close` (its turn ends; it reconnects behind the others);
//   * when no waiting client could be given a slot for `admission_timeout_ms` (every slot held
//     by slow requests or long-lived connections), the waiting clients are answered 503.
// Long-lived connections (WebSocket, SSE, streams) are busy, never idle: they keep their slot.
#pragma once

#include <cstdint>

namespace viper::net {

struct AdmissionOptions {
  uint32_t evict_idle_after_ms = 1000;    // 0: never evict idle connections for waiting clients
  uint32_t evict_head_after_ms = 500;     // 0: never (the header timeout still applies)
  uint32_t evict_silent_after_ms = 5000;  // 0: never (the header timeout still applies)
  uint32_t slot_turn_ms = 20;             // turn of a busy connection while clients wait; 0: none
  uint32_t admission_timeout_ms = 5000;   // 0: never answer 503; clients wait in the backlog
};

// The oldest connection of each evictable kind (the heads of the server's age-ordered lists),
// as the server sees it at one moment.
struct EvictionCandidates {
  bool linger = false;
  bool idle = false;
  uint64_t idle_since_ms = 0;  // last activity of the least recently used idle connection
  bool head = false;
  uint64_t head_since_ms = 0;  // first byte of the oldest head still arriving
  bool silent = false;
  uint64_t silent_since_ms = 0;  // admission of the oldest connection that sent nothing yet
};

enum class Victim : uint8_t { None, Linger, Idle, Head, Silent };

class Admission {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;

  void configure(const AdmissionOptions& o) { opt_ = o; }

  // Clients wait in the listen backlog: the listener was readable while every slot was taken.
  bool waiting() const { return waiting_; }
  void clients_waiting(uint64_t now) {
    if (!waiting_) since_ = now;
    waiting_ = true;
  }
  // A waiting client got a slot (or was answered): the queue moves, the bound restarts.
  void admitted(uint64_t now) { since_ = now; }
  void backlog_empty() { waiting_ = false; }

  // Which connection to close so that a waiting client can have its slot; None when nothing
  // may be closed yet (then the server waits until next_deadline()).
  Victim pick(uint64_t now, const EvictionCandidates& c) const {
    if (!waiting_) return Victim::None;
    if (c.linger) return Victim::Linger;
    if (c.idle && due(c.idle_since_ms, opt_.evict_idle_after_ms) <= now) return Victim::Idle;
    if (c.head && due(c.head_since_ms, opt_.evict_head_after_ms) <= now) return Victim::Head;
    if (c.silent && due(c.silent_since_ms, opt_.evict_silent_after_ms) <= now)
      return Victim::Silent;
    return Victim::None;
  }

  // Whether a busy connection admitted at `admitted_ms` ends its turn with this response.
  bool turn_over(uint64_t now, uint64_t admitted_ms) const {
    return waiting_ && opt_.slot_turn_ms != 0 && now - admitted_ms >= opt_.slot_turn_ms;
  }

  // Waiting clients could not be given a slot within the bound: answer them 503.
  bool expired(uint64_t now) const {
    return waiting_ && due(since_, opt_.admission_timeout_ms) <= now;
  }

  // The earliest time a decision above changes (kNever: nothing pending).
  uint64_t next_deadline(const EvictionCandidates& c) const {
    if (!waiting_) return kNever;
    if (c.linger) return 0;
    uint64_t t = due(since_, opt_.admission_timeout_ms);
    if (c.idle) t = min(t, due(c.idle_since_ms, opt_.evict_idle_after_ms));
    if (c.head) t = min(t, due(c.head_since_ms, opt_.evict_head_after_ms));
    if (c.silent) t = min(t, due(c.silent_since_ms, opt_.evict_silent_after_ms));
    return t;
  }

 private:
  static uint64_t due(uint64_t since, uint32_t after) {
    return after == 0 ? kNever : since + after;
  }
  static uint64_t min(uint64_t a, uint64_t b) { return a < b ? a : b; }

  AdmissionOptions opt_;
  bool waiting_ = false;
  uint64_t since_ = 0;  // last admission while clients waited (or when they began to wait)
};

}  // namespace viper::net
