// epoll backend: the kernel keeps the interest set, so wait() costs O(ready), not O(watched).
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include "mem/allocator.h"
#include "net/poller.h"

namespace viper::net {
namespace {

uint32_t to_epoll(uint32_t events) {
  return ((events & kReadable) ? uint32_t(EPOLLIN) : 0u) |
         ((events & kWritable) ? uint32_t(EPOLLOUT) : 0u);
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(epoll_event* buf, int cap)
      : ep_(epoll_create1(EPOLL_CLOEXEC)), buf_(buf), cap_(cap) {}
  ~EpollPoller() override {
    if (ep_ >= 0) close(ep_);
    mem::release(buf_);
  }
  bool ok() const { return ep_ >= 0 && buf_ != nullptr; }

  bool add(int fd, uint32_t events, uint32_t tag) override {
    return ctl(EPOLL_CTL_ADD, fd, events, tag);
  }
  bool modify(int fd, uint32_t events, uint32_t tag) override {
    return ctl(EPOLL_CTL_MOD, fd, events, tag);
  }
  void remove(int fd) override { epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr); }

  int wait(PollEvent* out, int max, int timeout_ms) override {
    if (max > cap_) max = cap_;
    int n = epoll_wait(ep_, buf_, max, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
      uint32_t e = buf_[i].events, r = 0;
      if (e & EPOLLIN) r |= kReadable;
      if (e & EPOLLOUT) r |= kWritable;
      if (e & (EPOLLERR | EPOLLHUP)) r |= kHangup;
      out[i] = PollEvent{buf_[i].data.u32, r};
    }
    return n;
  }

 private:
  bool ctl(int op, int fd, uint32_t events, uint32_t tag) {
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u32 = tag;
    return epoll_ctl(ep_, op, fd, &ev) == 0;
  }
  int ep_;
  epoll_event* buf_;
  int cap_;
};

}  // namespace

Poller* make_epoll_poller(uint32_t capacity) {
  int cap = capacity < 256 ? int(capacity) : 256;
  auto* buf = mem::alloc_array<epoll_event>(size_t(cap));
  void* mem = mem::alloc(sizeof(EpollPoller));
  if (mem == nullptr || buf == nullptr) {
    mem::release(buf);
    mem::release(mem);
    return nullptr;
  }
  auto* p = new (mem) EpollPoller(buf, cap);
  if (!p->ok()) {
    p->~EpollPoller();
    mem::release(mem);
    return nullptr;
  }
  return p;
}

}  // namespace viper::net
