// The server's private state, shared by its three source files:
//   server.cpp         options, creation, accepting, timeouts, the loop
//   request_path.cpp   reading, parsing, bodies, routing, dispatch
//   response_path.cpp  responses, writing, streaming, deferred completion, Responder
#pragma once

#include <atomic>

#include "http/gzip_encoder.h"
#include "http/response_writer.h"
#include "net/admission.h"
#include "net/buffer_pool.h"
#include "net/connection.h"
#include "net/request_token.h"
#include "static/file_cache.h"
#include "static/file_source.h"
#include "viper/server.h"

namespace viper {

using http::Framing;
using http::ParseError;
using net::Conn;
using net::ConnState;
using net::kNil;

namespace detail {
inline constexpr uint32_t kListenTag = 0xfffffff0u;
inline constexpr uint32_t kWakeTag = 0xfffffff1u;
inline constexpr uint32_t kHookTag = 0xfffffff2u;
inline constexpr uint32_t kLingerMs = 2000;
inline constexpr uint32_t kLingerMaxBytes = 1u << 20;  // discard at most this much, then close
inline constexpr uint32_t kMaxEvents = 64;
// Another pipelined request is processed only while this much output space is free.
inline constexpr uint32_t kOutReserve = VIPER_IO_BUFFER_BYTES / 2;
inline constexpr uint32_t kChunkPrefixRoom = 10;  // "ffffffff\r\n"
// The access log is written in pieces of at most this much, whole lines: writes to a pipe up to
// PIPE_BUF are atomic, so the engine's lines never interleave with the interpreter's.
inline constexpr uint32_t kLogBufferBytes = 4096;

#define VIPER_REJECT_FULL_BODY "{\"detail\":\"Server has no free connection\"}"
static_assert(sizeof(VIPER_REJECT_FULL_BODY) - 1 == 42, "keep Content-Length below in step");
inline constexpr std::string_view kRejectFull =
    "HTTP/1.1 503 Service Unavailable\r\nServer: " VIPER_SERVER_NAME
    "\r\nContent-Type: application/json\r\nContent-Length: 42\r\nConnection: close\r\n"
    "Retry-After: 1\r\n\r\n" VIPER_REJECT_FULL_BODY;
}  // namespace detail

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

inline constexpr uint32_t kMaxMounts = 16;

struct Server::Impl {
  ServerOptions opt;
  Router router;
  net::Poller* poller = nullptr;
  Conn* slots = nullptr;
  uint32_t* free_slots = nullptr;
  uint32_t free_top = 0;
  net::ConnLists lists;
  net::BufferPool io, bodies;
  http::Request req;  // the one request being dispatched (the loop is single-threaded)
  const Conn* req_owner = nullptr;   // whose head `req` describes (views into its buffer)
  char* path_scratch = nullptr;      // percent-decoded path of `req`
  char* alt_scratch = nullptr;       // path with the trailing slash toggled
  char* location_scratch = nullptr;  // Location header of a slash redirect
  http::DateCache date;
  Counters counters;
  int listen_fd = -1, wake_fd = -1;
  uint16_t bound_port = 0;
  uint64_t now = 0;
  std::atomic<bool> stop_requested{false};
  bool draining = false;
  uint64_t drain_deadline = 0;
  uint32_t timeouts[net::kNumLists] = {};
  net::TokenFormat tokens;  // for this pool's size (deferred requests)
  Server::Hooks hooks;
  net::Admission admission;  // who gets a slot when the pool is full (net/admission.h)
  bool accepting = true;     // the listener is in the poll set

  // --- static files (net/file_path.cpp) ----------------------------------------------------
  fs::Mount* mounts[kMaxMounts] = {};
  uint32_t num_mounts = 0;
  net::Transfer* transfers = nullptr;  // one per slot
  net::Transfer** free_transfers = nullptr;
  uint32_t transfer_top = 0;
  char* file_scratch = nullptr;   // file names built for lookups
  char* index_scratch = nullptr;  // "<dir>/index.html"
  char boundary[24] = {};         // multipart/byteranges boundary, chosen at start-up
  http::GzipEncoder gzip;         // GZipMiddleware, when opt.gzip_level > 0
  char* log_buf = nullptr;        // access log lines of this loop iteration (opt.access_log)
  uint32_t log_len = 0;
  uint16_t last_status = 0;  // of the last response queued (for the access log)
  fs::FileCache cache;       // hot small files of directory mounts
  // Names built from a request path, and FileResponse paths chosen by the application.
  size_t file_scratch_cap() const {
    return opt.limits.max_uri_bytes + 32 > 1024 ? opt.limits.max_uri_bytes + 32 : 1024;
  }

