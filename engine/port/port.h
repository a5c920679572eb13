// The engine's one portability seam (SPEC §2.2).  Everything the engine needs from the platform
// beyond BSD sockets and select() goes through these functions; each platform implements them
// in port/<platform>/.  Linux is built and tested here; port/esp32/ is built by ESP-IDF.
#pragma once

#include <cstdint>

struct sockaddr_in;

namespace viper::port {

// Monotonic milliseconds, for timeouts.
uint64_t now_ms();
// Wall-clock seconds since the Unix epoch, for the Date header.
int64_t unix_time();

// A descriptor that the poller can wait on and another thread can signal (eventfd on Linux and
// in ESP-IDF's VFS).  Returns -1 on failure.
int wake_open();
void wake_signal(int fd);  // thread-safe, async-signal-safe
void wake_drain(int fd);   // consume pending signals (engine thread)
void wake_close(int fd);

// Makes a socket non-blocking; disables Nagle for accepted sockets.
bool set_nonblocking(int fd);
void set_nodelay(int fd);

// The most sockets this process may hold (Linux: the descriptor limit, raised to the hard
// limit where possible; ESP-IDF: LWIP_MAX_SOCKETS), and how many of them the server needs
// besides its connections (listening socket, wake descriptors, slack).
int max_descriptors();
int reserved_descriptors();

// A TCP listening socket (not yet bound), close-on-exec where the platform has it.
int open_stream_socket();
// Accepts one connection, non-blocking; -1 with errno as accept() sets it.
int accept_connection(int listen_fd, sockaddr_in* peer);

// Configures the next thread created with pthread_create to be the engine thread (ESP32:
// pinned to core 0, beside Wi-Fi, with the engine's stack size).  No-op on Linux.
void configure_engine_thread();

// Blocks the asynchronous signals (SIGINT, SIGTERM, SIGPIPE...) in the calling thread so they
// reach the interpreter thread, not the engine thread.
void block_signals_in_this_thread();

}  // namespace viper::port
