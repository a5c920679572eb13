// permessage-deflate (RFC 7692) on WebSocket connections: the stream pairs (a pool allocated
// when WebSockets are enabled), the negotiation at the upgrade, inflating received messages
// piece by piece into a bounded scratch, and compressing sent frames into the output buffer.
// The codec itself is ws/deflate.h and ws/extensions.h.
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "net/server_impl.h"
#include "ws/frame_encoder.h"

namespace viper {

bool Server::Impl::ws_pmd_init() {
  if (!opt.ws_compression || opt.ws_compression_streams == 0) return true;
  uint32_t n = opt.ws_compression_streams;
  ws_pairs = mem::alloc_array<net::WsPmdPair>(n);
  if (ws_pairs == nullptr) return false;
  for (uint32_t i = 0; i < n; i++)
    new (&ws_pairs[i]) net::WsPmdPair();
  ws_num_pairs = n;
  ws::PmdConfig cfg;
  for (uint32_t i = 0; i < n; i++) {
    net::WsPmdPair& p = ws_pairs[i];
    p.scratch = static_cast<char*>(mem::alloc(io.size()));
    if (p.scratch == nullptr || !p.deflater.init(cfg.server_max_window_bits) ||
        !p.inflater.init(cfg.client_max_window_bits))
      return false;
  }
  return true;
}

void Server::Impl::ws_pmd_free() {
  for (uint32_t i = 0; i < ws_num_pairs; i++) {
    mem::release(ws_pairs[i].scratch);
    ws_pairs[i].~WsPmdPair();
  }
  mem::release(ws_pairs);
  ws_pairs = nullptr;
  ws_num_pairs = 0;
}

// At the upgrade request: what the client's offers allow (nothing when compression is off).
void Server::Impl::ws_pmd_negotiate(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  w.pmd = ws::PmdParams{};
  if (ws_num_pairs == 0) return;
  ws::PmdConfig cfg;
  cfg.enabled = true;
  w.pmd = ws::negotiate_permessage_deflate(
      std::span<const http::Header>(req.headers, req.num_headers), cfg);
}

// At the 101: a free pair for a connection that negotiated compression, started for its
// windows.  False (no extension then) when none is free.
bool Server::Impl::ws_pmd_take(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  w.pair = -1;
  if (!w.pmd.enabled) return false;
  for (uint32_t i = 0; i < ws_num_pairs; i++) {
    net::WsPmdPair& p = ws_pairs[i];
    if (p.used) continue;
    if (!p.inflater.start(w.pmd.inflate_window_bits(), w.pmd.client_no_context_takeover,
                          opt.ws_max_message_bytes))
      return false;
    if (w.pmd.compress_outgoing() &&
        !p.deflater.start(w.pmd.server_window_bits, w.pmd.server_no_context_takeover))
      return false;
    p.used = true;
    w.pair = int16_t(i);
    return true;
  }
  return false;
}

void Server::Impl::ws_pmd_release(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  if (w.pair >= 0) ws_pairs[w.pair].used = false;
  w.pair = -1;
  w.held_inflated = false;
}

// Inflates a compressed piece and hands the output on.  False when the caller must stop
// decoding: the connection failed (1007, 1009), or the application's ring was full (the output
// and the rest of the input are held; ws_resume goes on).
bool Server::Impl::ws_inflate(Conn& c, std::string_view in, bool first, bool last, ws::Opcode op,
                              uint32_t end) {
  net::WsConn& w = ws[index_of(c)];
  ws::Session& s = w.session;
  net::WsPmdPair& p = ws_pairs[w.pair];
  if (first) {
    w.inflate_first = true;
    s.inflated_text.reset();
  }
  bool text = op == ws::Opcode::Text;
  size_t used = 0;
  for (;;) {
    ws::MessageInflater::Result r = p.inflater.inflate(in.substr(used), last, p.scratch, io.size());
    used += r.consumed;
    if (r.status == ws::MessageInflater::Status::TooBig) {
      counters.ws_protocol_errors.inc();
      ws_fail(c, ws::close_code::kMessageTooBig);
      return false;
    }
    if (r.status == ws::MessageInflater::Status::Corrupt) {
      counters.ws_protocol_errors.inc();
      ws_fail(c, ws::close_code::kInvalidPayload);
      return false;
    }
    bool done = r.status == ws::MessageInflater::Status::Done;
    std::string_view out(p.scratch, r.produced);
    if (text && (!s.inflated_text.feed(out) || (done && !s.inflated_text.complete()))) {
      counters.ws_protocol_errors.inc();
      ws_fail(c, ws::close_code::kInvalidPayload);
      return false;
    }
    if (r.produced > 0 || done) {
      uint8_t flags =
          uint8_t((text ? Server::WsText : Server::WsBinary) |
                  (w.inflate_first ? Server::WsFirst : 0) | (done ? Server::WsLast : 0));
      if (!ws_hand_on(c, flags, out)) {
        w.holding = w.held_inflated = true;
        w.held_off = 0;
        w.held_len = uint32_t(r.produced);
        w.held_flags = flags;
        w.held_done = done;
        w.held_in_off = uint32_t(in.data() + used - c.in);
        w.held_in_len = uint32_t(in.size() - used);
        w.held_in_last = last;
        w.held_end = end;
        w.paused = true;
        ws_paused++;
        counters.ws_read_paused.inc();
        return false;
      }
      w.inflate_first = false;
      if (done) counters.ws_messages_in.inc();
    }
    if (done || r.status == ws::MessageInflater::Status::NeedInput) return true;
  }
}

// Resuming a connection whose inflated piece was held: that piece, then the rest of its
// compressed input.  False while the ring is still full (or the connection failed).
bool Server::Impl::ws_deliver_inflated(Conn& c) {
  net::WsConn& w = ws[index_of(c)];
  net::WsPmdPair& p = ws_pairs[w.pair];
  if (!ws_hand_on(c, w.held_flags, std::string_view(p.scratch, w.held_len))) return false;
  w.holding = w.held_inflated = false;
  w.inflate_first = false;
  if (w.held_done) {
    counters.ws_messages_in.inc();
  } else {
    ws::Opcode op = (w.held_flags & Server::WsText) ? ws::Opcode::Text : ws::Opcode::Binary;
    if (!ws_inflate(c, std::string_view(c.in + w.held_in_off, w.held_in_len), false, w.held_in_last,
                    op, w.held_end))
      return false;
  }
  if (c.in_len > w.held_end) std::memmove(c.in, c.in + w.held_end, c.in_len - w.held_end);
  c.in_len -= w.held_end;
  return true;
}

// A whole message sent in one frame, compressed into the output buffer (the last call of a
// message flushes zlib, so its output is bounded by the input and a few bytes, within the
// frame's reservation).  False when it failed (1011).
bool Server::Impl::ws_compress(Conn& c, uint8_t op, bool fin, std::string_view payload) {
  net::WsConn& w = ws[index_of(c)];
  ws::MessageDeflater& d = ws_pairs[w.pair].deflater;
  ws::MessageFramer& framer = w.session.framer;
  framer.begin(op == 2 ? ws::Opcode::Binary : ws::Opcode::Text, true);
  size_t used = 0;
  for (;;) {
    size_t room = io.size() - c.out_len;
    if (room < ws::kMaxFrameHeader + ws::MessageDeflater::kMinOutput) return false;
    char* at = c.out + c.out_len;
    ws::MessageDeflater::Result r =
        d.compress(payload.substr(used), fin, at + ws::kMaxFrameHeader, room - ws::kMaxFrameHeader);
    if (r.error) return false;
    used += r.consumed;
    if (r.produced > 0 || r.done) {
      char header[ws::kMaxFrameHeader];
      ws::OutFrame f =
          framer.next(header, std::string_view(at + ws::kMaxFrameHeader, r.produced), r.done);
      if (f.header_size == 0) return false;
      std::memmove(at + f.header_size, at + ws::kMaxFrameHeader, r.produced);
      std::memcpy(at, header, f.header_size);
      c.out_len += uint32_t(f.header_size + r.produced);
      counters.ws_frames_out.inc();
    }
    if (r.done) return true;
    if (!fin && used == payload.size()) return true;
    if (r.consumed == 0 && r.produced == 0) return false;  // no progress: cannot happen
  }
}

}  // namespace viper
