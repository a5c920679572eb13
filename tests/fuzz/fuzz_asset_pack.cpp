// libFuzzer target for the asset pack reader (engine/static/asset_pack.h).
//
// Input: byte 0 is the mode, the rest is the pack.  Mode bit 0 set: the harness writes a
// correct index checksum into the pack first (when it is long enough), so that the fuzzer gets
// past the CRC and exercises the per-entry checks; bit 0 clear: the bytes are opened as they
// are.  The pack is copied into an exact-size heap block so ASan sees any read past its end.
// After a successful open() every view of every entry must lie within the input, entry(i)
// must succeed exactly for i < size(), and find() must return each entry by its own path.
//
// Build (the fuzz CMakeLists does the same):
//   clang++-14 -std=c++20 -fsanitize=fuzzer,address,undefined -I engine -I engine/include
//     tests/fuzz/fuzz_asset_pack.cpp engine/static/asset_pack.cpp
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "static/asset_pack.h"

namespace {

using viper::fs::AssetPack;
using viper::fs::PackEntry;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

constexpr size_t kCrcField = 20;
constexpr size_t kIndexSizeField = 12;

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void reseal(uint8_t* p, size_t size) {
  if (size < viper::fs::kPackHeaderBytes) return;
  size_t n = load32(p + kIndexSizeField);
  if (n > size || n < kCrcField + 4) return;
  std::memset(p + kCrcField, 0, 4);
  uint32_t crc = viper::fs::crc32(0, p, n);
  for (int i = 0; i < 4; i++)
    p[kCrcField + i] = uint8_t(crc >> (8 * i));
}

bool inside(std::string_view v, const uint8_t* base, size_t size) {
  const char* b = reinterpret_cast<const char*>(base);
  return v.data() >= b && v.data() + v.size() <= b + size;
}

void check_entry(const PackEntry& e, const uint8_t* base, size_t size) {
  CHECK(inside(e.path, base, size) && !e.path.empty());
  CHECK(inside(e.content_type, base, size) && !e.content_type.empty());
  CHECK(inside(e.etag, base, size) && !e.etag.empty());
  CHECK(inside(e.data, base, size));
  CHECK(e.gzip.empty() || inside(e.gzip, base, size));
  CHECK(viper::fs::pack_path_ok(e.path));
  for (std::string_view v : {e.content_type, e.etag})
    CHECK(v.find_first_of("\r\n", 0) == std::string_view::npos);
}

void check_pack(const uint8_t* p, size_t size) {
  AssetPack pack;
  if (pack.open(p, size) != nullptr) {
    CHECK(pack.size() == 0);
    PackEntry e;
    CHECK(!pack.entry(0, &e) && !pack.find("index.html", &e));
    return;
  }
  CHECK(pack.pack_bytes() <= size);
  std::string_view prev;
  for (size_t i = 0; i < pack.size(); i++) {
    PackEntry e, found;
    CHECK(pack.entry(i, &e));
    check_entry(e, p, size);
    CHECK(i == 0 || prev < e.path);
    prev = e.path;
    CHECK(pack.find(e.path, &found) && found.path.data() == e.path.data());
    CHECK(found.data.data() == e.data.data() && found.mtime == e.mtime);
  }
  PackEntry e;
  CHECK(!pack.entry(pack.size(), &e));
  for (std::string_view path : {"", "index.html", "/index.html", "a", "css/site.css", "zzzz"}) {
    if (pack.find(path, &e)) {
      CHECK(e.path == path);
      check_entry(e, p, size);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t n = size - 1;
  uint8_t* copy = static_cast<uint8_t*>(std::malloc(n ? n : 1));
  if (n) std::memcpy(copy, data + 1, n);
  if (data[0] & 1) reseal(copy, n);
  check_pack(copy, n);
  std::free(copy);
  return 0;
}

#include "replay_main.h"
