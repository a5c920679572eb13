#include "ws/frame_encoder.h"

#include <cstring>

#include "ws/utf8.h"

namespace viper::ws {

size_t write_frame_header(char* out, Opcode op, bool fin, bool rsv1, uint64_t payload_len,
                          const uint8_t* mask) {
  bool control = is_control(op);
  if (control && (!fin || rsv1 || payload_len > kMaxControlPayload)) return 0;
  if (payload_len >> 63) return 0;
  auto* o = reinterpret_cast<uint8_t*>(out);
  o[0] = uint8_t((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | uint8_t(op));
  uint8_t m = mask != nullptr ? 0x80 : 0;
  size_t n;
  // The shortest length encoding, as RFC 6455 §5.2 requires.
  if (payload_len < 126) {
    o[1] = uint8_t(m | payload_len);
    n = 2;
  } else if (payload_len <= 0xFFFF) {
    o[1] = uint8_t(m | 126);
    o[2] = uint8_t(payload_len >> 8);
    o[3] = uint8_t(payload_len);
    n = 4;
  } else {
    o[1] = uint8_t(m | 127);
    for (int i = 0; i < 8; i++)
      o[2 + i] = uint8_t(payload_len >> (56 - 8 * i));
    n = 10;
  }
  if (mask != nullptr) {
    std::memcpy(o + n, mask, 4);
    n += 4;
  }
  return n;
}

OutFrame encode_data_frame(char header[kMaxFrameHeader], Opcode op, bool fin, bool rsv1,
                           std::string_view payload) {
  OutFrame f;
  if (is_control(op)) return f;
  f.header_size = write_frame_header(header, op, fin, rsv1, payload.size());
  if (f.header_size > 0) f.payload = payload;
  return f;
}

namespace {

size_t encode_control(char* out, size_t cap, Opcode op, std::string_view payload) {
  if (payload.size() > kMaxControlPayload || cap < 2 + payload.size()) return 0;
  size_t n = write_frame_header(out, op, true, false, payload.size());
  if (!payload.empty()) std::memcpy(out + n, payload.data(), payload.size());
  return n + payload.size();
}

}  // namespace

size_t encode_ping(char* out, size_t cap, std::string_view payload) {
  return encode_control(out, cap, Opcode::Ping, payload);
}

size_t encode_pong(char* out, size_t cap, std::string_view payload) {
  return encode_control(out, cap, Opcode::Pong, payload);
}

size_t encode_close(char* out, size_t cap, uint16_t code, std::string_view reason) {
  if (code == 0) return reason.empty() ? encode_control(out, cap, Opcode::Close, {}) : 0;
  if (!close_code_valid(code) || reason.size() > kMaxCloseReason || !utf8_valid(reason)) return 0;
  char payload[kMaxControlPayload];
  payload[0] = char(code >> 8);
  payload[1] = char(code & 0xFF);
  if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
  return encode_control(out, cap, Opcode::Close, std::string_view(payload, 2 + reason.size()));
}

OutFrame MessageFramer::next(char header[kMaxFrameHeader], std::string_view payload, bool last) {
  if (!open_) return OutFrame{};
  OutFrame f = encode_data_frame(header, first_ ? op_ : Opcode::Continuation, last, first_ && rsv1_,
                                 payload);
  if (f.header_size == 0) return f;
  first_ = false;
  if (last) open_ = false;
  return f;
}

}  // namespace viper::ws
