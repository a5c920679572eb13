#include "ws/frame_decoder.h"

#include "ws/mask.h"

namespace viper::ws {

uint16_t close_code_of(DecodeError e) {
  switch (e) {
    case DecodeError::InvalidCloseReason:
    case DecodeError::InvalidUtf8:
      return close_code::kInvalidPayload;
    case DecodeError::MessageTooBig:
      return close_code::kMessageTooBig;
    case DecodeError::None:
      return close_code::kNormal;
    default:
      return close_code::kProtocolError;
  }
}

std::string_view name_of(DecodeError e) {
  switch (e) {
    case DecodeError::None:
      return "none";
    case DecodeError::ReservedBits:
      return "reserved_bits";
    case DecodeError::ReservedOpcode:
      return "reserved_opcode";
    case DecodeError::MaskMissing:
      return "mask_missing";
    case DecodeError::MaskUnexpected:
      return "mask_unexpected";
    case DecodeError::NonMinimalLength:
      return "non_minimal_length";
    case DecodeError::LengthTooLarge:
      return "length_too_large";
    case DecodeError::ControlTooLong:
      return "control_too_long";
    case DecodeError::ControlFragmented:
      return "control_fragmented";
    case DecodeError::UnexpectedContinuation:
      return "unexpected_continuation";
    case DecodeError::ExpectedContinuation:
      return "expected_continuation";
    case DecodeError::CloseLength1:
      return "close_length_1";
    case DecodeError::InvalidCloseCode:
      return "invalid_close_code";
    case DecodeError::InvalidCloseReason:
      return "invalid_close_reason";
    case DecodeError::InvalidUtf8:
      return "invalid_utf8";
    case DecodeError::MessageTooBig:
      return "message_too_big";
  }
  return "unknown";
}

namespace {

bool reserved(uint8_t op) {
  return (op >= 0x3 && op <= 0x7) || op >= 0xB;
}

// A parsed frame header.
struct Head {
  size_t size;   // header bytes, incl. extended length and masking key
  uint64_t len;  // payload length
  uint8_t key[4];
  Opcode op;
  bool fin;
  bool rsv1;
};

}  // namespace

void FrameDecoder::configure(const DecoderConfig& c) {
  max_message_ = c.max_message_bytes;
  rsv1_allowed_ = c.rsv1_allowed;
  server_ = c.role == Role::Server;
  reset();
}

void FrameDecoder::reset() {
  remaining_ = 0;
  message_bytes_ = 0;
  phase_ = 0;
  state_ = State::Header;
  error_ = DecodeError::None;
  in_message_ = false;
  compressed_ = false;
  started_ = false;
  fin_ = false;
  utf8_.reset();
}

Event FrameDecoder::fail(DecodeError e, size_t len) {
  state_ = State::Failed;
  error_ = e;
  Event ev;
  ev.kind = EventKind::Error;
  ev.error = e;
  ev.code = close_code_of(e);
  ev.consumed = len;  // nothing more will be read
  return ev;
}

// Every check is made as soon as the bytes it needs are there, in a fixed order, so the
// error found does not depend on how the header was split across reads.
static int parse_head(const uint8_t* p, size_t n, bool in_message, bool rsv1_allowed, bool server,
                      uint64_t max_more, Head* h, DecodeError* err) {
  if (n < 1) return 0;
  uint8_t b0 = p[0];
  uint8_t op = b0 & 0x0F;
  h->fin = (b0 & 0x80) != 0;
  h->rsv1 = (b0 & 0x40) != 0;
  h->op = Opcode(op);
  bool control = (op & 0x8) != 0;
  if (b0 & 0x30) return *err = DecodeError::ReservedBits, -1;
  if (reserved(op)) return *err = DecodeError::ReservedOpcode, -1;
  // RSV1 means "compressed message" (RFC 7692 §6): only with the extension, and only on the
  // first frame of a data message.
  if (h->rsv1 && (!rsv1_allowed || control || op == 0)) return *err = DecodeError::ReservedBits, -1;
  if (control && !h->fin) return *err = DecodeError::ControlFragmented, -1;
  if (op == 0 && !in_message) return *err = DecodeError::UnexpectedContinuation, -1;
  if ((op == 1 || op == 2) && in_message) return *err = DecodeError::ExpectedContinuation, -1;
  if (n < 2) return 0;
  uint8_t b1 = p[1];
  bool masked = (b1 & 0x80) != 0;
  if (server && !masked) return *err = DecodeError::MaskMissing, -1;
  if (!server && masked) return *err = DecodeError::MaskUnexpected, -1;
  uint64_t len = b1 & 0x7F;
  size_t size = 2;
  if (control && len > kMaxControlPayload) return *err = DecodeError::ControlTooLong, -1;
  if (len == 126) {
    if (n < 4) return 0;
    len = uint64_t(p[2]) << 8 | p[3];
    if (len < 126) return *err = DecodeError::NonMinimalLength, -1;
    size = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; i++)
      len = len << 8 | p[i];
    if (len >> 63) return *err = DecodeError::LengthTooLarge, -1;
    if (len <= 0xFFFF) return *err = DecodeError::NonMinimalLength, -1;
    size = 10;
  }
  // The message limit is judged from the header, before any of the payload is read.
  if (!control && len > max_more) return *err = DecodeError::MessageTooBig, -1;
  if (masked) {
    if (n < size + 4) return 0;
    for (int i = 0; i < 4; i++)
      h->key[i] = p[size + i];
    size += 4;
  }
  h->size = size;
  h->len = len;
  return 1;
}

