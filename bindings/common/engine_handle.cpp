#include "engine_handle.h"

#include <cerrno>
#include <cstring>

#include "http/response_writer.h"
#include "port/port.h"

namespace viper::binding {

EngineHandle::EngineHandle() = default;

EngineHandle::~EngineHandle() {
  if (started_ && !joined_) {
    stop();
    join();
  }
  Server::destroy(server_);  // before the bridge: the server calls the bridge's hooks
  bridge::Bridge::destroy(bridge_);
}

OptionStatus EngineHandle::set_str(std::string_view name, std::string_view v) {
  return server_ == nullptr ? set_option_str(options_, name, v) : OptionStatus::Invalid;
}

OptionStatus EngineHandle::set_int(std::string_view name, int64_t v) {
  return server_ == nullptr ? set_option_int(options_, name, v) : OptionStatus::Invalid;
}

OptionStatus EngineHandle::set_seconds(std::string_view name, double s) {
  return server_ == nullptr ? set_option_seconds(options_, name, s) : OptionStatus::Invalid;
}

EngineHandle::CreateError EngineHandle::create(const char** what) {
  static const char* unused;
  if (what == nullptr) what = &unused;
  *what = nullptr;
  if (server_ != nullptr) return CreateError::Ok;
  ServerOptions& opt = options_.server;
  bridge::Options& bopt = options_.bridge;
  // Every deferred request is either waiting in the request ring or holds a connection slot,
  // and each is abandoned at most once: this many cancellations can be pending, never more.
  // Writable events of streamed responses (bridge::kWritableFlag) share the ring: a stream has
  // at most two pending between two drains (one per wait of its producer, which waits for the
  // drain before it sends again), so room for two per slot more.  Should the ring still be
  // full, an event is pushed again later (Bridge::retry_writable); a cancellation never is.
  bopt.cancel_records = bopt.request_records + 3 * resolved_max_connections(opt);
  const char* error = nullptr;
  server_ = Server::create(opt, &error);
  // The engine has parsed the certificate and key (or failed to): no copy is kept.
  options_.clear_tls();
  if (server_ == nullptr) {
    *what = error != nullptr ? error : "server";
    // Server::create names a refused option by its name (validate_options, the descriptor
    // limit, gzip_level) or starts its message with it ("ssl_keyfile: ..."); anything else is
    // a resource.
    bool option = find_option(*what) != nullptr || std::string_view(*what).substr(0, 4) == "ssl_";
    return option ? CreateError::Option : CreateError::Resource;
  }
  bridge_ = bridge::Bridge::create(server_, bopt, &error);
  if (bridge_ == nullptr) {
    *what = error != nullptr ? error : "bridge";
    Server::destroy(server_);
    server_ = nullptr;
    // Bridge::create names an option its limits refuse (request_queue_bytes), else memory.
    return find_option(*what) != nullptr ? CreateError::Option : CreateError::Resource;
  }
  return CreateError::Ok;
}

AddResult EngineHandle::add_route(std::string_view method, std::string_view pattern,
                                  uint32_t route_id) {
  // "WEBSOCKET": a WebSocket route (GET upgrades), not an HTTP method.
  if (method == "WEBSOCKET" && bridge_ != nullptr) return bridge_->add_ws_route(pattern, route_id);
  http::Method m = http::method_from(method);
  if (m == http::Method::Unknown || bridge_ == nullptr) return AddResult::BadPattern;
  return bridge_->add_route(m, pattern, route_id);
}

const char* EngineHandle::add_static(std::string_view kind, std::string_view prefix,
                                     std::string_view source, bool html,
                                     std::string_view cache_control) {
  if (server_ == nullptr || started_) return "the engine is not configurable now";
  StaticMount m;
  if (kind == "directory")
    m.kind = StaticKind::Directory;
  else if (kind == "pack")
    m.kind = StaticKind::Pack;
  else if (kind == "file")
    m.kind = StaticKind::File;
  else
    return "kind";
  char path[512];  // the source as a C string
  if (source.size() >= sizeof path || source.find('\0') != std::string_view::npos)
    return "source: path too long";
  std::memcpy(path, source.data(), source.size());
  path[source.size()] = '\0';
  m.prefix = prefix;
  m.source = path;
  m.html = html;
  m.cache_control = cache_control;
  return server_->add_static(m);
}

int EngineHandle::start() {
  if (server_ == nullptr || started_) return -EINVAL;
  if (!server_->listen()) return -(errno != 0 ? errno : EINVAL);
  running_.store(true);
  port::configure_engine_thread();
  if (pthread_create(&thread_, nullptr, thread_main, this) != 0) {
    running_.store(false);
    return -EAGAIN;
  }
  started_ = true;
  return server_->port();
}

void* EngineHandle::thread_main(void* self) {
  auto* h = static_cast<EngineHandle*>(self);
  h->server_->run();
  h->running_.store(false);
  // Wake the interpreter so it notices the engine has stopped.
  h->bridge_->signal_interpreter();
  return nullptr;
}

void EngineHandle::stop() {
  if (server_ != nullptr) server_->request_stop();
}

bool EngineHandle::running() const {
  return running_.load();
}

void EngineHandle::join() {
  if (started_ && !joined_) {
    pthread_join(thread_, nullptr);
    joined_ = true;
  }
}

int EngineHandle::wake_fd() const {
  return bridge_ != nullptr ? bridge_->wake_fd() : -1;
}

// Built with Appender, not snprintf: inside MicroPython the libc printf family may be
// MicroPython's own, which has no "%llu".
size_t EngineHandle::stats_json(char* out, size_t cap) const {
  if (server_ == nullptr || cap < 2) return 0;
  size_t n = format_counters_json(server_->counters(), out, cap);
  if (n == 0) return 0;
  const bridge::BridgeCounters& b = bridge_->counters();
  const struct {
    const char* name;
    const Counter& value;
  } fields[] = {
      {"requests_queued", b.requests_queued},         {"queue_full_503", b.queue_full_503},
      {"cancels_queued", b.cancels_queued},           {"cancels_dropped", b.cancels_dropped},
      {"engine_wakeups", b.engine_wakeups},           {"responses_applied", b.responses_applied},
      {"responses_gone", b.responses_gone},           {"writable_events", b.writable_events},
      {"writable_dropped", b.writable_dropped},       {"requests_popped", b.requests_popped},
      {"responses_queued", b.responses_queued},       {"responses_full", b.responses_full},
      {"interpreter_wakeups", b.interpreter_wakeups}, {"ws_events_queued", b.ws_events_queued},
      {"ws_events_full", b.ws_events_full},
  };
  http::Appender a(out + n - 1, cap - (n - 1));  // reopen the object: drop its final '}'
  a.put(",\"bridge\":{");
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    a.put(i == 0 ? "\"" : ",\"");
    a.put(fields[i].name);
    a.put("\":");
    a.put_uint(fields[i].value.get());
  }
  a.put("}}");
  return a.ok() ? n - 1 + a.size() : 0;
}

}  // namespace viper::binding
