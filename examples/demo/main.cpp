// viper_demo: the engine serving C routes, a page and its counters.  The README's first command
// runs it; the end-to-end tests and the benchmark start it with options (run with --help).
#include <pthread.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "http/query.h"
#include "http/response_writer.h"
#include "mem/allocator.h"
#include "page.h"
#include "viper/server.h"
#include "ws_echo.h"

using viper::Responder;
using viper::RouteRequest;
using viper::http::Appender;

namespace {

constexpr std::string_view kJson = "application/json";

// Appends `s` as a JSON string literal.
void put_json_string(Appender& a, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  a.put("\"");
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', char(c)};
      a.put(std::string_view(esc, 2));
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      a.put(std::string_view(esc, 6));
    } else {
      a.put(std::string_view(&ch, 1));
    }
  }
  a.put("\"");
}

void send_json(Responder& res, const Appender& a, const char* buf) {
  if (a.ok()) res.send(200, kJson, std::string_view(buf, a.size()));
}

void page(const RouteRequest&, Responder& res, void*) {
  res.send_static(200, "text/html; charset=utf-8",
                  std::string_view(kDemoPage, sizeof kDemoPage - 1));
}

void hello(const RouteRequest&, Responder& res, void*) {
  res.send_static(200, kJson, R"({"message":"hello"})");
}

void read_item(const RouteRequest& req, Responder& res, void*) {
  char buf[512], q[256];
  Appender a(buf, sizeof buf);
  a.put("{\"item_id\":");
  a.put_int(req.params[0].i);
  a.put(",\"q\":");
  std::string_view raw;
  if (viper::http::query_find(req.head->query, "q", &raw)) {
    int n = viper::http::form_decode(raw, q, sizeof q);
    if (n < 0) {
      res.send(422, kJson, R"({"detail":"invalid query string"})");
      return;
    }
    put_json_string(a, std::string_view(q, size_t(n)));
  } else {
    a.put("null");
  }
  a.put("}");
  send_json(res, a, buf);
}

void put_item(const RouteRequest& req, Responder& res, void*) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "{\"item_id\":%lld,\"updated\":true,\"bytes\":%zu}",
                static_cast<long long>(req.params[0].i), req.body.size());
  res.send(200, kJson, buf);
}

constexpr const char* kSensors[] = {"temperature", "humidity", "pressure", "light"};
constexpr const char* kUnits[] = {"C", "%", "hPa", "lx"};

void list_sensors(const RouteRequest&, Responder& res, void*) {
  res.send_static(200, kJson, R"({"sensors":["temperature","humidity","pressure","light"]})");
}

// Simulated readings: smooth functions of time, so the page shows them move.
void read_sensor(const RouteRequest& req, Responder& res, void*) {
  std::string_view name = req.params[0].value;
  for (int i = 0; i < 4; i++) {
    if (name != kSensors[i]) continue;
    double t = double(std::time(nullptr)) / 60.0;
    static const double kBase[] = {21.5, 45.0, 1013.0, 300.0};
    static const double kSwing[] = {2.0, 8.0, 4.0, 250.0};
    double v = kBase[i] + kSwing[i] * std::sin(t + i);
    char buf[128];
    std::snprintf(buf, sizeof buf, "{\"sensor\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}",
                  kSensors[i], v, kUnits[i]);
    res.send(200, kJson, buf);
    return;
  }
  res.send(404, kJson, R"({"detail":"Unknown sensor"})");
}

void scale(const RouteRequest& req, Responder& res, void*) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "{\"factor\":%.17g}", req.params[0].f);
  res.send(200, kJson, buf);
}

void files(const RouteRequest& req, Responder& res, void*) {
  char buf[1024];
  Appender a(buf, sizeof buf);
  a.put("{\"path\":");
  put_json_string(a, req.params[0].value);
  a.put("}");
  send_json(res, a, buf);
}

void echo(const RouteRequest& req, Responder& res, void*) {
  if (req.body.size() > res.copy_capacity()) {
    res.send(413, kJson, R"({"detail":"echo is limited to the output buffer; use /digest"})");
    return;
  }
  std::string_view type = req.head->header("content-type");
  res.send(200, type.empty() ? "application/octet-stream" : type, req.body);
}

// FNV-1a 64 of the body, so tests can check large bodies arrived intact.
void digest(const RouteRequest& req, Responder& res, void*) {
  uint64_t h = 14695981039346656037ull;
  for (char c : req.body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "{\"length\":%zu,\"fnv1a64\":\"%016llx\"}", req.body.size(),
                static_cast<unsigned long long>(h));
  res.send(200, kJson, buf);
}

