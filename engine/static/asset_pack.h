// The asset pack (SPEC §2.7): one read-only blob holding a directory of web assets with their
// MIME type, ETag, mtime and an optional gzip variant, built by tools/pack_assets.py and
// memory-mapped by the engine (on the ESP32 straight from a flash partition).  The format is
// described in docs/asset-pack.md.  Everything returned is a view into the caller's mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "viper/pack_format.h"

namespace viper::fs {

struct PackEntry {
  std::string_view path;          // without a leading '/', e.g. "css/site.css"
  std::string_view content_type;  // full Content-Type value, e.g. "text/html; charset=utf-8"
  std::string_view etag;          // full quoted strong tag, e.g. "\"3f2a9c0d1e5b7a68\""
  std::string_view data;          // identity bytes
  std::string_view gzip;          // gzip variant; empty if there is none
  int64_t mtime = 0;              // Unix seconds
};

class AssetPack {
 public:
  // Validates the whole pack once (magic, version, checksum of the index, every offset/length
  // within bounds, paths sorted, unique and safe).  Returns nullptr on success, else a short
  // message.  `data` stays owned by the caller and must outlive the AssetPack; bytes after the
  // pack's own length (e.g. the rest of a flash partition) are ignored.  On failure the pack is
  // left empty.
  const char* open(const void* data, size_t size);

  // Exact lookup by path without the leading '/'.  Binary search; never allocates.
  bool find(std::string_view path, PackEntry* out) const;

  size_t size() const { return count_; }
  // Entry i in path order, for listings and tests.
  bool entry(size_t i, PackEntry* out) const;

  // The pack's own length (<= the size given to open()); 0 when not open.
  size_t pack_bytes() const { return pack_size_; }

 private:
  std::string_view path_at(size_t i) const;
  void decode(size_t i, PackEntry* out) const;
  const char* validate_entry(size_t i, std::string_view prev_path) const;

  const uint8_t* base_ = nullptr;
  size_t count_ = 0;
  size_t index_size_ = 0;
  size_t pack_size_ = 0;
};

// CRC-32 (IEEE 802.3, as zlib's crc32 and Python's zlib.crc32), continuing from `crc`.
uint32_t crc32(uint32_t crc, const void* data, size_t size);

// True for a path the pack may hold: non-empty, no leading or trailing '/', no empty, "." or
// ".." segment, no NUL or backslash.
bool pack_path_ok(std::string_view path);

}  // namespace viper::fs
