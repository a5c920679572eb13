// Incremental WebSocket frame decoder (RFC 6455 §5) over a byte buffer the caller owns.
//
// The caller keeps the bytes it has received but the decoder has not consumed at the start of
// its buffer (the connection's input buffer), appends what the next read brings, and calls
// `decode(buf, len)` until it answers NeedMore; after each call it drops `consumed` bytes from
// the front.  Any split works, down to one byte per read: the events, the message payloads
// (concatenated) and the errors do not depend on it (the fuzzer checks this).
//
//   - Data payloads are handed on in pieces, as they arrive: a `Data` event's payload is a view
//     into `buf`, unmasked in place, so a message larger than the buffer passes through without
//     being copied.  The view stays valid until the caller reuses those bytes.
//   - A frame header (at most 14 bytes) and a whole control frame (at most 131 bytes) are only
//     consumed once they are entirely in the buffer; until then decode consumes nothing of them
//     and answers NeedMore, so the caller must keep at least 131 bytes of room (its buffer is
//     KBs) and move unconsumed bytes to the front when it runs out of room at the end.
//   - A control frame is reported whole (Ping, Pong, Close), also between the fragments of a
//     data message, as RFC 6455 §5.4 allows.
//   - Violations end the connection: an `Error` event carries the close code to send (1002
//     protocol error, 1007 invalid payload, 1009 too big); the decoder then stays failed.
//
// Text messages are UTF-8-validated here as they arrive (fail fast: the bytes before the first
// invalid one are still handed on, then the error follows), except compressed ones: their
// payload is deflate data, which the caller inflates and validates with its own Utf8Validator.
//
// State: 40 bytes, no allocation, no pointers into the buffer between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ws/protocol.h"
#include "ws/utf8.h"

namespace viper::ws {

// Which end decodes: a server decodes client frames, which must be masked (RFC 6455 §5.1); a
// client decodes server frames, which must not be.  (The engine is a server; the client role
// serves the tests and the fuzzer, which decode what the encoder wrote.)
enum class Role : uint8_t { Server, Client };

// Default maximum message size (the runtime option ws_max_message_bytes overrides it): 16 MiB
// on a PC, as uvicorn's ws_max_size; 64 KiB on the device, as its max_body_bytes.
#ifndef VIPER_WS_DEFAULT_MAX_MESSAGE_BYTES
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_WS_DEFAULT_MAX_MESSAGE_BYTES (64u << 10)
#else
#define VIPER_WS_DEFAULT_MAX_MESSAGE_BYTES (16u << 20)
#endif
#endif

struct DecoderConfig {
  // Payload of one data message, over all its fragments (after inflating, for the inflater).
  uint64_t max_message_bytes = VIPER_WS_DEFAULT_MAX_MESSAGE_BYTES;
  bool rsv1_allowed = false;  // permessage-deflate negotiated (RFC 7692 §6)
  Role role = Role::Server;
};

// Why a connection is failed; `close_code_of` maps each to the close code to send.
enum class DecodeError : uint8_t {
  None,
  ReservedBits,            // RSV2/RSV3, or RSV1 where no extension allows it            1002
  ReservedOpcode,          // 3-7, 0xB-0xF                                                 1002
  MaskMissing,             // a client frame without a mask (server role)                 1002
  MaskUnexpected,          // a masked server frame (client role)                         1002
  NonMinimalLength,        // a 16-bit length < 126 or a 64-bit length < 65536            1002
  LengthTooLarge,          // a 64-bit length with its most significant bit set           1002
  ControlTooLong,          // a control frame with more than 125 bytes of payload         1002
  ControlFragmented,       // a control frame without FIN                                 1002
  UnexpectedContinuation,  // a continuation frame outside a fragmented message         1002
  ExpectedContinuation,    // a new text/binary frame inside a fragmented message         1002
  CloseLength1,            // a close payload of one byte (a code needs two)              1002
  InvalidCloseCode,        // a close code that may not be sent (see close_code_valid)    1002
  InvalidCloseReason,      // a close reason that is not UTF-8                            1007
  InvalidUtf8,             // a text message that is not UTF-8                            1007
  MessageTooBig,           // a data message above max_message_bytes                     1009
};

uint16_t close_code_of(DecodeError e);
std::string_view name_of(DecodeError e);  // "reserved_bits", ... (for logs and stats)

enum class EventKind : uint8_t {
  NeedMore,  // nothing more to report until more bytes arrive (consumed may still be > 0)
  Data,      // a piece of a data message
  Ping,      // a whole ping; payload = its application data (answer with a pong of it)
  Pong,      // a whole pong
  Close,     // a valid close frame; code and reason given.  Later input is discarded.
  Error,     // the connection must be failed with close code `code` (see `error`)
};

struct Event {
  EventKind kind = EventKind::NeedMore;
  size_t consumed = 0;            // bytes at the front of buf the caller may drop now (any kind)
  std::string_view payload;       // Data: the piece; Ping/Pong: the payload; Close: the reason
  Opcode message = Opcode::Text;  // Data: Text or Binary, the opcode of the message
  bool first = false;             // Data: the first piece of its message
  bool last = false;              // Data: the last piece (may be empty: a message can end on an
                                  // empty final frame)
  bool compressed = false;        // Data: the message had RSV1 (permessage-deflate): raw deflate
  uint16_t code = 0;  // Close: the code received (1005 if none); Error: the code to send
  DecodeError error = DecodeError::None;  // Error: why
};

class FrameDecoder {
 public:
  FrameDecoder() = default;
  explicit FrameDecoder(const DecoderConfig& c) { configure(c); }
  // Sets the limits and starts over (a new connection).
  void configure(const DecoderConfig& c);
  void reset();

  // Decodes from buf[0..len): see the file comment.  Unmasks payload bytes in place.
  Event decode(char* buf, size_t len);

  // A data message has started and not ended (fragments or payload still due).
  bool in_message() const { return in_message_; }
  bool closed() const { return state_ == State::Closed; }
  bool failed() const { return state_ == State::Failed; }

 private:
  enum class State : uint8_t { Header, Payload, Closed, Failed };

  Event fail(DecodeError e, size_t len);
  // Parses the header at buf[0..len): the header's size when complete and valid, 0 when
  // incomplete (nothing consumed), or -1 after fail().
  long header(const uint8_t* p, size_t len, Event* ev);
  Event control(uint8_t* payload, size_t n, size_t consumed);

  uint64_t max_message_ = 0;
  uint64_t remaining_ = 0;      // payload bytes of the current data frame still to come
  uint64_t message_bytes_ = 0;  // payload bytes of the current message, counted at each header
  uint8_t key_[4] = {};         // masking key of the current data frame
  uint8_t phase_ = 0;           // position in the payload mod 4, for unmasking pieces
  State state_ = State::Header;
  DecodeError error_ = DecodeError::None;
  Opcode message_ = Opcode::Text;  // opcode of the message in progress
  Opcode frame_ = Opcode::Text;    // opcode of the frame whose header was parsed last
  bool fin_ = false;               // FIN of the current data frame
  bool in_message_ = false;
  bool compressed_ = false;  // RSV1 on the message's first frame
  bool started_ = false;     // the message's first Data event has been reported
  bool rsv1_allowed_ = false;
  bool server_ = true;
  Utf8Validator utf8_;
};

}  // namespace viper::ws
