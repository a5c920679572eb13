// WebSocket frame encoder (RFC 6455 §5.2) for the frames a server sends.
//
// Server frames are not masked.  A data frame is written as a header into the caller's small
// buffer plus the payload as a view, so a large payload is sent with one gather write
// (header iovec + payload iovec) and never copied; control frames are small (at most 127
// bytes) and are written whole.  Nothing allocates; every function reports a buffer that is too
// small or an argument the protocol forbids instead of writing something invalid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ws/protocol.h"

namespace viper::ws {

// Header bytes a frame with `payload_len` bytes takes: 2, 4 or 10, plus 4 when masked.
constexpr size_t frame_header_size(uint64_t payload_len, bool masked = false) {
  return (payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0);
}

// Writes a frame header into out (room for kMaxFrameHeader bytes) and returns its size, or 0
// when the header would be invalid: a control opcode with FIN clear, RSV1 or more than 125
// bytes, a length with its top bit set.  `mask` (4 bytes) makes a client frame: the caller
// then masks the payload itself (apply_mask in ws/mask.h); servers pass nullptr.
size_t write_frame_header(char* out, Opcode op, bool fin, bool rsv1, uint64_t payload_len,
                          const uint8_t* mask = nullptr);

// A frame as two pieces: header[0..header_size) then payload, for a gather write.
struct OutFrame {
  size_t header_size = 0;    // 0: the frame could not be encoded
  std::string_view payload;  // borrowed from the caller
};

// One data frame (Text, Binary or Continuation) of `payload`; header into `header`.
OutFrame encode_data_frame(char header[kMaxFrameHeader], Opcode op, bool fin, bool rsv1,
                           std::string_view payload);

// Whole control frames written into out[0..cap); each returns the frame's size, or 0 when the
// payload is too long (> 125 bytes) or cap too small (127 bytes always suffice).
size_t encode_ping(char* out, size_t cap, std::string_view payload);
size_t encode_pong(char* out, size_t cap, std::string_view payload);

// A close frame.  code 0 sends an empty close (no status: what answers a close that had none);
// otherwise `code` must be close_code_valid (1005/1006/1015 are never sent) and `reason` at most
// 123 bytes of valid UTF-8.  Returns 0 for anything else: the caller chooses what to do with a
// reason that does not fit (the Python API refuses it).
size_t encode_close(char* out, size_t cap, uint16_t code, std::string_view reason);

// The frames of one outgoing data message, sent as one frame or as fragments (when the
// message is larger than what the caller sends at once, or produced piece by piece by the
// deflater): the first frame carries the opcode and RSV1, the others are continuations.
class MessageFramer {
 public:
  // Starts a Text or Binary message; `compressed` sets RSV1 on its first frame.
  void begin(Opcode op, bool compressed = false) {
    op_ = op;
    rsv1_ = compressed;
    first_ = true;
    open_ = true;
  }
  // The next frame of the message: `last` ends it.  Returns header_size 0 when no message is
  // open.  Control frames may be sent between two calls.
  OutFrame next(char header[kMaxFrameHeader], std::string_view payload, bool last);
  bool open() const { return open_; }

 private:
  Opcode op_ = Opcode::Text;
  bool rsv1_ = false;
  bool first_ = true;
  bool open_ = false;
};

}  // namespace viper::ws
