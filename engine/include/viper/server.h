// The engine's public C++ API: options, counters, C routes and the server loop.
//
// A `Server` owns every resource it uses, allocated once in `create()` from the engine
// allocator (connection slots, lent I/O buffers, body buffers, the poller).  `run()` serves on
// the calling thread until `request_stop()` (callable from any thread or a signal handler).
// Handlers registered with `add_route` run on the engine thread and answer through a
// `Responder`; they must not block.  The bridge to Python (next layer) registers its routes the
// same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "viper/config.h"
#include "viper/counter.h"
#include "viper/types.h"

// The default of ServerOptions::ws_compression (engine/ws/extensions.h has the same rule for
// the codec's own default).
#ifndef VIPER_WS_DEFAULT_COMPRESSION_OPTION
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_WS_DEFAULT_COMPRESSION_OPTION false
#else
#define VIPER_WS_DEFAULT_COMPRESSION_OPTION true
#endif
#endif

namespace viper {

// HTTPS (issue 16).  Certificates and keys as PEM (a chain: leaf first) or DER.  The views are
// read when the server is created and need not outlive that.
struct TlsOptions {
  std::string_view cert_chain;  // empty: plain HTTP
  std::string_view key;
  std::string_view key_password;        // for an encrypted PEM key
  std::string_view ca_certs;            // trusted for client certificates
  uint8_t client_auth = 0;              // 0: none, 1: optional, 2: required (needs ca_certs)
  bool offer_h2 = false;                // ALPN offers "h2" (HTTP/2) before "http/1.1"
  uint32_t session_cache_entries = 64;  // session-id resumption (tickets need no memory)
  bool enabled() const { return !cert_chain.empty(); }
};

struct ServerOptions {
  const char* host = "127.0.0.1";
  uint16_t port = 8000;  // 0: any free port (see Server::port())
#if defined(VIPER_PROFILE_ESP32) || !defined(__linux__)
  net::PollerKind poller = net::PollerKind::Select;  // lwIP has select() only
#else
  net::PollerKind poller = net::PollerKind::Epoll;
#endif
  // 0: the platform's default, VIPER_DEFAULT_MAX_CONNECTIONS (8 on the device, 512 on a PC)
  // lowered to what the descriptor limit allows.
  uint32_t max_connections = 0;
  uint32_t keepalive_timeout_ms = 30000;
  uint32_t keepalive_max_requests = 1000;
  uint32_t header_timeout_ms = 10000;   // whole head; then body inactivity
  uint32_t send_timeout_ms = 30000;     // no write progress for this long: close
  uint32_t handler_timeout_ms = 30000;  // a deferred response not completed by then: 504
  // When every slot is taken (SPEC §4, docs/http.md "When the pool is full") the engine stops
  // accepting; new clients wait in the listen backlog and are admitted, oldest first, as slots
  // free.  While clients wait, room is made politely:
  uint32_t evict_idle_after_ms = 1000;    // idle keep-alive idle this long is closed (0: never)
  uint32_t evict_head_after_ms = 500;     // a head still arriving after this long: closed
  uint32_t evict_silent_after_ms = 5000;  // nothing received this long after admission: closed
  uint32_t slot_turn_ms = 20;  // held its slot this long: Connection: close next (0: never)
  // Connections are handed to the engine only once they have sent data (Linux's
  // TCP_DEFER_ACCEPT; up to header_timeout), so a browser's connections opened ahead of use
  // hold no slot while silent.  Where the stack has no such thing (lwIP) they are accepted at
  // once and evict_silent_after_ms applies.
  bool defer_accept = true;
  // No slot could be given to a waiting client for this long: the waiting clients are answered
  // 503 (Retry-After) instead (0: never; they wait in the backlog).
  uint32_t admission_timeout_ms = 5000;
  http::ParseLimits limits;
  // Buffers for requests whose head + body do not fit in one I/O buffer (each holds
  // max_header_bytes + max_body_bytes).  0: max_connections / 4, at least 1, at most 32.
  uint32_t body_buffers = 0;
  bool redirect_slashes = true;
  uint32_t shutdown_grace_ms = 10000;  // in-flight work allowed to finish after request_stop()
  // GZipMiddleware (SPEC §3.6): responses completed by the bridge of at least gzip_min_bytes
  // are gzipped when the client accepts it.  0: off.
  uint8_t gzip_level = 0;
  uint32_t gzip_min_bytes = 1024;
  // In-memory cache of small static files from directory mounts; a cached file is checked on
  // disk with one stat per request (size and nanosecond mtime).  0: off.
  uint32_t static_cache_bytes = VIPER_DEFAULT_STATIC_CACHE_BYTES;
  // false: send files by reading them into the output buffer, as on the device (lwIP has no
  // sendfile); lets the host test that path.
  bool use_sendfile = true;
  // Writes a uvicorn-style access log line to stdout for each response the engine makes by
  // itself (404, 405, redirects, static files, C routes, 503 on a full queue); the Python side
  // logs the responses of its handlers.  Lines are batched: one write per loop iteration.
  bool access_log = false;
  // Responses streamed through the bridge (StreamingResponse, EventSourceResponse): the most
  // body bytes of one stream queued in the engine and not yet written to the socket (the
  // producer waits beyond it, so a slow reader never grows memory).  0: the I/O buffer size
  // less 1 KB (7 KB on a PC, 3 KB in the esp32 profile).  Larger (up to a body buffer's size
  // less 1 KB): a stream borrows a body buffer for its window while one is free (fewer
  // round trips for a large body), else it gets the I/O buffer's window.
  uint32_t stream_buffer_bytes = 0;
  TlsOptions tls;
  // WebSocket routes (issue 12, docs/websockets): the largest message accepted (over all its
  // fragments; one more byte closes with 1009), and the idle ping: a WebSocket silent this
  // long is pinged by the engine, and closed (1006 for the application) if it stays silent
  // as long again.
  uint64_t ws_max_message_bytes = 4096;
  uint32_t ws_ping_interval_ms = 30000;
  // permessage-deflate (RFC 7692): offered to clients that ask while one of
  // ws_compression_streams stream pairs (zlib deflate + inflate, allocated at start: about
  // 308 KB each on a PC, 32 KB in the esp32 profile) is free; on by default on a PC, off in the
  // esp32 profile (VIPER_WS_DEFAULT_COMPRESSION).
  bool ws_compression = VIPER_WS_DEFAULT_COMPRESSION_OPTION;
  uint32_t ws_compression_streams = 4;
};

// Checks every option against the engine's caps.  Returns nullptr when valid, else the name of
// the first invalid option (as spelt in SPEC §5, e.g. "max_header_bytes").
const char* validate_options(const ServerOptions& o);
// max_connections, with 0 replaced by the platform's default.
uint32_t resolved_max_connections(const ServerOptions& o);

// Status codes counted one by one; others land in `status_other`.
inline constexpr uint16_t kCountedStatuses[] = {100, 200, 201, 204, 206, 301, 302, 304, 307, 308,
                                                400, 401, 403, 404, 405, 408, 413, 414, 416, 417,
                                                422, 429, 431, 500, 501, 503, 504, 505};
inline constexpr size_t kNumCountedStatuses =
    sizeof(kCountedStatuses) / sizeof(kCountedStatuses[0]);

struct Counters {
  Counter connections_accepted, connections_closed, connections_active;
  Counter requests, keepalive_reuses;  // reuses: requests after the first on a connection
  Counter status[kNumCountedStatuses], status_other;
  Counter parse_errors[8];  // indexed by http::ParseError
  Counter timeouts_header, timeouts_body, timeouts_idle, timeouts_send;
  // Pool full (SPEC §4): accepting paused while clients wait in the backlog, waiting clients
  // admitted, connections closed to make room, busy connections told Connection: close at the
  // end of their turn, waiting clients answered 503 after admission_timeout_ms.
  Counter accept_paused, admitted_waiting;
  Counter evicted_idle, evicted_head, evicted_silent, evicted_linger, turns_ended, rejected_full;
  Counter evictions_spared;  // a candidate's request had just arrived: served, not closed
  Counter body_buffers_exhausted, peer_resets, io_errors, bad_method, bad_path;
  Counter io_buffers_in_use, body_buffers_in_use;
  Counter deferred, deferred_in_flight, timeouts_handler, abandoned, late_completions,
      responses_too_large;
  Counter loop_wakeups;
  // Static files (SPEC §3.8): requests for mounts (never crossing the bridge), FileResponse
  // completions, 304s, file body bytes sent, transfers in flight.
  Counter static_requests, file_responses, static_not_modified, file_bytes, transfers_active;
  Counter static_cache_hits;  // answered from the in-memory cache without touching the disk
  // GZipMiddleware: responses gzipped, and bytes before and after.
  Counter gzip_responses, gzip_bytes_in, gzip_bytes_out;
  // TLS: handshakes completed (and of those, resumed), failed by reason (tls::Failure: not
  // TLS, bad hello, client certificate, peer closed, other), sessions in use, and the bytes on
  // the wire of the connections that closed.
  Counter tls_handshakes, tls_resumed, tls_failed[6], tls_sessions_in_use, tls_bytes_in,
      tls_bytes_out;
  // Responses streamed from the bridge (Server::stream_start): started, open now, body bytes
  // queued (before chunk framing), SSE keep-alive comments the engine sent by itself, streams
  // whose client left before the end, streams the producer aborted (an exception mid-stream).
  Counter streams_started, streams_open, stream_bytes, stream_pings, stream_disconnects,
      stream_aborts;
  // WebSocket (net/ws_conn.cpp): upgrades accepted, refused by the engine (400/426), open now;
  // frames sent and messages each way; pings the engine sent (idle) and pongs it answered; close
  // frames received and sent; connections failed for a protocol error (1002/1007/1009), closed
  // for silence after an idle ping; inbound reads paused because the interpreter's ring was
  // full; messages dropped because the WebSocket was closing or gone.
  Counter ws_upgrades, ws_refused, ws_open, ws_frames_out, ws_messages_in, ws_messages_out,
      ws_pings_sent, ws_pongs_sent, ws_closes_in, ws_closes_out, ws_protocol_errors, ws_timeouts,
      ws_read_paused, ws_dropped;
};

// Writes the counters as one JSON object into `out`; returns the length (0 if no room).
size_t format_counters_json(const Counters& c, char* out, size_t cap);

// What a C route handler sees.  Every view is valid only during the handler call.
struct RouteRequest {
  const http::Request* head;  // method, target, raw query, headers, version
  std::string_view path;      // percent-decoded path
  const PathParam* params;
  uint8_t num_params;
  std::string_view body;  // whole body (Content-Length or de-chunked)
  uint32_t client_ip;     // IPv4 address of the peer, host byte order
  uint16_t client_port;
  uint32_t route_id;  // as given to add_route

