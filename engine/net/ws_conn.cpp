// WebSocket connections (issue 12): the upgrade on a WebSocket route, frames in and out over
// the transport seam (so WSS works as HTTPS does), the automatic pong, the idle ping, the close
// handshake and the bounded send queue.  The protocol itself is engine/ws/ (pure modules); this
// file wires it to slots, buffers, lists and the producer's hooks (the bridge).  See
// docs/architecture.md, "WebSocket connections".
#include <cerrno>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "net/server_impl.h"
#include "net/transport.h"
#include "port/port.h"
#include "ws/frame_encoder.h"
#include "ws/handshake.h"

namespace viper {

using namespace detail;

namespace {

// Room the output buffer keeps beyond the application's frames: the 101 head (at most
// kMaxAppHeaders of the application's own lines) and control frames (127 bytes each).
constexpr size_t kMaxAppHeaders = 256;
constexpr size_t kWsReserve = ws::kMaxAcceptHeaders + kMaxAppHeaders + 3 * 128;
// What one reserved frame costs besides its payload: the longest header.
constexpr size_t kFrameOverhead = ws::kMaxFrameHeader;
constexpr std::string_view kStatus101 = "HTTP/1.1 101 Switching Protocols\r\n";
// The idle ping's payload: anything the peer echoes; a pong proves life whatever it carries.
constexpr std::string_view kPingPayload = "viper";

static_assert(VIPER_IO_BUFFER_BYTES > kWsReserve + 1024, "the send queue needs room");

}  // namespace

// ---------------------------------------------------------------------------------------------
// Setup

bool Server::enable_websockets() {
  Impl& d = *impl_;
  if (d.ws != nullptr) return true;
  uint32_t n = d.opt.max_connections;
  d.ws = mem::alloc_array<net::WsConn>(n);
  d.ws_words = mem::alloc_array<std::atomic<uint32_t>>(n);
  d.ws_in_bytes = mem::alloc_array<std::atomic<uint32_t>>(n);
  d.ws_in_gen = mem::alloc_array<std::atomic<uint32_t>>(n);
  d.ws_in_want = mem::alloc_array<std::atomic<bool>>(n);
  if (d.ws == nullptr || d.ws_words == nullptr || d.ws_in_bytes == nullptr ||
      d.ws_in_gen == nullptr || d.ws_in_want == nullptr) {
    d.free_ws();
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    new (&d.ws[i]) net::WsConn();
    new (&d.ws_words[i]) std::atomic<uint32_t>(net::kWsNone);
    new (&d.ws_in_bytes[i]) std::atomic<uint32_t>(0);
    new (&d.ws_in_gen[i]) std::atomic<uint32_t>(0);
    new (&d.ws_in_want[i]) std::atomic<bool>(false);
  }
  if (!d.ws_pmd_init()) {
    d.free_ws();
    return false;
  }
  d.timeouts[net::kListWs] = d.opt.ws_ping_interval_ms;
  return true;
}

void Server::Impl::free_ws() {
  ws_pmd_free();
  if (ws != nullptr) {
    for (uint32_t i = 0; i < opt.max_connections; i++)
      ws[i].~WsConn();
  }
  mem::release(ws);
  mem::release(ws_words);
  mem::release(ws_in_bytes);
  mem::release(ws_in_gen);
  mem::release(ws_in_want);
  ws = nullptr;
  ws_words = nullptr;
  ws_in_bytes = ws_in_gen = nullptr;
  ws_in_want = nullptr;
}

size_t Server::Impl::ws_queue_cap() const {
  size_t cap = io.size() - kWsReserve;
  return cap > 0xffff ? 0xffff : cap;  // the word's 16 bits of reserved bytes
}

size_t Server::bytes_per_idle_websocket() {
  return sizeof(net::WsConn) + sizeof(std::atomic<uint32_t>);
}

size_t Server::ws_max_frame() const {
  return impl_->ws_queue_cap() - kFrameOverhead;
}

// ---------------------------------------------------------------------------------------------
// The upgrade

// Checks the upgrade request in `req`.  True: it is one (the key is kept for the 101); false:
// the engine answered (404 for a plain GET as FastAPI does, 400 or 426 for a bad upgrade).
bool Server::Impl::ws_check_upgrade(Conn& c) {
  std::span<const http::Header> headers(req.headers, req.num_headers);
  ws::UpgradeRequest u = ws::check_upgrade(headers);
  if (u.error == ws::UpgradeError::NotWebSocket || req.method != http::Method::Get ||
      ws == nullptr) {
    respond_error(c, 404, "Not Found", c.close_after);
    return false;
  }
  if (u.error == ws::UpgradeError::None && req.http_minor == 0)
    u.error = ws::UpgradeError::NoConnectionUpgrade;  // any 400: the status below is 400
  if (u.error != ws::UpgradeError::None) {
    counters.ws_refused.inc();
    c.close_after = true;
    c.linger = true;
    char body[128];
    http::Appender a(body, sizeof body);
    a.put("{\"detail\":\"");
    a.put(req.http_minor == 0 ? std::string_view("WebSocket needs HTTP/1.1")
                              : ws::detail_of(u.error));
    a.put("\"}");
    uint16_t status = req.http_minor == 0 ? 400 : ws::status_of(u.error);
    if (!respond(c, status, "application/json", std::string_view(body, a.size()), nullptr, nullptr,
                 0, ws::refusal_headers(u.error)))
      c.close_after = true;
    return false;
  }
  net::WsConn& w = ws[index_of(c)];
  size_t n = u.key.size() < sizeof w.key ? u.key.size() : sizeof w.key;
  std::memcpy(w.key, u.key.data(), n);
  w.key_len = uint8_t(n);
  ws_pmd_negotiate(c);
  return true;
}

bool Responder::upgrade(uint32_t* token) {
  if (responded_) return false;
  Server::Impl& d = *engine_;
  Conn& c = *conn_;
  if (!d.ws_check_upgrade(c)) {
    responded_ = true;
    return false;
  }
  defer(token);
  net::WsConn& w = d.ws[d.index_of(c)];
  w.upgrade_pending = true;
  w.upgrade_generation = c.generation;
  // The send queue names this WebSocket from now: the application may reserve room for its
  // first messages right after its accept, before the engine has applied the accept (the
  // records are applied in order).
  uint32_t idx = d.index_of(c);
  d.ws_words[idx].store(net::ws_word_generation(c.generation));
  d.ws_in_bytes[idx].store(0);
  d.ws_in_want[idx].store(false);
  d.ws_in_gen[idx].store(c.generation);
  return true;
}

// The open WebSocket `token` names, or nullptr.
Conn* Server::Impl::ws_slot(uint32_t token) {
  uint32_t slot, generation;
  if (ws == nullptr || !tokens.split(token, &slot, &generation) || slot >= opt.max_connections)
    return nullptr;
  Conn& c = slots[slot];
  if (c.state != ConnState::WebSocket || c.generation != generation) return nullptr;
  return &c;
}

Server::Completion Server::ws_accept(uint32_t token, std::string_view protocol,
                                     std::string_view raw_headers) {
  Impl& d = *impl_;
  Conn* slot = d.awaiting_slot(token);
  if (slot == nullptr || d.ws == nullptr) return Completion::Gone;
  Conn& c = *slot;
  uint32_t idx = d.index_of(c);
  net::WsConn& w = d.ws[idx];
  c.awaiting = false;
  d.counters.deferred_in_flight.dec();
  if (!w.upgrade_pending || w.upgrade_generation != c.generation) {
    // Not an upgrade request (the application accepted an HTTP request as a WebSocket).
    d.respond_error(c, 500, "Internal Server Error", true);
    d.drive(c);
    return Completion::Gone;
  }
  w.upgrade_pending = false;
  bool pmd = d.ws_pmd_take(c);  // permessage-deflate when negotiated and a stream pair is free
  bool ok = raw_headers.size() <= kMaxAppHeaders && d.lend_out(c);
  size_t room = ok ? d.io.size() - c.out_len : 0;
  char* out = ok ? c.out + c.out_len : nullptr;
  size_t n = 0;
  if (ok && room > kStatus101.size()) {
    std::memcpy(out, kStatus101.data(), kStatus101.size());
    n = kStatus101.size();
    size_t k = ws::write_accept_headers(out + n, room - n, std::string_view(w.key, w.key_len),
                                        protocol, pmd ? &w.pmd : nullptr);
    ok = k != 0 && n + k + raw_headers.size() + 2 <= room;
    if (ok) {
      n += k;
      if (!raw_headers.empty()) std::memcpy(out + n, raw_headers.data(), raw_headers.size());
      n += raw_headers.size();
      std::memcpy(out + n, "\r\n", 2);
      n += 2;
    }
  }
  if (!ok) {  // a subprotocol that is not a token, or too many header bytes
    d.ws_pmd_release(c);
    d.respond_error(c, 500, "Internal Server Error", true);
    d.drive(c);
    return Completion::TooLarge;
  }
  c.out_len += uint32_t(n);
  d.count_status(101);
  c.state = ConnState::WebSocket;
  c.close_after = false;
  c.head_ready = false;
  d.set_list(c, net::kListWs);
  w.session.start(d.opt.ws_max_message_bytes, pmd ? w.pmd : ws::PmdParams{});
  w.accounted = 0;
  w.holding = w.paused = w.ping_outstanding = w.told = w.app_closed = w.close_tcp = false;
  d.counters.ws_upgrades.inc();
  d.counters.ws_open.inc();
  if (!d.ws_flush(c)) return Completion::Sent;
  d.ws_decode(c);  // frames the client sent right behind its upgrade request
  d.ws_settle(c);
  return Completion::Sent;
}

// ---------------------------------------------------------------------------------------------
// Reading

void Server::Impl::ws_on_event(Conn& c, uint32_t events) {
  if ((events & (net::kWritable | net::kHangup)) && c.out_len != 0) {
    if (!ws_flush(c)) return;
  }
  if (c.state == ConnState::WebSocket && (events & (net::kReadable | net::kHangup)) &&
      !ws[index_of(c)].paused) {
    ws_read(c);
    return;
  }
  ws_settle(c);
}

void Server::Impl::ws_read(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  if (w.paused) return;
  if (!lend_in(c)) {  // cannot happen: the pool has two buffers per slot
    counters.io_errors.inc();
    close_conn(c);
    return;
  }
  if (c.in_len < c.in_cap) {
    long n = net::transport_read(c, c.in + c.in_len, c.in_cap - c.in_len);
    if (n == 0) {
      close_conn(c);  // EOF without a close frame: 1006 for the application
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        counters.peer_resets.inc();
        close_conn(c);
        return;
      }
    } else {
      c.in_len += uint32_t(n);
      w.ping_outstanding = false;
      if (c.list == net::kListWs && w.session.closing.state() == ws::CloseHandshake::State::Open)
        set_list(c, net::kListWs);  // alive: the idle ping waits a full interval again
    }
  }
  ws_decode(c);
  if (c.state != ConnState::WebSocket) return;
  ws_settle(c);
  if (c.state == ConnState::WebSocket && !w.paused) queue_tls_ready(c);
}

