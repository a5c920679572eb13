// The close handshake of RFC 6455 §7 as a small state helper: who closed first, what to
// answer, when the TCP connection may go.  The caller writes the frames (encode_close) and
// runs the timers: a close timeout while waiting for the peer's answer, after which it drops
// the connection (code 1006 for the application).
//
//   Open ──close()/fail()──▶ CloseSent ──peer's close──▶ Closed
//     └────peer's close──▶ (answer sent) ─────────────▶ Closed
//
// A server closes the TCP connection first once the handshake is complete (§7.1.1), so
// every path ends with close_transport; the caller shuts its write side after the last frame
// has been flushed and lingers (reads and discards) until the peer's FIN or a short timeout.
#pragma once

#include <cstdint>

namespace viper::ws {

class CloseHandshake {
 public:
  enum class State : uint8_t {
    Open,       // messages flow both ways
    CloseSent,  // our close frame is out, the peer's is awaited (caller: close timeout)
    Closed,     // both sides have closed, or the connection failed: close TCP
  };
  enum class Initiator : uint8_t { None, Local, Peer };

  // What the caller must do now.
  struct Action {
    bool send_close = false;  // write a close frame with `code` (0: an empty close frame)
    uint16_t code = 0;
    bool close_transport = false;  // close the TCP connection once written frames are flushed
  };

  // The application (close(code, reason)) or the engine (shutdown: 1001) closes.  Sends a close
  // frame only the first time and only while open; the caller encodes `code` with its reason.
  Action close(uint16_t code);

  // A protocol violation (a decoder Error, 1002/1007/1009): a close frame with `code` if none
  // was sent yet, then the connection is dropped without waiting for the answer (§7.1.7).
  Action fail(uint16_t code);

  // The peer's close frame arrived (decoder Close event; `code` 1005 when it had none).  Open:
  // answer with a close frame echoing the code (an empty one for 1005), then close TCP.
  // CloseSent: the handshake is complete, close TCP.
  Action on_close_frame(uint16_t code);

  // The TCP connection ended (EOF, reset, or the caller's close timeout).  Without a close
  // frame from the peer the application sees 1006 (abnormal closure).
  void on_transport_closed();

  State state() const { return state_; }
  Initiator initiator() const { return initiator_; }
  // Data frames may be sent only while open (none after our close frame, §5.5.1).
  bool can_send() const { return state_ == State::Open; }
  // Received messages are handed to the application only while open; after our close frame,
  // what still arrives before the peer's close is read and discarded.
  bool delivers() const { return state_ == State::Open; }
  // The code of the application's WebSocketDisconnect: the peer's close code (1005 if its
  // close had none), the code we failed the connection with (1002/1007/1009), or 1006 when the
  // connection ended without a close frame; 0 while the connection is open.
  uint16_t disconnect_code() const { return disconnect_code_; }
  // The code of the close frame we sent (0: none sent, or an empty one).
  uint16_t sent_code() const { return sent_code_; }

 private:
  State state_ = State::Open;
  Initiator initiator_ = Initiator::None;
  uint16_t disconnect_code_ = 0;
  uint16_t sent_code_ = 0;
};

}  // namespace viper::ws
