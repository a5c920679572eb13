// A listener that does not accept, on the lwIP host port (tests/lwip/test_lwip.py): what
// happens to clients that wait while the engine has no free slot (SPEC §4: they must wait, not
// be reset).  Prints "port N" once listening; accepts nothing until SIGTERM; then accepts what
// is queued and prints "accepted N".
//   listen_probe            the port's backlog (port::listen_backlog(): lwIP's accept queue)
//   listen_probe --backlog N  listen() again with N, as the engine did before (511 -> 255)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port/port.h"

int main(int argc, char** argv) {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  uint16_t port = 0;
  const char* host = getenv("VIPER_LWIP_ADDR");
  int fd = viper::port::listen_tcp(host != nullptr ? host : "0.0.0.0", 0, &port);
  if (fd < 0) {
    perror("listen_probe: listen_tcp");
    return 1;
  }
  if (argc == 3 && strcmp(argv[1], "--backlog") == 0) {
    int listen_again(int fd, int backlog);
    if (listen_again(fd, atoi(argv[2])) != 0) {
      perror("listen_probe: listen");
      return 1;
    }
  }
  printf("port %u backlog %d\n", unsigned(port), viper::port::listen_backlog());
  fflush(stdout);
  int sig = 0;
  sigwait(&sigs, &sig);
  int accepted = 0;
  for (;;) {
    uint32_t ip = 0;
    uint16_t peer_port = 0;
    int c = viper::port::accept_connection(fd, &ip, &peer_port);
    if (c < 0) break;
    accepted++;
    viper::port::close_socket(c);
  }
  printf("accepted %d\n", accepted);
  fflush(stdout);
  viper::port::close_socket(fd);
  return 0;
}
