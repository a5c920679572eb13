// A WebSocket echo endpoint built from the protocol modules alone, the way the connection code
// is meant to drive them (docs/architecture.md, "WebSocket protocol core"): decoder over an
// input buffer, pings answered, messages echoed through the encoder (and the deflater when
// negotiated), the close handshake, failures.  No sockets: bytes in, bytes out.  The
// conformance suite feeds it Autobahn-style cases; a client side reads what it wrote.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ws/frame_encoder.h"
#include "ws/session.h"
#include "ws_frames.h"

namespace wstest {

using namespace viper::ws;

struct Endpoint {
  Session s;
  MessageDeflater deflater;
  MessageInflater inflater;
  std::string in;   // received, not yet consumed (the connection's input buffer)
  std::string out;  // written to the "socket"
  bool transport_closed = false;
  std::string message;  // the message being received (the application's copy)
  Opcode message_op = Opcode::Text;
  size_t fragment = 1 << 20;  // largest outgoing frame payload
  int pongs_sent = 0, pings_received = 0, pongs_received = 0, messages = 0;

  explicit Endpoint(uint64_t max_message = 1 << 24, PmdParams pmd = PmdParams{}) {
    s.start(max_message, pmd);
    if (pmd.enabled) {
      // Streams as large as negotiated (a server would take them from its pool).
      EXPECT_TRUE(inflater.init(pmd.inflate_window_bits()));
      EXPECT_TRUE(
          inflater.start(pmd.inflate_window_bits(), pmd.client_no_context_takeover, max_message));
      s.inflater = &inflater;
      if (pmd.compress_outgoing()) {
        EXPECT_TRUE(deflater.init(pmd.server_window_bits));
        EXPECT_TRUE(deflater.start(pmd.server_window_bits, pmd.server_no_context_takeover));
        s.deflater = &deflater;
      }
    }
  }

  void receive(const std::string& bytes) {
    if (transport_closed) return;  // nothing is read after the connection is closed
    in += bytes;
    while (!transport_closed) {
      Event ev = s.decoder.decode(in.data(), in.size());
      handle(ev);
      in.erase(0, ev.consumed);
      if (ev.kind == EventKind::NeedMore || ev.kind == EventKind::Error) break;
    }
  }

  void handle(const Event& ev) {
    switch (ev.kind) {
      case EventKind::NeedMore:
        return;
      case EventKind::Data:
        if (!s.closing.delivers()) return;  // after our close: read and dropped
        if (ev.first) {
          message.clear();
          message_op = ev.message;
          s.inflated_text.reset();
        }
        if (ev.compressed) {
          if (!inflate_piece(ev)) return;
        } else {
          message.append(ev.payload);
        }
        if (ev.last) {
          messages++;
          send_message(message_op, message);
        }
        return;
      case EventKind::Ping:
        pings_received++;
        if (s.closing.can_send()) {
          char f[2 + kMaxControlPayload];
          out.append(f, encode_pong(f, sizeof f, ev.payload));
          pongs_sent++;
        }
        return;
      case EventKind::Pong:
        pongs_received++;
        return;
      case EventKind::Close:
        act(s.closing.on_close_frame(ev.code));
        return;
      case EventKind::Error:
        act(s.closing.fail(ev.code));
        return;
    }
  }

  // Inflates a compressed piece through a small bounded buffer, validating text as it grows.
  bool inflate_piece(const Event& ev) {
    char buf[256];
    size_t used = 0;
    while (true) {
      auto r = inflater.inflate(ev.payload.substr(used), ev.last, buf, sizeof buf);
      used += r.consumed;
      std::string_view got(buf, r.produced);
      if (message_op == Opcode::Text && !s.inflated_text.feed(got)) {
        act(s.closing.fail(close_code::kInvalidPayload));
        return false;
      }
      message.append(got);
      switch (r.status) {
        case MessageInflater::Status::OutputFull:
          continue;
        case MessageInflater::Status::NeedInput:
          return true;
        case MessageInflater::Status::Done:
          if (message_op == Opcode::Text && !s.inflated_text.complete()) {
            act(s.closing.fail(close_code::kInvalidPayload));
            return false;
          }
          return true;
        case MessageInflater::Status::TooBig:
          act(s.closing.fail(close_code::kMessageTooBig));
          return false;
        case MessageInflater::Status::Corrupt:
          act(s.closing.fail(close_code::kInvalidPayload));
          return false;
      }
    }
  }

  void act(const CloseHandshake::Action& a) {
    if (a.send_close) {
      char f[2 + kMaxControlPayload];
      out.append(f, encode_close(f, sizeof f, a.code, ""));
    }
    if (a.close_transport) transport_closed = true;
  }

  // The application closes (close(code, reason)).
  void close(uint16_t code, std::string_view reason = "") {
    auto a = s.closing.close(code);
    if (a.send_close) {
      char f[2 + kMaxControlPayload];
      out.append(f, encode_close(f, sizeof f, a.code, reason));
    }
  }