  const PathParam* param(std::string_view name) const;
};

// Produces the next piece of a streamed (chunked) body: writes at most `cap` bytes to `dst`
// and returns how many; sets *done when this was the last piece.  `state` is per-response
// scratch (zeroed at the start) for the producer's cursor.
using ChunkFill = size_t (*)(void* user, uint64_t state[2], char* dst, size_t cap, bool* done);

namespace net {
struct Conn;
}
class Server;

// A static mount (SPEC §3.8), served by the engine alone.
enum class StaticKind : uint8_t { Directory, Pack, File };
struct StaticMount {
  StaticKind kind = StaticKind::Directory;
  // Directory and Pack: the URL prefix ("/static", or "/" for the whole site); the mount
  // answers "<prefix>/<path>".  File: the exact URL path ("/favicon.ico").
  std::string_view prefix;
  const char* source = nullptr;    // the directory, the pack file, or the file
  bool html = false;               // index.html for "dir/", 404.html for what is missing
  std::string_view cache_control;  // Cache-Control of its responses (none when empty)
};

class Responder;

using RouteFn = void (*)(const RouteRequest& req, Responder& res, void* user);

class Server {
 public:
  // Allocates everything the server needs.  Returns nullptr and sets *error to a message
  // naming the option or resource at fault.
  static Server* create(const ServerOptions& options, const char** error);
  static void destroy(Server* s);

