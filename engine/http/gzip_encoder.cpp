#include "http/gzip_encoder.h"

#include "http/response_writer.h"

#define ZLIB_CONST  // next_in is const: the body is only read
#include <zlib.h>

#include <climits>
#include <new>

#include "mem/allocator.h"

namespace viper::http {

struct GzipEncoder::State {
  z_stream stream;
  gz_header header;  // zlib keeps a pointer to it while it writes the header
  size_t zlib_bytes;
};

namespace {

// zlib's allocations go through the counting allocator, so they are inside the budget and in
// the stats.  deflate allocates only in deflateInit2 and frees only in deflateEnd.
voidpf zalloc(voidpf opaque, uInt items, uInt size) {
  size_t bytes = size_t(items) * size;
  void* p = mem::alloc(bytes);
  if (p != nullptr) static_cast<size_t*>(opaque)[0] += bytes;
  return p;
}

void zfree(voidpf, voidpf p) {
  mem::release(p);
}

}  // namespace

bool GzipEncoder::init(int level, int window_bits, int mem_level) {
  destroy();
  if (level < 1 || level > 9 || window_bits < 9 || window_bits > 15 || mem_level < 1 ||
      mem_level > 9)
    return false;
  void* raw = mem::alloc(sizeof(State));
  if (raw == nullptr) return false;
  auto* s = new (raw) State{};
  s->stream.zalloc = zalloc;
  s->stream.zfree = zfree;
  s->stream.opaque = &s->zlib_bytes;
  // window_bits + 16 asks zlib for the gzip wrapper (header and CRC-32 trailer).
  if (deflateInit2(&s->stream, level, Z_DEFLATED, window_bits + 16, mem_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    mem::release(s);  // on failure zlib has already freed whatever it got
    return false;
  }
  state_ = s;
  return true;
}

void GzipEncoder::destroy() {
  if (state_ == nullptr) return;
  deflateEnd(&state_->stream);
  mem::release(state_);
  state_ = nullptr;
}

size_t GzipEncoder::compress(std::string_view in, char* out, size_t cap) {
  if (state_ == nullptr || cap == 0 || in.size() > UINT_MAX) return 0;
  z_stream& z = state_->stream;
  if (deflateReset(&z) != Z_OK) return 0;
  // The default header would carry the build's OS code; a fixed one makes output identical
  // on the device and the host.
  state_->header = gz_header{};
  state_->header.os = 255;
  if (deflateSetHeader(&z, &state_->header) != Z_OK) return 0;
  z.next_in = reinterpret_cast<const Bytef*>(in.data());
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out);
  z.avail_out = cap > UINT_MAX ? UINT_MAX : uInt(cap);
  // All input is there, so one Z_FINISH either ends the member or runs out of room.
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return 0;
  return size_t(z.total_out);
}

size_t GzipEncoder::memory_bytes() const {
  return state_ == nullptr ? 0 : sizeof(State) + state_->zlib_bytes;
}

namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ascii_iequal(s.substr(0, prefix.size()), prefix);
}

// Already compressed: gzip would spend CPU and memory bandwidth to gain nothing.
constexpr std::string_view kCompressedTypes[] = {
    "font/woff",
    "font/woff2",
    "application/font-woff",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/octet-stream",
};

bool compressible_type(std::string_view type) {
  if (ascii_iequal(type, "text/event-stream")) return false;
  if (istarts_with(type, "image/")) return ascii_iequal(type, "image/svg+xml");
  if (istarts_with(type, "video/") || istarts_with(type, "audio/")) return false;
  for (std::string_view t : kCompressedTypes)
    if (ascii_iequal(type, t)) return false;
  return true;
}

}  // namespace

bool gzip_allowed(std::string_view content_type, std::string_view raw_headers) {
  if (find_header_line(raw_headers, "content-encoding").data() != nullptr) return false;
  std::string_view type = trim_blanks(content_type.substr(0, content_type.find(';')));
  return compressible_type(type);
}

}  // namespace viper::http