// Writes "chunk i of n" lines.  The count comes through `user`; state[0] is the cursor.
size_t stream_fill(void* user, uint64_t state[2], char* dst, size_t cap, bool* done) {
  auto n = static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(user));
  unsigned long long i = ++state[0];
  int len = std::snprintf(dst, cap, "chunk %llu of %llu\n", i, n);
  *done = i >= n;
  return len > 0 ? size_t(len) : 0;
}

void stream(const RouteRequest& req, Responder& res, void*) {
  std::string_view raw;
  uint64_t n = 5;
  if (viper::http::query_find(req.head->query, "n", &raw)) {
    n = 0;
    for (char c : raw) {
      if (c < '0' || c > '9' || n > 100000) {
        res.send(422, kJson, R"({"detail":"n must be an integer from 1 to 100000"})");
        return;
      }
      n = n * 10 + uint64_t(c - '0');
    }
    if (n < 1 || n > 100000) {
      res.send(422, kJson, R"({"detail":"n must be an integer from 1 to 100000"})");
      return;
    }
  }
  res.stream(200, "text/plain; charset=utf-8", stream_fill, reinterpret_cast<void*>(uintptr_t(n)));
}

void stats(const RouteRequest&, Responder& res, void* user) {
  auto* server = static_cast<viper::Server*>(user);
  char buf[3072];
  size_t n = viper::format_counters_json(server->counters(), buf, sizeof buf - 160);
  if (n == 0) return;  // the engine answers 500
  viper::mem::Stats m = viper::mem::stats();
  n--;  // reopen the object to add memory figures
  n += size_t(std::snprintf(buf + n, sizeof buf - n,
                            ",\"engine_bytes\":%llu,\"engine_allocations\":%llu,"
                            "\"bytes_per_idle_connection\":%zu}",
                            static_cast<unsigned long long>(m.bytes_in_use),
                            static_cast<unsigned long long>(m.allocations),
                            viper::Server::bytes_per_idle_connection()));
  res.send(200, kJson, std::string_view(buf, n));
}

// Static mounts from the command line: --static PREFIX=DIR, --static-html PREFIX=DIR,
// --pack PREFIX=FILE, --file PATH=FILE.
struct MountArg {
  viper::StaticMount m;
  char prefix[256];
};

struct Args {
  viper::ServerOptions opt;
  bool quiet = false;
  MountArg mounts[8];
  int num_mounts = 0;
  const char* ws_echo = nullptr;  // --ws-echo PATH (ws_echo.h)
};

// The whole file, for the TLS options (a certificate or a key).  Start-up only; kept for the
// life of the process.
bool read_whole_file(const char* path, std::string_view* out) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  static char storage[4][16384];  // certificate, key, CA: small files
  static int used = 0;
  if (used == 4) {
    std::fclose(f);
    return false;
  }
  char* buf = storage[used];
  size_t n = std::fread(buf, 1, sizeof storage[0], f);
  bool whole = std::feof(f) != 0;
  std::fclose(f);
  if (!whole || n == 0) return false;
  used++;
  *out = std::string_view(buf, n);
  return true;
}

bool parse_mount(const char* v, viper::StaticKind kind, bool html, Args& a) {
  const char* eq = std::strchr(v, '=');
  if (eq == nullptr || a.num_mounts == 8 || size_t(eq - v) >= sizeof a.mounts[0].prefix)
    return false;
  MountArg& ma = a.mounts[a.num_mounts++];
  std::memcpy(ma.prefix, v, size_t(eq - v));
  ma.prefix[eq - v] = '\0';
  ma.m.kind = kind;
  ma.m.prefix = ma.prefix;
  ma.m.source = eq + 1;  // argv outlives the server
  ma.m.html = html;
  ma.m.cache_control = "no-cache";
  return true;
}

