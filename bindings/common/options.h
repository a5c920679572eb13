// The engine's runtime options (SPEC §5, plus the bridge's queue sizes and the poller), in one
// table: name, kind, range, the field it sets, and the engine's default.  Both bindings set
// options through it (`Engine(**options)`) and expose it as `_viperhttp.options()`, which the
// Python package reads to check `app.run()` keywords before it creates the engine; nothing else
// lists the options.  The engine's own `validate_options` (engine/net/server.cpp) still checks
// the ranges that depend on several options (max_uri_bytes < max_header_bytes, body_buffers <=
// max_connections, the descriptor limit) when the server is created.
//
// No Python header here, nothing raises: setters return an OptionStatus, and the glue turns it
// into TypeError (unknown option) or ValueError (invalid value, message = the option's name).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bridge/bridge.h"
#include "viper/server.h"

namespace viper::binding {

// How a value is given from Python: Str a str; Int an int (not a bool), min <= v <= max;
// Seconds a number (not a bool), 0 < v <= max / 1000 (kept in milliseconds, at least 1);
// Bytes bytes (or a str: PEM is text), min <= length <= max, any byte allowed.
enum class OptionKind : uint8_t { Str, Int, Seconds, Bytes };

enum class OptionStatus : uint8_t { Ok, Unknown, Invalid };

// A copy of a Bytes option's value, from the engine allocator (server.tls's views point here).
struct OwnedBytes {
  char* data = nullptr;
  size_t size = 0;
  bool assign(std::string_view s);  // false: out of memory
  void clear();
  std::string_view view() const { return std::string_view(data, size); }
};

// Everything the options configure, with the engine's defaults as initial values.
struct OptionValues {
  ServerOptions server;
  bridge::Options bridge;
  char host[64] = "127.0.0.1";  // server.host points here
  // TLS (issue 16): the certificate chain, key and client CA as given (PEM or DER), and the
  // key's password.  Parsed by the engine when it is created, then released (clear_tls()).
  OwnedBytes tls_cert, tls_key, tls_ca;
  char tls_key_password[128] = "";

  OptionValues() {
    server.host = host;
    server.limits.max_body_bytes = VIPER_DEFAULT_BRIDGE_MAX_BODY_BYTES;  // what the rings carry
  }
  ~OptionValues() { clear_tls(); }
  // Drops the copies above once the engine has parsed them (a device keeps no PEM in RAM).
  void clear_tls();
  OptionValues(const OptionValues&) = delete;
  OptionValues& operator=(const OptionValues&) = delete;
};

struct OptionSpec {
  const char* name;  // the keyword of app.run() / Engine()
  OptionKind kind;
  // Int: the inclusive range of the value; Seconds: 0 (exclusive) .. max in milliseconds;
  // Str: the length range.
  int64_t min, max;
  const char* field;  // what it sets, for docs/native-api.md and options()
  // Int and Seconds (milliseconds): read and write the field.
  int64_t (*get_int)(const OptionValues& v);
  void (*set_int)(OptionValues& v, int64_t x);
  // Str: read the field; write it, false for a value the engine does not know.
  std::string_view (*get_str)(const OptionValues& v);
  bool (*set_str)(OptionValues& v, std::string_view s);
};

extern const OptionSpec kOptionSpecs[];
extern const size_t kNumOptionSpecs;

// The spec of `name`, or nullptr.
const OptionSpec* find_option(std::string_view name);

// Set one option, checked against its spec (an option of another kind is Invalid).
OptionStatus set_option_int(OptionValues& v, std::string_view name, int64_t x);
OptionStatus set_option_seconds(OptionValues& v, std::string_view name, double seconds);
// Str and Bytes options.
OptionStatus set_option_str(OptionValues& v, std::string_view name, std::string_view s);

// The engine's default of an Int/Seconds option (Seconds: milliseconds).  max_connections
// reports the platform's default the engine will use (0 in ServerOptions means that).
int64_t option_default_int(const OptionSpec& spec);
std::string_view option_default_str(const OptionSpec& spec);

}  // namespace viper::binding