// Hands a piece of a received message to the producer, within the application's receive
// window: at most ws_max_message_bytes + one I/O buffer handed on and not yet consumed
// (Server::ws_consumed), so a handler that does not read cannot make the interpreter buffer
// without bound.  False when the piece cannot be taken now (window or ring full).
bool Server::Impl::ws_hand_on(Conn& c, uint8_t flags, std::string_view data) {
  uint32_t idx = index_of(c);
  uint64_t window = opt.ws_max_message_bytes + io.size();
  uint32_t used = ws_in_bytes[idx].load();
  if (used != 0 && used + data.size() > window) {
    ws_in_want[idx].store(true);
    // The application may have consumed in between and seen no one waiting: look again.
    used = ws_in_bytes[idx].load();
    if (used != 0 && used + data.size() > window) return false;
    ws_in_want[idx].store(false);
  }
  if (!hooks.on_ws_event(hooks.user, ws_token(c), Server::WsData, flags, 0, data)) return false;
  ws_in_bytes[idx].fetch_add(uint32_t(data.size()));
  return true;
}

bool Server::ws_consumed(uint32_t token, size_t bytes) {
  Impl& d = *impl_;
  uint32_t slot, generation;
  if (d.ws_in_bytes == nullptr || !d.tokens.split(token, &slot, &generation) ||
      slot >= d.opt.max_connections || d.ws_in_gen[slot].load() != generation)
    return false;
  uint32_t v = d.ws_in_bytes[slot].load();
  uint32_t n = uint32_t(bytes);
  while (!d.ws_in_bytes[slot].compare_exchange_weak(v, v > n ? v - n : 0)) {
  }
  return d.ws_in_want[slot].exchange(false);
}

