// The server's private state, shared by its three source files:
//   server.cpp         options, creation, accepting, timeouts, the loop
//   request_path.cpp   reading, parsing, bodies, routing, dispatch
//   response_path.cpp  responses, writing, streaming, deferred completion, Responder
#pragma once

#include <atomic>

#include "http/gzip_encoder.h"
#include "http/response_writer.h"
#include "net/access_log.h"
#include "net/admission.h"
#include "net/buffer_pool.h"
#include "net/connection.h"
#include "net/file_server.h"
#include "net/poller.h"
#include "net/request_token.h"
#include "net/ws_conn.h"
#include "tls/tls.h"
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
// A bridge stream's bound in an I/O buffer (ServerOptions::stream_buffer_bytes; beyond it the
// stream borrows a body buffer): the buffer less room for a response head written before the
// first bytes, the terminator and a ping.
inline constexpr uint32_t kMaxStreamBuffer = VIPER_IO_BUFFER_BYTES - 1024;

#define VIPER_REJECT_FULL_BODY "{\"detail\":\"Server has no free connection\"}"
static_assert(sizeof(VIPER_REJECT_FULL_BODY) - 1 == 42, "keep Content-Length below in step");
inline constexpr std::string_view kRejectFull =
    "HTTP/1.1 503 Service Unavailable\r\nServer: " VIPER_SERVER_NAME
    "\r\nContent-Type: application/json\r\nContent-Length: 42\r\nConnection: close\r\n"
    "Retry-After: 1\r\n\r\n" VIPER_REJECT_FULL_BODY;
}  // namespace detail

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

  FileServer files{*this};  // static mounts and FileResponse (net/file_server.h)
  // TLS (net/transport.h): the shared context, one session per slot (set up on first use and
  // then reused), and the connections whose decrypted bytes wait in mbedTLS.
  tls::Context* tls_ctx = nullptr;  // only when serving TLS (init_tls)
  tls::Session* tls_sessions = nullptr;
  tls::Session** tls_free = nullptr;
  uint32_t tls_free_top = 0;
  uint32_t* tls_ready = nullptr;
  uint32_t tls_ready_n = 0;
  http::GzipEncoder gzip;    // GZipMiddleware, when opt.gzip_level > 0
  net::AccessLog log;        // lines of this loop iteration (opt.access_log)
  uint16_t last_status = 0;  // of the last response queued (for the access log)
  // WebSocket (net/ws_conn.cpp): one state and one send-queue word per slot, once enabled.
  net::WsConn* ws = nullptr;
  std::atomic<uint32_t>* ws_words = nullptr;
  // The receive window per slot: bytes handed on and not consumed, the WebSocket's generation
  // (so a late consumption of a connection that has gone is ignored), and whether the engine
  // stopped reading for it.
  std::atomic<uint32_t>* ws_in_bytes = nullptr;
  std::atomic<uint32_t>* ws_in_gen = nullptr;
  std::atomic<bool>* ws_in_want = nullptr;
  uint32_t ws_paused = 0;  // connections not reading because the application's ring was full
  net::WsPmdPair* ws_pairs = nullptr;  // permessage-deflate streams (net/ws_pmd.cpp)
  uint32_t ws_num_pairs = 0;

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
  void release_in(Conn& c);
  void linger(Conn& c);
  void close_conn(Conn& c);
  const char* init_tls();
  void destroy_tls();
  bool take_tls(Conn& c);
  void release_tls(Conn& c);
  bool drive_handshake(Conn& c);
  void refuse_plain_http(Conn& c);
  void queue_tls_ready(Conn& c);
  void run_tls_ready();
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

  // --- responses streamed from the bridge (stream_path.cpp) ----------------------------------
  uint64_t ping_due = UINT64_MAX;  // no stream needs a ping before this (a lower bound)
  // Streams with bytes queued in this loop iteration, written once at its end: a batch of
  // small events costs one send, not one each.
  uint32_t* stream_dirty = nullptr;
  uint32_t stream_dirty_n = 0;
  void flush_streams();
  Server::Completion stream_start(uint32_t token, uint16_t status, std::string_view raw_headers,
                                  uint32_t ping_ms, int64_t content_length);
  Server::Completion stream_data(uint32_t token, std::string_view data, uint32_t charge);
  Server::Completion stream_end(uint32_t token, bool abort);
  uint32_t stream_bound() const;
  uint32_t out_cap(const Conn& c) const { return uint32_t(c.out_body ? bodies.size() : io.size()); }
  void stream_drained(Conn& c);
  void stream_closed(Conn& c);
  void run_stream_pings();

  // --- FileResponse completion (the file itself: FileServer) --------------------------------
  Server::Completion complete_file(uint32_t token, uint16_t status, std::string_view raw_headers,
                                   std::string_view path, std::string_view request_headers);

  // --- WebSocket (net/ws_conn.cpp) --------------------------------------------------------
  bool ws_check_upgrade(Conn& c);
  Conn* ws_slot(uint32_t token);
  void ws_on_event(Conn& c, uint32_t events);
  void ws_read(Conn& c);
  void ws_decode(Conn& c);
  bool ws_deliver_held(Conn& c);
  bool ws_hand_on(Conn& c, uint8_t flags, std::string_view data);
  bool ws_flush(Conn& c);
  void ws_settle(Conn& c);
  bool ws_control(Conn& c, ws::Opcode op, uint16_t code, std::string_view payload);
  void ws_fail(Conn& c, uint16_t code);
  void ws_tell_closed(Conn& c, uint16_t code, std::string_view reason);
  void ws_on_timeout(Conn& c);
  void ws_on_close_conn(Conn& c);
  void ws_going_away(Conn& c);
  uint32_t ws_token(const Conn& c) const { return tokens.make(index_of(c), c.generation); }
  size_t ws_queue_cap() const;
  void free_ws();
  bool ws_pmd_init();
  void ws_pmd_free();
  void ws_pmd_negotiate(Conn& c);
  bool ws_pmd_take(Conn& c);
  void ws_pmd_release(Conn& c);
  bool ws_inflate(Conn& c, std::string_view in, bool first, bool last, ws::Opcode op, uint32_t end);
  bool ws_deliver_inflated(Conn& c);
  bool ws_compress(Conn& c, uint8_t op, bool fin, std::string_view payload);

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
