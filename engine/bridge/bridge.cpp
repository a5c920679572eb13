#include "bridge/bridge.h"

#include <cstring>
#include <new>

#include "http/request_parser.h"
#include "mem/allocator.h"
#include "net/request_token.h"
#include "port/port.h"

namespace viper::bridge {

namespace {

constexpr std::string_view kBusyBody = R"({"detail":"Server busy: request queue full"})";

size_t encoded_headers_size(const http::Request& r) {
  size_t n = 0;
  for (uint16_t i = 0; i < r.num_headers; i++)
    n += r.headers[i].name.size() + r.headers[i].value.size() + 2;
  return n;
}

size_t encoded_params_size(const RouteRequest& req) {
  size_t n = 0;
  for (uint8_t i = 0; i < req.num_params; i++) {
    const PathParam& p = req.params[i];
    n += 1 + (p.type == ParamType::Int     ? 8
              : p.type == ParamType::Float ? 8 + 4 + p.value.size()
                                           : 4 + p.value.size());
  }
  return n;
}

char* put(char* dst, std::string_view s) {
  if (!s.empty()) std::memcpy(dst, s.data(), s.size());  // an empty view may hold nullptr
  return dst + s.size();
}

char* put_headers(char* dst, const http::Request& r) {
  for (uint16_t i = 0; i < r.num_headers; i++) {
    for (char ch : r.headers[i].name)
      *dst++ = (ch >= 'A' && ch <= 'Z') ? char(ch + 32) : ch;
    *dst++ = '\0';
    dst = put(dst, r.headers[i].value);
    *dst++ = '\0';
  }
  return dst;
}

char* put_params(char* dst, const RouteRequest& req) {
  static constexpr char kTags[] = {'s', 'i', 'f', 'p'};  // indexed by ParamType
  for (uint8_t i = 0; i < req.num_params; i++) {
    const PathParam& p = req.params[i];
    *dst++ = kTags[unsigned(p.type) & 3];
    if (p.type == ParamType::Int) {
      std::memcpy(dst, &p.i, 8);
      dst += 8;
    } else if (p.type == ParamType::Float) {
      // The double, then the text: an interpreter whose float is not a double (the ESP32
      // port's single precision) makes the value with its own float(), whose rounding can
      // differ from that of the double narrowed.
      std::memcpy(dst, &p.f, 8);
      uint32_t n = uint32_t(p.value.size());
      std::memcpy(dst + 8, &n, 4);
      dst = put(dst + 12, p.value);
    } else {
      uint32_t n = uint32_t(p.value.size());
      std::memcpy(dst, &n, 4);
      dst = put(dst + 4, p.value);
    }
  }
  return dst;
}

}  // namespace

Bridge* Bridge::create(Server* server, const Options& o, const char** error) {
  // Twice the largest request within the limits: one always fits, wherever the ring wraps.
  uint64_t need = 2 * uint64_t(server->max_request_payload());
  uint64_t request_bytes = o.request_bytes;
  if (request_bytes == 0) {
    request_bytes =
        need > VIPER_DEFAULT_REQUEST_QUEUE_BYTES ? need : VIPER_DEFAULT_REQUEST_QUEUE_BYTES;
  } else if (request_bytes < need) {
    *error = "request_queue_bytes";  // the option's name: smaller than the limits need
    return nullptr;
  }
  if (request_bytes > UINT32_MAX) {
    *error = "max_body_bytes";  // a ring this large cannot be made
    return nullptr;
  }
  void* mem = mem::alloc(sizeof(Bridge));
  if (mem == nullptr) {
    *error = "out of memory (bridge)";
    return nullptr;
  }
  Bridge* b = new (mem) Bridge();
  b->server_ = server;
  b->interp_fd_ = port::wake_open();
  b->engine_fd_ = port::wake_open();
  b->slots_ = server->max_connections();
  b->slot_bits_ = net::TokenFormat(b->slots_).slot_bits();
  b->credit_ =
      static_cast<std::atomic<int32_t>*>(mem::alloc(sizeof(std::atomic<int32_t>) * b->slots_));
  b->blocked_ =
      static_cast<std::atomic<uint8_t>*>(mem::alloc(sizeof(std::atomic<uint8_t>) * b->slots_));
  b->credit_token_ = static_cast<uint32_t*>(mem::alloc(sizeof(uint32_t) * b->slots_));
  if (b->credit_ != nullptr && b->blocked_ != nullptr) {
    for (uint32_t i = 0; i < b->slots_; i++) {
      new (&b->credit_[i]) std::atomic<int32_t>(0);
      new (&b->blocked_[i]) std::atomic<uint8_t>(0);
    }
  }
  bool ok = b->credit_ != nullptr && b->blocked_ != nullptr && b->credit_token_ != nullptr &&
            b->requests_.init(o.request_records) && b->responses_.init(o.response_records) &&
            b->cancels_.init(o.cancel_records) && b->req_payload_.init(uint32_t(request_bytes)) &&
            b->resp_payload_.init(o.response_bytes);
  if (!ok || b->interp_fd_ < 0 || b->engine_fd_ < 0) {
    *error = ok ? "cannot create wake descriptors" : "out of memory (bridge rings)";
    destroy(b);
    return nullptr;
  }
  Server::Hooks hooks;
  hooks.fd = b->engine_fd_;
  hooks.on_ready = on_ready;
  hooks.on_abandon = on_abandon;
  hooks.on_loop_end = on_loop_end;
  hooks.on_stream_credit = on_stream_credit;
  hooks.on_ws_event = on_ws_event;
  hooks.user = b;
  if (!server->set_hooks(hooks)) {
    *error = "the server already has a bridge";
    destroy(b);
    return nullptr;
  }
  return b;
}

// The server must be destroyed first (it calls the hooks until its loop ends).
void Bridge::destroy(Bridge* b) {
  if (b == nullptr) return;
  b->requests_.destroy();
  b->responses_.destroy();
  b->cancels_.destroy();
  b->req_payload_.destroy();
  b->resp_payload_.destroy();
  if (b->credit_ != nullptr) mem::release(b->credit_);
  if (b->blocked_ != nullptr) mem::release(b->blocked_);
  if (b->credit_token_ != nullptr) mem::release(b->credit_token_);
  if (b->interp_fd_ >= 0) port::wake_close(b->interp_fd_);
  if (b->engine_fd_ >= 0) port::wake_close(b->engine_fd_);
  b->~Bridge();
  mem::release(b);
}

AddResult Bridge::add_route(http::Method method, std::string_view pattern, uint32_t route_id) {
  return server_->add_route(method, pattern, on_request, this, route_id);
}

// ---------------------------------------------------------------------------------------------
// Engine side

AddResult Bridge::add_ws_route(std::string_view pattern, uint32_t route_id) {
  if (!server_->enable_websockets()) return AddResult::OutOfMemory;
  return server_->add_route(http::Method::Get, pattern, on_ws_request, this, route_id);
}

// A request for the interpreter: copy it into the payload ring and defer the response.
void Bridge::on_request(const RouteRequest& req, Responder& res, void* self) {
  static_cast<Bridge*>(self)->enqueue(req, res, false);
}

// An upgrade request on a WebSocket route: the engine checks it (Responder::upgrade), the
// interpreter accepts or refuses it.
void Bridge::on_ws_request(const RouteRequest& req, Responder& res, void* self) {
  static_cast<Bridge*>(self)->enqueue(req, res, true);
}

void Bridge::enqueue(const RouteRequest& req, Responder& res, bool websocket) {
  Bridge& b = *this;
  const http::Request& head = *req.head;
  RequestRecord r{};
  r.path_len = uint32_t(req.path.size());
  r.query_len = uint32_t(head.query.size());
  r.headers_len = uint32_t(encoded_headers_size(head));
  r.body_len = uint32_t(req.body.size());
  r.params_len = uint32_t(encoded_params_size(req));
  size_t total = size_t(r.path_len) + r.query_len + r.headers_len + r.body_len + r.params_len;
  char* dst = nullptr;
  if (total <= b.req_payload_.capacity() / 2) dst = b.req_payload_.reserve(uint32_t(total), &r.pos);
  if (dst == nullptr || !b.requests_.can_push()) {
    b.counters_.queue_full_503.inc();
    http::Header retry{"Retry-After", "1"};
    res.send(503, "application/json", kBusyBody, &retry, 1);
    return;
  }
  // The reservation is only made final below, so an upgrade the engine refuses costs nothing.
  if (websocket ? !res.upgrade(&r.token) : !res.defer(&r.token)) return;
  r.route_id = req.route_id;
  r.client_ip = req.client_ip;
  r.client_port = req.client_port;
  r.method = uint8_t(head.method);
  r.http_minor = head.http_minor;
  r.num_params = req.num_params;
  char* p = put(dst, req.path);
  p = put(p, head.query);
  p = put_headers(p, head);
  p = put(p, req.body);
  put_params(p, req);
  b.requests_.push(r);  // publishes the payload (release store)
  b.req_payload_.commit(r.pos, uint32_t(total));
  b.counters_.requests_queued.inc();
  b.pushed_ = true;
}

// A WebSocket event: a piece of a message, the end, room to send again.
bool Bridge::on_ws_event(void* self, uint32_t token, uint8_t kind, uint8_t flags, uint16_t code,
                         std::string_view data) {
  Bridge& b = *static_cast<Bridge*>(self);
  RequestRecord r{};
  r.token = token;
  r.kind = kind == Server::WsData ? kWsData : kind == Server::WsClosed ? kWsClosed : kWsWritable;
  r.ws_flags = flags;
  r.ws_code = code;
  r.body_len = uint32_t(data.size());
  char* dst = nullptr;
  if (data.size() <= b.req_payload_.capacity() / 2)
    dst = b.req_payload_.reserve(r.body_len, &r.pos);
  if (dst == nullptr || !b.requests_.can_push()) {
    b.counters_.ws_events_full.inc();
    if (r.kind == kWsClosed) {
      // The end must not be lost: the cancel ring always has room for every slot's token,
      // and a cancelled WebSocket is a disconnected one (1006) for the interpreter.
      if (b.cancels_.push(token)) {
        b.counters_.cancels_queued.inc();
        b.pushed_ = true;
        return true;
      }
      b.counters_.cancels_dropped.inc();
      return true;
    }
    b.engine_wants_room_.store(true);
    b.pushed_ = true;  // the interpreter drains what is there, then wakes us
    return false;
  }
  if (!data.empty()) std::memcpy(dst, data.data(), data.size());
  b.requests_.push(r);
  b.req_payload_.commit(r.pos, r.body_len);
  b.counters_.ws_events_queued.inc();
  b.pushed_ = true;
  return true;
}

void Bridge::on_abandon(void* self, uint32_t token) {
  Bridge& b = *static_cast<Bridge*>(self);
  if (b.cancels_.push(token)) {
    b.counters_.cancels_queued.inc();
    b.pushed_ = true;
  } else {
    b.counters_.cancels_dropped.inc();  // the late response will be dropped by its token
  }
}

// Responses from the interpreter: apply them all, in order.
void Bridge::on_ready(void* self) {
  Bridge& b = *static_cast<Bridge*>(self);
  port::wake_drain(b.engine_fd_);
  b.engine_signalled_.store(false);
  b.counters_.engine_wakeups.inc();
  ResponseRecord r;
  while (b.responses_.pop(&r)) {
    const char* p = b.resp_payload_.at(r.pos);
    std::string_view headers(p, r.headers_len), body(p + r.headers_len, r.body_len);
    Server::Completion c;
    if (r.stream != kNotStream) {
      b.apply_stream(r, headers, body);
      b.resp_payload_.release(r.pos, r.headers_len + r.body_len);
      continue;
    }
    if (r.ws == 1) {
      c = b.server_->ws_accept(r.token, body, headers);
    } else if (r.ws == 2) {
      c = b.server_->ws_send(r.token, uint8_t(r.status & 0xff), (r.status >> 8) != 0, body);
    } else if (r.ws == 3) {
      c = b.server_->ws_close(r.token, r.status, body);
    } else if (r.file) {
      size_t nul = body.find('\0');
      c = b.server_->complete_file(r.token, r.status, headers, body.substr(0, nul),
                                   body.substr(nul + 1));
    } else {
      c = b.server_->complete(r.token, r.status, headers, body);
    }
    b.resp_payload_.release(r.pos, r.headers_len + r.body_len);
    if (c == Server::Completion::Gone)
      b.counters_.responses_gone.inc();
    else
      b.counters_.responses_applied.inc();
  }
  if (b.interp_wants_space_.exchange(false)) b.pushed_ = true;  // let it retry
  if (b.engine_resume_.exchange(false)) b.server_->ws_resume();
}

void Bridge::apply_stream(const ResponseRecord& r, std::string_view headers,
                          std::string_view body) {
  Server::Completion c = Server::Completion::Sent;
  switch (r.stream) {
    case kStreamStart:
      c = server_->stream_start(r.token, r.status, headers, r.arg, r.length);
      break;
    case kStreamData:
      c = server_->stream_data(r.token, body, r.arg);
      break;
    default:
      c = server_->stream_end(r.token, r.stream == kStreamAbort);
      break;
  }
  if (c == Server::Completion::Gone)
    counters_.responses_gone.inc();
  else
    counters_.responses_applied.inc();
}

bool Bridge::stream_slot(uint32_t token, uint32_t* slot) const {
  if (token >> net::kTokenBits != 0) return false;
  *slot = token & ((1u << slot_bits_) - 1);
  return *slot < slots_;
}

// Credit back for a stream: wake its producer if it waits for it.
void Bridge::on_stream_credit(void* self, uint32_t token, uint32_t bytes) {
  Bridge& b = *static_cast<Bridge*>(self);
  uint32_t slot;
  if (!b.stream_slot(token, &slot)) return;
  b.credit_[slot].fetch_add(int32_t(bytes));
  b.credit_token_[slot] = token;
  if (b.blocked_[slot].exchange(0) == 0) return;
  b.push_writable(slot, token);
}

void Bridge::push_writable(uint32_t slot, uint32_t token) {
  if (cancels_.push(token | kWritableFlag)) {
    counters_.writable_events.inc();
    pushed_ = true;
  } else {
    // The ring is full (a burst of cancellations and events the interpreter has not drained
    // yet): the producer stays marked as waiting, and the end of this loop iteration tries
    // again (on_loop_end), so it is never left waiting for credit it already has.
    blocked_[slot].store(1);
    writable_retry_ = true;
    counters_.writable_dropped.inc();
  }
}

void Bridge::retry_writable() {
  writable_retry_ = false;
  for (uint32_t slot = 0; slot < slots_; slot++) {
    if (blocked_[slot].load() == 0 || credit_[slot].load() <= int32_t(Server::kStreamChunkOverhead))
      continue;
    if (blocked_[slot].exchange(0) != 0) push_writable(slot, credit_token_[slot]);
    if (writable_retry_) return;  // still full: the next iteration
  }
}

void Bridge::on_loop_end(void* self) {
  Bridge& b = *static_cast<Bridge*>(self);
  if (b.writable_retry_) b.retry_writable();
  if (!b.pushed_) return;
  b.pushed_ = false;
  b.wake_interpreter_if_needed();
}

void Bridge::wake_interpreter_if_needed() {
  if (!interp_signalled_.exchange(true)) signal_interpreter();
}

void Bridge::signal_interpreter() {
  port::wake_signal(interp_fd_);
  if (wake_hook_ != nullptr) wake_hook_();
}

// ---------------------------------------------------------------------------------------------
// Interpreter side

void Bridge::begin_drain() {
  port::wake_drain(interp_fd_);
  interp_signalled_.store(false);
  counters_.interpreter_wakeups.inc();
}

bool Bridge::pop_request(RequestItem* out) {
  RequestRecord r;
  if (!requests_.pop(&r)) {
    // Drained: a WebSocket the engine stopped reading for want of room may go on.
    if (engine_wants_room_.exchange(false)) {
      engine_resume_.store(true);
      if (!engine_signalled_.exchange(true)) port::wake_signal(engine_fd_);
    }
    return false;
  }
  out->kind = r.kind;
  out->ws_flags = r.ws_flags;
  out->ws_code = r.ws_code;
  const char* p = req_payload_.at(r.pos);
  out->token = r.token;
  out->route_id = r.route_id;
  out->method = http::Method(r.method);
  out->http_minor = r.http_minor;
  out->num_params = r.num_params;
  out->client_ip = r.client_ip;
  out->client_port = r.client_port;
  out->path = std::string_view(p, r.path_len);
  p += r.path_len;
  out->query = std::string_view(p, r.query_len);
  p += r.query_len;
  out->headers = std::string_view(p, r.headers_len);
  p += r.headers_len;
  out->body = std::string_view(p, r.body_len);
  p += r.body_len;
  out->params = std::string_view(p, r.params_len);
  out->pos_ = r.pos;
  out->len_ = r.path_len + r.query_len + r.headers_len + r.body_len + r.params_len;
  counters_.requests_popped.inc();
  return true;
}

void Bridge::release(const RequestItem& item) {
  req_payload_.release(item.pos_, item.len_);
}

size_t Bridge::max_response_bytes() const {
  size_t ring = resp_payload_.capacity() / 2;
  size_t body = server_->max_completion_body();
  return ring < body ? ring : body;
}

bool Bridge::pop_cancel(uint32_t* token) {
  return cancels_.pop(token);
}

Push Bridge::respond(uint32_t token, uint16_t status, std::string_view headers,
                     std::string_view body) {
  if (body.size() > server_->max_completion_body()) return Push::TooLarge;
  ResponseRecord r{0, token, uint32_t(headers.size()), uint32_t(body.size()), status, false};
  return push(r, headers, body, {}, {});
}

Push Bridge::ws_accept(uint32_t token, std::string_view protocol, std::string_view headers) {
  ResponseRecord r{0, token, uint32_t(headers.size()), uint32_t(protocol.size()), 101, false};
  r.ws = 1;
  return push(r, headers, protocol, {}, {});
}

WsPush Bridge::ws_send(uint32_t token, uint8_t op, bool fin, std::string_view data) {
  if (data.size() > server_->ws_max_frame()) return WsPush::TooLarge;
  switch (server_->ws_reserve(token, data.size())) {
    case Server::Reserve::Gone:
      return WsPush::Gone;
    case Server::Reserve::Full:
      return WsPush::Full;
    default:
      break;
  }
  ResponseRecord r{0, token, 0, uint32_t(data.size()), uint16_t(op | (fin ? 0x100 : 0)), false};
  r.ws = 2;
  Push p = push(r, {}, data, {}, {});
  if (p == Push::Ok) return WsPush::Ok;
  server_->ws_unreserve(token, data.size());
  return p == Push::Full ? WsPush::Full : WsPush::TooLarge;
}

void Bridge::ws_consumed(uint32_t token, size_t bytes) {
  if (server_->ws_consumed(token, bytes)) {
    engine_resume_.store(true);
    if (!engine_signalled_.exchange(true)) port::wake_signal(engine_fd_);
  }
}

Push Bridge::ws_close(uint32_t token, uint16_t code, std::string_view reason) {
  ResponseRecord r{0, token, 0, uint32_t(reason.size()), code, false};
  r.ws = 3;
  return push(r, {}, reason, {}, {});
}

Push Bridge::respond_file(uint32_t token, uint16_t status, std::string_view headers,
                          std::string_view path, std::string_view request_headers) {
  uint32_t body_len = uint32_t(path.size() + 1 + request_headers.size());
  ResponseRecord r{0, token, uint32_t(headers.size()), body_len, status, true};
  return push(r, headers, path, std::string_view("\0", 1), request_headers);
}

Push Bridge::stream_start(uint32_t token, uint16_t status, std::string_view headers,
                          uint32_t ping_ms, int64_t content_length) {
  uint32_t slot;
  if (!stream_slot(token, &slot)) return Push::TooLarge;
  // No credit until the engine has written the head; then it tells how much.
  credit_[slot].store(0);
  blocked_[slot].store(1);
  ResponseRecord r{0, token, uint32_t(headers.size()), 0, status, false};
  r.stream = kStreamStart;
  r.arg = ping_ms;
  r.length = content_length;
  return push(r, headers, {}, {}, {});
}

long Bridge::stream_send(uint32_t token, std::string_view data) {
  uint32_t slot;
  if (!stream_slot(token, &slot)) return kStreamGone;
  if (data.empty()) return 0;
  constexpr int32_t kOverhead = int32_t(Server::kStreamChunkOverhead);
  int32_t avail = credit_[slot].load();
  if (avail <= kOverhead) {
    // Ask for a wake-up, then look again: credit that came in between would wake no one.
    blocked_[slot].store(1);
    avail = credit_[slot].load();
    if (avail <= kOverhead) return kStreamWait;
  }
  size_t n = data.size() < size_t(avail - kOverhead) ? data.size() : size_t(avail - kOverhead);
  // One record may take at most half the response ring (push()): a window larger than that
  // (a body buffer's) is filled by several records.
  if (n > resp_payload_.capacity() / 2) n = resp_payload_.capacity() / 2;
  ResponseRecord r{0, token, 0, uint32_t(n), 200, false};
  r.stream = kStreamData;
  r.arg = uint32_t(n) + uint32_t(kOverhead);
  Push p = push(r, data.substr(0, n), {}, {}, {});
  if (p != Push::Ok) return kStreamFull;
  credit_[slot].fetch_sub(int32_t(r.arg));
  return long(n);
}

Push Bridge::stream_end(uint32_t token, bool abort) {
  uint32_t slot;
  if (!stream_slot(token, &slot)) return Push::TooLarge;
  ResponseRecord r{0, token, 0, 0, 200, false};
  r.stream = abort ? kStreamAbort : kStreamEnd;
  return push(r, {}, {}, {}, {});
}

// Copies the pieces back to back into the payload ring and queues the record.
Push Bridge::push(const ResponseRecord& rec, std::string_view a, std::string_view b,
                  std::string_view c, std::string_view d) {
  ResponseRecord r = rec;
  size_t total = a.size() + b.size() + c.size() + d.size();
  if (total > resp_payload_.capacity() / 2) return Push::TooLarge;
  char* dst = resp_payload_.reserve(uint32_t(total), &r.pos);
  if (dst == nullptr || !responses_.can_push()) {
    // Ask the engine to wake us once it has drained; then check again ourselves, in case it
    // drained between our check and the request (it would have seen no request).
    interp_wants_space_.store(true);
    dst = resp_payload_.reserve(uint32_t(total), &r.pos);
    if (dst == nullptr || !responses_.can_push()) {
      counters_.responses_full.inc();
      return Push::Full;
    }
  }
  for (std::string_view piece : {a, b, c, d}) {
    if (!piece.empty()) std::memcpy(dst, piece.data(), piece.size());
    dst += piece.size();
  }
  responses_.push(r);
  resp_payload_.commit(r.pos, uint32_t(total));
  counters_.responses_queued.inc();
  if (!engine_signalled_.exchange(true)) port::wake_signal(engine_fd_);
  return Push::Ok;
}

}  // namespace viper::bridge
