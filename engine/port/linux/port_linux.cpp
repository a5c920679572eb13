// Linux implementation of port/port.h: clocks, threads, files, memory.  Sockets are in
// port_linux_sockets.cpp (Linux) or port/lwip/ (the lwIP host build, which shares this file).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define VIPER_HAVE_OPENAT2 1
#endif

#include "port/port.h"

namespace viper::port {

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000u + uint64_t(ts.tv_nsec) / 1000000u;
}

int64_t unix_time() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

void* alloc_aligned(size_t align, size_t bytes) {
  return ::aligned_alloc(align, bytes);
}

void free_aligned(void* p) {
  ::free(p);
}

void configure_engine_thread() {}

void block_signals_in_this_thread() {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, SIGSEGV);
  sigdelset(&set, SIGBUS);
  sigdelset(&set, SIGFPE);
  sigdelset(&set, SIGILL);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// mmap() refuses length 0, yet an empty file is a valid file: hand out this instead.
static const char kEmptyMapping[1] = {};

const void* map_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return nullptr;
  }
  if (st.st_size == 0) {
    close(fd);
    *size = 0;
    return kEmptyMapping;
  }
  void* p = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  close(fd);  // the mapping keeps the file referenced
  if (p == MAP_FAILED) {
    errno = err;
    return nullptr;
  }
  *size = size_t(st.st_size);
  return p;
}

void unmap_file(const void* p, size_t size) {
  if (p == nullptr || p == kEmptyMapping) return;
  munmap(const_cast<void*>(p), size);
}

int open_path(const char* path) {
  return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);  // a FIFO must not block
}

int open_root(const char* root) {
  return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

// "<root>/<rel>" into out (PATH_MAX); false (ENAMETOOLONG) when it does not fit.
static bool join_path(const char* root, const char* rel, char* out) {
  size_t rl = std::strlen(root), ll = std::strlen(rel);
  if (rl + 1 + ll + 1 > PATH_MAX) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(out, root, rl);
  out[rl] = '/';
  std::memcpy(out + rl + 1, rel, ll + 1);
  return true;
}

// Is the real path `p` (length len) `root` itself or below it?
static bool inside(const char* p, size_t len, const char* root) {
  size_t n = std::strlen(root);
  if (n == 1 && root[0] == '/') return true;
  return len >= n && std::strncmp(p, root, n) == 0 && (len == n || p[n] == '/');
}

// The fallback where openat2 is refused (old kernels, seccomp filters, absolute symlinks):
// compare the file's real path with the root's, open it, and check what was opened (a
// component may have been swapped for a symlink since).  realpath() into a caller buffer does
// not allocate for paths below PATH_MAX.
static int open_checked(const char* root, const char* rel) {
  char full[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
  if (!join_path(root, rel, full)) return -1;
  if (realpath(full, real) == nullptr || realpath(root, real_root) == nullptr) return -1;
  if (!inside(real, std::strlen(real), real_root)) {
    errno = EXDEV;
    return -1;
  }
  int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  char link[64], opened[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, opened, sizeof opened - 1);
  if (len < 0 || !inside(opened, size_t(len), real_root)) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

int open_beneath(int root_fd, const char* root, const char* rel) {
#ifdef VIPER_HAVE_OPENAT2
  static bool openat2_works = true;  // engine thread only
  if (openat2_works && root_fd >= 0) {
    open_how how{};
    // O_NONBLOCK: a FIFO in the directory must not block the engine in open() (regular files
    // ignore it); the caller refuses anything but a regular file afterwards.
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
    // EXDEV: the path crossed the root, or met an absolute symlink (which RESOLVE_BENEATH
    // refuses even when it points inside): let the real path decide.
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EXDEV)) return int(fd);
    if (errno != EXDEV) openat2_works = false;
  }
#endif
  return open_checked(root, rel);
}

static bool describe_stat(const struct stat& st, uint64_t* size, int64_t* mtime_ns) {
  *size = uint64_t(st.st_size);
  *mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return S_ISREG(st.st_mode);
}

bool stat_path(const char* path, uint64_t* size, int64_t* mtime_ns) {
  struct stat st;
  return stat(path, &st) == 0 && describe_stat(st, size, mtime_ns);
}

bool stat_beneath(int root_fd, const char* root, const char* rel, uint64_t* size,
                  int64_t* mtime_ns) {
  // Follows symlinks: the caller only compares the result with a file it opened through
  // open_beneath, and opens again (refusing an escape) when anything differs.
  if (root_fd < 0) {
    char full[PATH_MAX];
    return join_path(root, rel, full) && stat_path(full, size, mtime_ns);
  }
  struct stat st;
  return fstatat(root_fd, rel, &st, 0) == 0 && describe_stat(st, size, mtime_ns);
}

bool stat_fd(int fd, uint64_t* size, int64_t* mtime_ns, bool* is_dir) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  *is_dir = S_ISDIR(st.st_mode);
  return describe_stat(st, size, mtime_ns);
}

void write_stdout(const char* data, size_t len) {
  // Never block the engine on a log reader that stopped reading (a paused pager, a slow
  // collector): if stdout cannot take the lines now, they are dropped.  The engine writes at
  // most PIPE_BUF bytes at a time, which a writable pipe takes whole.
  pollfd p{1, POLLOUT, 0};
  if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) return;
  while (len > 0) {
    ssize_t n = write(1, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nobody reads the log: drop it rather than stall the engine
    data += n;
    len -= size_t(n);
  }
}

}  // namespace viper::port
