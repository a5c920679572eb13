// libFuzzer target for the static file cache (engine/static/file_cache.h).
//
// Input: bytes 0-1 pick the budget and the number of entries; the rest is a sequence of
// operations (one byte for the operation, then its arguments, 0 when the input runs out)
// applied to the cache and to a reference model.  After each operation the cache's own
// invariants (FileCache::check) and the model's are checked; a violation traps:
//   - a committed entry is findable exactly while the model has it, with its bytes intact;
//   - reserved, pinned and erased-but-pinned entries keep their bytes;
//   - only unpinned committed entries vanish, the oldest first (FIFO);
//   - a refusal of a size that fits means an entry in the ring may not be evicted;
//   - bytes_used is the sum of the spans held and never above the budget; counters agree.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "static/file_cache.h"

namespace {

using viper::fs::FileCache;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    n--;
    return *p++;
  }
};

enum State { kReserved, kLive, kErased };
struct Entry {
  uint32_t mount;
  std::string path, data;
  uint64_t seq;  // reservation order: the ring order
  int pins;
  State state;
};

constexpr const char* kPaths[] = {"/",
                                  "/a",
                                  "/index.html",
                                  "/css/site.css",
                                  "/js/app.js",
                                  "/img/logo.svg",
                                  "",
                                  "/x/y/z/a/long/path/to/a/file.txt"};

struct Harness {
  FileCache c;
  uint64_t budget = 0;
  std::map<int32_t, Entry> m;
  std::vector<int32_t> pins;
  uint64_t seq = 0, hits = 0, misses = 0, insertions = 0, evictions = 0, refused = 0;

  int32_t live_index(uint32_t mount, const std::string& path) const {
    for (auto& [i, e] : m)
      if (e.state == kLive && e.mount == mount && e.path == path) return i;
    return -1;
  }
  int32_t pick(State s, uint8_t k) const {
    std::vector<int32_t> v;
    for (auto& [i, e] : m)
      if (e.state == s) v.push_back(i);
    return v.empty() ? -1 : v[k % v.size()];
  }
  void model_erase(int32_t i) {
    Entry& e = m.at(i);
    if (e.state == kReserved || e.pins == 0)
      m.erase(i);
    else
      e.state = kErased;
  }

  void reserve(uint32_t mount, const std::string& path, size_t size, uint8_t fill) {
    int32_t old = live_index(mount, path);
    if (old >= 0) model_erase(old);
    int32_t i = -2;
    char* p = c.reserve(mount, path, size, &i);
    bool fits = c.enabled() && size <= c.max_file() && path.size() + size <= budget;
    if (p == nullptr) {
      CHECK(i == -1);
      refused++;
      if (fits) {
        bool blocked = false;
        for (auto& [k, e] : m)
          blocked |= e.pins > 0 || e.state == kReserved;
        CHECK(blocked);
      }
      return;
    }
    CHECK(fits && i >= 0);
    uint64_t max_gone = 0, min_kept = UINT64_MAX;
    bool any_gone = false;
    for (auto it = m.begin(); it != m.end();) {
      Entry& e = it->second;
      bool present = it->first != i && (e.state != kLive || c.lookup(e.mount, e.path) == it->first);
      if (present) {
        if (e.seq < min_kept) min_kept = e.seq;
        ++it;
        continue;
      }
      CHECK(e.state == kLive && e.pins == 0);
      any_gone = true;
      if (e.seq > max_gone) max_gone = e.seq;
      evictions++;
      it = m.erase(it);
    }
    CHECK(!any_gone || max_gone < min_kept);
    std::string data(size, '\0');
    for (size_t k = 0; k < size; k++)
      data[k] = char(fill + k * 7 + seq);
    if (size) std::memcpy(p, data.data(), size);
    m[i] = Entry{mount, path, data, seq++, 0, kReserved};
  }

