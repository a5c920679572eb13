// A multipart/form-data part's header block (RFC 7578 §4): the header lines between a boundary
// line and the blank line before the part's content.  Used by MultipartParser
// (engine/http/multipart.h) once a block is complete; a pure function over a buffer.
//
// Rules (each has a test in tests/engine/test_multipart_part.cpp):
// - A line is `name ":" OWS value OWS CRLF`; the name is an RFC 9110 token (python-multipart
//   only takes letters and '-'; a digit in a header name is allowed here); whitespace before
//   ':' , a line starting with SP/HTAB (obs-fold), a line without ':' and any control byte but
//   HTAB (a bare CR or LF, NUL, DEL) are BadPartHeader.
// - More than `max_headers` lines: TooManyPartHeaders.
// - Content-Disposition is required, and it and Content-Type may appear once each
//   (RepeatedPartHeader: a second copy is how filters and applications are made to disagree).
// - Content-Disposition: a type that is a token (not checked against "form-data", as Starlette
//   does not), then parameters (header_params.h); `name` is required (NoPartName), may be empty;
//   `name`, `filename` and `filename*` may each appear once (BadContentDisposition); other
//   parameters are ignored.
// - `filename`: quoted-string unescaped as python-multipart does; a value starting with a
//   drive letter and ":\" or with "\\" is cut to what follows its last '\' (python-multipart's
//   rule for Internet Explorer's full paths).  `filename*` (RFC 8187, unquoted): decoded to
//   UTF-8, and then it is the filename; a malformed one is BadFilename.  Browsers send
//   `filename` only, with '"', CR and LF written %22, %0D, %0A (kept as they are, as Starlette
//   does).
// - A part with `filename` or `filename*` (even empty) is a file; otherwise a field.
// - Content-Transfer-Encoding and every other header are only kept in `headers` (RFC 7578
//   §4.7; Starlette does not decode it either).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/form_error.h"

namespace viper::http {

// What the caller learns of a part at its start.  The views point into the parser's header
// buffer and stay valid until the next part's headers begin (at least until its PartEnd).
struct MultipartPart {
  std::string_view name;          // the `name` parameter, unescaped
  std::string_view filename;      // `filename*` decoded, else `filename` unescaped; empty for a
                                  // field (and for a file input with no file chosen)
  std::string_view content_type;  // the Content-Type value, trimmed; empty when absent
  std::string_view disposition;   // the Content-Disposition type, e.g. "form-data"
  std::string_view headers;       // every header line as received, each ending in CRLF
  bool is_file = false;           // `filename` or `filename*` was present
  uint32_t index = 0;             // 0 for the first part
};

// Parses `block` (header lines, each ending in CRLF, without the blank line; may be empty)
// into *out (all but `index`).  Unescaped values are written to `scratch`, whose capacity must
// be at least block.size().  Returns FormError::None or the first error found.
FormError parse_part_headers(std::string_view block, uint32_t max_headers, char* scratch,
                             MultipartPart* out);

// Walks the header lines of a block that parse_part_headers accepted: start with *pos = 0.
// The value is trimmed.  Returns false after the last line.
bool part_header_next(std::string_view block, size_t* pos, std::string_view* name,
                      std::string_view* value);

}  // namespace viper::http
