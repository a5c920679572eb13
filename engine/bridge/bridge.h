// The bridge between the engine thread and the interpreter thread (SPEC §2.3).
//
//   engine thread                                         interpreter thread
//   route handler ──record──▶ request ring  (+ payload ring) ──▶ pop_request / release
//   abandon hook  ──token───▶ cancel ring                    ──▶ pop_cancel
//   on_ready      ◀──record── response ring (+ payload ring) ◀── respond
//
// Every ring is single-producer single-consumer and strictly FIFO.  The interpreter copies a
// request's payload into its own objects and releases it at once, so payload space is freed in
// order even though handlers finish out of order.  Each side wakes the other through an
// eventfd, at most once per batch: a side signals only if the other has not been signalled
// since it last started draining (an atomic "signal pending" flag per direction), so a busy
// server pays one wake-up per batch, not per request.  Nothing sleeps or polls.
//
// Back-pressure: a request that does not fit the request rings is answered 503 by the engine;
// a response that does not fit the response rings makes respond() return Full, and the engine
// wakes the interpreter again once it has drained space.
//
// This header is the native contract both bindings (CPython, MicroPython) are written against;
// docs/native-api.md describes the Python-level API they expose on top of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "bridge/payload_ring.h"
#include "bridge/spsc_ring.h"
#include "viper/server.h"

namespace viper::bridge {

struct Options {
  uint32_t request_records = VIPER_DEFAULT_REQUEST_QUEUE;
  // A request payload may use at most half of it.  0: the default, raised to twice the largest
  // request the server's limits let through; a value set smaller than that is refused.
  uint32_t request_bytes = 0;
  uint32_t response_records = VIPER_DEFAULT_REQUEST_QUEUE;
  uint32_t response_bytes = VIPER_DEFAULT_RESPONSE_QUEUE_BYTES;  // a response at most half of it
  uint32_t cancel_records = VIPER_DEFAULT_REQUEST_QUEUE;
};

// A request as the interpreter sees it.  The views point into the request payload ring and
// stay valid until release().
struct RequestItem {
  uint32_t token;  // names the request in respond() and in cancellations (below 2^30)
  uint32_t route_id;
  http::Method method;
  uint8_t http_minor;
  uint8_t num_params;
  uint16_t client_port;
  uint32_t client_ip;      // IPv4, host byte order
  std::string_view path;   // percent-decoded
  std::string_view query;  // raw
  // Header fields as "name\0value\0" pairs, names lower-cased (HTTP names are case-blind).
  std::string_view headers;
  std::string_view body;
  // Path parameters in pattern order, each a type byte then its value:
  //   'i' int64 (8 bytes, native order) | 'f' double (8 bytes), then the text as 's' has it |
  //   's' / 'p' (str / path) uint32 length (native order) then the bytes.
  std::string_view params;
  // What the record is (WebSocket, issue 12): a request (kRequest; a WebSocket route's upgrade
  // request too), or an event of the WebSocket `token` names: kWsData (`body`: a piece of a
  // message, `ws_flags`: Server::WsFlag bits), kWsClosed (`ws_code`, `body`: the reason),
  // kWsWritable (its send queue has room again).
  uint8_t kind;
  uint8_t ws_flags;
  uint16_t ws_code;
  uint64_t pos_;  // payload block, for release()
  uint32_t len_;
};

enum class Push : uint8_t { Ok, Full, TooLarge };

// RequestItem::kind
enum RecordKind : uint8_t { kRequest = 0, kWsData = 1, kWsClosed = 2, kWsWritable = 3 };
// What ws_send gave: queued, the connection's send queue (or the ring) is full (wait for
// kWsWritable or the next wake-up), the WebSocket has gone, the frame is larger than
// ws_max_frame().
enum class WsPush : uint8_t { Ok, Full, Gone, TooLarge };

// Ring records.  A request record names its payload block: path, query, headers, body and
// params back to back, with the lengths here.
struct RequestRecord {
  uint64_t pos;
  uint32_t token;
  uint32_t route_id;
  uint32_t path_len, query_len, headers_len, body_len, params_len;
  uint32_t client_ip;
  uint16_t client_port;
  uint8_t method, http_minor, num_params;
  uint8_t kind, ws_flags;  // RecordKind; for kWsData the Server::WsFlag bits
  uint16_t ws_code;        // kWsClosed: the close code
};

struct ResponseRecord {
  uint64_t pos;
  uint32_t token;
  uint32_t headers_len, body_len;
  uint16_t status;
  bool file;  // body is "<path>\0<request header lines>": a FileResponse
  // A streamed response (StreamingResponse): not a whole response but one step of a stream.
  uint8_t stream = 0;   // StreamOp
  uint32_t arg = 0;     // Start: ping interval (ms); Data: the credit it uses
  int64_t length = -1;  // Start: Content-Length, or -1 (chunked / until close)
  // 0: an HTTP response; WebSocket: 1 accept (headers, body = the subprotocol), 2 a data frame
  // (status = opcode | fin << 8), 3 close (status = code, body = reason).
  uint8_t ws = 0;
};

enum StreamOp : uint8_t { kNotStream, kStreamStart, kStreamData, kStreamEnd, kStreamAbort };

// pop_cancel() yields a token with this bit for a stream that has credit again (the producer
// that found none is waiting for it), plain tokens for cancellations.  Tokens are below 2^30.
inline constexpr uint32_t kWritableFlag = 1u << 30;

// stream_send() results other than a byte count.
inline constexpr long kStreamWait = 0;   // no credit now: a writable event will come
inline constexpr long kStreamFull = -1;  // the response ring is full: retry at the next wake
inline constexpr long kStreamGone = -2;  // not a token of this pool

// Counters of each side, each written by one thread only.
struct BridgeCounters {
  Counter requests_queued, queue_full_503, cancels_queued, cancels_dropped, engine_wakeups;
  Counter responses_applied, responses_gone;  // engine side
  Counter writable_events, writable_dropped;  // engine side
  Counter ws_events_queued, ws_events_full;   // WebSocket records pushed, and refused (ring full)
  Counter requests_popped, responses_queued, responses_full, interpreter_wakeups;  // interp.
};

class Bridge {
 public:
  // Allocates the rings and the two wake descriptors and installs the server hooks.
  static Bridge* create(Server* server, const Options& options, const char** error);
  static void destroy(Bridge* b);

