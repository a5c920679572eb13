// lwip_listen() for listen_probe.cpp's --backlog (the probe itself sees only port.h).
#include "port/port.h"
// After port.h: the C library's fd_set.
#include "lwip/sockets.h"

int listen_again(int fd, int backlog) {
  return lwip_listen(fd, backlog);
}
