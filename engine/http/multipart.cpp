#include "http/multipart.h"

#include <algorithm>
#include <cstring>

#include "http/header_params.h"

namespace viper::http {

namespace {

// Preamble: not at a line start (skip to the next LF).
constexpr uint8_t kNotLineStart = 0xff;
// Returned by the state steps when the state changed and parsing goes on in this call.
constexpr MultipartEvent kContinue = MultipartEvent(0xff);

// RFC 2046 §5.1.1 bchars.
bool is_bchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("'()+_,-./:=? ", c);
}

bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > MultipartParser::kMaxBoundary || b.back() == ' ') return false;
  for (char c : b)
    if (!is_bchar(c)) return false;
  return true;
}

}  // namespace

FormError multipart_boundary(std::string_view content_type, std::string_view* boundary) {
  if (!iequals(header_value_type(content_type), "multipart/form-data"))
    return FormError::NotMultipart;
  size_t pos = 0;
  HeaderParam p;
  int r;
  bool found = false;
  while ((r = header_param_next(content_type, &pos, &p)) == 1) {
    if (!iequals(p.name, "boundary")) continue;
    if (found) return FormError::BadBoundary;
    found = true;
    *boundary = p.value;
  }
  if (r < 0) return FormError::BadBoundary;
  if (!found) return FormError::NoBoundary;
  // A quoted boundary needs no unescaping: '\' and '"' are not bchars, so it is refused here.
  return valid_boundary(*boundary) ? FormError::None : FormError::BadBoundary;
}

FormError MultipartParser::start(std::string_view content_type, const MultipartLimits& limits) {
  std::string_view boundary;
  FormError e = multipart_boundary(content_type, &boundary);
  if (e != FormError::None) {
    state_ = State::Failed;
    error_ = e;
    return e;
  }
  return start_with_boundary(boundary, limits);
}

FormError MultipartParser::start_with_boundary(std::string_view boundary,
                                               const MultipartLimits& limits) {
  limits_ = limits;
  limits_.max_part_header_bytes =
      std::min<uint32_t>(limits.max_part_header_bytes, VIPER_MULTIPART_HEADER_BYTES_CAP);
  body_bytes_ = field_bytes_ = 0;
  parts_ = head_len_ = 0;
  match_ = head_term_ = 0;
  in_part_ = end_pending_ = false;
  part_ = MultipartPart();
  if (!valid_boundary(boundary)) {
    state_ = State::Failed;
    error_ = FormError::BadBoundary;
    return error_;
  }
  std::memcpy(delim_, "\r\n--", 4);
  std::memcpy(delim_ + 4, boundary.data(), boundary.size());
  delim_len_ = uint8_t(4 + boundary.size());
  for (uint8_t& k : skip_)
    k = delim_len_;
  for (size_t i = 0; i + 1 < delim_len_; i++)
    skip_[static_cast<unsigned char>(delim_[i])] = uint8_t(delim_len_ - 1 - i);
  state_ = State::Preamble;  // match_ == 0: the body starts at a line start
  error_ = FormError::None;
  return error_;
}

MultipartEvent MultipartParser::fail(FormError e) {
  state_ = State::Failed;
  error_ = e;
  return MultipartEvent::Error;
}

MultipartEvent MultipartParser::next(std::string_view* in, std::string_view* data) {
  if (state_ == State::Failed) return MultipartEvent::Error;
  if (end_pending_) {
    end_pending_ = false;
    return MultipartEvent::End;
  }
  // The body limit: parse only what is allowed; needing a byte beyond it is the error, so the
  // events of the allowed bytes come out first, however the body was split.
  uint64_t room = limits_.max_body_bytes - body_bytes_;
  std::string_view allowed = in->size() > room ? in->substr(0, size_t(room)) : *in;
  size_t offered = allowed.size();
  MultipartEvent ev = step(&allowed, data);
  size_t used = offered - allowed.size();
  body_bytes_ += used;
  in->remove_prefix(used);
  if (ev == MultipartEvent::NeedMore && !in->empty()) return fail(FormError::BodyTooLarge);
  return ev;
}

