// Streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1).
//
// The body is fed in pieces as they arrive, split anywhere; the parser never allocates and
// holds no body bytes: part data comes out as views into the piece it was given, except for
// the few bytes at the end of a piece that might begin a delimiter ("\r\n--boundary"), which
// wait for the next piece — and since they are a prefix of the delimiter, the parser hands
// them out, if they turn out to be data after all, as a view into its own copy of the
// delimiter.  So a 100 MB file streams through a parser of fixed size (sizeof(MultipartParser):
// 2,536 bytes on x86-64, most of it the part header buffer, twice
// VIPER_MULTIPART_HEADER_BYTES_CAP).
//
// Pull interface: the caller offers bytes and takes one event per call, so it consumes the
// body exactly as fast as it can deliver events (the connection code reads the socket no
// faster: back-pressure falls out of the interface):
//
//   MultipartParser p;
//   if (FormError e = p.start(content_type, limits); e != FormError::None) -> status_of(e)
//   for each piece of body:
//     std::string_view in = piece, data;
//     for (;;) {
//       MultipartEvent ev = p.next(&in, &data);
//       if (ev == MultipartEvent::NeedMore) break;   // `in` is empty: every byte was taken
//       PartBegin: p.part() describes it;  PartData: `data`;  PartEnd;  End;
//       Error: p.error() -> status_of(), detail_of(); stop
//     }
//   at the end of the body: p.finish() == FormError::None, or the error (Truncated)
//
// `next` removes what it consumed from the front of *in.  A PartData view is valid until the
// caller changes those bytes of its buffer, or (when it points into the parser) until the next
// call.  The same body gives the same events however it is split, once adjacent PartData
// pieces are joined (tests/fuzz/fuzz_multipart.cpp checks whole, byte-at-a-time and random
// splits against each other).
//
// Framing rules (tests/engine/test_multipart.cpp has one or more tests for each):
// - The delimiter is CRLF "--" boundary.  The first one may also be "--" boundary at the start
//   of the body, or at the start of any preamble line (after LF; CR and LF at a line start are
//   skipped, so "\r\n\r\n--b" and "\n--b" work as in python-multipart).  The preamble (bytes
//   before the first delimiter) and the epilogue (after the close delimiter) are ignored.
// - After a delimiter: "--" ends the body (close delimiter); otherwise transport padding (SP,
//   HTAB) and CRLF start the next part's headers; any other byte is BadDelimiter.  RFC 2046
//   says a line that starts with the delimiter is one ("an exact match of the entire candidate
//   line is not required"), so "\r\n--boundaryX" inside data is an error, not data
//   (python-multipart takes it as data; see docs/http.md).
// - A close delimiter right after the first boundary is an empty form: zero parts, End
//   (browsers send that for a form without fields).
// - A part's header block ends at its first empty line; its bytes (lines, CRLFs and the empty
//   line) are limited by max_part_header_bytes, then parsed by parse_part_headers
//   (engine/http/multipart_part.h).
// - The body must end with the close delimiter: finish() before End is Truncated.
//
// Limits (FormError, status_of: 413): more than max_parts parts (checked when a part starts),
// a header block longer than max_part_header_bytes (checked as it arrives; values above
// VIPER_MULTIPART_HEADER_BYTES_CAP act as the cap), more than max_part_headers lines in a part,
// more than max_field_bytes of data in a part without a filename (the first max_field_bytes
// come out as PartData, then Error), more than max_body_bytes bytes in all (preamble and
// epilogue included: the events of the first max_body_bytes bytes come out, then Error).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/form_error.h"
#include "http/multipart_part.h"
#include "viper/config.h"

