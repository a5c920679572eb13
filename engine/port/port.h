// The engine's one portability seam (SPEC §2.2).  Everything the engine needs from the platform
// beyond BSD sockets and select() goes through these functions; each platform implements them
// in port/<platform>/.  Linux is built and tested here; port/esp32/ is built by ESP-IDF.
#pragma once

#include <cstddef>
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
// Whether `fd` is readable right now (a zero-timeout select): for a listening socket, whether
// a client waits in its backlog.
bool readable_now(int fd);

// Configures the next thread created with pthread_create to be the engine thread (ESP32:
// pinned to core 0, beside Wi-Fi, with the engine's stack size).  No-op on Linux.
void configure_engine_thread();

// Blocks the asynchronous signals (SIGINT, SIGTERM, SIGPIPE...) in the calling thread so they
// reach the interpreter thread, not the engine thread.
void block_signals_in_this_thread();

// Maps a whole file read-only (Linux: mmap of a regular file, the descriptor closed right away;
// ESP32: "partition:<label>" maps a data partition from flash, sized by the asset pack header
// at its start, any other path is read from the VFS into a heap buffer).  Returns nullptr with
// errno set on failure.  An empty file maps to a non-null pointer with *size = 0.  The bytes
// must not change while mapped (Linux: truncating a mapped file raises SIGBUS on access).
const void* map_file(const char* path, size_t* size);
// Releases a mapping from map_file with the size it returned.  Null is ignored.
void unmap_file(const void* p, size_t size);

// Opens the directory `root` for open_beneath (Linux: an O_PATH descriptor; ESP32: -1, the
// path is used instead).  Returns -1 with errno set on failure (Linux).
int open_root(const char* root);
// Opens `rel` (no leading '/') read-only below the root, never resolving outside it: Linux uses
// openat2(RESOLVE_BENEATH) and, where the kernel refuses that call, resolves the real path and
// checks it stays inside `root`.  ESP32 filesystems (FAT, littlefs) have no symlinks: it opens
// root + "/" + rel.  Returns a descriptor or -1 (errno set; EXDEV when it would escape).
int open_beneath(int root_fd, const char* root, const char* rel);

// What open_beneath would open, without opening it: size and modification time in nanoseconds
// (to notice a change within the same second).  False if it is missing or not a regular file.
bool stat_beneath(int root_fd, const char* root, const char* rel, uint64_t* size,
                  int64_t* mtime_ns);
// The same for a path used as it is (absolute or relative to the working directory).
bool stat_path(const char* path, uint64_t* size, int64_t* mtime_ns);
// The same for an open descriptor.
bool stat_fd(int fd, uint64_t* size, int64_t* mtime_ns, bool* is_dir);

// Writes log bytes to the process's standard output (Linux: fd 1; ESP32: the console), whole.
void write_stdout(const char* data, size_t len);

// Sends up to `count` bytes of file `in_fd` from *offset to socket `out_fd` without copying
// through user space (Linux: sendfile).  Returns the bytes sent and advances *offset, or -1
// with errno (EAGAIN: the socket is full; ENOSYS: not available here, read and send instead).
long send_file(int out_fd, int in_fd, uint64_t* offset, size_t count);

}  // namespace viper::port