  void commit(int32_t i) {
    Entry& e = m.at(i);
    int32_t old = live_index(e.mount, e.path);
    c.commit(i, int64_t(e.seq), e.seq);
    if (old >= 0) model_erase(old);
    m.at(i).state = kLive;
    insertions++;
  }

  void find(uint32_t mount, const std::string& path, bool and_pin) {
    int32_t want = live_index(mount, path);
    int32_t got = c.find(mount, path);
    CHECK(got == want);
    (got >= 0 ? hits : misses)++;
    if (got < 0 || !and_pin) return;
    c.pin(got);
    m.at(got).pins++;
    pins.push_back(got);
  }

  void unpin(uint8_t k) {
    if (pins.empty()) return;
    size_t at = k % pins.size();
    int32_t i = pins[at];
    pins.erase(pins.begin() + at);
    c.unpin(i);
    Entry& e = m.at(i);
    if (--e.pins == 0 && e.state == kErased) m.erase(i);
  }

  void verify() {
    CHECK(c.check());
    uint64_t bytes = 0, live = 0;
    for (auto& [i, e] : m) {
      size_t span = e.path.size() + e.data.size();
      bytes += span == 0 ? 1 : span;
      if (e.state == kLive) {
        live++;
        CHECK(c.lookup(e.mount, e.path) == i);
        CHECK(c.get(i).mtime == int64_t(e.seq));
      } else {
        CHECK(c.lookup(e.mount, e.path) != i);
      }
      CHECK(c.get(i).data == e.data);
    }
    auto s = c.stats();
    CHECK(s.bytes_used <= budget && s.bytes_used == bytes && s.entries == live);
    CHECK(s.hits == hits && s.misses == misses && s.insertions == insertions);
    CHECK(s.evictions == evictions && s.refused == refused);
  }

  void step(Input& in) {
    uint8_t op = in.byte();
    uint32_t mount = (op >> 4) & 1;
    const std::string path = kPaths[(op >> 5) & 7];
    switch (op & 15) {
      case 0:
      case 1:
      case 2:
      case 3: {
        size_t size = in.byte();
        if (op & 2) size = size * 3 + in.byte();  // up to and past max_file
        reserve(mount, path, size, in.byte());
        break;
      }
      case 4:
      case 5: {
        int32_t i = pick(kReserved, in.byte());
        if (i >= 0) commit(i);
        break;
      }
      case 6: {
        int32_t i = pick(kReserved, in.byte());
        if (i >= 0) {
          c.abort(i);
          m.erase(i);
        }
        break;
      }
      case 7:
      case 8:
        find(mount, path, false);
        break;
      case 9:
      case 10:
        find(mount, path, true);
        break;
      case 11:
      case 12:
        unpin(in.byte());
        break;
      case 13: {
        int32_t i = live_index(mount, path);
        if (i >= 0) {
          c.erase(i);
          model_erase(i);
        }
        break;
      }
      case 14: {  // erase by index, whatever the state (a reserved entry is aborted)
        int32_t i = int32_t(in.byte() % 24) - 2;
        c.erase(i);
        if (m.count(i) && m.at(i).state != kErased) model_erase(i);
        break;
      }
      case 15: {
        int32_t i = int32_t(in.byte() % 24) - 2;
        c.set_validated(i, 5);
        break;
      }
    }
    verify();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  uint8_t b = in.byte(), e = in.byte();
  Harness h;
  h.budget = b < 8 ? b : 8 + size_t(b) * 16;  // 0..7 (disabled or tiny) and 136..4088
  CHECK(h.c.init(h.budget, 1 + e % 20));
  if (!h.c.enabled()) h.budget = 0;
  for (int k = 0; k < 2000 && in.n > 0; k++)
    h.step(in);
  while (!h.pins.empty())
    h.unpin(0);
  for (int32_t i = h.pick(kReserved, 0); i >= 0; i = h.pick(kReserved, 0))
    h.commit(i);
  h.verify();
  h.c.destroy();
  return 0;
}