  // `id` is passed through to the handler in RouteRequest::route_id.
  AddResult add_route(http::Method method, std::string_view pattern, RouteFn fn, void* user,
                      uint32_t id = 0);

  // Binds and listens.  Returns false (errno set) on failure.
  bool listen();
  uint16_t port() const;

  // Serves until request_stop(); returns after graceful shutdown.
  void run();
  // Thread-safe and async-signal-safe.
  void request_stop();

  // Completes a deferred response (engine thread only).  `raw_headers` are complete header
  // lines ("Name: value\r\n"...), already validated by the caller; the engine adds Date,
  // Server, Content-Length and Connection.  The body is copied (into the output buffer, or a
  // body buffer when larger).
  enum class Completion : uint8_t { Sent, Gone, TooLarge };
  Completion complete(uint32_t token, uint16_t status, std::string_view raw_headers,
                      std::string_view body);

  // Completes a deferred response with the file at `path` (FileResponse), sent as a static
  // file would be: `request_headers` are the request's Range / If-Range / If-None-Match /
  // If-Modified-Since / Accept-Encoding lines ("name: value\r\n"), which apply when `status`
  // is 200; `raw_headers` are the response's own lines (a Content-Type there wins over the
  // MIME table).  A missing file gives 404.
  Completion complete_file(uint32_t token, uint16_t status, std::string_view raw_headers,
                           std::string_view path, std::string_view request_headers);