namespace viper::http {

struct MultipartLimits {
  uint32_t max_parts = VIPER_DEFAULT_FORM_MAX_PARTS;
  uint32_t max_part_header_bytes = VIPER_MULTIPART_HEADER_BYTES_CAP;
  uint32_t max_part_headers = VIPER_DEFAULT_FORM_MAX_PART_HEADERS;
  uint64_t max_field_bytes = VIPER_DEFAULT_FORM_MAX_FIELD_BYTES;
  uint64_t max_body_bytes = UINT64_MAX;  // the caller's body limit, if it wants it checked here
};

// The boundary of a multipart/form-data Content-Type value, as a view into it: the media type
// must be multipart/form-data (any case), the boundary parameter present once, a token or a
// quoted-string of 1 to 70 of RFC 2046's bchars (DIGIT ALPHA ' ( ) + _ , - . / : = ? and SP,
// not last).  Other parameters (charset) are ignored.  NotMultipart, NoBoundary or BadBoundary.
FormError multipart_boundary(std::string_view content_type, std::string_view* boundary);

enum class MultipartEvent : uint8_t {
  NeedMore,   // every byte offered was consumed (*in is empty): offer more, or finish()
  PartBegin,  // a part's headers are complete: part() describes it
  PartData,   // `data` is the next piece of the current part's content (never empty)
  PartEnd,    // the current part's content is complete
  End,        // the close delimiter: the form is complete (later bytes are epilogue)
  Error,      // error() says why; every later call returns Error again
};

class MultipartParser {
 public:
  static constexpr size_t kMaxBoundary = 70;

  // Takes the boundary from a Content-Type value (multipart_boundary) and resets everything;
  // a parser may be reused for the next body.  Before start(), next() answers Error.
  FormError start(std::string_view content_type, const MultipartLimits& limits = {});
  // The same with the boundary itself (1..70 bchars, as multipart_boundary checks).
  FormError start_with_boundary(std::string_view boundary, const MultipartLimits& limits = {});

  MultipartEvent next(std::string_view* in, std::string_view* data);

  // The body has ended.  None when the close delimiter was seen, else the error (Truncated, or
  // the error the parser already stopped at).
  FormError finish();

  const MultipartPart& part() const { return part_; }
  FormError error() const { return error_; }
  uint64_t body_bytes() const { return body_bytes_; }
  uint32_t parts() const { return parts_; }

 private:
  enum class State : uint8_t {
    Preamble,    // looking for "--boundary" at a line start
    Boundary,    // a delimiter matched: "--", LWSP or CR next
    CloseDash,   // "-" seen: a second one closes
    Padding,     // LWSP after a delimiter
    BoundaryLF,  // CR seen after a delimiter
    Headers,     // copying a part's header block
    Data,        // part content, looking for the delimiter
    Epilogue,    // after the close delimiter
    Failed,
  };

  MultipartEvent fail(FormError e);
  MultipartEvent step(std::string_view* in, std::string_view* data);
  MultipartEvent data_step(std::string_view* in, std::string_view* data);
  MultipartEvent emit_data(std::string_view piece, std::string_view* data);
  MultipartEvent headers_step(std::string_view* in);

  MultipartLimits limits_;
  uint64_t body_bytes_ = 0;   // bytes consumed
  uint64_t field_bytes_ = 0;  // data bytes of the current part
  uint32_t parts_ = 0;        // parts begun
  uint32_t head_len_ = 0;     // bytes of the current header block in head_
  uint8_t delim_len_ = 0;     // "\r\n--" + boundary
  uint8_t match_ = 0;         // Data: delimiter bytes matched at the end of the last piece;
                              // Preamble: "--boundary" bytes matched at a line start, or
                              // kNotLineStart
  uint8_t head_term_ = 0;     // Headers: bytes of "\r\n\r\n" matched
  State state_ = State::Failed;
  FormError error_ = FormError::None;
  bool in_part_ = false;      // a part has begun and not ended
  bool end_pending_ = false;  // PartEnd was returned for the close delimiter; End is next
  MultipartPart part_;
  char delim_[4 + kMaxBoundary];
  uint8_t skip_[256];  // Horspool: how far to move when this byte is under the delimiter's end
  char head_[2 * VIPER_MULTIPART_HEADER_BYTES_CAP];  // the block, then unescaped values
};

}  // namespace viper::http