  // Registers a route whose requests go to the interpreter with this id.
  AddResult add_route(http::Method method, std::string_view pattern, uint32_t route_id);
  // Registers a WebSocket route (GET): its upgrade requests go to the interpreter as requests,
  // answered with ws_accept (or respond, to refuse), then its messages as kWsData records.
  AddResult add_ws_route(std::string_view pattern, uint32_t route_id);

  // --- interpreter side (one thread) ---------------------------------------------------------
  int wake_fd() const { return interp_fd_; }  // readable when there is something to drain
  // Starts a drain: clears the wake-up first, so anything pushed after the last pop wakes the
  // interpreter again.
  void begin_drain();
  bool pop_request(RequestItem* out);
  void release(const RequestItem& item);
  bool pop_cancel(uint32_t* token);
  // `headers`: complete "Name: value\r\n" lines, validated by the caller (no CR/LF inside).
  Push respond(uint32_t token, uint16_t status, std::string_view headers, std::string_view body);
  // A FileResponse: the engine sends the file at `path` itself (Server::complete_file), with
  // the request's conditional/range lines in `request_headers`.
  Push respond_file(uint32_t token, uint16_t status, std::string_view headers,
                    std::string_view path, std::string_view request_headers);
  // Streamed responses (engine/net/stream_path.cpp).  stream_start queues the head; the
  // stream then has no credit until the engine has written the head (a writable event).
  // stream_send queues as much of `data` as the stream's credit allows, one chunk, and returns
  // how many bytes it took (> 0), kStreamWait (no credit: wait for the writable event),
  // kStreamFull (the ring is full: wait for the next wake-up) or kStreamGone.  A stream whose
  // client left gets its cancellation instead (its token in pop_cancel).  stream_end: the last
  // chunk; `abort`: close without it (an exception mid-stream).
  Push stream_start(uint32_t token, uint16_t status, std::string_view headers, uint32_t ping_ms,
                    int64_t content_length);
  long stream_send(uint32_t token, std::string_view data);
  Push stream_end(uint32_t token, bool abort);