  // --- slot and buffer management -------------------------------------------------------
  uint32_t index_of(const Conn& c) const { return uint32_t(&c - slots); }
  void set_list(Conn& c, uint8_t list) {
    lists.unlink(slots, index_of(c));
    c.touched_ms = now;
    lists.push_back(slots, index_of(c), list);
  }
  bool lend_in(Conn& c);
  bool lend_out(Conn& c);
  void release_buffers(Conn& c);
  void close_conn(Conn& c);
  void set_interest(Conn& c, uint8_t events);

  // --- admission (server.cpp) --------------------------------------------------------------
  enum class Accept : uint8_t { Admitted, Empty, Failed };
  void on_accept();
  Accept accept_one();
  void set_accepting(bool on);
  net::EvictionCandidates candidates() const;
  bool make_room();
  void admit_waiting();
  void reject_waiting();
  void end_turn_if_waiting(Conn& c);

  // --- the request path -------------------------------------------------------------------
  void on_event(Conn& c, uint32_t events);
  void on_readable(Conn& c);
  void drive(Conn& c);
  bool process(Conn& c);
  bool body_complete(Conn& c, uint32_t* consumed, std::string_view* body);
  bool grow_to_body_buffer(Conn& c);
  void dispatch(Conn& c, std::string_view body);
  void route(Conn& c, std::string_view body);
  bool flush(Conn& c);
  bool refill_stream(Conn& c);
  void settle(Conn& c);

  // --- engine-made responses ----------------------------------------------------------------
  bool respond(Conn& c, uint16_t status, std::string_view type, std::string_view body,
               const char* ext_body, const http::Header* extra, uint16_t n_extra,
               std::string_view raw_headers = {}, bool copy_big = false);
  void respond_error(Conn& c, uint16_t status, std::string_view detail, bool close,
                     const http::Header* extra = nullptr, uint16_t n_extra = 0);
  void count_status(uint16_t status);
  bool try_redirect_slash(Conn& c, std::string_view path);
  Conn* awaiting_slot(uint32_t token);
  Server::Completion complete(uint32_t token, uint16_t status, std::string_view raw_headers,
                              std::string_view body);
  bool respond_gzipped(Conn& c, uint16_t status, std::string_view raw_headers,
                       std::string_view body);
  void abandon(Conn& c);

  // --- static files and FileResponse (file_path.cpp) ---------------------------------------
  enum class Pump : uint8_t { Closed, Wait, Done };
  void serve_mount(Conn& c, fs::Mount& m, std::string_view rel, std::string_view path);
  fs::Lookup find_index(fs::Mount& m, std::string_view rel, bool gzip, fs::Found* f);
  fs::Lookup find_cached(fs::Mount& m, std::string_view name, bool gzip, fs::Found* f);
  fs::Lookup from_cache(int32_t i, const fs::Mount& m, std::string_view name, bool gz,
                        fs::Found* f);
  void cache_file(const fs::Mount& m, std::string_view name, bool gzip, fs::Found* f);
  bool still_valid(int32_t i, const fs::Mount& m, std::string_view name, bool gz);
  void redirect_to_directory(Conn& c, std::string_view path);
  void close_found(fs::Found& f);
  void send_found(Conn& c, fs::Found& f, const FileQuery& q, const FileReply& r);
  bool not_modified(const fs::Found& f, const FileQuery& q);
  bool queue_file_head(Conn& c, uint16_t status, std::string_view type, uint64_t length,
                       const http::Header* hs, uint16_t n, std::string_view raw);
  void send_multipart(Conn& c, fs::Found& f, std::string_view type, const http::ByteRange* r,
                      size_t num, const http::Header* hs, uint16_t n, std::string_view raw);
  size_t part_header(char* out, size_t cap, std::string_view type, const http::ByteRange& r,
                     uint64_t size) const;
  size_t part_trailer(char* out, size_t cap) const;
  net::Transfer* take_transfer(Conn& c, fs::Found& f);
  void start_transfer(Conn& c, fs::Found& f, uint64_t off, uint64_t len);
  void end_transfer(Conn& c);
  Pump pump_transfer(Conn& c);
  long read_into_output(Conn& c, net::Transfer& t, size_t want);
  bool next_part(Conn& c, net::Transfer& t);
  Server::Completion complete_file(uint32_t token, uint16_t status, std::string_view raw_headers,
                                   std::string_view path, std::string_view request_headers);

  void choose_boundary();
  void log_access(const Conn& c, uint16_t status);
  void flush_log();
  static void free_all(Impl* d);
  size_t location_capacity() const {
    return opt.limits.max_header_bytes + 3 * opt.limits.max_uri_bytes + 16;
  }

  // --- loop -----------------------------------------------------------------------------
  int next_timeout_ms() const;
  void expire_timeouts();
  void begin_drain();
};

}  // namespace viper
