// The file server: static mounts and FileResponse, answered on the engine thread (SPEC §3.8).
//
// A request for a mount never crosses the bridge.  The source (fs::find_file) gives the bytes
// and their validators; here the HTTP semantics are applied — If-None-Match / If-Modified-Since
// → 304, Range / If-Range → 206 (one part, or multipart/byteranges) or 416, the gzip variant
// chosen by Accept-Encoding, HEAD — and the body is handed to a Transfer that the connection
// pumps whenever its socket is writable: sendfile for files, the mapping itself for a pack.  A
// turn sends at most kTurnBytes, so concurrent downloads interleave and memory per transfer is
// bounded whatever the file size.
//
// It owns the mounts, the pool of Transfers (one per slot, lent while a body is in flight), the
// hot-file cache and its scratch buffers.  It writes through the server's response functions
// (Server::Impl: respond, lend_out, flush), which it reaches through `srv_`.
#pragma once

#include <cstdint>
#include <string_view>

#include "net/connection.h"
#include "router/router.h"
#include "static/file_cache.h"
#include "static/file_source.h"
#include "viper/server.h"

namespace viper {

// What a request says about the file it wants (the headers of RFC 9110 §13 and §14).
struct FileQuery {
  std::string_view range, if_range, if_none_match, if_modified_since;
  bool gzip = false;  // Accept-Encoding allows gzip
  static FileQuery from_request(const http::Request& r);
  static FileQuery from_lines(std::string_view lines);  // "name: value\r\n" lines
};

// How the application wants a file answered.
struct FileReply {
  uint16_t status = 200;           // 200: conditionals and ranges apply; else sent as is
  std::string_view cache_control;  // the mount's
  std::string_view raw_headers;    // FileResponse's own header lines
};

class FileServer {
 public:
  static constexpr uint32_t kMaxMounts = 16;
  enum class Pump : uint8_t { Closed, Wait, Done };

  explicit FileServer(Server::Impl& srv) : srv_(srv) {}
  // The transfer pool (one per slot), scratch buffers, and the cache (static_cache_bytes).
  // nullptr on success, else what could not be had.
  const char* init(uint32_t slots, uint32_t static_cache_bytes);
  void destroy();

  // A mount (before the server listens): its routes go into `router`.  nullptr on success,
  // else what is wrong ("source: ...", "prefix", "too many mounts", "route conflict").
  const char* add_mount(const StaticMount& sm, Router& router);

  // Answers a request routed to mount `m` (`rel`: the path below the prefix).
  void serve(net::Conn& c, fs::Mount& m, std::string_view rel);
  // Answers a deferred request with the file at `path` (FileResponse).
  void complete(net::Conn& c, uint16_t status, std::string_view raw_headers, std::string_view path,
                std::string_view request_headers);
  // Sends the next piece of the connection's file body (see the top of the file).
  Pump pump(net::Conn& c);
  // Ends the connection's transfer, if any (connection closed, or body complete).
  void end(net::Conn& c);

 private:
  size_t scratch_cap() const;
  fs::Lookup find_index(fs::Mount& m, std::string_view rel, bool gzip, fs::Found* f);
  fs::Lookup find_cached(fs::Mount& m, std::string_view name, bool gzip, fs::Found* f);
  fs::Lookup from_cache(int32_t i, const fs::Mount& m, std::string_view name, bool gz,
                        fs::Found* f);
  void cache_file(const fs::Mount& m, std::string_view name, bool gzip, fs::Found* f);
  bool still_valid(int32_t i, const fs::Mount& m, std::string_view name, bool gz);
  void redirect_to_directory(net::Conn& c);
  static void close_found(fs::Found& f);
  void send_found(net::Conn& c, fs::Found& f, const FileQuery& q, const FileReply& r);
  static bool not_modified(const fs::Found& f, const FileQuery& q);
  bool queue_head(net::Conn& c, uint16_t status, std::string_view type, uint64_t length,
                  const http::Header* hs, uint16_t n, std::string_view raw);
  void send_multipart(net::Conn& c, fs::Found& f, const http::ByteRange* r, size_t num,
                      const http::Header* hs, uint16_t n, std::string_view raw);
  size_t part_header(char* out, size_t cap, std::string_view type, const http::ByteRange& r,
                     uint64_t size) const;
  size_t part_trailer(char* out, size_t cap) const;
  net::Transfer* take_transfer(net::Conn& c, fs::Found& f);
  void start_transfer(net::Conn& c, fs::Found& f, uint64_t off, uint64_t len);
  long read_into_output(net::Conn& c, net::Transfer& t, size_t want);
  bool next_part(net::Conn& c, net::Transfer& t);
  void choose_boundary();

  Server::Impl& srv_;
  fs::Mount* mounts_[kMaxMounts] = {};  // owned, with copies of their strings
  uint32_t num_mounts_ = 0;
  net::Transfer* transfers_ = nullptr;  // one per slot
  net::Transfer** free_ = nullptr;
  uint32_t free_top_ = 0;
  char* scratch_ = nullptr;        // file names built for lookups
  char* index_scratch_ = nullptr;  // "<dir>/index.html"
  char boundary_[24] = {};         // multipart/byteranges boundary, chosen at start-up
  fs::FileCache cache_;            // hot small files of directory and file mounts
};

}  // namespace viper