void usage() {
  std::puts(
      "usage: viper_demo [--host H] [--port P] [--poller epoll|select] [--max-connections N]\n"
      "  [--keepalive-timeout S] [--keepalive-max-requests N] [--header-timeout S]\n"
      "  [--send-timeout S] [--max-header-bytes N] [--max-headers N] [--max-uri-bytes N]\n"
      "  [--max-body-bytes N] [--body-buffers N] [--no-redirect-slashes] [--quiet]\n"
      "  [--static PREFIX=DIR] [--static-html PREFIX=DIR] [--pack PREFIX=FILE]\n"
      "  [--file PATH=FILE] [--static-cache-bytes N] [--no-sendfile] [--no-defer-accept]\n"
      "  [--evict-idle-after-ms N] [--evict-head-after-ms N] [--evict-silent-after-ms N]\n"
      "  [--slot-turn-ms N] [--tls-cert FILE --tls-key FILE [--tls-key-password P]\n"
      "  [--tls-ca FILE --tls-client-auth optional|required] [--tls-h2]]"
      "  [--admission-timeout-ms N] [--ws-echo PATH [--ws-max-message-bytes N]\n"
      "  [--ws-ping-interval S]]\n"
      "Times are in seconds (fractions allowed) unless named _ms.  --port 0 picks a free port.");
}

// Whole numbers only, within uint32_t (or uint64_t for sizes).
bool parse_u64(const char* v, uint64_t max, uint64_t* out) {
  if (*v == '\0') return false;
  uint64_t n = 0;
  for (const char* p = v; *p != '\0'; p++) {
    if (*p < '0' || *p > '9' || n > (max - uint64_t(*p - '0')) / 10) return false;
    n = n * 10 + uint64_t(*p - '0');
  }
  *out = n;
  return true;
}

// Seconds with an optional fraction, as milliseconds, at most one hour... or a bit more, so
// that the engine itself reports the option as out of range.
bool parse_seconds(const char* v, uint32_t* ms) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(d >= 0.0) || d > 4000000.0) return false;
  *ms = uint32_t(d * 1000.0);
  return true;
}

// Returns the option name at fault, or nullptr.
const char* parse_args(int argc, char** argv, Args& a) {
  viper::ServerOptions& o = a.opt;
#ifndef VIPER_PROFILE_ESP32
  o.max_connections = 256;  // the PC default; the device's is 8 (SPEC §5)
#endif
  for (int i = 1; i < argc; i++) {
    std::string_view k = argv[i];
    if (k == "--quiet") {
      a.quiet = true;
      continue;
    }
    if (k == "--no-redirect-slashes") {
      o.redirect_slashes = false;
      continue;
    }
    if (k == "--no-sendfile") {
      o.use_sendfile = false;
      continue;
    }
    if (k == "--no-defer-accept") {
      o.defer_accept = false;
      continue;
    }
    if (k == "--tls-h2") {
      o.tls.offer_h2 = true;
      continue;
    }
    if (k == "--help" || i + 1 >= argc) return argv[i];
    const char* v = argv[++i];
    uint64_t n = 0;
    bool ok = true;
    if (k == "--host") {
      o.host = v;
    } else if (k == "--poller") {
      ok = std::strcmp(v, "select") == 0 || std::strcmp(v, "epoll") == 0;
      o.poller = std::strcmp(v, "select") == 0 ? viper::net::PollerKind::Select
                                               : viper::net::PollerKind::Epoll;
    } else if (k == "--keepalive-timeout") {
      ok = parse_seconds(v, &o.keepalive_timeout_ms);
    } else if (k == "--header-timeout") {
      ok = parse_seconds(v, &o.header_timeout_ms);
    } else if (k == "--send-timeout") {
      ok = parse_seconds(v, &o.send_timeout_ms);
    } else if (k == "--ws-echo") {
      a.ws_echo = v;
    } else if (k == "--ws-max-message-bytes") {
      ok = parse_u64(v, UINT64_MAX, &o.ws_max_message_bytes);
    } else if (k == "--ws-ping-interval") {
      ok = parse_seconds(v, &o.ws_ping_interval_ms);
    } else if (k == "--max-body-bytes") {
      ok = parse_u64(v, UINT64_MAX, &o.limits.max_body_bytes);
    } else if (k == "--tls-cert") {
      ok = read_whole_file(v, &o.tls.cert_chain);
    } else if (k == "--tls-key") {
      ok = read_whole_file(v, &o.tls.key);
    } else if (k == "--tls-key-password") {
      o.tls.key_password = v;
    } else if (k == "--tls-ca") {
      ok = read_whole_file(v, &o.tls.ca_certs);
    } else if (k == "--tls-client-auth") {
      ok = std::strcmp(v, "optional") == 0 || std::strcmp(v, "required") == 0;
      o.tls.client_auth = std::strcmp(v, "required") == 0 ? 2 : 1;
    } else if (k == "--static" || k == "--static-html") {
      ok = parse_mount(v, viper::StaticKind::Directory, k == "--static-html", a);
    } else if (k == "--pack") {
      ok = parse_mount(v, viper::StaticKind::Pack, true, a);
    } else if (k == "--file") {
      ok = parse_mount(v, viper::StaticKind::File, false, a);
    } else if (k == "--port") {
      ok = parse_u64(v, 65535, &n);
      o.port = uint16_t(n);
    } else {
      ok = parse_u64(v, UINT32_MAX, &n);
      auto u = uint32_t(n);
      if (k == "--max-connections")
        ok = (o.max_connections = u) > 0;  // 0 would mean the platform default
      else if (k == "--keepalive-max-requests")
        o.keepalive_max_requests = u;
      else if (k == "--max-header-bytes")
        o.limits.max_header_bytes = u;
      else if (k == "--max-headers")
        o.limits.max_headers = u;
      else if (k == "--max-uri-bytes")
        o.limits.max_uri_bytes = u;
      else if (k == "--body-buffers")
        o.body_buffers = u;
      else if (k == "--static-cache-bytes")
        o.static_cache_bytes = u;
      else if (k == "--evict-idle-after-ms")
        o.evict_idle_after_ms = u;
      else if (k == "--evict-head-after-ms")
        o.evict_head_after_ms = u;
      else if (k == "--evict-silent-after-ms")
        o.evict_silent_after_ms = u;
      else if (k == "--slot-turn-ms")
        o.slot_turn_ms = u;
      else if (k == "--admission-timeout-ms")
        o.admission_timeout_ms = u;
      else
        return argv[i - 1];
    }
    if (!ok) return argv[i - 1];
  }
  return nullptr;
}

