// Linux sockets for port/port.h: the kernel's BSD sockets, eventfd wake-ups, sendfile.  The
// lwIP host build replaces this file by port/lwip/ (the device's socket layer).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "port/port.h"

namespace viper::port {

int wake_open() {
  return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
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

int listen_backlog() {
  return 511;  // the kernel caps it at net.core.somaxconn
}

int listen_tcp(const char* host, uint16_t port, uint16_t* bound_port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, listen_backlog()) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  *bound_port = ntohs(addr.sin_port);
  return fd;
}

bool defer_accept(int listen_fd, uint32_t seconds) {
  int secs = int(seconds);
  return setsockopt(listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs) == 0;
}

int accept_connection(int listen_fd, uint32_t* peer_ip, uint16_t* peer_port) {
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int fd =
      accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *peer_ip = ntohl(peer.sin_addr.s_addr);
  *peer_port = ntohs(peer.sin_port);
  return fd;
}

long recv_some(int fd, void* buf, size_t len) {
  return long(recv(fd, buf, len, 0));
}

long send_slices(int fd, const Slice* slices, int count, bool more) {
  iovec iov[2];
  if (count < 1 || count > 2) {
    errno = EINVAL;
    return -1;
  }
  for (int i = 0; i < count; i++)
    iov[i] = iovec{const_cast<void*>(slices[i].data), slices[i].len};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = size_t(count);
  return long(sendmsg(fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0)));
}

long send_now(int fd, const void* data, size_t len) {
  return long(send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT));
}

void shutdown_write(int fd) {
  shutdown(fd, SHUT_WR);
}

void close_socket(int fd) {
  close(fd);
}

int select_fds(int nfds, fd_set* readable, fd_set* writable, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  return select(nfds, readable, writable, nullptr, timeout_ms < 0 ? nullptr : &tv);
}

long send_file(int out_fd, int in_fd, uint64_t* offset, size_t count) {
  off_t off = off_t(*offset);
  ssize_t n = sendfile(out_fd, in_fd, &off, count);
  if (n > 0) *offset = uint64_t(off);
  return long(n);
}

}  // namespace viper::port
