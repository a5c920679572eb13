// select() backend: what lwIP offers on the device.  It keeps its own interest list (fd, events,
// tag) in a fixed array and rebuilds the fd_sets each wait, which is O(watched) — fine for the
// device's handful of sockets.  Descriptors must be below FD_SETSIZE.
#include <sys/select.h>

#include <cerrno>
#include <new>

#include "mem/allocator.h"
#include "net/poller.h"
#include "port/port.h"

namespace viper::net {
namespace {

struct Interest {
  int fd;
  uint32_t events;
  uint32_t tag;
};

class SelectPoller final : public Poller {
 public:
  SelectPoller(Interest* list, uint32_t cap) : list_(list), cap_(cap) {}
  ~SelectPoller() override { mem::release(list_); }

  bool add(int fd, uint32_t events, uint32_t tag) override {
    if (fd < 0 || fd >= FD_SETSIZE || n_ == cap_) return false;
    list_[n_++] = Interest{fd, events, tag};
    return true;
  }
  bool modify(int fd, uint32_t events, uint32_t tag) override {
    Interest* it = find(fd);
    if (it == nullptr) return false;
    it->events = events;
    it->tag = tag;
    return true;
  }
  void remove(int fd) override {
    Interest* it = find(fd);
    if (it != nullptr) *it = list_[--n_];
  }

  int wait(PollEvent* out, int max, int timeout_ms) override {
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    int top = -1;
    for (uint32_t i = 0; i < n_; i++) {
      if (list_[i].events & kReadable) FD_SET(list_[i].fd, &rd);
      if (list_[i].events & kWritable) FD_SET(list_[i].fd, &wr);
      if (list_[i].fd > top) top = list_[i].fd;
    }
    int r = port::select_fds(top + 1, &rd, &wr, timeout_ms);
    if (r < 0) return errno == EINTR ? 0 : -1;
    int n = 0;
    for (uint32_t i = 0; i < n_ && n < max; i++) {
      uint32_t ev = 0;
      if (FD_ISSET(list_[i].fd, &rd)) ev |= kReadable;
      if (FD_ISSET(list_[i].fd, &wr)) ev |= kWritable;
      if (ev != 0) out[n++] = PollEvent{list_[i].tag, ev};
    }
    return n;
  }

 private:
  Interest* find(int fd) {
    for (uint32_t i = 0; i < n_; i++) {
      if (list_[i].fd == fd) return &list_[i];
    }
    return nullptr;
  }
  Interest* list_;
  uint32_t cap_;
  uint32_t n_ = 0;
};

}  // namespace

Poller* make_epoll_poller(uint32_t capacity);

Poller* make_poller(PollerKind kind, uint32_t capacity) {
  if (kind == PollerKind::Epoll) {
#ifdef __linux__
    return make_epoll_poller(capacity);
#else
    return nullptr;
#endif
  }
  auto* list = mem::alloc_array<Interest>(capacity);
  void* mem = mem::alloc(sizeof(SelectPoller));
  if (list == nullptr || mem == nullptr) {
    mem::release(list);
    mem::release(mem);
    return nullptr;
  }
  return new (mem) SelectPoller(list, capacity);
}

void destroy_poller(Poller* p) {
  if (p == nullptr) return;
  p->~Poller();
  mem::release(p);
}

}  // namespace viper::net
