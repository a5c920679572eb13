// lwIP sockets for port/port.h: the socket half of the ESP-IDF port (ESP-IDF's sockets are
// lwIP's) and of the lwIP host build, which runs this very file on lwIP 2.2 in user space so
// that it is tested on the PC (docs/testing.md, "The engine on lwIP").  Only lwip_* calls:
// lwIP's numbers are not C library descriptors on the host, and its sockaddr has a length
// byte that the C library's has not.
//
// What lwIP does differently from Linux, and what this file does about it (docs/firmware.md):
// * sendmsg() refuses every flag but MSG_DONTWAIT and MSG_MORE (EOPNOTSUPP): MSG_NOSIGNAL,
//   which Linux needs, must not be passed (lwIP raises no signals anyway).
// * no sendfile: send_file() answers ENOSYS and the engine reads files into its buffer.
// * a connection that the accept queue (DEFAULT_ACCEPTMBOX_SIZE, 6 on ESP-IDF) cannot take is
//   reset, while a SYN beyond the listen backlog is dropped and retried by the client: so the
//   backlog is never larger than the queue.
// * fcntl() knows O_NONBLOCK only; the socket table is small (LWIP_MAX_SOCKETS).
#include "port/port.h"
// After port.h: <sys/select.h> defines FD_SET, so lwIP uses the C library's fd_set.
#include <errno.h>

#include "lwip/inet.h"
#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "port/lwip/lwip_stack.h"

// Connections that may wait in lwIP's accept queue; more would be reset.
#ifndef VIPER_LWIP_LISTEN_BACKLOG
#if DEFAULT_ACCEPTMBOX_SIZE > 0
#define VIPER_LWIP_LISTEN_BACKLOG DEFAULT_ACCEPTMBOX_SIZE
#else
#define VIPER_LWIP_LISTEN_BACKLOG 4
#endif
#endif

namespace viper::port {
namespace {

bool set_nonblocking(int fd) {
  return lwip_fcntl(fd, F_SETFL, O_NONBLOCK) == 0;
}

void close_keep_errno(int fd) {
  int err = errno;
  lwip_close(fd);
  errno = err;
}

}  // namespace

int listen_backlog() {
  return VIPER_LWIP_LISTEN_BACKLOG;
}

bool defer_accept(int, uint32_t) {
  return false;  // lwIP accepts at the end of the handshake
}

int listen_tcp(const char* host, uint16_t port, uint16_t* bound_port) {
  if (!lwip_stack_ready()) return -1;
  struct sockaddr_in addr = {};
  addr.sin_len = sizeof addr;
  addr.sin_family = AF_INET;
  addr.sin_port = lwip_htons(port);
  if (lwip_inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  lwip_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof addr;
  if (lwip_bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
      lwip_listen(fd, listen_backlog()) != 0 || !set_nonblocking(fd) ||
      lwip_getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) != 0) {
    close_keep_errno(fd);
    return -1;
  }
  *bound_port = lwip_ntohs(addr.sin_port);
  return fd;
}

int accept_connection(int listen_fd, uint32_t* peer_ip, uint16_t* peer_port) {
  struct sockaddr_in peer = {};
  socklen_t len = sizeof peer;
  int fd = lwip_accept(listen_fd, reinterpret_cast<struct sockaddr*>(&peer), &len);
  if (fd < 0) return -1;
  if (!set_nonblocking(fd)) {
    close_keep_errno(fd);
    return -1;
  }
  int one = 1;
  lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *peer_ip = lwip_ntohl(peer.sin_addr.s_addr);
  *peer_port = lwip_ntohs(peer.sin_port);
  return fd;
}

long recv_some(int fd, void* buf, size_t len) {
  return long(lwip_recv(fd, buf, len, 0));
}

long send_slices(int fd, const Slice* slices, int count, bool more) {
  struct iovec iov[2];
  if (count < 1 || count > 2) {
    errno = EINVAL;
    return -1;
  }
  for (int i = 0; i < count; i++) {
    iov[i].iov_base = const_cast<void*>(slices[i].data);
    iov[i].iov_len = slices[i].len;
  }
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  // No MSG_NOSIGNAL: lwIP's sendmsg refuses it (see the top of this file).
  return long(lwip_sendmsg(fd, &msg, MSG_DONTWAIT | (more ? MSG_MORE : 0)));
}

long send_now(int fd, const void* data, size_t len) {
  return long(lwip_send(fd, data, len, MSG_DONTWAIT));
}

void shutdown_write(int fd) {
  lwip_shutdown(fd, SHUT_WR);
}

void close_socket(int fd) {
  lwip_close(fd);
}

long send_file(int, int, uint64_t*, size_t) {
  errno = ENOSYS;  // lwIP has no sendfile: the engine reads into the connection's buffer
  return -1;
}

}  // namespace viper::port
