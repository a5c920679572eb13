// gzip for dynamic responses (the engine's GZipMiddleware), on zlib.  One deflate stream per
// encoder, set up once at start-up with memory from viper::mem::alloc and reused for every
// response with deflateReset, so compressing never allocates.  zlib.h stays in the .cpp: only
// the encoder needs it.
#pragma once

#include <cstddef>
#include <string_view>

namespace viper::http {

class GzipEncoder {
 public:
  // Sets up the deflate stream: level 1..9, window_bits 9..15, mem_level 1..9.  zlib needs
  // about (1 << (window_bits + 2)) + (1 << (mem_level + 9)) bytes plus its ~6 KB state, so the
  // device uses small values (window_bits 9 / mem_level 1 is about 9 KB, 15 / 8 about 268 KB).
  // False if an argument is out of range or the memory cannot be had (nothing is kept then).
  // Calling it again replaces the stream.
  bool init(int level, int window_bits, int mem_level);
  void destroy();
  bool ready() const { return state_ != nullptr; }

  // Compresses `in` as one complete gzip member (RFC 1952: no name, mtime 0, OS 255, so the
  // same input always gives the same bytes on every platform) into out[0..cap).  Returns its
  // size, or 0 when it does not fit in `cap` (the caller then sends the identity body) or the
  // encoder is not ready.  Never allocates.
  size_t compress(std::string_view in, char* out, size_t cap);

  // Bytes init() took from viper::mem for this encoder (zlib's buffers and the stream), for
  // the engine's stats.  0 when not ready.
  size_t memory_bytes() const;

 private:
  struct State;
  State* state_ = nullptr;
};

// Whether the engine may gzip a response, judged from the response alone (the caller checks
// the request's Accept-Encoding).  Like Starlette's GZipMiddleware it compresses everything,
// except (media type compared case-insensitively, parameters ignored):
//   - a response that already has a Content-Encoding header (any value);
//   - text/event-stream: a stream must reach the client event by event, not buffered;
//   - types that are already compressed, where gzip costs CPU for nothing (nginx leaves them
//     out of gzip_types for the same reason):
//       image/* except image/svg+xml, video/*, audio/*,
//       font/woff, font/woff2, application/font-woff,
//       application/zip, application/gzip, application/x-gzip, application/zstd,
//       application/x-bzip2, application/x-xz, application/x-7z-compressed,
//       application/vnd.rar, application/x-rar-compressed,
//       application/octet-stream (opaque binary: firmware images and archives, mostly).
// A response without a Content-Type may be compressed.  `raw_headers` are complete
// "Name: value\r\n" lines as the Python side sends them (names in any case).
bool gzip_allowed(std::string_view content_type, std::string_view raw_headers);

}  // namespace viper::http
