// ESP-IDF implementation of port/port.h, with port/posix/port_posix.cpp (eventfd wake-ups) and
// port/lwip/port_lwip_sockets.cpp (lwIP's sockets, shared with the lwIP host build that tests
// them on the PC).  Built by ESP-IDF through bindings/micropython/micropython.cmake; not
// compiled on the PC (no ESP-IDF there): what is here is unverified by CI.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "esp_heap_caps.h"
#include "esp_partition.h"
#include "esp_pthread.h"
#include "esp_timer.h"
#include "esp_vfs_eventfd.h"
#include "port/lwip/lwip_stack.h"
#include "port/port.h"
#include "sdkconfig.h"
#include "viper/pack_format.h"

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

int max_descriptors() {
  return CONFIG_LWIP_MAX_SOCKETS;
}

// The listening socket is the only other lwIP socket the server holds (eventfds live in the
// VFS, not in lwIP's socket table).
int reserved_descriptors() {
  return 1;
}

// The network interfaces are MicroPython's (network.WLAN) and ESP-IDF's: nothing to start.
bool lwip_stack_ready() {
  return true;
}

// The VFS select(): it waits on lwIP sockets and on the eventfds together (lwIP's own
// lwip_select sees sockets only).
int select_fds(int nfds, fd_set* readable, fd_set* writable, int timeout_ms) {
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  return select(nfds, readable, writable, nullptr, timeout_ms < 0 ? nullptr : &tv);
}

// Buffers, rings and caches (kLargeBlockBytes and up) go to PSRAM when the board has it
// (CONFIG_SPIRAM), keeping internal RAM for Wi-Fi, lwIP and the small hot structures (slots,
// router nodes); without PSRAM, or when it is full, they fall back to internal RAM.  lwIP copies
// what it sends into its own pbufs, so no DMA ever reads these buffers.
void* alloc_aligned(size_t align, size_t bytes) {
  if (bytes >= kLargeBlockBytes) {
    void* p = heap_caps_aligned_alloc(align, bytes, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
    if (p != nullptr) return p;
  }
  return heap_caps_aligned_alloc(align, bytes, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
}

void free_aligned(void* p) {
  heap_caps_free(p);  // ESP-IDF 5: frees heap_caps_aligned_alloc blocks too
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

// --- map_file ------------------------------------------------------------------------------
// A flash mapping is released through its handle, not its address: remember a few of them.
// Packs are mapped once at startup, so a tiny table under a mutex is plenty.

namespace {

constexpr char kPartitionPrefix[] = "partition:";
constexpr int kMaxFlashMappings = 4;
const char kEmptyMapping[1] = {};

struct FlashMapping {
  const void* ptr;
  esp_partition_mmap_handle_t handle;
};
FlashMapping g_mappings[kMaxFlashMappings];
pthread_mutex_t g_mappings_lock = PTHREAD_MUTEX_INITIALIZER;

int errno_of(esp_err_t err) {
  switch (err) {
    case ESP_ERR_NO_MEM:
      return ENOMEM;
    case ESP_ERR_NOT_FOUND:
      return ENOENT;
    case ESP_ERR_INVALID_ARG:
    case ESP_ERR_INVALID_SIZE:
      return EINVAL;
    default:
      return EIO;
  }
}

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// How much of the partition to map: the pack's own length from its header, so that a 64 KB
// pack in a 4 MB partition costs one MMU page, not 64.  Something that is not a pack maps just
// its first bytes, enough for AssetPack::open() to say so.  Never beyond the partition.
size_t pack_length(const esp_partition_t* part) {
  uint8_t header[fs::kPackHeaderBytes];
  size_t n = fs::kPackHeaderBytes;
  if (esp_partition_read(part, 0, header, sizeof header) == ESP_OK &&
      memcmp(header, fs::kPackMagic, sizeof fs::kPackMagic) == 0) {
    size_t declared = load32(header + fs::kPackSizeField);
    if (declared > n) n = declared;
  }
  return n < part->size ? n : part->size;
}

const void* map_partition(const char* label, size_t* size) {
  const esp_partition_t* part =
      esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);
  if (part == nullptr) {
    errno = ENOENT;
    return nullptr;
  }
  size_t n = pack_length(part);
  pthread_mutex_lock(&g_mappings_lock);
  FlashMapping* slot = nullptr;
  for (FlashMapping& m : g_mappings) {
    if (m.ptr == nullptr) {
      slot = &m;
      break;
    }
  }
  if (slot == nullptr) {
    pthread_mutex_unlock(&g_mappings_lock);
    errno = EMFILE;
    return nullptr;
  }
  const void* ptr = nullptr;
  esp_partition_mmap_handle_t handle;
  esp_err_t err = esp_partition_mmap(part, 0, n, ESP_PARTITION_MMAP_DATA, &ptr, &handle);
  if (err == ESP_OK) *slot = {ptr, handle};
  pthread_mutex_unlock(&g_mappings_lock);
  if (err != ESP_OK) {
    errno = errno_of(err);
    return nullptr;
  }
  *size = n;
  return ptr;
}

// VFS files (SD card, a littlefs/FAT partition mounted by ESP-IDF) cannot be mapped: read the
// whole file into the heap (PSRAM when the board routes large allocations there).
const void* read_whole_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return nullptr;
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) != 0) {
    err = errno;
  } else if (!S_ISREG(st.st_mode)) {
    err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  }
  if (err != 0) {
    close(fd);
    errno = err;
    return nullptr;
  }
  size_t total = size_t(st.st_size);
  if (total == 0) {
    close(fd);
    *size = 0;
    return kEmptyMapping;
  }
  char* buf = static_cast<char*>(malloc(total));
  if (buf == nullptr) {
    close(fd);
    errno = ENOMEM;
    return nullptr;
  }
  size_t got = 0;
  while (got < total) {
    ssize_t r = read(fd, buf + got, total - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {  // error, or the file shrank under us
      err = r < 0 ? errno : EIO;
      free(buf);
      close(fd);
      errno = err;
      return nullptr;
    }
    got += size_t(r);
  }
  close(fd);
  *size = total;
  return buf;
}

}  // namespace

