// The small types of the engine's public API (viper/server.h): what an application or a binding
// names when it configures a server and writes C routes.  Internal headers include this one
// and build on it; nothing here depends on them.
#pragma once

#include <cstdint>
#include <string_view>

#include "viper/config.h"

namespace viper {

namespace http {

enum class Method : uint8_t {
  Get,
  Head,
  Post,
  Put,
  Patch,
  Delete,
  Options,
  Trace,
  Connect,
  Unknown
};

// A header as received or to send.  Both views borrow: from the request buffer, or from the
// caller.  A received value has leading and trailing whitespace (SP / HTAB) removed.
struct Header {
  std::string_view name;
  std::string_view value;
};

// Limits on a request (SPEC §5); checked against the hard caps of config.h at start.
struct ParseLimits {
  uint32_t max_header_bytes = VIPER_DEFAULT_MAX_HEADER_BYTES;  // whole head incl. request line
  uint32_t max_headers = VIPER_DEFAULT_MAX_HEADERS;            // <= VIPER_MAX_HEADERS_CAP
  uint32_t max_uri_bytes = VIPER_DEFAULT_MAX_URI_BYTES;        // request-target length
  uint64_t max_body_bytes = VIPER_DEFAULT_MAX_BODY_BYTES;      // declared Content-Length
};

struct Request;  // the parsed head (http/request_parser.h)

}  // namespace http

namespace net {
enum class PollerKind : uint8_t { Epoll, Select };
}  // namespace net

// A path capture, typed by its converter ({x}, {x:int}, {x:float}, {x:path}).
enum class ParamType : uint8_t { Str, Int, Float, Path };

struct PathParam {
  std::string_view name;   // borrowed from the router (lives as long as the router)
  std::string_view value;  // borrowed from the path given to match()
  ParamType type = ParamType::Str;
  int64_t i = 0;   // valid when type == Int
  double f = 0.0;  // valid when type == Float
};

enum class AddResult : uint8_t {
  Ok,
  BadPattern,  // not starting with '/', unbalanced braces, empty or bad capture name,
               // unknown converter, {x:path} not last, too many captures, duplicate name
  Conflict,    // same pattern (up to capture names) and method already registered
  OutOfMemory,
};

}  // namespace viper
