// The engine's one portability seam (SPEC §2.2).  Everything the engine needs from the platform
// goes through these functions — sockets and select() included, because on the device they are
// lwIP's, whose types (sockaddr_in, iovec) and descriptor numbers are not the C library's.
// Each platform implements them in port/<platform>/ (docs/architecture.md, "The port seam"):
//   Linux      port/linux/port_linux.cpp (clocks, threads, files, memory)
//              + port/linux/port_linux_sockets.cpp (the kernel's sockets, sendfile)
//              + port/posix/ (eventfd wake-ups)
//   ESP-IDF    port/esp32/ + port/lwip/port_lwip_sockets.cpp (lwIP's sockets) + port/posix/
//   lwIP host  port/linux/port_linux.cpp + port/lwip/ (lwIP in user space on a tap device: the
//              device's socket layer under test on the PC, docs/testing.md)
// Linux and the lwIP host are built and tested here; port/esp32/ is built by ESP-IDF.
// A port file includes the platform and this header only, never a higher layer of the engine.
#pragma once

#include <sys/select.h>

#include <cstddef>
#include <cstdint>

namespace viper::port {

// Monotonic milliseconds, for timeouts.
uint64_t now_ms();
// Wall-clock seconds since the Unix epoch, for the Date header.
int64_t unix_time();

// A descriptor that the poller can wait on and another thread can signal (eventfd on Linux and
// in ESP-IDF's VFS; a loopback datagram socket on the lwIP host).  Returns -1 on failure.
int wake_open();
void wake_signal(int fd);  // thread-safe; async-signal-safe except on the lwIP host
void wake_drain(int fd);   // consume pending signals (engine thread)
void wake_close(int fd);

// The most sockets this process may hold (Linux: the descriptor limit, raised to the hard
// limit where possible; lwIP: its socket table, LWIP_MAX_SOCKETS on ESP-IDF), and how many of
// them the server needs besides its connections (listening socket, wake descriptors, slack).
int max_descriptors();
int reserved_descriptors();

// --- sockets --------------------------------------------------------------------------------
// Every call on a connection's or the listener's descriptor goes through these, never read(),
// write() or close() of the C library: an lwIP socket number is not a C library descriptor.
// Failures return -1 with errno set as the BSD call would (EAGAIN, EINTR, ECONNRESET, ...).

// A non-blocking IPv4 TCP listening socket bound to `host` (dotted quad) and `port` (0: any
// free port, reported in *bound_port), close-on-exec where the platform has it, listening with
// the platform's backlog (listen_backlog()).  Returns the socket or -1.
int listen_tcp(const char* host, uint16_t port, uint16_t* bound_port);
// Asks the stack to complete accept() only once the client has sent data, or `seconds` have
// passed (Linux: TCP_DEFER_ACCEPT), so a connection opened ahead of use holds no slot while it
// is silent.  False where the platform has no such thing (lwIP): silent connections are then
// accepted at once, and the pool-admission policy deals with them.
bool defer_accept(int listen_fd, uint32_t seconds);
// How many connections may wait to be accepted.  Linux: 511.  lwIP: what its accept queue
// holds, because lwIP resets a connection it cannot queue, where a SYN beyond the backlog is
// dropped quietly and the client retries it (docs/firmware.md, "lwIP").
int listen_backlog();
// Accepts one connection, non-blocking, with Nagle disabled; the peer in host byte order.
int accept_connection(int listen_fd, uint32_t* peer_ip, uint16_t* peer_port);
// recv(fd, buf, len, 0).
long recv_some(int fd, void* buf, size_t len);
// One piece of a gathered send.
struct Slice {
  const void* data;
  size_t len;
};
// sendmsg() of `count` (1 or 2) slices, never raising SIGPIPE.  `more`: a file body follows at
// once, so the head may share its segment (MSG_MORE where the stack has it).  Returns the bytes
// taken, possibly fewer than offered, or -1.
long send_slices(int fd, const Slice* slices, int count, bool more);
// send() of one buffer without blocking and without SIGPIPE.
long send_now(int fd, const void* data, size_t len);
// shutdown(fd, SHUT_WR).
void shutdown_write(int fd);
void close_socket(int fd);
// select() over sockets and wake descriptors (both sets may be null); timeout_ms < 0 waits
// without limit.  Returns the number of ready descriptors, 0 on timeout, -1 (errno) on failure.
int select_fds(int nfds, fd_set* readable, fd_set* writable, int timeout_ms);
// Whether `fd` is readable right now: for a listening socket, whether a client waits in its
// backlog (the pool-admission policy asks before making room for a client that may not exist).
inline bool readable_now(int fd) {
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fd, &rd);
  return select_fds(fd + 1, &rd, nullptr, 0) == 1;
}

// Sends up to `count` bytes of file `in_fd` from *offset to socket `out_fd` without copying
// through user space (Linux: sendfile).  Returns the bytes sent and advances *offset, or -1
// with errno (EAGAIN: the socket is full; ENOSYS: not available — lwIP — read and send).
long send_file(int out_fd, int in_fd, uint64_t* offset, size_t count);

// --- memory ---------------------------------------------------------------------------------
// Where the counting allocator (engine/mem) gets its blocks.  Blocks of kLargeBlockBytes or
// more (buffers, rings, caches) may live in external RAM where the platform has it (ESP32:
// PSRAM, else internal RAM); smaller ones (slots, router nodes, the poller) stay internal.
// `align` is a power of two and `bytes` a multiple of it.  nullptr when out of memory.
inline constexpr size_t kLargeBlockBytes = 2048;
void* alloc_aligned(size_t align, size_t bytes);
void free_aligned(void* p);

// --- threads --------------------------------------------------------------------------------

// Configures the next thread created with pthread_create to be the engine thread (ESP32:
// pinned to core 0, beside Wi-Fi, with the engine's stack size).  No-op on Linux.
void configure_engine_thread();

// Blocks the asynchronous signals (SIGINT, SIGTERM, SIGPIPE...) in the calling thread so they
// reach the interpreter thread, not the engine thread.
void block_signals_in_this_thread();

// --- files ----------------------------------------------------------------------------------

// Maps a whole file read-only (Linux: mmap of a regular file, the descriptor closed right away;
// ESP32: "partition:<label>" maps a data partition from flash, sized by the asset pack header
// at its start, any other path is read from the VFS into a heap buffer).  Returns nullptr with
// errno set on failure.  An empty file maps to a non-null pointer with *size = 0.  The bytes
// must not change while mapped (Linux: truncating a mapped file raises SIGBUS on access).
const void* map_file(const char* path, size_t* size);
// Releases a mapping from map_file with the size it returned.  Null is ignored.
void unmap_file(const void* p, size_t size);

// Opens a file by a path used as it is (absolute or relative to the working directory),
// read-only; close-on-exec, and without blocking on a FIFO, where the platform has those.
int open_path(const char* path);
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

}  // namespace viper::port
