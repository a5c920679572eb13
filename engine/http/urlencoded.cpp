#include "http/urlencoded.h"

namespace viper::http {

namespace {

// What a byte needs: 0 a copy, 1 ('+') a space, 2 ('%') decoding, 3 ('&', '=') the slow path;
// and each byte's hex value (-1 if none).
struct Tables {
  uint8_t kind[256] = {};
  int8_t hex[256];
};
constexpr Tables kTables = [] {
  Tables t;
  for (int c = 0; c < 256; c++)
    t.hex[c] = int8_t(c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1);
  t.kind[static_cast<unsigned char>('+')] = 1;
  t.kind[static_cast<unsigned char>('%')] = 2;
  t.kind[static_cast<unsigned char>('&')] = 3;
  t.kind[static_cast<unsigned char>('=')] = 3;
  return t;
}();

int hex_value(char c) {
  return kTables.hex[static_cast<unsigned char>(c)];
}

}  // namespace

void UrlencodedParser::start(const UrlencodedLimits& limits) {
  limits_ = limits;
  body_bytes_ = field_bytes_ = 0;
  fields_ = 0;
  state_ = State::Between;
  error_ = FormError::None;
  ended_ = false;
  esc_len_ = 0;
}

UrlencodedEvent UrlencodedParser::fail(FormError e) {
  state_ = State::Failed;
  error_ = e;
  return UrlencodedEvent::Error;
}

UrlencodedEvent UrlencodedParser::next(char* buf, size_t len, size_t* used,
                                       std::string_view* piece) {
  *used = 0;
  if (state_ == State::Failed) return UrlencodedEvent::Error;
  if (state_ == State::Done) return UrlencodedEvent::End;
  // As MultipartParser: the events of the allowed bytes first, then the error.
  uint64_t room = limits_.max_body_bytes - body_bytes_;
  size_t allowed = len > room ? size_t(room) : len;
  UrlencodedEvent ev = scan(buf, allowed, used, piece);
  body_bytes_ += *used;
  if (ev != UrlencodedEvent::NeedMore) return ev;
  if (len > *used) return fail(FormError::BodyTooLarge);
  if (!ended_) return ev;
  if (esc_len_ > 0) {  // a '%' (and a hex digit) with nothing after: kept as they are
    *piece = std::string_view(esc_, esc_len_);
    esc_len_ = 0;
    return piece_event();
  }
  if (state_ == State::Name || state_ == State::Value) {
    state_ = State::Between;
    return UrlencodedEvent::FieldEnd;
  }
  state_ = State::Done;
  return UrlencodedEvent::End;
}

UrlencodedEvent UrlencodedParser::scan(char* buf, size_t n, size_t* used, std::string_view* piece) {
  size_t i = 0, w = 0;    // read and write positions: w <= i always
  bool esc_here = false;  // the held escape's bytes are in this buffer (before i)
  auto out = [&](UrlencodedEvent ev) {
    *used = i;
    *piece = std::string_view(buf, w);
    return ev;
  };
  while (i < n) {
    char c = buf[i];
    if (esc_len_ > 0) {
      if (hex_value(c) >= 0) {
        if (field_bytes_ == limits_.max_field_bytes) {
          if (w > 0) return out(piece_event());
          *used = i;
          return fail(FormError::FieldTooLarge);
        }
        field_bytes_++;
        i++;
        if (esc_len_ == 1) {
          esc_[1] = c;
          esc_len_ = 2;
        } else {
          buf[w++] = char(hex_value(esc_[1]) * 16 + hex_value(c));
          esc_len_ = 0;
        }
        continue;
      }
      // Not an escape: its bytes are kept as they are, and c is looked at again.
      if (!esc_here) {
        // They came in an earlier piece, and only this piece's first byte may have been
        // consumed since: no room to write them here, so they come from esc_.
        *used = i;
        *piece = std::string_view(esc_, esc_len_);
        esc_len_ = 0;
        return piece_event();
      }
      for (uint8_t k = 0; k < esc_len_; k++)
        buf[w++] = esc_[k];
      esc_len_ = 0;
      continue;
    }
    if (state_ == State::Between) {
      if (c == '&') {
        i++;
        continue;
      }
      if (fields_ == limits_.max_fields) {
        *used = i;
        return fail(FormError::TooManyFields);
      }
      fields_++;
      field_bytes_ = 0;
      state_ = State::Name;
      continue;
    }
    {
      // The common case in one loop: plain bytes, '+' and complete %XX escapes, decoded down
      // over what earlier escapes saved, as far as the field limit allows.  Anything else (a
      // separator, an escape cut by the piece's end or the limit) takes the path below.
      const uint64_t room = limits_.max_field_bytes - field_bytes_;
      const size_t end = room < n - i ? i + size_t(room) : n;
      const size_t from = i;
      while (i < end) {
        const unsigned char b = static_cast<unsigned char>(buf[i]);
        const uint8_t kind = kTables.kind[b];
        if (kind == 0) {
          buf[w++] = char(b);
          i++;
        } else if (kind == 1) {
          buf[w++] = ' ';
          i++;
        } else if (kind == 2 && end - i >= 3) {
          int hi = kTables.hex[static_cast<unsigned char>(buf[i + 1])];
          int lo = kTables.hex[static_cast<unsigned char>(buf[i + 2])];
          if (hi < 0 || lo < 0) break;
          buf[w++] = char(hi * 16 + lo);
          i += 3;
        } else {
          break;
        }
      }
      field_bytes_ += i - from;
      if (i == n) break;
      c = buf[i];
    }
    if (c == '&') {
      if (w > 0) return out(piece_event());
      state_ = State::Between;
      i++;
      return out(UrlencodedEvent::FieldEnd);
    }
    if (c == '=' && state_ == State::Name) {
      if (w > 0) return out(UrlencodedEvent::Name);
      state_ = State::Value;
      i++;
      continue;
    }
    if (field_bytes_ == limits_.max_field_bytes) {
      if (w > 0) return out(piece_event());
      *used = i;
      return fail(FormError::FieldTooLarge);
    }
    field_bytes_++;
    i++;
    if (c == '%') {
      esc_[0] = '%';
      esc_len_ = 1;
      esc_here = true;
    } else {
      buf[w++] = c == '+' ? ' ' : c;
    }
  }
  if (w > 0) return out(piece_event());
  *used = n;
  return UrlencodedEvent::NeedMore;
}

}  // namespace viper::http