  // WebSocket (interpreter side): accept the upgrade request `token` (`headers`: extra lines
  // of the 101), send one data frame (op 0 continuation, 1 text, 2 binary; at most
  // ws_max_frame() bytes), close with code and reason.
  Push ws_accept(uint32_t token, std::string_view protocol, std::string_view headers);
  WsPush ws_send(uint32_t token, uint8_t op, bool fin, std::string_view data);
  Push ws_close(uint32_t token, uint16_t code, std::string_view reason);
  // The application consumed `bytes` of the WebSocket's received messages (its receive
  // window); wakes the engine when it had stopped reading for want of window.
  void ws_consumed(uint32_t token, size_t bytes);
  size_t ws_max_frame() const { return server_->ws_max_frame(); }
  // The largest headers + body respond() accepts: half the response payload ring, and a body
  // no larger than one of the engine's body buffers (where a large response is copied).
  size_t max_response_bytes() const;

  // Called on the engine thread right after the interpreter's wake descriptor is signalled.
  // On ESP32 the MicroPython binding installs mp_hal_wake_main_task here, so the interpreter
  // task leaves its scheduler wait at once instead of at the next tick.
  void set_wake_hook(void (*hook)()) { wake_hook_ = hook; }
  void signal_interpreter();  // signal unconditionally (engine thread; e.g. when it stops)

  const BridgeCounters& counters() const { return counters_; }
  Server* server() const { return server_; }

 private:
  Bridge() = default;
  static void on_request(const RouteRequest& req, Responder& res, void* self);
  static void on_ws_request(const RouteRequest& req, Responder& res, void* self);
  static bool on_ws_event(void* self, uint32_t token, uint8_t kind, uint8_t flags, uint16_t code,
                          std::string_view data);
  void enqueue(const RouteRequest& req, Responder& res, bool websocket);
  static void on_ready(void* self);
  static void on_abandon(void* self, uint32_t token);
  static void on_loop_end(void* self);
  static void on_stream_credit(void* self, uint32_t token, uint32_t bytes);
  void apply_stream(const ResponseRecord& r, std::string_view headers, std::string_view body);
  bool stream_slot(uint32_t token, uint32_t* slot) const;
  void push_writable(uint32_t slot, uint32_t token);
  void retry_writable();
  void wake_interpreter_if_needed();
  Push push(const ResponseRecord& r, std::string_view a, std::string_view b, std::string_view c,
            std::string_view d);

  Server* server_ = nullptr;
  SpscRing<RequestRecord> requests_;
  SpscRing<ResponseRecord> responses_;
  SpscRing<uint32_t> cancels_;  // cancellations and writable events (kWritableFlag)
  // Per slot: a stream's credit (bytes it may still queue) and whether its producer waits for
  // more.  Written by both threads; a slot has one stream at a time.
  std::atomic<int32_t>* credit_ = nullptr;
  std::atomic<uint8_t>* blocked_ = nullptr;
  uint32_t* credit_token_ = nullptr;  // engine side: the token of each slot's last credit
  bool writable_retry_ = false;       // engine side: a writable event found the ring full
  uint32_t slots_ = 0;
  uint8_t slot_bits_ = 0;
  PayloadRing req_payload_, resp_payload_;
  int interp_fd_ = -1;  // engine → interpreter
  int engine_fd_ = -1;  // interpreter → engine
  std::atomic<bool> interp_signalled_{false};
  std::atomic<bool> engine_signalled_{false};
  std::atomic<bool> interp_wants_space_{false};
  // The engine stopped reading a WebSocket for want of request-ring room: the interpreter
  // wakes it when it has drained (then Server::ws_resume).
  std::atomic<bool> engine_wants_room_{false};
  std::atomic<bool> engine_resume_{false};
  bool pushed_ = false;  // engine side: something was queued during this loop iteration
  void (*wake_hook_)() = nullptr;
  BridgeCounters counters_;
};

}  // namespace viper::bridge
