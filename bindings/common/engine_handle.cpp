#include "engine_handle.h"

#include <cerrno>
#include <cstring>

#include "http/response_writer.h"
#include "port/port.h"

namespace viper::binding {

const OptionSpec kOptionSpecs[] = {
    {"host", OptionKind::Str},
    {"port", OptionKind::Int},
    {"poller", OptionKind::Str},
    {"max_connections", OptionKind::Int},
    {"keepalive_timeout_s", OptionKind::Seconds},
    {"keepalive_max_requests", OptionKind::Int},
    {"header_timeout_s", OptionKind::Seconds},
    {"handler_timeout_s", OptionKind::Seconds},
    {"send_timeout_s", OptionKind::Seconds},
    {"max_header_bytes", OptionKind::Int},
    {"max_headers", OptionKind::Int},
    {"max_uri_bytes", OptionKind::Int},
    {"max_body_bytes", OptionKind::Int},
    {"body_buffers", OptionKind::Int},
    {"request_queue", OptionKind::Int},
    {"request_queue_bytes", OptionKind::Int},
    {"response_queue_bytes", OptionKind::Int},
    {"gzip_level", OptionKind::Int},
    {"gzip_min_bytes", OptionKind::Int},
    {"static_cache_bytes", OptionKind::Int},
    {"access_log", OptionKind::Int},
    {"evict_idle_after_ms", OptionKind::Int},
    {"evict_head_after_ms", OptionKind::Int},
    {"evict_silent_after_ms", OptionKind::Int},
    {"slot_turn_ms", OptionKind::Int},
    {"admission_timeout_ms", OptionKind::Int},
};
const size_t kNumOptionSpecs = sizeof(kOptionSpecs) / sizeof(kOptionSpecs[0]);

EngineHandle::EngineHandle() {
  opt_.host = host_;
}

EngineHandle::~EngineHandle() {
  if (started_ && !joined_) {
    stop();
    join();
  }
  Server::destroy(server_);  // before the bridge: the server calls the bridge's hooks
  bridge::Bridge::destroy(bridge_);
}

bool EngineHandle::set_str(const char* name, std::string_view v) {
  std::string_view n = name;
  if (n == "host") {
    if (v.empty() || v.size() >= sizeof host_) return false;
    std::memcpy(host_, v.data(), v.size());
    host_[v.size()] = '\0';
    return true;
  }
  if (n == "poller") {
    if (v == "epoll")
      opt_.poller = net::PollerKind::Epoll;
    else if (v == "select")
      opt_.poller = net::PollerKind::Select;
    else
      return false;
    return true;
  }
  return false;
}

bool EngineHandle::set_int(const char* name, int64_t v) {
  std::string_view n = name;
  if (v < 0) return false;
  auto u = uint64_t(v);
  auto u32 = [&](uint32_t* field) {
    if (u > UINT32_MAX) return false;
    *field = uint32_t(u);
    return true;
  };
  if (n == "port") {
    if (u > 65535) return false;
    opt_.port = uint16_t(u);
    return true;
  }
  if (n == "max_connections") return u > 0 && u32(&opt_.max_connections);  // 0 is internal
  if (n == "keepalive_max_requests") return u32(&opt_.keepalive_max_requests);
  if (n == "max_header_bytes") return u32(&opt_.limits.max_header_bytes);
  if (n == "max_headers") return u32(&opt_.limits.max_headers);
  if (n == "max_uri_bytes") return u32(&opt_.limits.max_uri_bytes);
  if (n == "body_buffers") return u32(&opt_.body_buffers);
  if (n == "request_queue") return u32(&bopt_.request_records);
  if (n == "request_queue_bytes") return u32(&bopt_.request_bytes) && u > 1024;
  if (n == "response_queue_bytes") return u32(&bopt_.response_bytes) && u > 1024;
  if (n == "gzip_level") {
    if (u > 9) return false;
    opt_.gzip_level = uint8_t(u);
    return true;
  }
  if (n == "gzip_min_bytes") return u32(&opt_.gzip_min_bytes);
  if (n == "static_cache_bytes") return u32(&opt_.static_cache_bytes);
  if (n == "evict_idle_after_ms") return u32(&opt_.evict_idle_after_ms);
  if (n == "evict_head_after_ms") return u32(&opt_.evict_head_after_ms);
  if (n == "evict_silent_after_ms") return u32(&opt_.evict_silent_after_ms);
  if (n == "slot_turn_ms") return u32(&opt_.slot_turn_ms);
  if (n == "admission_timeout_ms") return u32(&opt_.admission_timeout_ms);
  if (n == "access_log") {
    opt_.access_log = u != 0;
    return u <= 1;
  }
  if (n == "max_body_bytes") {
    opt_.limits.max_body_bytes = u;
    return true;
  }
  return false;
}

bool EngineHandle::set_seconds(const char* name, double s) {
  std::string_view n = name;
  if (!(s > 0.0) || s > 3600.0) return false;
  auto ms = uint32_t(s * 1000.0);
  if (ms == 0) ms = 1;
  if (n == "keepalive_timeout_s")
    opt_.keepalive_timeout_ms = ms;
  else if (n == "header_timeout_s")
    opt_.header_timeout_ms = ms;
  else if (n == "handler_timeout_s")
    opt_.handler_timeout_ms = ms;
  else if (n == "send_timeout_s")
    opt_.send_timeout_ms = ms;
  else
    return false;
  return true;
}

const char* EngineHandle::create() {
  const char* error = nullptr;
  // Every deferred request is either waiting in the request ring or holds a connection slot,
  // and each is abandoned at most once: this many cancellations can be pending, never more.
  bopt_.cancel_records = bopt_.request_records + resolved_max_connections(opt_);
  server_ = Server::create(opt_, &error);
  if (server_ == nullptr) return error;
  bridge_ = bridge::Bridge::create(server_, bopt_, &error);
  return bridge_ == nullptr ? error : nullptr;
}

AddResult EngineHandle::add_route(std::string_view method, std::string_view pattern,
                                  uint32_t route_id) {
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
      {"responses_gone", b.responses_gone},           {"requests_popped", b.requests_popped},
      {"responses_queued", b.responses_queued},       {"responses_full", b.responses_full},
      {"interpreter_wakeups", b.interpreter_wakeups},
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
