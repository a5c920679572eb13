// The lwIP host port (docs/testing.md, "The engine on lwIP"): the parts of port/port.h that
// differ from Linux when the engine's sockets are lwIP's, running in user space on a tap
// device.  Linked with port/linux/port_linux.cpp (clocks, threads, files) and
// port/lwip/port_lwip_sockets.cpp (the socket calls ESP-IDF shares).
//
// The stack starts on first use: tcpip thread, the tap interface named by PRECONFIGURED_TAPIF
// (created and addressed by the test, tests/lwip/run.sh), and the address VIPER_LWIP_ADDR
// (a.b.c.d, a /24 whose .1 is the Linux side).
//
// Wake-ups: lwIP's select() sees lwIP sockets only (on the device ESP-IDF's VFS merges them
// with eventfds), so a wake descriptor here is a UDP socket bound to lwIP's loopback address;
// signalling sends it one datagram from a second socket.  A full receive queue drops the
// datagram, which is fine: the descriptor is readable already.
#include "port/port.h"
// After port.h, so that lwIP takes the C library's fd_set.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "lwip/inet.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"
#include "port/lwip/lwip_stack.h"

namespace viper::port {
namespace {

pthread_once_t g_once = PTHREAD_ONCE_INIT;
struct netif g_netif;
bool g_up = false;
// The sending half of each wake socket, indexed by the receiving socket's number.
int g_wake_tx[MEMP_NUM_NETCONN];

void on_tcpip_ready(void* arg) {
  sys_sem_signal(static_cast<sys_sem_t*>(arg));
}

void start_stack() {
  const char* addr = getenv("VIPER_LWIP_ADDR");
  ip4_addr_t ip, mask, gw;
  if (addr == nullptr || !ip4addr_aton(addr, &ip)) {
    fprintf(stderr, "lwip port: set VIPER_LWIP_ADDR to the stack's IPv4 address\n");
    return;
  }
  IP4_ADDR(&mask, 255, 255, 255, 0);
  ip4_addr_set_u32(&gw, (ip4_addr_get_u32(&ip) & ip4_addr_get_u32(&mask)) | PP_HTONL(1));
  // lwIP's threads inherit this thread's signal mask: block every signal there, so SIGTERM
  // reaches the application's sigwait() and never an lwIP thread.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &saved);
  sys_sem_t ready;
  sys_sem_new(&ready, 0);
  tcpip_init(on_tcpip_ready, &ready);
  sys_sem_wait(&ready);
  sys_sem_free(&ready);
  LOCK_TCPIP_CORE();
  netif_add(&g_netif, &ip, &mask, &gw, nullptr, tapif_init, tcpip_input);
  netif_set_default(&g_netif);
  netif_set_up(&g_netif);
  UNLOCK_TCPIP_CORE();
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  for (int& fd : g_wake_tx)
    fd = -1;
  g_up = true;
}

int wake_index(int fd) {
  int i = fd - LWIP_SOCKET_OFFSET;
  return i >= 0 && i < MEMP_NUM_NETCONN ? i : -1;
}

}  // namespace

bool lwip_stack_ready() {
  pthread_once(&g_once, start_stack);
  if (!g_up) errno = ENETDOWN;
  return g_up;
}

int wake_open() {
  if (!lwip_stack_ready()) return -1;
  struct sockaddr_in addr = {};
  addr.sin_len = sizeof addr;
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = PP_HTONL(INADDR_LOOPBACK);
  int rx = lwip_socket(AF_INET, SOCK_DGRAM, 0);
  int tx = lwip_socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof addr;
  if (rx < 0 || tx < 0 || wake_index(rx) < 0 ||
      lwip_bind(rx, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
      lwip_getsockname(rx, reinterpret_cast<struct sockaddr*>(&addr), &len) != 0 ||
      lwip_connect(tx, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
      lwip_fcntl(rx, F_SETFL, O_NONBLOCK) != 0 || lwip_fcntl(tx, F_SETFL, O_NONBLOCK) != 0) {
    if (rx >= 0) lwip_close(rx);
    if (tx >= 0) lwip_close(tx);
    return -1;
  }
  g_wake_tx[wake_index(rx)] = tx;
  return rx;
}

void wake_signal(int fd) {
  int i = wake_index(fd);
  if (i < 0 || g_wake_tx[i] < 0) return;
  char one = 1;
  lwip_send(g_wake_tx[i], &one, 1, MSG_DONTWAIT);
}

void wake_drain(int fd) {
  char sink[16];
  while (lwip_recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
}

void wake_close(int fd) {
  int i = wake_index(fd);
  if (i >= 0 && g_wake_tx[i] >= 0) {
    lwip_close(g_wake_tx[i]);
    g_wake_tx[i] = -1;
  }
  lwip_close(fd);
}

int max_descriptors() {
  return MEMP_NUM_NETCONN;
}

// The listening socket and the two halves of the server's wake socket.
int reserved_descriptors() {
  return 3;
}

int select_fds(int nfds, fd_set* readable, fd_set* writable, int timeout_ms) {
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  return lwip_select(nfds, readable, writable, nullptr, timeout_ms < 0 ? nullptr : &tv);
}

}  // namespace viper::port