void* engine_thread(void* server) {
  static_cast<viper::Server*>(server)->run();
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (const char* bad = parse_args(argc, argv, args)) {
    if (std::strcmp(bad, "--help") != 0)
      std::fprintf(stderr, "viper_demo: invalid option or value: %s\n", bad);
    usage();
    return 2;
  }
  const char* error = nullptr;
  viper::Server* server = viper::Server::create(args.opt, &error);
  if (server == nullptr) {
    std::fprintf(stderr, "viper_demo: invalid option or resource: %s\n", error);
    return 2;
  }
  using viper::http::Method;
  struct {
    Method m;
    const char* pattern;
    viper::RouteFn fn;
  } routes[] = {
      {Method::Get, "/", page},
      {Method::Get, "/hello", hello},
      {Method::Get, "/items/{item_id:int}", read_item},
      {Method::Put, "/items/{item_id:int}", put_item},
      {Method::Get, "/sensors/", list_sensors},
      {Method::Get, "/sensors/{name}", read_sensor},
      {Method::Get, "/scale/{factor:float}", scale},
      {Method::Get, "/files/{file_path:path}", files},
      {Method::Post, "/echo", echo},
      {Method::Post, "/digest", digest},
      {Method::Get, "/stream", stream},
      {Method::Get, "/stats", stats},
  };
  for (auto& r : routes) {
    if (server->add_route(r.m, r.pattern, r.fn, server) != viper::AddResult::Ok) {
      std::fprintf(stderr, "viper_demo: cannot add route %s\n", r.pattern);
      viper::Server::destroy(server);
      return 1;
    }
  }
  if (args.ws_echo != nullptr && !demo::install_ws_echo(server, args.ws_echo)) {
    std::fprintf(stderr, "viper_demo: cannot add the WebSocket echo at %s\n", args.ws_echo);
    viper::Server::destroy(server);
    return 1;
  }
  for (int i = 0; i < args.num_mounts; i++) {
    if (const char* why = server->add_static(args.mounts[i].m)) {
      std::fprintf(stderr, "viper_demo: mount %s: %s\n", args.mounts[i].prefix, why);
      viper::Server::destroy(server);
      return 2;
    }
  }
  if (!server->listen()) {
    std::perror("viper_demo: listen");
    viper::Server::destroy(server);
    return 1;
  }
  // SIGINT/SIGTERM are taken with sigwait() here; the engine thread blocks them itself.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  pthread_t engine;
  pthread_create(&engine, nullptr, engine_thread, server);
  std::printf("viper_demo listening on %s://%s:%u/\n", args.opt.tls.enabled() ? "https" : "http",
              args.opt.host, unsigned(server->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&sigs, &sig);
  if (!args.quiet) std::fprintf(stderr, "viper_demo: signal %d, shutting down gracefully\n", sig);
  server->request_stop();
  pthread_join(engine, nullptr);
  viper::Server::destroy(server);
  return 0;
}