  // A streamed response to a deferred request (engine thread only; engine/net/stream_path.cpp).
  // stream_start writes the head: chunked on HTTP/1.1, until close on HTTP/1.0, or
  // Content-Length when `content_length` >= 0; a HEAD request gets the head only.  The request
  // stays deferred (its token names the stream; a client that leaves abandons it, as any
  // deferred request) but the handler timeout no longer applies.  `ping_ms` > 0: after that
  // much silence the engine sends an SSE comment (": ping") by itself.  stream_data queues
  // bytes (framed as one chunk); the producer may have at most stream_credit_bytes() queued
  // and not yet written (Hooks::on_stream_credit gives credit back), so this never fails for
  // lack of room.  stream_end: the last chunk, then the connection goes on as after any
  // response; `abort`: the connection is closed after what was queued, with no terminator,
  // so the client sees a truncated body.
  Completion stream_start(uint32_t token, uint16_t status, std::string_view raw_headers,
                          uint32_t ping_ms, int64_t content_length);
  Completion stream_data(uint32_t token, std::string_view data, uint32_t charge);
  Completion stream_end(uint32_t token, bool abort);
  // ServerOptions::stream_buffer_bytes, resolved (a stream in an I/O buffer gets at most the
  // buffer less 1 KB).
  uint32_t stream_credit_bytes() const;
  // The chunk framing one stream_data costs beyond its bytes (hex size and two CRLFs).
  static constexpr uint32_t kStreamChunkOverhead = 12;
  uint32_t max_connections() const;
  // --- WebSocket routes (net/ws_conn.cpp) ---------------------------------------------------
  // Sets up the per-slot WebSocket state (before listen(); the first WebSocket route does it).
  bool enable_websockets();
  // Engine thread: the application accepted the upgrade of the deferred request `token`
  // (Responder::upgrade): 101 with `protocol` (a token offered by the client, or empty) and
  // `raw_headers` (validated lines), then the slot speaks WebSocket under the same token.
  Completion ws_accept(uint32_t token, std::string_view protocol, std::string_view raw_headers);
  // Engine thread: one data frame (op 0 continuation, 1 text, 2 binary; `fin` ends the
  // message), reserved first with ws_reserve by the producer.
  Completion ws_send(uint32_t token, uint8_t op, bool fin, std::string_view payload);
  // Engine thread: the application closes (a close frame with code and reason, then the close
  // handshake).  Gone when the connection has gone already.
  Completion ws_close(uint32_t token, uint16_t code, std::string_view reason);
  // Engine thread: resumes reading WebSockets paused while the on_ws_event hook had no room.
  void ws_resume();
  // Any thread: reserves room for a frame of `payload` bytes in the connection's bounded send
  // queue (its output buffer): Ok, Full (nothing reserved; on_ws_event(WsWritable) follows
  // when room is made), or Gone (not an open WebSocket).  ws_unreserve gives it back when the
  // frame could not be queued after all.
  // Any thread: the application has consumed `bytes` of the WebSocket's received data (whole
  // messages it read).  The engine hands on at most ws_max_message_bytes + one I/O buffer that
  // the application has not consumed, then stops reading the connection; true when it had
  // stopped and may go on now (the producer wakes the engine, which calls ws_resume).
  bool ws_consumed(uint32_t token, size_t bytes);
  enum class Reserve : uint8_t { Ok, Full, Gone };
  Reserve ws_reserve(uint32_t token, size_t payload);
  void ws_unreserve(uint32_t token, size_t payload);
  // The largest frame payload ws_reserve accepts (larger messages go out as fragments).
  size_t ws_max_frame() const;
  // Engine memory an open WebSocket holds beyond its slot when no message is in flight (its
  // protocol state and send-queue word; no buffer).
  static size_t bytes_per_idle_websocket();

  // Adds a static mount (before listen()).  nullptr on success, else what is wrong ("source:
  // ...", "prefix", "too many mounts", "route conflict").
  const char* add_static(const StaticMount& m);

