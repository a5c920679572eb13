#include "static/file_cache.h"

#include <cstring>
#include <new>

#include "mem/allocator.h"

namespace viper::fs {
namespace {

const CachedFile kNoFile{};

// Offsets and spans are 32-bit, which keeps an entry small on the device.
constexpr size_t kMaxBudget = 0xffffffffu;
// Bounds the table (2 x entries slots) far below 32-bit overflow; no device gets near it.
constexpr uint32_t kMaxEntries = 1u << 24;
// See max_file().
constexpr size_t kMaxFileBytes = 64 * 1024;

// FNV-1a over the mount id and the path, then a finalizer so that the low bits, which pick the
// table slot, depend on every input byte.
uint32_t key_hash(uint32_t mount, std::string_view path) {
  uint32_t h = 2166136261u;
  for (int k = 0; k < 4; k++) {
    h ^= (mount >> (8 * k)) & 0xffu;
    h *= 16777619u;
  }
  for (char c : path) {
    h ^= uint8_t(c);
    h *= 16777619u;
  }
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

}  // namespace

bool FileCache::init(size_t budget_bytes, uint32_t max_entries) {
  destroy();
  if (budget_bytes == 0 || max_entries == 0) return true;
  if (budget_bytes > kMaxBudget) return false;
  // Every entry holds at least one arena byte, so more entries than bytes could never be used.
  uint32_t n = max_entries;
  if (n > budget_bytes) n = uint32_t(budget_bytes);
  if (n > kMaxEntries) n = kMaxEntries;
  uint32_t cap = 2;
  while (cap < 2 * n)
    cap <<= 1;  // load factor <= 1/2: probes stay short, a slot is always empty
  arena_ = static_cast<char*>(mem::alloc(budget_bytes));
  entries_ = mem::alloc_array<Entry>(n);
  table_ = mem::alloc_array<int32_t>(cap);
  if (arena_ == nullptr || entries_ == nullptr || table_ == nullptr) {
    destroy();
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    new (&entries_[i]) Entry{};
    entries_[i].next = i + 1 < n ? int32_t(i + 1) : -1;
  }
  for (uint32_t p = 0; p < cap; p++)
    table_[p] = -1;
  budget_ = uint32_t(budget_bytes);
  count_ = n;
  mask_ = cap - 1;
  free_ = 0;
  free_count_ = n;
  return true;
}

void FileCache::destroy() {
  mem::release(arena_);
  mem::release(entries_);
  mem::release(table_);
  *this = FileCache{};
}

// budget/8: with FIFO, a file that took a large share of the ring would push out most of the
// hot set every time it is inserted; an eighth keeps at least eight files resident.  64 KB:
// past that, opening and reading the file costs little next to sending it, so caching buys
// little, while the entry would stay pinned (blocking the ring) for as long as a slow client
// takes to receive it; the server streams such files from disk through its bounded buffers.
size_t FileCache::max_file() const {
  if (!enabled()) return 0;
  size_t m = budget_ / 8;
  return m < kMaxFileBytes ? m : kMaxFileBytes;
}

uint32_t FileCache::span(const Entry& e) const {
  // At least one byte, so that the ring positions of entries are distinct (see place()).
  uint32_t n = e.path_len + uint32_t(e.file.data.size());
  return n == 0 ? 1 : n;
}

bool FileCache::key_equals(const Entry& e, uint32_t mount, std::string_view path) const {
  if (e.mount != mount || e.path_len != path.size()) return false;
  return path.empty() || std::memcmp(arena_ + e.off, path.data(), path.size()) == 0;
}

int32_t FileCache::lookup(uint32_t mount, std::string_view path) const {
  if (!enabled()) return -1;
  uint32_t h = key_hash(mount, path);
  for (uint32_t p = h & mask_; table_[p] >= 0; p = (p + 1) & mask_) {
    const Entry& e = entries_[table_[p]];
    if (e.hash == h && key_equals(e, mount, path)) return table_[p];
  }
  return -1;
}

int32_t FileCache::find(uint32_t mount, std::string_view path) {
  int32_t i = lookup(mount, path);
  if (i >= 0)
    hits_++;
  else
    misses_++;
  return i;
}

const CachedFile& FileCache::get(int32_t i) const {
  if (!valid(i) || entries_[i].state == kFree) return kNoFile;
  return entries_[i].file;
}

void FileCache::set_validated(int32_t i, uint64_t now_ms) {
  if (valid(i) && entries_[i].state != kFree) entries_[i].file.validated_ms = now_ms;
}

void FileCache::erase(int32_t i) {
  if (!valid(i)) return;
  Entry& e = entries_[i];
  if (e.state == kReserved) {
    release_entry(i);
  } else if (e.state == kLive) {
    table_remove(i);
    live_--;
    // A response is still sending the bytes: keep the span until the last unpin.
    if (e.pins > 0)
      e.state = kErased;
    else
      release_entry(i);
  }
}

// Where a span of n bytes would go, and the first entry (in ring order) that survives: every
// entry before *stop must be evicted (*stop -1: all of them).  A dry run, so that a refusal
// evicts nothing.  False if an entry in the way cannot be evicted.
//
// The ring: entries, oldest first, lie at increasing offsets up to the write head, wrapping at
// most once.  With positive spans, the oldest entry starts below the head exactly when the ring
// has not wrapped (free space: head..end and 0..oldest); otherwise the free space is the one gap
// head..oldest.  Evicting the oldest never moves the head unless it empties the ring.
bool FileCache::place(uint32_t n, int32_t* stop, uint32_t* pos) const {
  for (int32_t c = oldest_;; c = entries_[c].next) {
    if (c < 0) {  // everything goes: the whole arena is free
      *stop = -1;
      *pos = 0;
      return true;
    }
    uint32_t o = entries_[c].off;
    *stop = c;
    if (o >= head_) {  // wrapped
      if (n <= o - head_) return *pos = head_, true;
    } else {
      if (n <= budget_ - head_) return *pos = head_, true;
      if (n <= o) return *pos = 0, true;
    }
    if (!evictable(entries_[c])) return false;
  }
}

char* FileCache::reserve(uint32_t mount, std::string_view path, size_t size, int32_t* index) {
  *index = -1;
  // The caller is about to read the file afresh: the old bytes go even if this is refused.
  int32_t old = lookup(mount, path);
  if (old >= 0) erase(old);
  if (!enabled() || size > max_file() || path.size() > budget_ - size) {
    refused_++;
    return nullptr;
  }
  uint32_t n = uint32_t(path.size() + size);
  if (n == 0) n = 1;
  int32_t stop;
  uint32_t pos;
  bool ok = place(n, &stop, &pos);
  // No entry free and none evicted to make room: the survivor at the tail must go too.
  bool need_slot = free_count_ == 0 && stop == oldest_;
  if (ok && need_slot) ok = stop >= 0 && evictable(entries_[stop]);
  if (!ok) {
    refused_++;
    return nullptr;
  }
  while (oldest_ != stop)
    evict_oldest();
  if (need_slot) evict_oldest();

  int32_t i = free_;
  Entry& e = entries_[i];
  free_ = e.next;
  free_count_--;
  e.state = kReserved;
  e.off = pos;
  e.path_len = uint32_t(path.size());
  e.mount = mount;
  e.hash = key_hash(mount, path);
  e.pins = 0;
  e.file = CachedFile{};
  e.file.data = std::string_view(arena_ + pos + path.size(), size);
  if (!path.empty()) std::memcpy(arena_ + pos, path.data(), path.size());
  push_newest(i);
  head_ = pos + n;
  bytes_used_ += n;
  *index = i;
  return arena_ + pos + path.size();
}

void FileCache::commit(int32_t i, int64_t mtime, uint64_t now_ms) {
  if (!valid(i) || entries_[i].state != kReserved) return;
  Entry& e = entries_[i];
  // Two reservations for one key may both complete; the later commit wins.
  int32_t old = lookup(e.mount, std::string_view(arena_ + e.off, e.path_len));
  if (old >= 0) erase(old);
  e.state = kLive;
  e.file.mtime = mtime;
  e.file.validated_ms = now_ms;
  table_insert(i);
  live_++;
  insertions_++;
}

void FileCache::abort(int32_t i) {
  if (valid(i) && entries_[i].state == kReserved) release_entry(i);
}

void FileCache::pin(int32_t i) {
  if (valid(i) && (entries_[i].state == kLive || entries_[i].state == kErased)) entries_[i].pins++;
}

void FileCache::unpin(int32_t i) {
  if (!valid(i) || entries_[i].pins == 0) return;
  Entry& e = entries_[i];
  e.pins--;
  if (e.pins == 0 && e.state == kErased) release_entry(i);
}

FileCacheStats FileCache::stats() const {
  return FileCacheStats{hits_, misses_, insertions_, evictions_, refused_, bytes_used_, live_};
}

void FileCache::push_newest(int32_t i) {
  Entry& e = entries_[i];
  e.prev = newest_;
  e.next = -1;
  if (newest_ >= 0)
    entries_[newest_].next = i;
  else
    oldest_ = i;
  newest_ = i;
}

// Removing the newest entry gives its span back to the head, so that an aborted reservation
// (the usual case: the read failed) costs no ring space.
void FileCache::unlink_order(int32_t i) {
  Entry& e = entries_[i];
  if (i == newest_) head_ = e.off;
  if (e.prev >= 0)
    entries_[e.prev].next = e.next;
  else
    oldest_ = e.next;
  if (e.next >= 0)
    entries_[e.next].prev = e.prev;
  else
    newest_ = e.prev;
  if (oldest_ < 0) head_ = 0;
  e.prev = e.next = -1;
}

void FileCache::release_entry(int32_t i) {
  Entry& e = entries_[i];
  unlink_order(i);
  bytes_used_ -= span(e);
  e = Entry{};
  e.next = free_;
  free_ = i;
  free_count_++;
}

void FileCache::evict_oldest() {
  int32_t i = oldest_;
  table_remove(i);
  live_--;
  evictions_++;
  release_entry(i);
}

void FileCache::table_insert(int32_t i) {
  uint32_t p = entries_[i].hash & mask_;
  while (table_[p] >= 0)
    p = (p + 1) & mask_;
  table_[p] = i;
  entries_[i].slot = p;
}

// Linear probing with backward-shift deletion: no tombstones, so probe lengths never grow with
// the number of erasures.
void FileCache::table_remove(int32_t i) {
  uint32_t hole = entries_[i].slot;
  table_[hole] = -1;
  for (uint32_t p = (hole + 1) & mask_; table_[p] >= 0; p = (p + 1) & mask_) {
    uint32_t home = entries_[table_[p]].hash & mask_;
    // The entry at p may move into the hole unless its home lies cyclically in (hole, p].
    bool stays = hole <= p ? (home > hole && home <= p) : (home > hole || home <= p);
    if (stays) continue;
    table_[hole] = table_[p];
    entries_[table_[hole]].slot = hole;
    table_[p] = -1;
    hole = p;
  }
}

bool FileCache::check() const {
  if (!enabled())
    return arena_ == nullptr && entries_ == nullptr && table_ == nullptr && bytes_used_ == 0 &&
           live_ == 0;
  return bytes_used_ <= budget_ && head_ <= budget_ && check_ring() && check_table();
}

bool FileCache::check_ring() const {
  if (oldest_ < 0) {
    if (newest_ >= 0 || head_ != 0 || bytes_used_ != 0 || live_ != 0) return false;
  }
  bool wrapped = oldest_ >= 0 && entries_[oldest_].off >= head_;
  bool did_wrap = false;
  uint64_t p = oldest_ >= 0 ? entries_[oldest_].off : 0;
  uint64_t bytes = 0, live = 0;
  uint32_t used = 0;
  int32_t prev = -1;
  for (int32_t c = oldest_; c >= 0; prev = c, c = entries_[c].next) {
    const Entry& e = entries_[c];
    if (++used > count_ || e.prev != prev || e.state == kFree) return false;
    if (e.state == kErased && e.pins == 0) return false;  // released at the last unpin
    if (e.state == kReserved && e.pins != 0) return false;
    if (e.file.data.data() != arena_ + e.off + e.path_len) return false;
    if (e.off < p) {  // the one wrap, to offset 0 onwards
      if (!wrapped || did_wrap) return false;
      did_wrap = true;
    }
    uint64_t end = uint64_t(e.off) + span(e);
    if (end > budget_) return false;
    bool low = !wrapped || did_wrap;  // between 0 (or the oldest) and the head
    if (low ? end > head_ : e.off < head_) return false;
    p = end;
    bytes += span(e);
    live += e.state == kLive;
  }
  if (prev != newest_ || bytes != bytes_used_ || live != live_) return false;
  uint32_t nfree = 0;
  for (int32_t c = free_; c >= 0; c = entries_[c].next) {
    if (++nfree > count_ || entries_[c].state != kFree) return false;
  }
  return nfree == free_count_ && used + nfree == count_;
}

bool FileCache::check_table() const {
  uint64_t occupied = 0;
  for (uint32_t p = 0; p <= mask_; p++) {
    int32_t i = table_[p];
    if (i < 0) continue;
    occupied++;
    if (!valid(i) || entries_[i].state != kLive || entries_[i].slot != p) return false;
    // Reachable from its home slot without crossing an empty one.
    for (uint32_t q = entries_[i].hash & mask_; q != p; q = (q + 1) & mask_)
      if (table_[q] < 0) return false;
    const Entry& e = entries_[i];
    std::string_view path(arena_ + e.off, e.path_len);
    if (e.hash != key_hash(e.mount, path) || lookup(e.mount, path) != i) return false;
  }
  return occupied == live_;
}

}  // namespace viper::fs