const void* map_file(const char* path, size_t* size) {
  size_t prefix = sizeof kPartitionPrefix - 1;
  if (strncmp(path, kPartitionPrefix, prefix) == 0) return map_partition(path + prefix, size);
  return read_whole_file(path, size);
}

void unmap_file(const void* p, size_t size) {
  (void)size;
  if (p == nullptr || p == kEmptyMapping) return;
  pthread_mutex_lock(&g_mappings_lock);
  for (FlashMapping& m : g_mappings) {
    if (m.ptr == p) {
      esp_partition_munmap(m.handle);
      m.ptr = nullptr;
      pthread_mutex_unlock(&g_mappings_lock);
      return;
    }
  }
  pthread_mutex_unlock(&g_mappings_lock);
  free(const_cast<void*>(p));  // not a flash mapping: a buffer from read_whole_file
}

int open_path(const char* path) {
  return open(path, O_RDONLY);
}

int open_root(const char*) {
  return -1;  // no O_PATH in the VFS: open_beneath joins paths
}

// FAT and littlefs have no symlinks, and the caller has already refused "..", "." and empty
// segments (fs::safe_relative_path), so joining the paths cannot leave the root.
int open_beneath(int, const char* root, const char* rel) {
  char full[256];
  int n = snprintf(full, sizeof full, "%s/%s", root, rel);
  if (n < 0 || size_t(n) >= sizeof full) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open(full, O_RDONLY);
}

bool stat_path(const char* path, uint64_t* size, int64_t* mtime_ns) {
  struct stat st;
  if (stat(path, &st) != 0) return false;
  *size = uint64_t(st.st_size);
  *mtime_ns = int64_t(st.st_mtime) * 1000000000;  // FAT/littlefs: seconds at best
  return S_ISREG(st.st_mode);
}

bool stat_beneath(int, const char* root, const char* rel, uint64_t* size, int64_t* mtime_ns) {
  char full[256];
  int n = snprintf(full, sizeof full, "%s/%s", root, rel);
  return n >= 0 && size_t(n) < sizeof full && stat_path(full, size, mtime_ns);
}

bool stat_fd(int fd, uint64_t* size, int64_t* mtime_ns, bool* is_dir) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  *size = uint64_t(st.st_size);
  *mtime_ns = int64_t(st.st_mtime) * 1000000000;
  *is_dir = S_ISDIR(st.st_mode);
  return S_ISREG(st.st_mode);
}

void write_stdout(const char* data, size_t len) {
  fwrite(data, 1, len, stdout);  // the console (UART or USB-CDC), through newlib's stdout
  fflush(stdout);
}

}  // namespace viper::port