  // Hooks for a producer of deferred responses (the bridge), all called on the engine thread:
  // `on_ready` when `fd` is readable; `on_abandon` with the token of a deferred request that
  // will never be completed (client gone, handler timeout, shutdown); `on_loop_end` once per
  // loop iteration after events were handled (to batch wake-ups).  One producer per server.
  struct Hooks {
    int fd = -1;
    void (*on_ready)(void* user) = nullptr;
    void (*on_abandon)(void* user, uint32_t token) = nullptr;
    void (*on_loop_end)(void* user) = nullptr;
    // A stream's output drained to the socket: `bytes` of credit come back to its producer.
    void (*on_stream_credit)(void* user, uint32_t token, uint32_t bytes) = nullptr;
    void* user = nullptr;
    // WebSocket events (kind: WsEvent), for the token of the upgraded request: a piece of a
    // message (`flags`: WsFlag bits, `data`: the bytes), the connection's end (`code`, `data`:
    // the reason), room again in the send queue.  A piece returns false when it cannot be
    // taken now: the engine stops reading that connection until ws_resume().
    bool (*on_ws_event)(void* user, uint32_t token, uint8_t kind, uint8_t flags, uint16_t code,
                        std::string_view data) = nullptr;
  };
  enum WsEvent : uint8_t { WsData = 1, WsClosed = 2, WsWritable = 3 };
  // WsData flags: the message's opcode in the low bits (1 text, 2 binary), its first and last
  // piece.
  enum WsFlag : uint8_t { WsText = 1, WsBinary = 2, WsFirst = 0x10, WsLast = 0x20 };
  bool set_hooks(const Hooks& hooks);
  // The largest body complete() accepts: what one body buffer holds.
  size_t max_completion_body() const;
  // The most bytes a deferred route's request can carry within the limits: path and query,
  // headers, body and the decoded path parameters (the bridge sizes its request ring by it).
  size_t max_request_payload() const;

  const Counters& counters() const;
  // Engine memory held by one idle keep-alive connection (its slot; no buffers are lent).
  static size_t bytes_per_idle_connection();

  struct Impl;

 private:
  friend class Responder;
  explicit Server(Impl* impl) : impl_(impl) {}
  Impl* impl_;
};

// How a handler answers.  Exactly one of the send functions should be called; a handler that
// calls none gets a 500.  They return false if the response was not accepted (bad header value,
// or a copied body too large for the output buffer), and then the engine answers 500.
class Responder {
 public:
  // Copies `body` into the connection's output buffer: for bodies built on the stack.
  // At most `copy_capacity()` bytes.
  bool send(uint16_t status, std::string_view content_type, std::string_view body,
            const http::Header* extra = nullptr, uint16_t num_extra = 0);
  // Sends `body` from where it is: it must outlive the response (static data).
  bool send_static(uint16_t status, std::string_view content_type, std::string_view body,
                   const http::Header* extra = nullptr, uint16_t num_extra = 0);
  // Streams a body produced by `fill` with chunked framing (HTTP/1.0: until close).
  bool stream(uint16_t status, std::string_view content_type, ChunkFill fill, void* user,
              const http::Header* extra = nullptr, uint16_t num_extra = 0);
  // Promises the response for later: the handler returns at once, and whoever produces the
  // response calls Server::complete(token, ...) on the engine thread (the bridge to Python
  // does).  Until then the connection waits (Busy) and reads no further request; after
  // handler_timeout_ms the engine answers 504 itself and reports the token as abandoned.
  // Tokens are below 2^30 (net/request_token.h, docs/native-api.md): a small int on a 32-bit
  // MicroPython, so handing one to Python costs no allocation.
  bool defer(uint32_t* token);
  // A WebSocket route: checks the upgrade (a plain GET gets 404 as FastAPI answers it; a bad
  // upgrade 400, a version other than 13 426) and, when it is one, defers like defer(): the
  // application answers with Server::ws_accept, or refuses with Server::complete (403).
  // Returns false when the engine answered.
  bool upgrade(uint32_t* token);
  // Largest body `send` is guaranteed to accept.
  size_t copy_capacity() const;
  bool responded() const { return responded_; }

  // Made by the engine for each handler call.
  Responder(Server::Impl* engine, net::Conn* conn) : engine_(engine), conn_(conn) {}

 private:
  bool finish(uint16_t status, std::string_view type, std::string_view body, const char* ext,
              const http::Header* extra, uint16_t n_extra);
  Server::Impl* engine_;  // borrowed
  net::Conn* conn_;       // borrowed
  bool responded_ = false;
};

}  // namespace viper
