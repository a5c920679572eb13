// Linux implementation of port/port.h.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port/port.h"

namespace viper::port {

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000u + uint64_t(ts.tv_nsec) / 1000000u;
}

int64_t unix_time() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

int wake_open() {
  return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void wake_signal(int fd) {
  uint64_t one = 1;
  // A full counter (EAGAIN) already means "signalled": nothing to do on failure.
  ssize_t r = write(fd, &one, sizeof one);
  (void)r;
}

void wake_drain(int fd) {
  uint64_t value;
  ssize_t r = read(fd, &value, sizeof value);
  (void)r;
}

void wake_close(int fd) {
  close(fd);
}

bool set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int max_descriptors() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur > 1u << 20 ? 1 << 20 : int(rl.rlim_cur);
}

int reserved_descriptors() {
  return 16;
}

int open_stream_socket() {
  return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

int accept_connection(int listen_fd, sockaddr_in* peer) {
  socklen_t len = sizeof *peer;
  return accept4(listen_fd, reinterpret_cast<sockaddr*>(peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void configure_engine_thread() {}

void block_signals_in_this_thread() {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, SIGSEGV);
  sigdelset(&set, SIGBUS);
  sigdelset(&set, SIGFPE);
  sigdelset(&set, SIGILL);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace viper::port
