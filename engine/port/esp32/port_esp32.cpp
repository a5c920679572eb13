// ESP-IDF implementation of port/port.h (built by ESP-IDF through
// bindings/micropython/micropython.cmake; not compiled on the PC).
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "esp_pthread.h"
#include "esp_timer.h"
#include "esp_vfs_eventfd.h"
#include "lwip/sockets.h"
#include "port/port.h"
#include "sdkconfig.h"

#ifndef VIPER_ENGINE_STACK_BYTES
#define VIPER_ENGINE_STACK_BYTES 8192
#endif
#ifndef VIPER_ENGINE_CORE
#define VIPER_ENGINE_CORE 0  // MicroPython runs on core 1 of dual-core chips
#endif
#ifndef VIPER_ENGINE_PRIORITY
#define VIPER_ENGINE_PRIORITY 5
#endif

namespace viper::port {

uint64_t now_ms() {
  return uint64_t(esp_timer_get_time() / 1000);
}

int64_t unix_time() {
  return int64_t(time(nullptr));
}

int wake_open() {
  static bool registered = false;
  if (!registered) {
    esp_vfs_eventfd_config_t config = ESP_VFS_EVENTD_CONFIG_DEFAULT();
    if (esp_vfs_eventfd_register(&config) != ESP_OK) return -1;
    registered = true;
  }
  return eventfd(0, 0);
}

void wake_signal(int fd) {
  uint64_t one = 1;
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
  return CONFIG_LWIP_MAX_SOCKETS;
}

// The listening socket is the only other lwIP socket the server holds (eventfds live in the
// VFS, not in lwIP's socket table).
int reserved_descriptors() {
  return 1;
}

int open_stream_socket() {
  return socket(AF_INET, SOCK_STREAM, 0);
}

int accept_connection(int listen_fd, sockaddr_in* peer) {
  socklen_t len = sizeof *peer;
  int fd = accept(listen_fd, reinterpret_cast<sockaddr*>(peer), &len);
  if (fd >= 0 && !set_nonblocking(fd)) {
    close(fd);
    return -1;
  }
  return fd;
}

void configure_engine_thread() {
  esp_pthread_cfg_t cfg = esp_pthread_get_default_config();
  cfg.stack_size = VIPER_ENGINE_STACK_BYTES;
  cfg.prio = VIPER_ENGINE_PRIORITY;
  cfg.pin_to_core = VIPER_ENGINE_CORE;
  cfg.thread_name = "viperhttp";
  esp_pthread_set_cfg(&cfg);
}

void block_signals_in_this_thread() {}  // FreeRTOS tasks get no POSIX signals

}  // namespace viper::port
