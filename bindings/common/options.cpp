#include "options.h"

#include <cstring>

#include "mem/allocator.h"

namespace viper::binding {

bool OwnedBytes::assign(std::string_view s) {
  clear();
  if (s.empty()) return true;
  data = static_cast<char*>(mem::alloc(s.size()));
  if (data == nullptr) return false;
  std::memcpy(data, s.data(), s.size());
  size = s.size();
  return true;
}

void OwnedBytes::clear() {
  mem::release(data);
  data = nullptr;
  size = 0;
}

void OptionValues::clear_tls() {
  tls_cert.clear();
  tls_key.clear();
  tls_ca.clear();
  std::memset(tls_key_password, 0, sizeof tls_key_password);  // not left lying in memory
  server.tls.cert_chain = server.tls.key = server.tls.key_password = server.tls.ca_certs = {};
}

namespace {

constexpr int64_t kU32 = 0xffffffffLL;
constexpr int64_t kHourMs = 3600000;

// One accessor pair per field, written out by these macros so that each table row names its
// field once.
#define VH_U32(expr)                                                \
  [](const OptionValues& v) -> int64_t { return int64_t(v.expr); }, \
      [](OptionValues& v, int64_t x) { v.expr = uint32_t(x); }, nullptr, nullptr
#define VH_INT(type, expr)                                          \
  [](const OptionValues& v) -> int64_t { return int64_t(v.expr); }, \
      [](OptionValues& v, int64_t x) { v.expr = type(x); }, nullptr, nullptr

std::string_view get_host(const OptionValues& v) {
  return v.host;
}

bool set_host(OptionValues& v, std::string_view s) {
  std::memcpy(v.host, s.data(), s.size());  // the length is checked against the spec first
  v.host[s.size()] = '\0';
  return true;
}

std::string_view get_poller(const OptionValues& v) {
  return v.server.poller == net::PollerKind::Epoll ? "epoll" : "select";
}

bool set_poller(OptionValues& v, std::string_view s) {
  if (s == "epoll")
    v.server.poller = net::PollerKind::Epoll;
  else if (s == "select")
    v.server.poller = net::PollerKind::Select;
  else
    return false;
  return true;
}

// TLS: the value is copied; the engine's TlsOptions views point at the copy.
#define VH_BLOB(member, view_field)                                        \
  nullptr, nullptr, [](const OptionValues& v) { return v.member.view(); }, \
      [](OptionValues& v, std::string_view s) {                            \
        if (!v.member.assign(s)) return false;                             \
        v.server.tls.view_field = v.member.view();                         \
        return true;                                                       \
      }

std::string_view get_key_password(const OptionValues&) {
  return std::string_view("", 0);  // never reported back
}

bool set_key_password(OptionValues& v, std::string_view s) {
  std::memcpy(v.tls_key_password, s.data(), s.size());  // the length is checked first
  v.tls_key_password[s.size()] = '\0';
  v.server.tls.key_password = std::string_view(v.tls_key_password, s.size());
  return true;
}

}  // namespace

const OptionSpec kOptionSpecs[] = {
    {"host", OptionKind::Str, 1, 63, "ServerOptions::host", nullptr, nullptr, get_host, set_host},
    {"port", OptionKind::Int, 0, 65535, "ServerOptions::port", VH_INT(uint16_t, server.port)},
    {"poller", OptionKind::Str, 5, 6, "ServerOptions::poller", nullptr, nullptr, get_poller,
     set_poller},
    // 0 in ServerOptions means "the platform's default"; a user asks for at least one slot.
    {"max_connections", OptionKind::Int, 1, VIPER_MAX_CONNECTIONS_CAP,
     "ServerOptions::max_connections", VH_U32(server.max_connections)},
    {"keepalive_timeout_s", OptionKind::Seconds, 0, kHourMs, "ServerOptions::keepalive_timeout_ms",
     VH_U32(server.keepalive_timeout_ms)},
    {"keepalive_max_requests", OptionKind::Int, 1, kU32, "ServerOptions::keepalive_max_requests",
     VH_U32(server.keepalive_max_requests)},
    {"header_timeout_s", OptionKind::Seconds, 0, kHourMs, "ServerOptions::header_timeout_ms",
     VH_U32(server.header_timeout_ms)},
    {"handler_timeout_s", OptionKind::Seconds, 0, kHourMs, "ServerOptions::handler_timeout_ms",
     VH_U32(server.handler_timeout_ms)},
    {"send_timeout_s", OptionKind::Seconds, 0, kHourMs, "ServerOptions::send_timeout_ms",
     VH_U32(server.send_timeout_ms)},
    {"max_header_bytes", OptionKind::Int, 64, VIPER_IO_BUFFER_BYTES,
     "ServerOptions::limits.max_header_bytes", VH_U32(server.limits.max_header_bytes)},
    {"max_headers", OptionKind::Int, 1, VIPER_MAX_HEADERS_CAP, "ServerOptions::limits.max_headers",
     VH_U32(server.limits.max_headers)},
    // Below max_header_bytes as well (checked by the engine: it depends on both).
    {"max_uri_bytes", OptionKind::Int, 1, VIPER_IO_BUFFER_BYTES - 1,
     "ServerOptions::limits.max_uri_bytes", VH_U32(server.limits.max_uri_bytes)},
    {"max_body_bytes", OptionKind::Int, 0, 64LL << 20, "ServerOptions::limits.max_body_bytes",
     VH_INT(uint64_t, server.limits.max_body_bytes)},
    // At most max_connections (checked by the engine); 0: max_connections / 4.
    {"body_buffers", OptionKind::Int, 0, VIPER_MAX_CONNECTIONS_CAP, "ServerOptions::body_buffers",
     VH_U32(server.body_buffers)},
    {"request_queue", OptionKind::Int, 0, kU32, "bridge::Options::request_records",
     VH_U32(bridge.request_records)},
    // 0: twice the largest request within the limits, at least the build's default.
    {"request_queue_bytes", OptionKind::Int, 0, kU32, "bridge::Options::request_bytes",
     VH_U32(bridge.request_bytes)},
    {"response_queue_bytes", OptionKind::Int, 1025, kU32, "bridge::Options::response_bytes",
     VH_U32(bridge.response_bytes)},
    {"gzip_level", OptionKind::Int, 0, 9, "ServerOptions::gzip_level",
     VH_INT(uint8_t, server.gzip_level)},
    {"gzip_min_bytes", OptionKind::Int, 0, kU32, "ServerOptions::gzip_min_bytes",
     VH_U32(server.gzip_min_bytes)},
    {"static_cache_bytes", OptionKind::Int, 0, kU32, "ServerOptions::static_cache_bytes",
     VH_U32(server.static_cache_bytes)},
    {"access_log", OptionKind::Int, 0, 1, "ServerOptions::access_log",
     VH_INT(bool, server.access_log)},
    {"evict_idle_after_ms", OptionKind::Int, 0, kHourMs, "ServerOptions::evict_idle_after_ms",
     VH_U32(server.evict_idle_after_ms)},
    {"evict_head_after_ms", OptionKind::Int, 0, kHourMs, "ServerOptions::evict_head_after_ms",
     VH_U32(server.evict_head_after_ms)},
    {"evict_silent_after_ms", OptionKind::Int, 0, kHourMs, "ServerOptions::evict_silent_after_ms",
     VH_U32(server.evict_silent_after_ms)},
    {"slot_turn_ms", OptionKind::Int, 0, kHourMs, "ServerOptions::slot_turn_ms",
     VH_U32(server.slot_turn_ms)},
    {"admission_timeout_ms", OptionKind::Int, 0, kHourMs, "ServerOptions::admission_timeout_ms",
     VH_U32(server.admission_timeout_ms)},
    // 0: the I/O buffer less 1 KB; beyond a body buffer less 1 KB refused by the engine.
    {"stream_buffer_bytes", OptionKind::Int, 0, 64LL << 20, "ServerOptions::stream_buffer_bytes",
     VH_U32(server.stream_buffer_bytes)},
    // HTTPS (issue 16).  The Python package reads ssl_certfile / ssl_keyfile / ssl_ca_certs
    // into these; a device can give them from memory.  PEM (a chain: leaf first) or DER.
    {"ssl_certdata", OptionKind::Bytes, 1, 1 << 20, "ServerOptions::tls.cert_chain",
     VH_BLOB(tls_cert, cert_chain)},
    {"ssl_keydata", OptionKind::Bytes, 1, 1 << 20, "ServerOptions::tls.key", VH_BLOB(tls_key, key)},
    {"ssl_keyfile_password", OptionKind::Str, 1, 127, "ServerOptions::tls.key_password", nullptr,
     nullptr, get_key_password, set_key_password},
    {"ssl_cadata", OptionKind::Bytes, 1, 1 << 20, "ServerOptions::tls.ca_certs",
     VH_BLOB(tls_ca, ca_certs)},
    // ssl.CERT_NONE (0), CERT_OPTIONAL (1), CERT_REQUIRED (2).
    {"ssl_cert_reqs", OptionKind::Int, 0, 2, "ServerOptions::tls.client_auth",
     VH_INT(uint8_t, server.tls.client_auth)},
    // WebSocket (issue 12): the largest message (one more byte: close 1009), the idle ping.
    {"ws_max_message_bytes", OptionKind::Int, 125, 64LL << 20,
     "ServerOptions::ws_max_message_bytes", VH_INT(uint64_t, server.ws_max_message_bytes)},
    {"ws_ping_interval_s", OptionKind::Seconds, 0, kHourMs, "ServerOptions::ws_ping_interval_ms",
     VH_U32(server.ws_ping_interval_ms)},
    // permessage-deflate: on/off, and how many connections may compress at once (stream
    // pairs allocated at start).
    {"ws_compression", OptionKind::Int, 0, 1, "ServerOptions::ws_compression",
     VH_INT(bool, server.ws_compression)},
    {"ws_compression_streams", OptionKind::Int, 0, 256, "ServerOptions::ws_compression_streams",
     VH_U32(server.ws_compression_streams)},
};
const size_t kNumOptionSpecs = sizeof(kOptionSpecs) / sizeof(kOptionSpecs[0]);

#undef VH_U32
#undef VH_INT
#undef VH_BLOB

const OptionSpec* find_option(std::string_view name) {
  for (size_t i = 0; i < kNumOptionSpecs; i++)
    if (name == kOptionSpecs[i].name) return &kOptionSpecs[i];
  return nullptr;
}

OptionStatus set_option_int(OptionValues& v, std::string_view name, int64_t x) {
  const OptionSpec* s = find_option(name);
  if (s == nullptr) return OptionStatus::Unknown;
  if (s->kind != OptionKind::Int || x < s->min || x > s->max) return OptionStatus::Invalid;
  s->set_int(v, x);
  return OptionStatus::Ok;
}

OptionStatus set_option_seconds(OptionValues& v, std::string_view name, double seconds) {
  const OptionSpec* s = find_option(name);
  if (s == nullptr) return OptionStatus::Unknown;
  // `!(x > 0)` also refuses NaN.
  if (s->kind != OptionKind::Seconds || !(seconds > 0.0) || seconds * 1000.0 > double(s->max))
    return OptionStatus::Invalid;
  auto ms = int64_t(seconds * 1000.0);
  s->set_int(v, ms > 0 ? ms : 1);  // below a millisecond: the shortest the engine can wait
  return OptionStatus::Ok;
}

OptionStatus set_option_str(OptionValues& v, std::string_view name, std::string_view str) {
  const OptionSpec* s = find_option(name);
  if (s == nullptr) return OptionStatus::Unknown;
  if (s->kind != OptionKind::Str && s->kind != OptionKind::Bytes) return OptionStatus::Invalid;
  if (int64_t(str.size()) < s->min || int64_t(str.size()) > s->max ||
      (s->kind == OptionKind::Str && str.find('\0') != std::string_view::npos) ||
      !s->set_str(v, str))
    return OptionStatus::Invalid;
  return OptionStatus::Ok;
}

int64_t option_default_int(const OptionSpec& spec) {
  static const OptionValues defaults;
  if (spec.get_int == nullptr) return 0;
  if (std::string_view(spec.name) == "max_connections")
    return int64_t(resolved_max_connections(defaults.server));
  return spec.get_int(defaults);
}

std::string_view option_default_str(const OptionSpec& spec) {
  static const OptionValues defaults;
  return spec.get_str != nullptr ? spec.get_str(defaults) : std::string_view();
}

}  // namespace viper::binding