// The held data piece (the application's ring was full) is taken now, or false.
bool Server::Impl::ws_deliver_held(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  if (!w.holding) return true;
  if (w.held_inflated) return ws_deliver_inflated(c);  // net/ws_pmd.cpp
  if (!ws_hand_on(c, w.held_flags, std::string_view(c.in + w.held_off, w.held_len))) return false;
  if (w.held_flags & Server::WsLast) counters.ws_messages_in.inc();
  w.holding = false;
  if (c.in_len > w.held_end) std::memmove(c.in, c.in + w.held_end, c.in_len - w.held_end);
  c.in_len -= w.held_end;
  return true;
}

// Decodes the buffered bytes: data to the application, pings answered, close and errors.
void Server::Impl::ws_decode(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  ws::Session& s = w.session;
  if (!ws_deliver_held(c)) return;
  uint32_t pos = 0;
  bool stop = false;
  // Until NeedMore, even with no bytes left: an error may follow the piece before it (a text
  // message ending inside a UTF-8 sequence).
  while (!stop && c.in != nullptr && c.state == ConnState::WebSocket) {
    ws::Event ev = s.decoder.decode(c.in + pos, c.in_len - pos);
    uint32_t end = pos + uint32_t(ev.consumed);
    switch (ev.kind) {
      case ws::EventKind::NeedMore:
        stop = true;
        break;
      case ws::EventKind::Data: {
        if (!s.closing.delivers() || w.app_closed) break;  // after our close: discarded
        if (ev.compressed) {                               // permessage-deflate (net/ws_pmd.cpp)
          if (!ws_inflate(c, ev.payload, ev.first, ev.last, ev.message, end)) {
            if (w.holding) return;  // resumed by ws_resume, offsets kept
            stop = true;            // failed: what follows is discarded
            end = c.in_len;
          }
          break;
        }
        uint8_t flags =
            uint8_t((ev.message == ws::Opcode::Text ? Server::WsText : Server::WsBinary) |
                    (ev.first ? Server::WsFirst : 0) | (ev.last ? Server::WsLast : 0));
        if (!ws_hand_on(c, flags, ev.payload)) {
          // No room for it now: hold the piece where it is and stop reading until ws_resume.
          w.holding = true;
          w.held_off = uint32_t(ev.payload.data() - c.in);
          w.held_len = uint32_t(ev.payload.size());
          w.held_end = end;
          w.held_flags = flags;
          w.paused = true;
          ws_paused++;
          counters.ws_read_paused.inc();
          // The bytes before the held piece's frame are done with; keep the offsets valid.
          return;
        }
        if (ev.last) counters.ws_messages_in.inc();
        break;
      }
      case ws::EventKind::Ping:
        if (s.closing.can_send() && ws_control(c, ws::Opcode::Pong, 0, ev.payload))
          counters.ws_pongs_sent.inc();
        break;
      case ws::EventKind::Pong:
        break;  // proof of life, as any byte is
      case ws::EventKind::Close: {
        counters.ws_closes_in.inc();
        ws::CloseHandshake::Action act = s.closing.on_close_frame(ev.code);
        if (act.send_close) ws_control(c, ws::Opcode::Close, act.code, {});
        if (!w.app_closed) ws_tell_closed(c, ev.code, ev.payload);
        if (act.close_transport) w.close_tcp = true;
        stop = true;
        break;
      }
      case ws::EventKind::Error:
        counters.ws_protocol_errors.inc();
        ws_fail(c, ev.code);
        stop = true;
        break;
    }
    pos = end;
  }
  if (c.in == nullptr || c.state != ConnState::WebSocket) return;
  if (s.decoder.closed() || s.decoder.failed()) pos = c.in_len;  // later input is discarded
  if (pos > 0) {
    if (c.in_len > pos) std::memmove(c.in, c.in + pos, c.in_len - pos);
    c.in_len -= pos;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

// A control frame into the output buffer.  False when there is no room (a pong may be
// skipped: RFC 6455 §5.5.3 asks only for the most recent ping's answer).
bool Server::Impl::ws_control(Conn& c, ws::Opcode op, uint16_t code, std::string_view payload) {
  if (!lend_out(c)) return false;
  size_t room = io.size() - c.out_len;
  char* out = c.out + c.out_len;
  size_t n = 0;
  if (op == ws::Opcode::Pong) {
    n = ws::encode_pong(out, room, payload);
  } else if (op == ws::Opcode::Ping) {
    n = ws::encode_ping(out, room, payload);
  } else {
    n = ws::encode_close(out, room, code, payload);
    if (n == 0 && code != 0) n = ws::encode_close(out, room, code, {});  // a reason that failed
    if (n != 0) counters.ws_closes_out.inc();
  }
  c.out_len += uint32_t(n);
  return n != 0;
}

// A protocol violation: a close frame with `code`, the application told, TCP closed after.
void Server::Impl::ws_fail(Conn& c, uint16_t code) {
  net::WsConn& w = ws[index_of(c)];
  ws::CloseHandshake::Action act = w.session.closing.fail(code);
  if (act.send_close) ws_control(c, ws::Opcode::Close, act.code, {});
  ws_tell_closed(c, code, {});
  w.close_tcp = true;
}

void Server::Impl::ws_tell_closed(Conn& c, uint16_t code, std::string_view reason) {
  net::WsConn& w = ws[index_of(c)];
  if (w.told) return;
  w.told = true;
  hooks.on_ws_event(hooks.user, ws_token(c), Server::WsClosed, 0, code, reason);
}

// Writes pending output; returns the send queue's room to the producer once it is all out.
// False when the connection was closed.
bool Server::Impl::ws_flush(Conn& c) {
  if (!flush(c)) return false;
  if (c.out_len != 0) return true;
  net::WsConn& w = ws[index_of(c)];
  if (w.accounted != 0) {
    std::atomic<uint32_t>& word = ws_words[index_of(c)];
    uint32_t before = word.fetch_sub(w.accounted);
    w.accounted = 0;
    if ((before & net::kWsWantBit) &&
        hooks.on_ws_event(hooks.user, ws_token(c), Server::WsWritable, 0, 0, {}))
      word.fetch_and(~net::kWsWantBit);
    // Not delivered (the ring is full): the bit stays, and the producer retries at its next
    // wake-up, which the full ring guarantees.
  }
  return true;
}

// After any event: the poller interest, buffers back to the pools, the end of the connection.
void Server::Impl::ws_settle(Conn& c) {
  if (c.state != ConnState::WebSocket) return;
  net::WsConn& w = ws[index_of(c)];
  if (w.close_tcp && c.out_len == 0) {
    // The close handshake is over (or the connection failed): the server closes first
    // (RFC 6455 §7.1.1), lingering so that unread input does not reset the close frame.
    ws_on_close_conn(c);
    linger(c);
    return;
  }
  uint8_t want = uint8_t((w.paused ? 0u : uint32_t(net::kReadable)) |
                         (c.out_len != 0 ? uint32_t(net::kWritable) : 0u));
  set_interest(c, want);
  // An idle WebSocket holds no buffer.
  if (c.in != nullptr && c.in_len == 0 && !w.holding) release_in(c);
  if (c.out != nullptr && c.out_len == 0) {
    io.give(c.out);
    counters.io_buffers_in_use.dec();
    c.out = nullptr;
    c.out_sent = 0;
  }
}

Server::Completion Server::ws_send(uint32_t token, uint8_t op, bool fin, std::string_view payload) {
  Impl& d = *impl_;
  Conn* slot = d.ws_slot(token);
  if (slot == nullptr) {
    d.counters.ws_dropped.inc();
    return Completion::Gone;
  }
  Conn& c = *slot;
  uint32_t idx = d.index_of(c);
  net::WsConn& w = d.ws[idx];
  size_t charge = payload.size() + kFrameOverhead;
  if (c.out != nullptr && c.out_sent > 0) {
    // Part of the buffer went out already: make that room usable (the reservations count
    // only what is still to be sent, so a reserved frame always fits after this).
    std::memmove(c.out, c.out + c.out_sent, c.out_len - c.out_sent);
    c.out_len -= c.out_sent;
    c.out_sent = 0;
  }
  if (!w.session.closing.can_send() || w.app_closed || !d.lend_out(c) ||
      c.out_len + kFrameOverhead + payload.size() > d.io.size()) {
    // Closing (no data after a close frame), or a frame that was not reserved: dropped, and
    // its reservation given back.
    d.ws_words[idx].fetch_sub(uint32_t(charge));
    d.counters.ws_dropped.inc();
    d.ws_settle(c);
    return Completion::Gone;
  }
  // Messages sent in one frame are compressed; a message the producer fragments (larger than
  // ws_max_frame) goes out uncompressed, which RFC 7692 allows per message: zlib may hold back
  // and later release more output than one fragment's reservation.
  if (w.pair >= 0 && w.session.pmd.compress_outgoing() && op != 0 && fin) {
    if (!d.ws_compress(c, op, fin, payload)) {
      d.ws_words[idx].fetch_sub(uint32_t(charge));
      d.ws_fail(c, ws::close_code::kInternalError);
      if (d.ws_flush(c)) d.ws_settle(c);
      return Completion::Gone;
    }
    w.accounted += uint32_t(charge);
    if (fin) d.counters.ws_messages_out.inc();
    if (!d.ws_flush(c)) return Completion::Sent;
    d.ws_settle(c);
    return Completion::Sent;
  }
  size_t h = ws::write_frame_header(c.out + c.out_len, ws::Opcode(op), fin, false, payload.size());
  if (h == 0) {
    d.ws_words[idx].fetch_sub(uint32_t(charge));
    d.counters.ws_dropped.inc();
    return Completion::Gone;
  }
  if (!payload.empty()) std::memcpy(c.out + c.out_len + h, payload.data(), payload.size());
  c.out_len += uint32_t(h + payload.size());
  w.accounted += uint32_t(charge);
  d.counters.ws_frames_out.inc();
  if (fin) d.counters.ws_messages_out.inc();
  if (!d.ws_flush(c)) return Completion::Sent;
  d.ws_settle(c);
  return Completion::Sent;
}

Server::Completion Server::ws_close(uint32_t token, uint16_t code, std::string_view reason) {
  Impl& d = *impl_;
  Conn* slot = d.ws_slot(token);
  if (slot == nullptr) return Completion::Gone;
  Conn& c = *slot;
  net::WsConn& w = d.ws[d.index_of(c)];
  w.app_closed = true;
  w.told = true;  // the application knows
  ws::CloseHandshake::Action act = w.session.closing.close(code);
  if (act.send_close) {
    d.ws_control(c, ws::Opcode::Close, act.code, reason);
    d.set_list(c, net::kListWs);  // the close timeout runs from now
  }
  if (act.close_transport) w.close_tcp = true;
  if (!d.ws_flush(c)) return Completion::Sent;
  d.ws_settle(c);
  return Completion::Sent;
}

// ---------------------------------------------------------------------------------------------
// Send-queue reservations (any thread)

Server::Reserve Server::ws_reserve(uint32_t token, size_t payload) {
  Impl& d = *impl_;
  uint32_t slot, generation;
  if (d.ws_words == nullptr || !d.tokens.split(token, &slot, &generation) ||
      slot >= d.opt.max_connections)
    return Reserve::Gone;
  size_t cap = d.ws_queue_cap();
  size_t charge = payload + kFrameOverhead;
  if (charge > cap) return Reserve::Gone;  // the producer fragments (ws_max_frame)
  uint32_t g = net::ws_word_generation(generation);
  std::atomic<uint32_t>& word = d.ws_words[slot];
  uint32_t w = word.load();
  for (;;) {
    if ((w & 0xfffe0000u) != g) return Reserve::Gone;
    uint32_t queued = w & 0xffffu;
    if (queued + charge > cap) {
      if ((w & net::kWsWantBit) || word.compare_exchange_weak(w, w | net::kWsWantBit))
        return Reserve::Full;
      continue;
    }
    if (word.compare_exchange_weak(w, w + uint32_t(charge))) return Reserve::Ok;
  }
}

void Server::ws_unreserve(uint32_t token, size_t payload) {
  Impl& d = *impl_;
  uint32_t slot, generation;
  if (d.ws_words == nullptr || !d.tokens.split(token, &slot, &generation) ||
      slot >= d.opt.max_connections)
    return;
  uint32_t g = net::ws_word_generation(generation);
  std::atomic<uint32_t>& word = d.ws_words[slot];
  uint32_t w = word.load();
  uint32_t charge = uint32_t(payload + kFrameOverhead);
  while ((w & 0xfffe0000u) == g && (w & 0xffffu) >= charge &&
         !word.compare_exchange_weak(w, w - charge)) {
  }
}

// ---------------------------------------------------------------------------------------------
// Flow control, timers, the end

void Server::ws_resume() {
  Impl& d = *impl_;
  for (uint32_t i = 0; i < d.opt.max_connections && d.ws_paused > 0; i++) {
    Conn& c = d.slots[i];
    net::WsConn& w = d.ws[i];
    if (c.state != ConnState::WebSocket || !w.paused) continue;
    if (!d.ws_deliver_held(c)) continue;  // still no room: a later wake-up tries again
    w.paused = false;
    d.ws_paused--;
    d.ws_decode(c);
    if (c.state != ConnState::WebSocket) continue;
    d.ws_settle(c);
    if (c.state == ConnState::WebSocket && !w.paused) d.queue_tls_ready(c);
  }
}

// The head of the WebSocket list has been silent for ws_ping_interval: ping it; if it stayed
// silent since the last ping, or its close handshake did not finish, it is gone.
void Server::Impl::ws_on_timeout(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  if (w.session.closing.state() == ws::CloseHandshake::State::Open && !w.ping_outstanding &&
      !w.close_tcp) {
    w.ping_outstanding = true;
    if (ws_control(c, ws::Opcode::Ping, 0, kPingPayload)) counters.ws_pings_sent.inc();
    set_list(c, net::kListWs);
    if (!ws_flush(c)) return;
    ws_settle(c);
    return;
  }
  counters.ws_timeouts.inc();
  close_conn(c);
}

// Shutdown: a close frame with 1001 (going away); the connection ends when the peer answers or
// the grace period is over.
void Server::Impl::ws_going_away(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  ws::CloseHandshake::Action act = w.session.closing.close(ws::close_code::kGoingAway);
  if (act.send_close) ws_control(c, ws::Opcode::Close, act.code, {});
  ws_tell_closed(c, ws::close_code::kGoingAway, {});
  if (act.close_transport) w.close_tcp = true;
  if (!ws_flush(c)) return;
  ws_settle(c);
}

// The WebSocket ends (closed, lingering, or its slot closed): the application hears of it
// once, the send queue's word no longer names it.
void Server::Impl::ws_on_close_conn(Conn& c) {
  uint32_t idx = index_of(c);
  net::WsConn& w = ws[idx];
  w.session.closing.on_transport_closed();
  ws_tell_closed(c, w.session.closing.disconnect_code(), {});
  ws_words[idx].store(net::kWsNone);
  ws_pmd_release(c);
  if (w.paused) {
    w.paused = false;
    ws_paused--;
  }
  w.holding = false;
  counters.ws_open.dec();
}

}  // namespace viper