Event FrameDecoder::control(uint8_t* payload, size_t n, size_t consumed) {
  Event ev;
  ev.consumed = consumed;
  ev.payload = std::string_view(reinterpret_cast<char*>(payload), n);
  if (frame_ == Opcode::Ping) {
    ev.kind = EventKind::Ping;
    return ev;
  }
  if (frame_ == Opcode::Pong) {
    ev.kind = EventKind::Pong;
    return ev;
  }
  // Close (RFC 6455 §5.5.1): empty, or a 2-byte code and a UTF-8 reason.
  if (n == 1) return fail(DecodeError::CloseLength1, consumed);
  ev.kind = EventKind::Close;
  ev.code = close_code::kNoStatus;
  if (n >= 2) {
    ev.code = uint16_t(payload[0] << 8 | payload[1]);
    if (!close_code_valid(ev.code)) return fail(DecodeError::InvalidCloseCode, consumed);
    ev.payload.remove_prefix(2);
    if (!utf8_valid(ev.payload)) return fail(DecodeError::InvalidCloseReason, consumed);
  }
  state_ = State::Closed;
  return ev;
}

Event FrameDecoder::decode(char* buf, size_t len) {
  auto* p = reinterpret_cast<uint8_t*>(buf);
  size_t pos = 0;
  Event ev;
  for (;;) {
    switch (state_) {
      case State::Closed:
        // After a close frame nothing more is read (RFC 6455 §5.5.1): drop it.
        ev.consumed = len;
        return ev;
      case State::Failed:
        return fail(error_, len);
      case State::Header: {
        Head h;
        DecodeError err = DecodeError::None;
        uint64_t max_more = max_message_ - (in_message_ ? message_bytes_ : 0);
        int r =
            parse_head(p + pos, len - pos, in_message_, rsv1_allowed_, server_, max_more, &h, &err);
        if (r < 0) return fail(err, len);
        if (r == 0) {
          ev.consumed = pos;
          return ev;
        }
        frame_ = h.op;
        if (is_control(h.op)) {
          // Reported whole: wait until all of it is in the buffer.
          if (len - pos < h.size + h.len) {
            ev.consumed = pos;
            return ev;
          }
          uint8_t* payload = p + pos + h.size;
          if (server_) apply_mask(payload, size_t(h.len), h.key, 0);
          return control(payload, size_t(h.len), pos + h.size + size_t(h.len));
        }
        pos += h.size;
        if (h.op != Opcode::Continuation) {
          in_message_ = true;
          message_ = h.op;
          compressed_ = h.rsv1;
          started_ = false;
          message_bytes_ = 0;
          utf8_.reset();
        }
        message_bytes_ += h.len;
        remaining_ = h.len;
        fin_ = h.fin;
        phase_ = 0;
        if (server_)
          for (int i = 0; i < 4; i++)
            key_[i] = h.key[i];
        state_ = State::Payload;
        if (remaining_ > 0) break;
        // An empty frame: it only matters when it ends the message.
        state_ = State::Header;
        if (!fin_) break;
        if (message_ == Opcode::Text && !compressed_ && !utf8_.complete())
          return fail(DecodeError::InvalidUtf8, len);
        ev.kind = EventKind::Data;
        ev.consumed = pos;
        ev.payload = std::string_view(buf + pos, 0);
        ev.message = message_;
        ev.first = !started_;
        ev.last = true;
        ev.compressed = compressed_;
        in_message_ = false;
        return ev;
      }
      case State::Payload: {
        size_t avail = len - pos;
        if (avail == 0) {
          ev.consumed = pos;
          return ev;
        }
        size_t n = remaining_ < avail ? size_t(remaining_) : avail;
        uint8_t* piece = p + pos;
        if (server_) phase_ = apply_mask(piece, n, key_, phase_);
        remaining_ -= n;
        pos += n;
        bool end = remaining_ == 0 && fin_;
        ev.kind = EventKind::Data;
        ev.payload = std::string_view(buf + (pos - n), n);
        ev.message = message_;
        ev.first = !started_;
        ev.last = end;
        ev.compressed = compressed_;
        if (message_ == Opcode::Text && !compressed_) {
          size_t bad = 0;
          bool ok = utf8_.feed(ev.payload, &bad);
          if (!ok || (end && !utf8_.complete())) {
            // Fail fast, but hand on the valid bytes before the bad one first, so what is
            // delivered does not depend on where the reads split the message.
            state_ = State::Failed;
            error_ = DecodeError::InvalidUtf8;
            if (!ok) ev.payload = ev.payload.substr(0, bad);
            if (ev.payload.empty()) return fail(DecodeError::InvalidUtf8, len);
            ev.consumed = pos - n + ev.payload.size();
            ev.last = false;
            started_ = true;
            return ev;
          }
        }
        started_ = true;
        if (remaining_ == 0) {
          state_ = State::Header;
          if (end) in_message_ = false;
        }
        ev.consumed = pos;
        return ev;
      }
    }
  }
}

}  // namespace viper::ws
