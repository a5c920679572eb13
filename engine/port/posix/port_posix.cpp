// The parts of port/port.h that are plain POSIX, the same on Linux and on ESP-IDF (whose VFS
// gives eventfd and files descriptors, and lwIP the socket calls).  Compiled with either
// port/linux/ or port/esp32/.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "port/port.h"

namespace viper::port {

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

bool readable_now(int fd) {
  if (fd < 0 || fd >= FD_SETSIZE) return false;
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fd, &rd);
  timeval zero{0, 0};
  return select(fd + 1, &rd, nullptr, nullptr, &zero) == 1;
}

}  // namespace viper::port
