// Wake-ups through an eventfd, the same on Linux and on ESP-IDF (whose VFS provides eventfd):
// compiled with port/linux/ and with port/esp32/.  The lwIP host port has its own
// (port/lwip/host/), because lwIP's select() sees lwIP sockets only.
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

}  // namespace viper::port