MultipartEvent MultipartParser::step(std::string_view* in, std::string_view* data) {
  for (;;) {
    MultipartEvent ev;
    if (state_ == State::Data) {
      ev = data_step(in, data);
    } else if (state_ == State::Headers) {
      ev = headers_step(in);
    } else if (state_ == State::Epilogue) {
      in->remove_prefix(in->size());
      return MultipartEvent::NeedMore;
    } else if (state_ == State::Failed) {
      return MultipartEvent::Error;
    } else if (state_ == State::Preamble) {
      // "--boundary" at a line start; nothing here is emitted, so no bytes are held.
      const char* s = in->data();
      const size_t n = in->size();
      const char* dash = delim_ + 2;
      const size_t dash_len = delim_len_ - 2u;
      size_t i = 0;
      ev = MultipartEvent::NeedMore;
      while (i < n) {
        if (match_ == kNotLineStart) {
          // A plain loop, not memchr: a preamble of short lines costs no call per line.
          while (i < n && s[i] != '\n')
            i++;
          if (i == n) break;
          i++;
          match_ = 0;
          continue;
        }
        char c = s[i];
        if (c == dash[match_]) {
          i++;
          if (++match_ == dash_len) {
            match_ = 0;
            state_ = State::Boundary;
            ev = kContinue;
            break;
          }
        } else if (match_ == 0 && (c == '\r' || c == '\n')) {
          i++;  // empty lines (and stray CRs) before the first boundary
        } else {
          match_ = kNotLineStart;  // look at c again: an LF starts a line
        }
      }
      in->remove_prefix(i);
    } else {
      // One byte decides each of the states after a delimiter.
      if (in->empty()) return MultipartEvent::NeedMore;
      char c = in->front();
      in->remove_prefix(1);
      ev = kContinue;
      switch (state_) {
        case State::Boundary:
          if (c == '-') {
            state_ = State::CloseDash;
          } else if (c == ' ' || c == '\t') {
            state_ = State::Padding;
          } else if (c == '\r') {
            state_ = State::BoundaryLF;
          } else {
            return fail(FormError::BadDelimiter);
          }
          break;
        case State::CloseDash:
          if (c != '-') return fail(FormError::BadDelimiter);
          state_ = State::Epilogue;
          if (!in_part_) return MultipartEvent::End;
          in_part_ = false;
          end_pending_ = true;
          return MultipartEvent::PartEnd;
        case State::Padding:
          if (c == '\r') {
            state_ = State::BoundaryLF;
          } else if (c != ' ' && c != '\t') {
            return fail(FormError::BadDelimiter);
          }
          break;
        case State::BoundaryLF: {
          if (c != '\n') return fail(FormError::BadDelimiter);
          state_ = State::Headers;
          head_len_ = 0;
          head_term_ = 2;  // the boundary line's CRLF: an empty line now ends the block
          bool ended = in_part_;
          in_part_ = false;
          if (++parts_ > limits_.max_parts) {
            fail(FormError::TooManyParts);
            return ended ? MultipartEvent::PartEnd : MultipartEvent::Error;
          }
          if (ended) return MultipartEvent::PartEnd;
          break;
        }
        default:
          return fail(FormError::BadDelimiter);  // not reached
      }
    }
    if (ev != kContinue) return ev;
  }
}

MultipartEvent MultipartParser::headers_step(std::string_view* in) {
  static constexpr char kTerm[] = "\r\n\r\n";
  const char* s = in->data();
  const size_t n = in->size();
  for (size_t i = 0; i < n;) {
    if (head_len_ == limits_.max_part_header_bytes) {
      in->remove_prefix(i);
      return fail(FormError::PartHeaderTooLarge);
    }
    char c = s[i++];
    head_[head_len_++] = c;
    if (c == kTerm[head_term_]) {
      head_term_++;
    } else {
      head_term_ = c == '\r' ? 1 : 0;
    }
    if (head_term_ < 4) continue;
    in->remove_prefix(i);
    // The block without the empty line; values that need unescaping go after it.
    std::string_view block(head_, head_len_ - 2u);
    FormError e = parse_part_headers(block, limits_.max_part_headers, head_ + head_len_, &part_);
    part_.index = parts_ - 1;
    if (e != FormError::None) return fail(e);
    state_ = State::Data;
    in_part_ = true;
    field_bytes_ = 0;
    match_ = 0;
    return MultipartEvent::PartBegin;
  }
  in->remove_prefix(n);
  return MultipartEvent::NeedMore;
}