  void send_message(Opcode op, const std::string& m) {
    if (!s.closing.can_send()) return;
    char h[kMaxFrameHeader];
    if (s.deflater != nullptr) {
      s.framer.begin(op, true);
      std::vector<char> buf(fragment < MessageDeflater::kMinOutput ? MessageDeflater::kMinOutput
                                                                   : fragment);
      size_t used = 0;
      while (true) {
        auto r = deflater.compress(std::string_view(m).substr(used), true, buf.data(), buf.size());
        EXPECT_FALSE(r.error);
        if (r.error) return;  // never loop on a failed stream
        used += r.consumed;
        if (r.produced == 0 && !r.done) continue;
        OutFrame f = s.framer.next(h, std::string_view(buf.data(), r.produced), r.done);
        out.append(h, f.header_size);
        out.append(f.payload);
        if (r.done) return;
      }
    }
    s.framer.begin(op);
    size_t at = 0;
    do {
      size_t n = std::min(fragment, m.size() - at);
      bool last = at + n == m.size();
      OutFrame f = s.framer.next(h, std::string_view(m).substr(at, n), last);
      out.append(h, f.header_size);
      out.append(f.payload);
      at += n;
    } while (at < m.size());
  }
};

// zlib itself, as a client library would use it (its own malloc, not our streams): the
// client's side of permessage-deflate.
struct ZlibPeer {
  z_stream def{}, inf{};
  bool def_reset, inf_reset;
  // `send_bits`/`send_reset`: how the client compresses; `recv_bits`/`recv_reset`: how the
  // server compresses (what the client inflates).
  ZlibPeer(int send_bits, bool send_reset, int recv_bits, bool recv_reset)
      : def_reset(send_reset), inf_reset(recv_reset) {
    EXPECT_EQ(deflateInit2(&def, 6, Z_DEFLATED, -send_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    EXPECT_EQ(inflateInit2(&inf, -recv_bits), Z_OK);
  }
  ~ZlibPeer() {
    deflateEnd(&def);
    inflateEnd(&inf);
  }
  // One message, compressed with a sync flush and without its tail, cut into frames of at most
  // `frag` bytes (masked, RSV1 on the first).
  std::string message(Opcode op, const std::string& m, size_t frag = 4096) {
    if (def_reset) deflateReset(&def);
    std::string z(deflateBound(&def, uLong(m.size())) + 64, '\0');
    def.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
    def.avail_in = uInt(m.size());
    def.next_out = reinterpret_cast<Bytef*>(z.data());
    def.avail_out = uInt(z.size());
    EXPECT_EQ(deflate(&def, Z_SYNC_FLUSH), Z_OK);
    EXPECT_GT(def.avail_out, 0u);
    z.resize(z.size() - def.avail_out);
    EXPECT_EQ(z.substr(z.size() - 4), std::string("\x00\x00\xff\xff", 4));
    z.resize(z.size() - 4);
    std::string out;
    size_t at = 0;
    do {
      size_t n = std::min(frag, z.size() - at);
      bool last = at + n == z.size();
      uint8_t b0 = uint8_t((last ? 0x80 : 0) | (at == 0 ? 0x40 | uint8_t(op) : 0));
      out += frame(Raw{b0, z.substr(at, n)});
      at += n;
    } while (at < z.size());
    return out;
  }
  // Inflates one compressed message from the server ("<deflate data>" + the tail).
  std::string read(const std::string& wire) {
    if (inf_reset) inflateReset(&inf);
    std::string in = wire + std::string("\x00\x00\xff\xff", 4), out;
    inf.next_in = reinterpret_cast<Bytef*>(in.data());
    inf.avail_in = uInt(in.size());
    char buf[65536];
    while (inf.avail_in > 0) {
      inf.next_out = reinterpret_cast<Bytef*>(buf);
      inf.avail_out = sizeof buf;
      int ret = inflate(&inf, Z_SYNC_FLUSH);
      out.append(buf, sizeof buf - inf.avail_out);
      if (ret != Z_OK && ret != Z_BUF_ERROR) return "<zlib error>";
      if (ret == Z_BUF_ERROR && inf.avail_out > 0) break;
    }
    return out;
  }
};

// The client's view of what the endpoint wrote: server frames decoded (client role), compressed
// messages inflated by zlib.  Messages appear as in Transcript ("text:...", "close:1000:").
inline std::string client_reads(const std::string& server_out, const PmdParams& pmd = PmdParams{}) {
  DecoderConfig c;
  c.role = Role::Client;
  c.rsv1_allowed = pmd.enabled;
  c.max_message_bytes = uint64_t(1) << 40;
  FrameDecoder d(c);
  Transcript t = feed(d, server_out);
  if (!pmd.enabled) return t.str();
  ZlibPeer peer(15, false, pmd.server_window_bits < 9 ? 15 : pmd.server_window_bits,
                pmd.server_no_context_takeover);
  std::string result;
  for (const std::string& e : t.events) {
    size_t colon = e.find(':');
    std::string kind = e.substr(0, colon);
    if (kind == "text+z" || kind == "binary+z")
      result += kind.substr(0, kind.size() - 2) + ":" + peer.read(e.substr(colon + 1)) + "\n";
    else
      result += e + "\n";
  }
  return result;
}

}  // namespace wstest
