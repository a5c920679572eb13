// The engine's one portability seam (SPEC §2.2).  Everything the engine needs from the platform
// beyond BSD sockets and select() goes through these functions; each platform implements them
// in port/<platform>/.  Linux is built and tested here; port/esp32/ is built by ESP-IDF.
#pragma once

#include <cstdint>

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

// The most descriptors this process may hold (raised to the hard limit where possible), so the
// server can refuse a max_connections it could not serve.
int max_descriptors();

// Blocks the asynchronous signals (SIGINT, SIGTERM, SIGPIPE...) in the calling thread so they
// reach the interpreter thread, not the engine thread.
void block_signals_in_this_thread();

}  // namespace viper::port
