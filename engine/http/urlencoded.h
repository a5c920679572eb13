// Streaming application/x-www-form-urlencoded tokenizer, for bodies larger than one buffer.
// engine/http/query.h reads a query string (or a body) held whole; this takes the body in
// pieces split anywhere and yields each field's name and value as decoded pieces, with the same
// rules as query_next + the Python package's unquote_plus:
// - fields are separated by '&' only (not ';', as the WHATWG URL standard and
//   python/viperhttp/_urlencoding.parse_qsl); empty fields ("a=1&&b") are skipped;
// - the first '=' separates the name from the value; a field without '=' has an empty value;
// - '+' is a space, %XX a byte; a '%' not followed by two hex digits is kept as it is (as
//   browsers, Starlette and unquote_plus do), so no body is malformed.
//
// Decoding is done in place: the piece views point into the caller's buffer, which `next`
// overwrites (decoded bytes are never more than the raw ones), except a kept "%" or "%X" whose
// next byte only arrived in a later piece: that comes out of the tokenizer's own storage.
//
//   UrlencodedParser p;  p.start(limits);
//   for each piece (mutable bytes):  size_t used;  std::string_view out;
//     while ((ev = p.next(buf, len, &used, &out)) != UrlencodedEvent::NeedMore) {
//       buf += used; len -= used;
//       Name / Value: `out` is the next piece of the current field's name / value (never
//       empty); FieldEnd: the field is complete; Error: p.error(); stop }
//   at the end of the body: p.finish(), then next(nullptr, 0, ...) until End.
//
// The same body gives the same events however it is split, once adjacent Name (Value) pieces
// are joined (tests/fuzz/fuzz_urlencoded.cpp).
//
// Limits (status 413, FormError): more than max_fields fields (checked when a field begins),
// more than max_field_bytes raw bytes of name and value in one field (the '=' not counted;
// the pieces before the excess come out first), more than max_body_bytes bytes in all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/form_error.h"
#include "viper/config.h"

namespace viper::http {

struct UrlencodedLimits {
  uint32_t max_fields = VIPER_DEFAULT_FORM_MAX_PARTS;
  uint64_t max_field_bytes = VIPER_DEFAULT_FORM_MAX_FIELD_BYTES;
  uint64_t max_body_bytes = UINT64_MAX;
};

enum class UrlencodedEvent : uint8_t {
  NeedMore,  // every byte offered was consumed; offer more, or finish()
  Name,      // a piece of the current field's name
  Value,     // a piece of the current field's value
  FieldEnd,  // the current field is complete
  End,       // after finish(): the body is complete (returned again on every later call)
  Error,     // error() says why; returned again on every later call
};

class UrlencodedParser {
 public:
  void start(const UrlencodedLimits& limits = {});

  // Decodes from buf[0..len) in place; *used is how many bytes were consumed (the caller
  // advances by it).  A Name/Value piece is valid until the caller changes its buffer or, when
  // it points into the tokenizer, until the next call.
  UrlencodedEvent next(char* buf, size_t len, size_t* used, std::string_view* piece);

  // The body has ended: next() then yields what is left (a kept '%', the last FieldEnd), End.
  void finish() { ended_ = true; }

  FormError error() const { return error_; }
  uint32_t fields() const { return fields_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State : uint8_t { Between, Name, Value, Done, Failed };

  UrlencodedEvent fail(FormError e);
  UrlencodedEvent scan(char* buf, size_t len, size_t* used, std::string_view* piece);
  UrlencodedEvent piece_event() const {
    return state_ == State::Name ? UrlencodedEvent::Name : UrlencodedEvent::Value;
  }

  UrlencodedLimits limits_;
  uint64_t body_bytes_ = 0;
  uint64_t field_bytes_ = 0;  // raw bytes of the current field's name and value
  uint32_t fields_ = 0;
  State state_ = State::Failed;
  FormError error_ = FormError::None;
  bool ended_ = false;
  uint8_t esc_len_ = 0;  // bytes of a '%' escape held from the last piece: 0, 1 "%", 2 "%X"
  char esc_[2] = {};
};

}  // namespace viper::http