MultipartEvent MultipartParser::emit_data(std::string_view piece, std::string_view* data) {
  if (!part_.is_file) {
    uint64_t room = limits_.max_field_bytes - field_bytes_;
    if (room == 0) return fail(FormError::FieldTooLarge);
    if (piece.size() > room) {
      // The field's first max_field_bytes bytes, then the error at the next call.
      field_bytes_ += room;
      *data = piece.substr(0, size_t(room));
      fail(FormError::FieldTooLarge);
      return MultipartEvent::PartData;
    }
  }
  field_bytes_ += piece.size();
  *data = piece;
  return MultipartEvent::PartData;
}

MultipartEvent MultipartParser::data_step(std::string_view* in, std::string_view* data) {
  const char* s = in->data();
  const size_t n = in->size();
  if (match_ > 0) {
    // The last piece ended with match_ bytes of the delimiter: go on matching.
    size_t i = 0;
    while (match_ < delim_len_ && i < n && s[i] == delim_[match_]) {
      i++;
      match_++;
    }
    in->remove_prefix(i);
    if (match_ == delim_len_) {
      match_ = 0;
      state_ = State::Boundary;
      return kContinue;
    }
    if (i == n) return MultipartEvent::NeedMore;
    // Not a delimiter after all: the held bytes were data.  They equal the delimiter's first
    // match_ bytes, so they come out of delim_; s[i] is looked at again next call (only the
    // delimiter's first byte is CR, so no match can start inside the held bytes).
    size_t held = match_;
    match_ = 0;
    return emit_data(std::string_view(delim_, held), data);
  }
  if (n == 0) return MultipartEvent::NeedMore;
  // Horspool over the alignments that fit in the piece: look at the byte under the
  // delimiter's last one and shift by how far that byte is from the delimiter's end (the
  // whole length when it is not in the delimiter).  A flood of CRs shifts by the delimiter's
  // length - 1 each time, so no input makes this slower than a few instructions per byte.
  const size_t last = delim_len_ - 1u;
  size_t j = 0;
  while (j + last < n) {
    const unsigned char c = static_cast<unsigned char>(s[j + last]);
    if (c == static_cast<unsigned char>(delim_[last]) && s[j] == '\r' &&
        std::memcmp(s + j + 1, delim_ + 1, last - 1) == 0) {
      if (j > 0) {  // the data before it first; the delimiter is found again next call
        in->remove_prefix(j);
        return emit_data(std::string_view(s, j), data);
      }
      in->remove_prefix(delim_len_);
      state_ = State::Boundary;
      return kContinue;
    }
    j += skip_[c];
  }
  // No delimiter starts before j.  One may start in [j, n) and run past the piece's end: only
  // at the last CR (the delimiter has no other CR), and only if the rest matches its prefix.
  size_t hold = 0;
  for (size_t at = n; at > j;) {  // fewer than delim_len_ bytes
    if (s[--at] != '\r') continue;
    if (std::memcmp(s + at, delim_, n - at) == 0) hold = n - at;
    break;
  }
  in->remove_prefix(n);
  match_ = uint8_t(hold);  // held: they come out of delim_ if they turn out to be data
  if (hold == n) return MultipartEvent::NeedMore;
  return emit_data(std::string_view(s, n - hold), data);
}

FormError MultipartParser::finish() {
  if (state_ == State::Failed) return error_;
  if (state_ == State::Epilogue) return FormError::None;
  fail(FormError::Truncated);
  return error_;
}

}  // namespace viper::http
