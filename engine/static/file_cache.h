// An in-memory cache of hot small static files, with a byte budget (SPEC §2.7).  The static
// file server looks a file up here before opening it, and sends a hit straight from the
// cache's arena without a copy.
//
// Policy: FIFO over a ring.  The arena is one block of `budget` bytes used as a ring; each
// entry is one contiguous span holding its path bytes followed by the file's bytes.  A new
// entry goes at the write head; when the span does not fit before the oldest entry (or before
// the end of the arena, after which the head wraps to 0), the oldest entries are evicted one by
// one until it does.  If one of them is pinned (a response is still sending its bytes) or still
// being filled, nothing is evicted and reserve() refuses: the server then serves that file from
// disk.  Why FIFO rather than LRU:
//   - it cannot fragment: free space is always the one gap between the head and the oldest
//     entry, so any span up to the budget fits once the entries before it go;
//   - an LRU needs either a general allocator (which fragments: a freed hole is rarely the
//     right size) or compaction (which moves bytes a pinned response may be reading);
//   - the cache is meant to hold the whole hot set (a few small files: index.html, the CSS and
//     JS); when it does, the policy never matters, and when it does not, FIFO degrades no worse
//     than an LRU would on a cyclic scan.
// A pinned entry at the tail blocks insertion until it is unpinned; that is the price of never
// copying bytes out from under a response, and it lasts as long as one response.
//
// Everything is allocated in init(); every operation is allocation-free and bounded: find is
// O(1) expected (open addressing, load factor <= 1/2), reserve evicts at most max_entries.
// Single-threaded, like the rest of the engine's I/O loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::fs {

struct CachedFile {
  std::string_view data;      // the file's bytes, inside the cache's arena
  int64_t mtime = 0;          // as the server stored it (it stores nanoseconds)
  uint64_t validated_ms = 0;  // when the server last checked the file on disk (monotonic ms)
};

// bytes_used: arena bytes held by entries (committed, reserved, or erased but still pinned);
// never above the budget.  entries: committed entries that find() can return.
struct FileCacheStats {
  uint64_t hits, misses, insertions, evictions, refused, bytes_used, entries;
};

class FileCache {
 public:
  // One arena of `budget_bytes` and a table of `max_entries`, allocated once with mem::alloc.
  // budget_bytes 0 (or max_entries 0): disabled (find misses, reserve refuses) and nothing is
  // allocated.  False if the memory cannot be had, or the budget is 4 GB or more (offsets are
  // 32-bit); the cache is then left disabled.
  bool init(size_t budget_bytes, uint32_t max_entries);
  void destroy();
  bool enabled() const { return budget_ != 0; }
  // Largest file worth caching: budget/8, at most 64 KB; 0 when disabled.
  size_t max_file() const;

  // The entry for (mount, path), or -1.  Counts a hit or a miss.
  int32_t find(uint32_t mount, std::string_view path);
  // As find(), without counting (tests, and the server's own bookkeeping).
  int32_t lookup(uint32_t mount, std::string_view path) const;
  // Entry i's file; an invalid index gives an empty file.
  const CachedFile& get(int32_t i) const;
  void set_validated(int32_t i, uint64_t now_ms);
  // Forgets an entry (the file changed on disk).  A pinned entry is only unlinked from lookups
  // and its space is reclaimed when the last pin goes.  Erasing a reserved entry aborts it.
  void erase(int32_t i);

  // Reserves `size` bytes for (mount, path) and returns where the caller reads the file into,
  // or nullptr: larger than max_file(), or no room even after evicting every unpinned entry it
  // may evict (then nothing is evicted).  The entry is not findable until commit(); abort()
  // gives the space back.  An existing entry for the same key is replaced (erased, even when
  // the reservation is refused: the caller is about to read the file afresh).
  char* reserve(uint32_t mount, std::string_view path, size_t size, int32_t* index);
  // Makes a reserved entry findable; an entry committed meanwhile for the same key is erased.
  void commit(int32_t i, int64_t mtime, uint64_t now_ms);
  void abort(int32_t i);

  // While a response borrows an entry's bytes (sent from the arena without a copy), it is
  // pinned: never evicted or overwritten.  pin() counts; unpin() must be called the same
  // number of times.  Only committed entries (found, or erased while pinned) can be pinned.
  void pin(int32_t i);
  void unpin(int32_t i);

  FileCacheStats stats() const;
  // Checks every internal invariant (ring order and bounds, byte count, hash table, lists);
  // for tests and the fuzzer.  O(max_entries).
  bool check() const;

 private:
  enum State : uint8_t { kFree, kReserved, kLive, kErased };
  struct Entry {
    CachedFile file;
    uint32_t off = 0;  // arena span: path bytes, then file bytes
    uint32_t path_len = 0;
    uint32_t mount = 0;
    uint32_t hash = 0;
    uint32_t pins = 0;
    uint32_t slot = 0;  // position in the hash table while kLive
    int32_t prev = -1;  // ring order, oldest first (kFree: next free entry in `next`)
    int32_t next = -1;
    State state = kFree;
  };

  bool valid(int32_t i) const { return i >= 0 && uint32_t(i) < count_; }
  uint32_t span(const Entry& e) const;
  bool key_equals(const Entry& e, uint32_t mount, std::string_view path) const;
  bool evictable(const Entry& e) const { return e.state == kLive && e.pins == 0; }
  bool place(uint32_t n, int32_t* stop, uint32_t* pos) const;
  void push_newest(int32_t i);
  void unlink_order(int32_t i);
  void release_entry(int32_t i);
  void table_insert(int32_t i);
  void table_remove(int32_t i);
  void evict_oldest();
  bool check_ring() const;
  bool check_table() const;

  char* arena_ = nullptr;
  Entry* entries_ = nullptr;
  int32_t* table_ = nullptr;  // entry index or -1
  uint32_t budget_ = 0, count_ = 0, mask_ = 0;
  uint32_t head_ = 0;                  // write head: where the next span would start
  int32_t oldest_ = -1, newest_ = -1;  // ring order
  int32_t free_ = -1;                  // free entries
  uint32_t free_count_ = 0;
  uint64_t hits_ = 0, misses_ = 0, insertions_ = 0, evictions_ = 0, refused_ = 0;
  uint64_t bytes_used_ = 0, live_ = 0;
};

}  // namespace viper::fs
