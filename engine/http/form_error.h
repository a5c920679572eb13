// Why a request body was refused by the form parsers (engine/http/multipart.h,
// engine/http/urlencoded.h).  Each error maps to one status: 400 when the body is malformed,
// 413 when it is well-formed but over a limit the server chose (it would be accepted with a
// larger limit).  The caller answers `status_of(e)` with `{"detail": detail_of(e)}`.
#pragma once

#include <cstdint>
#include <string_view>

namespace viper::http {

enum class FormError : uint8_t {
  None,
  // 400: the Content-Type
  NotMultipart,  // the media type is not multipart/form-data
  NoBoundary,    // no boundary parameter
  BadBoundary,   // malformed parameters, a repeated boundary, 0 or more than 70 characters, a
                 // character outside RFC 2046's bchars, a trailing space
  // 400: the body
  BadDelimiter,           // a boundary followed by bytes other than "--" or LWSP* CRLF
  BadPartHeader,          // a header line without ':', a bad name, obs-fold, a control byte
  RepeatedPartHeader,     // Content-Disposition or Content-Type twice in one part
  NoContentDisposition,   // a part without Content-Disposition
  BadContentDisposition,  // no disposition type, malformed or repeated parameters
  NoPartName,             // Content-Disposition without a name parameter
  BadFilename,            // a filename* that is not a valid RFC 8187 UTF-8/ISO-8859-1 value
  Truncated,              // the body ended before the close delimiter
  // 413: limits
  TooManyParts,        // more than max_parts parts
  PartHeaderTooLarge,  // a part's header block above max_part_header_bytes
  TooManyPartHeaders,  // more than max_part_headers header lines in one part
  FieldTooLarge,       // a non-file field above max_field_bytes
  TooManyFields,       // urlencoded: more than max_fields fields
  BodyTooLarge,        // more than max_body_bytes bytes of body
};

uint16_t status_of(FormError e);
// A short sentence for the error body's `detail`.
std::string_view detail_of(FormError e);

}  // namespace viper::http
