// Parameters of a header field value (RFC 9110 §5.6.6) and RFC 8187 extended values, as
// multipart bodies need them: the `boundary` of a Content-Type, the `name`, `filename` and
// `filename*` of a part's Content-Disposition.  Views only; decoding writes into a buffer the
// caller owns.
//
// Grammar accepted (the value's first element, the type, is everything before the first ';'):
//   value  = type *( OWS ";" OWS [ name OWS "=" OWS ( token / quoted-string ) ] ) OWS
// Empty parameters (";;", a trailing ';') are skipped.  Tokens are what python-multipart's
// parse_options_header accepts: any byte but CTLs, SP and ()<>@,;:\"/[]?={} (so bytes >= 0x80
// too).  A quoted-string ends at the first '"' not escaped by a backslash (RFC 9110
// quoted-pair); when none does, the string is read again with backslashes as plain bytes and
// ends at the first '"' — a browser's filename ending in '\' ("a\") is sent unescaped, and
// python-multipart's regex reads it the same way.
#pragma once

#include <cstddef>
#include <string_view>

namespace viper::http {

struct HeaderParam {
  std::string_view name;   // as received; compare with iequals()
  std::string_view value;  // a token, or a quoted-string's content without its quotes, still
                           // escaped (see unescape_quoted)
  bool quoted = false;
};

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// The type before the parameters, without surrounding whitespace: "multipart/form-data" of
// "multipart/form-data; boundary=x".
std::string_view header_value_type(std::string_view value);

// Walks the parameters: start with *pos = 0, then pass the same pos back.  Returns 1 with *out
// set, 0 when there are no more, -1 when the parameters are malformed (a name without '=', an
// empty name or token value, a quoted-string that never ends, bytes after a value other than
// OWS ';').  Every call after 0 or -1 returns the same again.
int header_param_next(std::string_view value, size_t* pos, HeaderParam* out);

// The bytes a quoted-string's content stands for, with python-multipart's rule: "\\" is '\' and
// "\"" is '"'; any other backslash stays (browsers do not escape '\' in filenames, so
// "C:\new.txt" must keep its backslash).  Returns `content` itself when it holds no backslash,
// else the unescaped bytes written to `out` (capacity >= content.size()).
std::string_view unescape_quoted(std::string_view content, char* out);

// Decodes an RFC 8187 ext-value (`charset "'" [ language ] "'" *( pct-encoded / attr-char )`,
// the value of a `filename*` parameter) into UTF-8 in `out` (capacity >= value.size(): the
// output is never longer).  Charsets: UTF-8 (the result must be valid UTF-8) and ISO-8859-1
// (converted), in any case.  Returns the length, or -1 for another charset, a byte that is not
// an attr-char, a bad %-escape, invalid UTF-8, or a decoded NUL.
int decode_ext_value(std::string_view value, char* out);

}  // namespace viper::http
