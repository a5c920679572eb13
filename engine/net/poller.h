// Readiness notification behind one interface, with two backends: epoll (Linux) and select()
// (Linux and lwIP on the device).  Level-triggered in both, so a backend can be swapped without
// changing the server; the e2e suite runs on both.
#pragma once

#include <cstdint>

#include "viper/types.h"  // PollerKind

namespace viper::net {

enum : uint32_t { kReadable = 1u, kWritable = 2u, kHangup = 4u };

struct PollEvent {
  uint32_t tag;     // the caller's tag given to add()
  uint32_t events;  // kReadable | kWritable | kHangup
};

class Poller {
 public:
  virtual ~Poller() = default;
  virtual bool add(int fd, uint32_t events, uint32_t tag) = 0;
  virtual bool modify(int fd, uint32_t events, uint32_t tag) = 0;
  virtual void remove(int fd) = 0;
  // Waits up to timeout_ms (-1: no timeout) and fills at most `max` events.  Returns the count,
  // 0 on timeout or EINTR, -1 on failure.
  virtual int wait(PollEvent* out, int max, int timeout_ms) = 0;
};

// Creates a poller able to watch `capacity` descriptors, from the engine allocator.  nullptr
// if the backend is unavailable or out of memory.
Poller* make_poller(PollerKind kind, uint32_t capacity);
void destroy_poller(Poller* p);

}  // namespace viper::net
