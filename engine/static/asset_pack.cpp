#include "static/asset_pack.h"

#include <cstring>

namespace viper::fs {

namespace {

// Header fields (docs/asset-pack.md); all little-endian u32.
constexpr size_t kVersionField = 4;
constexpr size_t kCountField = 8;
constexpr size_t kIndexSizeField = 12;
constexpr size_t kCrcField = 20;
constexpr size_t kReservedField = 24;  // two u32, zero in version 1

// Entry fields, relative to the entry.
constexpr size_t kPathField = 0;   // off, len
constexpr size_t kTypeField = 8;   // off, len
constexpr size_t kEtagField = 16;  // off, len
constexpr size_t kMtimeField = 24;
constexpr size_t kDataField = 32;  // off, len
constexpr size_t kGzipField = 40;  // off, len

// Byte-wise loads: the mapping may be unaligned (a test buffer) and the host may be any endian.
uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint64_t load64(const uint8_t* p) {
  return uint64_t(load32(p)) | uint64_t(load32(p + 4)) << 32;
}

// A field value goes into a response header as is: refuse anything that could split it.
bool header_value_ok(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

// Half-byte table: 64 bytes of flash instead of 1 KB, fast enough for a once-per-open check.
constexpr uint32_t kCrcNibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C};

}  // namespace

uint32_t crc32(uint32_t crc, const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; i++) {
    crc ^= p[i];
    crc = (crc >> 4) ^ kCrcNibble[crc & 15];
    crc = (crc >> 4) ^ kCrcNibble[crc & 15];
  }
  return ~crc;
}

bool pack_path_ok(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return path.find('\0') == std::string_view::npos && path.find('\\') == std::string_view::npos;
}

std::string_view AssetPack::path_at(size_t i) const {
  const uint8_t* e = base_ + kPackHeaderBytes + i * kPackEntryBytes;
  return {reinterpret_cast<const char*>(base_) + load32(e + kPathField),
          load32(e + kPathField + 4)};
}

void AssetPack::decode(size_t i, PackEntry* out) const {
  const uint8_t* e = base_ + kPackHeaderBytes + i * kPackEntryBytes;
  const char* b = reinterpret_cast<const char*>(base_);
  auto view = [&](size_t field) {
    return std::string_view(b + load32(e + field), load32(e + field + 4));
  };
  out->path = view(kPathField);
  out->content_type = view(kTypeField);
  out->etag = view(kEtagField);
  out->data = view(kDataField);
  // No gzip variant has offset 0 (validated), which is not a valid data pointer to hand out.
  out->gzip = load32(e + kGzipField + 4) ? view(kGzipField) : std::string_view();
  out->mtime = int64_t(load64(e + kMtimeField));
}

// Strings live in the checksummed index after the entry table, data after the index.  Sums are
// 64-bit so that no u32 offset + length can wrap.
const char* AssetPack::validate_entry(size_t i, std::string_view prev_path) const {
  const uint8_t* e = base_ + kPackHeaderBytes + i * kPackEntryBytes;
  const uint64_t strings_begin = kPackHeaderBytes + uint64_t(count_) * kPackEntryBytes;
  auto within = [&](size_t field, uint64_t lo, uint64_t hi) {
    uint64_t off = load32(e + field), len = load32(e + field + 4);
    return off >= lo && off + len <= hi;
  };
  if (!within(kPathField, strings_begin, index_size_) ||
      !within(kTypeField, strings_begin, index_size_) ||
      !within(kEtagField, strings_begin, index_size_) ||
      !within(kDataField, index_size_, pack_size_)) {
    return "corrupt index";
  }
  if (load32(e + kGzipField + 4) == 0 ? load32(e + kGzipField) != 0
                                      : !within(kGzipField, index_size_, pack_size_)) {
    return "corrupt index";
  }
  PackEntry ent;
  decode(i, &ent);
  if (!pack_path_ok(ent.path)) return "bad path in pack";
  if (i > 0 && !(prev_path < ent.path)) return "paths not sorted";
  if (!header_value_ok(ent.content_type) || !header_value_ok(ent.etag)) return "corrupt index";
  return nullptr;
}

const char* AssetPack::open(const void* data, size_t size) {
  base_ = nullptr;
  count_ = index_size_ = pack_size_ = 0;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (p == nullptr || size < kPackHeaderBytes || std::memcmp(p, kPackMagic, 4) != 0) {
    return "not an asset pack";
  }
  if (load32(p + kVersionField) != kPackVersion) return "unsupported version";
  uint64_t count = load32(p + kCountField);
  uint64_t index_size = load32(p + kIndexSizeField);
  uint64_t pack_size = load32(p + kPackSizeField);
  if (pack_size > size) return "truncated pack";
  if (index_size < kPackHeaderBytes || index_size > pack_size || index_size % 4 != 0 ||
      count > (index_size - kPackHeaderBytes) / kPackEntryBytes ||
      load32(p + kReservedField) != 0 || load32(p + kReservedField + 4) != 0) {
    return "corrupt index";
  }
  // The checksum covers header + entries + strings with its own field read as zero.
  static constexpr uint8_t kZero[4] = {};
  uint32_t crc = crc32(0, p, kCrcField);
  crc = crc32(crc, kZero, 4);
  crc = crc32(crc, p + kCrcField + 4, size_t(index_size) - kCrcField - 4);
  if (crc != load32(p + kCrcField)) return "index checksum mismatch";

  base_ = p;
  count_ = size_t(count);
  index_size_ = size_t(index_size);
  pack_size_ = size_t(pack_size);
  std::string_view prev;
  for (size_t i = 0; i < count_; i++) {
    if (const char* err = validate_entry(i, prev)) {
      base_ = nullptr;
      count_ = index_size_ = pack_size_ = 0;
      return err;
    }
    prev = path_at(i);
  }
  return nullptr;
}

bool AssetPack::find(std::string_view path, PackEntry* out) const {
  size_t lo = 0, hi = count_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = path_at(mid).compare(path);  // bytewise, as char_traits<char> compares unsigned
    if (c == 0) {
      decode(mid, out);
      return true;
    }
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

bool AssetPack::entry(size_t i, PackEntry* out) const {
  if (i >= count_) return false;
  decode(i, out);
  return true;
}

}  // namespace viper::fs
