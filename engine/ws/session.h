// The protocol state a WebSocket connection keeps between reads, apart from its buffers and
// its slot: what the connection code adds to a slot when it upgrades.  Nothing here points
// into a buffer, so an idle WebSocket holds no buffer at all; the zlib streams are borrowed
// (from a pool created at start-up) only when permessage-deflate was negotiated, and with
// no_context_takeover only while a compressed message is in flight.
#pragma once

#include "ws/close_handshake.h"
#include "ws/deflate.h"
#include "ws/extensions.h"
#include "ws/frame_decoder.h"
#include "ws/frame_encoder.h"
#include "ws/utf8.h"

namespace viper::ws {

struct Session {
  FrameDecoder decoder;         // incoming frames (validates uncompressed text itself)
  CloseHandshake closing;       // who closed, what to answer
  MessageFramer framer;         // the outgoing message being sent in fragments, if any
  Utf8Validator inflated_text;  // an inflated text message, validated as it is inflated
  PmdParams pmd;                // what permessage-deflate negotiated (enabled == false: off)
  MessageDeflater* deflater = nullptr;  // borrowed while compressing; nullptr otherwise
  MessageInflater* inflater = nullptr;  // borrowed while inflating; nullptr otherwise

  // Starts the protocol state of a freshly upgraded connection.
  void start(uint64_t max_message_bytes, const PmdParams& negotiated) {
    DecoderConfig c;
    c.max_message_bytes = max_message_bytes;
    c.rsv1_allowed = negotiated.enabled;
    c.role = Role::Server;
    decoder.configure(c);
    closing = CloseHandshake{};
    framer = MessageFramer{};
    inflated_text.reset();
    pmd = negotiated;
    deflater = nullptr;
    inflater = nullptr;
  }
};

}  // namespace viper::ws
