// The engine's event loop: accepts connections into a fixed pool of slots, reads requests,
// dispatches them to C routes and writes responses.  Single-threaded; every resource comes from
// pools allocated in Server::create(), so the steady state allocates nothing.
//
// Life of a request (see docs/architecture.md): readable -> recv into a lent I/O buffer ->
// RequestParser (incremental) -> body (Content-Length, or de-chunked in place; a body buffer
// is lent when head + body exceed one I/O buffer) -> router -> handler -> Responder formats
// into a lent output buffer -> sendmsg.  Pipelined requests are processed in order while the
// output buffer has room; responses leave in the same order.
#include "viper/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "http/response_writer.h"
#include "mem/allocator.h"
#include "net/buffer_pool.h"
#include "net/connection.h"
#include "port/port.h"

namespace viper {

using http::Framing;
using http::ParseError;
using net::Conn;
using net::ConnState;
using net::kNil;

namespace {

constexpr uint32_t kListenTag = 0xfffffff0u;
constexpr uint32_t kWakeTag = 0xfffffff1u;
constexpr uint32_t kLingerMs = 2000;
constexpr uint32_t kLingerMaxBytes = 1u << 20;  // discard at most this much, then close
constexpr uint32_t kMaxEvents = 64;
// Another pipelined request is processed only while this much output space is free.
constexpr uint32_t kOutReserve = VIPER_IO_BUFFER_BYTES / 2;
constexpr uint32_t kChunkPrefixRoom = 10;  // "ffffffff\r\n"

constexpr std::string_view kRejectFull =
    "HTTP/1.1 503 Service Unavailable\r\nServer: " VIPER_SERVER_NAME
    "\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n"
    "Retry-After: 1\r\n\r\n{\"detail\":\"Server has no free connection\"}";

}  // namespace

struct Server::Impl {
  ServerOptions opt;
  Router router;
  net::Poller* poller = nullptr;
  Conn* slots = nullptr;
  uint32_t* free_slots = nullptr;
  uint32_t free_top = 0;
  net::ConnLists lists;
  net::BufferPool io, bodies;
  http::Request req;  // the one request being dispatched (the loop is single-threaded)
  const Conn* req_owner = nullptr;   // whose head `req` describes (views into its buffer)
  char* path_scratch = nullptr;      // percent-decoded path of `req`
  char* alt_scratch = nullptr;       // path with the trailing slash toggled
  char* location_scratch = nullptr;  // Location header of a slash redirect
  http::DateCache date;
  Counters counters;
  int listen_fd = -1, wake_fd = -1;
  uint16_t bound_port = 0;
  uint64_t now = 0;
  std::atomic<bool> stop_requested{false};
  bool draining = false;
  uint64_t drain_deadline = 0;
  uint32_t timeouts[net::kNumLists] = {};

  // --- slot and buffer management -------------------------------------------------------
  uint32_t index_of(const Conn& c) const { return uint32_t(&c - slots); }
  void set_list(Conn& c, uint8_t list) {
    lists.unlink(slots, index_of(c));
    c.touched_ms = now;
    lists.push_back(slots, index_of(c), list);
  }
  bool lend_in(Conn& c);
  bool lend_out(Conn& c);
  void release_buffers(Conn& c);
  void close_conn(Conn& c);
  void set_interest(Conn& c, uint8_t events);

  // --- the request path -------------------------------------------------------------------
  void on_accept();
  void make_room();
  void on_event(Conn& c, uint32_t events);
  void on_readable(Conn& c);
  void drive(Conn& c);
  bool process(Conn& c);
  bool body_complete(Conn& c, uint32_t* consumed, std::string_view* body);
  bool grow_to_body_buffer(Conn& c);
  void dispatch(Conn& c, std::string_view body);
  bool flush(Conn& c);
  bool refill_stream(Conn& c);
  void settle(Conn& c);

  // --- engine-made responses ----------------------------------------------------------------
  bool respond(Conn& c, uint16_t status, std::string_view type, std::string_view body,
               const char* ext_body, const http::Header* extra, uint16_t n_extra);
  void respond_error(Conn& c, uint16_t status, std::string_view detail, bool close,
                     const http::Header* extra = nullptr, uint16_t n_extra = 0);
  void count_status(uint16_t status);
  bool try_redirect_slash(Conn& c, std::string_view path);

  static void free_all(Impl* d);

  // --- loop -----------------------------------------------------------------------------
  int next_timeout_ms() const;
  void expire_timeouts();
  void begin_drain();
};

// ---------------------------------------------------------------------------------------------
// Options

const char* validate_options(const ServerOptions& o) {
  if (o.host == nullptr || o.host[0] == '\0') return "host";
  if (o.max_connections < 1 || o.max_connections > VIPER_MAX_CONNECTIONS_CAP)
    return "max_connections";
  if (o.keepalive_timeout_ms < 1 || o.keepalive_timeout_ms > 3600000) return "keepalive_timeout_s";
  if (o.keepalive_max_requests < 1) return "keepalive_max_requests";
  if (o.header_timeout_ms < 1 || o.header_timeout_ms > 3600000) return "header_timeout_s";
  if (o.send_timeout_ms < 1 || o.send_timeout_ms > 3600000) return "send_timeout_s";
  if (o.limits.max_header_bytes < 64 || o.limits.max_header_bytes > VIPER_IO_BUFFER_BYTES)
    return "max_header_bytes";
  if (o.limits.max_headers < 1 || o.limits.max_headers > VIPER_MAX_HEADERS_CAP)
    return "max_headers";
  if (o.limits.max_uri_bytes < 1 || o.limits.max_uri_bytes >= o.limits.max_header_bytes)
    return "max_uri_bytes";
  if (o.limits.max_body_bytes > (64u << 20)) return "max_body_bytes";
  if (o.body_buffers > o.max_connections) return "body_buffers";
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Creation

Server* Server::create(const ServerOptions& options, const char** error) {
  static const char* unused;
  if (error == nullptr) error = &unused;
  if (const char* bad = validate_options(options)) {
    *error = bad;
    return nullptr;
  }
  if (options.max_connections + 16 > uint32_t(port::max_descriptors())) {
    *error = "max_connections (above the process descriptor limit)";
    return nullptr;
  }
  void* mem = mem::alloc(sizeof(Impl));
  if (mem == nullptr) {
    *error = "out of memory (server)";
    return nullptr;
  }
  Impl* d = new (mem) Impl();
  d->opt = options;
  ServerOptions& o = d->opt;
  if (o.body_buffers == 0) o.body_buffers = o.max_connections / 4 > 0 ? o.max_connections / 4 : 1;
  uint32_t n = o.max_connections;
  d->slots = mem::alloc_array<Conn>(n);
  d->free_slots = mem::alloc_array<uint32_t>(n);
  d->path_scratch = static_cast<char*>(mem::alloc(o.limits.max_uri_bytes + 1));
  d->alt_scratch = static_cast<char*>(mem::alloc(o.limits.max_uri_bytes + 2));
  d->location_scratch = static_cast<char*>(mem::alloc(o.limits.max_header_bytes + 16));
  d->poller = net::make_poller(o.poller, n + 2);
  bool ok =
      d->slots && d->free_slots && d->path_scratch && d->alt_scratch && d->location_scratch &&
      d->poller && d->io.init(2 * n, VIPER_IO_BUFFER_BYTES) &&
      d->bodies.init(o.body_buffers, uint32_t(o.limits.max_header_bytes + o.limits.max_body_bytes +
                                              VIPER_IO_BUFFER_BYTES));
  if (!ok) {
    *error = d->poller ? "out of memory (pools exceed the memory budget)" : "poller unavailable";
    Impl::free_all(d);
    return nullptr;
  }
  for (uint32_t i = 0; i < n; i++) {
    new (&d->slots[i]) Conn();
    d->free_slots[i] = n - 1 - i;
  }
  d->free_top = n;
  d->timeouts[net::kListIdle] = o.keepalive_timeout_ms;
  d->timeouts[net::kListHead] = o.header_timeout_ms;
  d->timeouts[net::kListBody] = o.header_timeout_ms;
  d->timeouts[net::kListSend] = o.send_timeout_ms;
  d->timeouts[net::kListLinger] = kLingerMs;
  void* smem = mem::alloc(sizeof(Server));
  if (smem == nullptr) {
    *error = "out of memory (server)";
    Impl::free_all(d);
    return nullptr;
  }
  return new (smem) Server(d);
}

void Server::Impl::free_all(Impl* d) {
  if (d->slots != nullptr) {
    for (uint32_t i = 0; i < d->opt.max_connections; i++) {
      if (d->slots[i].fd >= 0) close(d->slots[i].fd);
    }
  }
  if (d->listen_fd >= 0) close(d->listen_fd);
  if (d->wake_fd >= 0) port::wake_close(d->wake_fd);
  net::destroy_poller(d->poller);
  d->io.destroy();
  d->bodies.destroy();
  mem::release(d->slots);
  mem::release(d->free_slots);
  mem::release(d->path_scratch);
  mem::release(d->alt_scratch);
  mem::release(d->location_scratch);
  d->~Impl();
  mem::release(d);
}

void Server::destroy(Server* s) {
  if (s == nullptr) return;
  Impl::free_all(s->impl_);
  s->~Server();
  mem::release(s);
}

AddResult Server::add_route(http::Method method, std::string_view pattern, RouteFn fn, void* user) {
  return impl_->router.add(method, pattern, RouteTarget{reinterpret_cast<void*>(fn), user, 0});
}

const Counters& Server::counters() const {
  return impl_->counters;
}
size_t Server::bytes_per_idle_connection() {
  return sizeof(Conn) + sizeof(uint32_t);
}
uint16_t Server::port() const {
  return impl_->bound_port;
}

void Server::request_stop() {
  impl_->stop_requested.store(true);
  if (impl_->wake_fd >= 0) port::wake_signal(impl_->wake_fd);
}

bool Server::listen() {
  Impl& d = *impl_;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(d.opt.port);
  if (inet_pton(AF_INET, d.opt.host, &addr.sin_addr) != 1) {
    errno = EINVAL;
    return false;
  }
  d.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (d.listen_fd < 0) return false;
  int one = 1;
  setsockopt(d.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(d.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(d.listen_fd, 511) != 0 || !port::set_nonblocking(d.listen_fd)) {
    return false;
  }
  socklen_t len = sizeof addr;
  getsockname(d.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  d.bound_port = ntohs(addr.sin_port);
  d.wake_fd = port::wake_open();
  return d.wake_fd >= 0 && d.poller->add(d.listen_fd, net::kReadable, kListenTag) &&
         d.poller->add(d.wake_fd, net::kReadable, kWakeTag);
}

// ---------------------------------------------------------------------------------------------
// Slots and buffers

bool Server::Impl::lend_in(Conn& c) {
  if (c.in != nullptr) return true;
  c.in = io.take();
  if (c.in == nullptr) return false;
  c.in_cap = io.size();
  c.in_len = 0;
  c.big = false;
  counters.io_buffers_in_use.inc();
  return true;
}

bool Server::Impl::lend_out(Conn& c) {
  if (c.out != nullptr) return true;
  c.out = io.take();
  if (c.out == nullptr) return false;
  c.out_len = c.out_sent = 0;
  counters.io_buffers_in_use.inc();
  return true;
}

void Server::Impl::release_buffers(Conn& c) {
  if (c.in != nullptr) {
    if (c.big) {
      bodies.give(c.in);
      counters.body_buffers_in_use.dec();
    } else {
      io.give(c.in);
      counters.io_buffers_in_use.dec();
    }
    c.in = nullptr;
    c.in_len = c.in_cap = 0;
    c.big = false;
  }
  if (c.out != nullptr) {
    io.give(c.out);
    counters.io_buffers_in_use.dec();
    c.out = nullptr;
    c.out_len = c.out_sent = 0;
  }
}

void Server::Impl::close_conn(Conn& c) {
  uint32_t idx = index_of(c);
  lists.unlink(slots, idx);
  poller->remove(c.fd);
  close(c.fd);
  release_buffers(c);
  c.~Conn();
  new (&c) Conn();
  free_slots[free_top++] = idx;
  counters.connections_closed.inc();
  counters.connections_active.dec();
}

void Server::Impl::set_interest(Conn& c, uint8_t events) {
  if (c.interest == events) return;
  c.interest = events;
  poller->modify(c.fd, events, index_of(c));
}

// ---------------------------------------------------------------------------------------------
// Accepting, and making room when the pool is full (SPEC §4)

void Server::Impl::make_room() {
  // Cheapest first: a connection already closing, then the least recently used idle
  // keep-alive connection, then the oldest one still sending its head.
  uint32_t victim = lists.head(net::kListLinger);
  Counter* why = &counters.evicted_linger;
  if (victim == kNil) {
    victim = lists.head(net::kListIdle);
    why = &counters.evicted_idle;
  }
  if (victim == kNil) {
    victim = lists.head(net::kListHead);
    why = &counters.evicted_head;
  }
  if (victim == kNil) return;
  why->inc();
  close_conn(slots[victim]);
}

void Server::Impl::on_accept() {
  for (int i = 0; i < 64; i++) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) counters.io_errors.inc();
      return;
    }
    if (free_top == 0) make_room();
    if (free_top == 0) {
      // Every slot has a request in progress: refuse this one, keep serving the others.
      ssize_t r = send(fd, kRejectFull.data(), kRejectFull.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)r;
      close(fd);
      counters.rejected_full.inc();
      count_status(503);
      continue;
    }
    uint32_t idx = free_slots[--free_top];
    Conn& c = slots[idx];
    c.fd = fd;
    c.state = ConnState::Head;
    c.interest = net::kReadable;
    port::set_nodelay(fd);
    if (!poller->add(fd, net::kReadable, idx)) {
      counters.io_errors.inc();
      close(fd);
      c.fd = -1;
      c.state = ConnState::Free;
      free_slots[free_top++] = idx;
      continue;
    }
    counters.connections_accepted.inc();
    counters.connections_active.inc();
    set_list(c, net::kListHead);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading and processing

void Server::Impl::on_event(Conn& c, uint32_t events) {
  // A hang-up while output is pending is found by the next send (EPIPE), which closes.
  if ((events & (net::kWritable | net::kHangup)) && c.state == ConnState::Send) drive(c);
  if ((events & (net::kReadable | net::kHangup)) && c.state != ConnState::Free &&
      c.state != ConnState::Send) {
    on_readable(c);
  }
}

void Server::Impl::on_readable(Conn& c) {
  if (c.state == ConnState::Linger) {
    char sink[512];
    ssize_t n = recv(c.fd, sink, sizeof sink, 0);
    if (n > 0 && c.in_len + uint32_t(n) < kLingerMaxBytes) {
      c.in_len += uint32_t(n);  // counts discarded bytes; no buffer is held while lingering
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    close_conn(c);
    return;
  }
  if (!lend_in(c)) {  // cannot happen: the pool has two buffers per slot
    counters.io_errors.inc();
    close_conn(c);
    return;
  }
  if (c.in_len == c.in_cap) {  // cannot happen: the parser refuses a head before this
    respond_error(c, 431, "Request head too large", true);
    drive(c);
    return;
  }
  ssize_t n = recv(c.fd, c.in + c.in_len, c.in_cap - c.in_len, 0);
  if (n == 0) {
    close_conn(c);  // the client is gone (or half-closed after its last request)
    return;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    counters.peer_resets.inc();
    close_conn(c);
    return;
  }
  c.in_len += uint32_t(n);
  if (c.state == ConnState::Idle) {
    c.state = ConnState::Head;
    set_list(c, net::kListHead);
  } else if (c.state == ConnState::Body) {
    set_list(c, net::kListBody);  // progress restarts the body inactivity timeout
  }
  drive(c);
}

// Runs the connection as far as it can go without blocking: process buffered requests, write
// output, refill a stream, and repeat while progress is possible.
void Server::Impl::drive(Conn& c) {
  for (;;) {
    bool more = process(c);
    if (c.state == ConnState::Free) return;
    if (!flush(c)) return;                                 // closed
    if (c.out_len != 0 || c.extra_body != nullptr) break;  // socket full: wait for writable
    if (c.streaming) {
      if (!refill_stream(c)) return;
      continue;
    }
    if (c.close_after) {
      // Unread input would make close() send RST and lose the response: linger instead.
      if (c.linger || c.in_len > 0) {
        shutdown(c.fd, SHUT_WR);
        release_buffers(c);
        c.state = ConnState::Linger;
        c.in_len = 0;
        set_interest(c, net::kReadable);
        set_list(c, net::kListLinger);
      } else {
        close_conn(c);
      }
      return;
    }
    if (!more) break;
  }
  settle(c);
}

// After a drive: choose the list, the poller interest and whether buffers can go back.
void Server::Impl::settle(Conn& c) {
  bool pending_out = c.out_len != 0 || c.extra_body != nullptr || c.streaming;
  if (pending_out) {
    set_interest(c, net::kWritable);
    if (c.state != ConnState::Send) {
      c.state = ConnState::Send;
      set_list(c, net::kListSend);
    }
    return;
  }
  set_interest(c, net::kReadable);
  if (c.head_ready) {
    if (c.state != ConnState::Body) {
      c.state = ConnState::Body;
      set_list(c, net::kListBody);
    }
    return;
  }
  if (c.in_len > 0) {
    if (c.state != ConnState::Head) {
      c.state = ConnState::Head;
      set_list(c, net::kListHead);
    }
    return;
  }
  // Nothing buffered, nothing to send: an idle keep-alive connection holds only its slot.
  release_buffers(c);
  if (draining) {
    close_conn(c);
  } else if (c.requests == 0) {
    c.state = ConnState::Head;  // accepted, nothing received yet: the header timeout runs
  } else if (c.state != ConnState::Idle) {
    c.state = ConnState::Idle;
    set_list(c, net::kListIdle);
  }
}

// Parses and answers buffered requests in order.  Returns true if it stopped only because the
// output buffer needs to drain first (so drive() should call it again after flushing).
bool Server::Impl::process(Conn& c) {
  while (c.in_len > 0 && !c.close_after && !c.streaming && c.extra_body == nullptr) {
    if (c.out != nullptr && c.out_len + kOutReserve > io.size()) return true;
    if (!c.head_ready) {
      c.parser.reset();
      int r = c.parser.parse(c.in, c.in_len, opt.limits, req);
      req_owner = &c;
      if (r == 0) return false;
      if (r < 0) {
        ParseError e = c.parser.error();
        counters.parse_errors[unsigned(e) & 7].inc();
        respond_error(c, http::status_of(e), http::detail_of(e), true);
        return false;
      }
      c.head_ready = true;
      c.is_head = req.method == http::Method::Head;
      c.minor0 = req.http_minor == 0;
      c.head_bytes = uint32_t(r);
      c.raw_start = c.head_bytes;
      c.chunked.reset();
      bool need_body =
          (req.body == http::BodyKind::Length && c.in_len - c.head_bytes < req.content_length) ||
          req.body == http::BodyKind::Chunked;
      if (req.expect_continue && need_body && lend_out(c)) {
        static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
        std::memcpy(c.out + c.out_len, k100.data(), k100.size());
        c.out_len += uint32_t(k100.size());
        count_status(100);
      }
    }
    uint32_t consumed = 0;
    std::string_view body;
    if (!body_complete(c, &consumed, &body)) return false;
    if (req_owner != &c) {
      // The shared `req` describes another connection's head by now (or our buffer moved):
      // parse ours again; the parser is deterministic and left the bytes untouched.
      c.parser.reset();
      c.parser.parse(c.in, c.head_bytes, opt.limits, req);
      req_owner = &c;
    }
    dispatch(c, body);
    c.head_ready = false;
    c.requests++;
    if (c.requests > 1) counters.keepalive_reuses.inc();
    if (c.in_len > consumed) std::memmove(c.in, c.in + consumed, c.in_len - consumed);
    c.in_len -= consumed;
  }
  return false;
}

// Checks whether the body of the parsed head has fully arrived; de-chunks in place.  On false
// the connection waits for more bytes (or an error response was queued).
bool Server::Impl::body_complete(Conn& c, uint32_t* consumed, std::string_view* body) {
  if (req.body == http::BodyKind::None ||
      (req.body == http::BodyKind::Length && req.content_length == 0)) {
    *consumed = c.head_bytes;
    return true;
  }
  if (req.body == http::BodyKind::Length) {
    uint64_t need = c.head_bytes + req.content_length;
    if (c.in_len >= need) {
      *consumed = uint32_t(need);
      *body = std::string_view(c.in + c.head_bytes, size_t(req.content_length));
      return true;
    }
    if (need > c.in_cap && !grow_to_body_buffer(c)) return false;
    return false;
  }
  size_t len = c.in_len - c.raw_start;
  int r = c.chunked.decode(c.in + c.raw_start, &len, opt.limits.max_body_bytes);
  if (r == -1) {
    bool big = c.chunked.too_large();
    respond_error(c, big ? 413 : 400, big ? "Request body too large" : "Malformed chunked body",
                  true);
    return false;
  }
  uint32_t body_end = c.raw_start + uint32_t(len);
  if (r == -2) {
    c.in_len = body_end;
    c.raw_start = body_end;
    if (c.in_len == c.in_cap && !c.big)
      grow_to_body_buffer(c);
    else if (c.in_len == c.in_cap)
      respond_error(c, 413, "Request body too large", true);
    return false;
  }
  c.in_len = body_end + uint32_t(r);
  *consumed = body_end;
  *body = std::string_view(c.in + c.head_bytes, body_end - c.head_bytes);
  return true;
}

// The request does not fit in an I/O buffer: move it into a body buffer (head + max body).
bool Server::Impl::grow_to_body_buffer(Conn& c) {
  char* b = bodies.take();
  if (b == nullptr) {
    counters.body_buffers_exhausted.inc();
    respond_error(c, 503, "Server has no free body buffer", true);
    return false;
  }
  counters.body_buffers_in_use.inc();
  if (req_owner == &c) req_owner = nullptr;  // its views point into the old buffer
  std::memcpy(b, c.in, c.in_len);
  io.give(c.in);
  counters.io_buffers_in_use.dec();
  c.in = b;
  c.in_cap = bodies.size();
  c.big = true;
  return true;
}

// Routes a complete request and runs its handler, or answers 404/405/307/501 itself.
void Server::Impl::dispatch(Conn& c, std::string_view body) {
  counters.requests.inc();
  if (c.requests + 1 >= opt.keepalive_max_requests || !req.keep_alive || draining)
    c.close_after = true;
  if (req.method == http::Method::Unknown) {
    counters.bad_method.inc();
    respond_error(c, 501, "Method Not Implemented", c.close_after);
    return;
  }
  std::string_view path = req.path;
  if (path.find('%') != std::string_view::npos) {
    int n = http::percent_decode(path, path_scratch, opt.limits.max_uri_bytes);
    if (n < 0) {
      counters.bad_path.inc();
      respond_error(c, 400, "Invalid percent-encoding in path", true);
      return;
    }
    path = std::string_view(path_scratch, size_t(n));
  }
  MatchResult m;
  router.match(req.method, path, m);
  if (m.kind == MatchKind::NotFound) {
    if (!try_redirect_slash(c, path)) respond_error(c, 404, "Not Found", c.close_after);
    return;
  }
  if (m.kind == MatchKind::MethodNotAllowed) {
    char allow[96];
    size_t n = format_allow(m.allow, allow, sizeof allow);
    http::Header h{"Allow", std::string_view(allow, n)};
    respond_error(c, 405, "Method Not Allowed", c.close_after, &h, 1);
    return;
  }
  RouteRequest rr{&req, path, m.params, m.num_params, body};
  Responder res(this, &c);
  auto fn = reinterpret_cast<RouteFn>(m.target.fn);
  fn(rr, res, m.target.user);
  if (!res.responded()) respond_error(c, 500, "Internal Server Error", c.close_after);
}

bool Server::Impl::try_redirect_slash(Conn& c, std::string_view path) {
  if (!opt.redirect_slashes || path.size() <= 1) return false;
  char* alt = alt_scratch;
  bool has_slash = path.back() == '/';
  size_t plen = has_slash ? path.size() - 1 : path.size();
  if (plen + 1 > opt.limits.max_uri_bytes + 1) return false;
  std::memcpy(alt, path.data(), plen);
  if (!has_slash) alt[plen++] = '/';
  if (!router.path_exists(std::string_view(alt, plen))) return false;
  // Location keeps the raw (encoded) path and the query, with the slash toggled, absolute
  // when the client sent Host (as Starlette does).
  char* loc = location_scratch;
  http::Appender a(loc, opt.limits.max_header_bytes + 16);
  if (!req.host.empty()) {
    a.put("http://");
    a.put(req.host);
  }
  std::string_view raw = req.path;
  a.put(raw.back() == '/' ? raw.substr(0, raw.size() - 1) : raw);
  if (raw.back() != '/') a.put("/");
  if (!req.query.empty()) {
    a.put("?");
    a.put(req.query);
  }
  if (!a.ok()) return false;
  http::Header h{"Location", std::string_view(loc, a.size())};
  if (!respond(c, 307, {}, {}, nullptr, &h, 1))
    respond_error(c, 500, "Internal Server Error", true);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writing

void Server::Impl::count_status(uint16_t status) {
  for (size_t i = 0; i < kNumCountedStatuses; i++) {
    if (kCountedStatuses[i] == status) {
      counters.status[i].inc();
      return;
    }
  }
  counters.status_other.inc();
}

// Queues a complete response: head (and a copied body) into the output buffer, or a borrowed
// static body after it.  HEAD requests get the head only.
bool Server::Impl::respond(Conn& c, uint16_t status, std::string_view type, std::string_view body,
                           const char* ext_body, const http::Header* extra, uint16_t n_extra) {
  if (!lend_out(c)) return false;
  http::ResponseHead h;
  h.status = status;
  h.content_type = type;
  bool no_body = status < 200 || status == 204 || status == 304;
  h.framing = no_body ? Framing::NoBody : Framing::Length;
  h.content_length = body.size();
  h.close = c.close_after;
  h.keep_alive_10 = !c.close_after && c.minor0;
  h.extra = extra;
  h.num_extra = n_extra;
  size_t room = io.size() - c.out_len;
  size_t n = http::write_head(c.out + c.out_len, room, h, date);
  bool send_body = !no_body && !c.is_head;
  if (n == 0 || (send_body && ext_body == nullptr && n + body.size() > room)) return false;
  c.out_len += uint32_t(n);
  if (send_body && !body.empty()) {
    if (ext_body != nullptr) {
      c.extra_body = ext_body;
      c.extra_len = uint32_t(body.size());
      c.extra_sent = 0;
    } else {
      std::memcpy(c.out + c.out_len, body.data(), body.size());
      c.out_len += uint32_t(body.size());
    }
  }
  count_status(status);
  return true;
}

void Server::Impl::respond_error(Conn& c, uint16_t status, std::string_view detail, bool close,
                                 const http::Header* extra, uint16_t n_extra) {
  if (close) {
    c.close_after = true;
    c.linger = true;
  }
  char body[160];
  http::Appender a(body, sizeof body);
  a.put("{\"detail\":\"");
  a.put(detail);
  a.put("\"}");
  // The output buffer may hold earlier pipelined responses; an error always fits after them
  // because process() keeps kOutReserve free.
  if (!respond(c, status, "application/json", std::string_view(body, a.size()), nullptr, extra,
               n_extra)) {
    c.close_after = true;
  }
}

// Writes pending output.  Returns false if the connection was closed.
bool Server::Impl::flush(Conn& c) {
  while (c.out_sent < c.out_len || c.extra_body != nullptr) {
    iovec iov[2];
    int n_iov = 0;
    if (c.out_sent < c.out_len) iov[n_iov++] = iovec{c.out + c.out_sent, c.out_len - c.out_sent};
    if (c.extra_body != nullptr)
      iov[n_iov++] =
          iovec{const_cast<char*>(c.extra_body) + c.extra_sent, c.extra_len - c.extra_sent};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(n_iov);
    ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      counters.peer_resets.inc();
      close_conn(c);
      return false;
    }
    if (c.list == net::kListSend) set_list(c, net::kListSend);  // progress: restart timeout
    size_t sent = size_t(n);
    size_t from_out = c.out_len - c.out_sent < sent ? c.out_len - c.out_sent : sent;
    c.out_sent += uint32_t(from_out);
    sent -= from_out;
    if (c.extra_body != nullptr) {
      c.extra_sent += uint32_t(sent);
      if (c.extra_sent == c.extra_len) c.extra_body = nullptr;
    }
  }
  c.out_len = c.out_sent = 0;
  return true;
}

// Asks the stream's producer for the next piece and frames it.  Returns false if closed.
bool Server::Impl::refill_stream(Conn& c) {
  size_t cap = io.size() - kChunkPrefixRoom - 2 - http::kLastChunk.size();
  bool done = false;
  char* dst = c.out + kChunkPrefixRoom;
  size_t n = c.fill(c.fill_user, c.fill_state, dst, cap, &done);
  if (n > cap) n = cap;
  if (c.stream_raw) {
    std::memmove(c.out, dst, n);
    c.out_len = uint32_t(n);
  } else if (n > 0) {
    char prefix[kChunkPrefixRoom];
    size_t p = http::write_chunk_prefix(prefix, sizeof prefix, n);
    std::memcpy(c.out, prefix, p);
    std::memmove(c.out + p, dst, n);
    std::memcpy(c.out + p + n, "\r\n", 2);
    c.out_len = uint32_t(p + n + 2);
  }
  if (done) {
    if (!c.stream_raw) {
      std::memcpy(c.out + c.out_len, http::kLastChunk.data(), http::kLastChunk.size());
      c.out_len += uint32_t(http::kLastChunk.size());
    }
    c.streaming = false;
    c.fill = nullptr;
  }
  return flush(c);
}

// ---------------------------------------------------------------------------------------------
// Timeouts and the loop

int Server::Impl::next_timeout_ms() const {
  uint64_t best = UINT64_MAX;
  for (uint8_t l = 0; l < net::kNumLists; l++) {
    uint32_t h = lists.head(l);
    if (h == kNil) continue;
    uint64_t due = slots[h].touched_ms + timeouts[l];
    if (due < best) best = due;
  }
  if (draining && drain_deadline < best) best = drain_deadline;
  if (best == UINT64_MAX) return -1;
  return best <= now ? 0 : int(best - now > 60000 ? 60000 : best - now);
}

void Server::Impl::expire_timeouts() {
  for (uint8_t l = 0; l < net::kNumLists; l++) {
    uint32_t h;
    while ((h = lists.head(l)) != kNil && slots[h].touched_ms + timeouts[l] <= now) {
      Conn& c = slots[h];
      switch (l) {
        case net::kListIdle:
          counters.timeouts_idle.inc();
          break;
        case net::kListSend:
          counters.timeouts_send.inc();
          break;
        case net::kListHead:
          counters.timeouts_header.inc();
          break;
        case net::kListBody:
          counters.timeouts_body.inc();
          break;
        default:
          break;
      }
      bool tell = (l == net::kListHead && c.in_len > 0) || l == net::kListBody;
      if (tell) {
        c.head_ready = false;
        c.in_len = 0;
        c.is_head = false;
        respond_error(c, 408, "Request Timeout", true);
        drive(c);
        if (c.state != ConnState::Free && slots[h].list == l && lists.head(l) == h) close_conn(c);
      } else {
        close_conn(c);
      }
    }
  }
}

void Server::Impl::begin_drain() {
  draining = true;
  drain_deadline = now + opt.shutdown_grace_ms;
  if (listen_fd >= 0) {
    poller->remove(listen_fd);
    close(listen_fd);
    listen_fd = -1;
  }
  for (uint32_t i = 0; i < opt.max_connections; i++) {
    Conn& c = slots[i];
    if (c.state == ConnState::Idle || c.state == ConnState::Linger ||
        (c.state == ConnState::Head && c.in_len == 0)) {
      close_conn(c);
    }
  }
}

void Server::run() {
  Impl& d = *impl_;
  port::block_signals_in_this_thread();
  net::PollEvent events[kMaxEvents];
  d.now = port::now_ms();
  while (true) {
    if (d.stop_requested.load() && !d.draining) d.begin_drain();
    if (d.draining && (d.counters.connections_active.get() == 0 || d.now >= d.drain_deadline))
      break;
    int n = d.poller->wait(events, int(kMaxEvents), d.next_timeout_ms());
    d.counters.loop_wakeups.inc();
    d.now = port::now_ms();
    d.date.update(port::unix_time());
    for (int i = 0; i < n; i++) {
      uint32_t tag = events[i].tag;
      if (tag == kListenTag) {
        if (d.listen_fd >= 0) d.on_accept();
      } else if (tag == kWakeTag) {
        port::wake_drain(d.wake_fd);
      } else if (tag < d.opt.max_connections) {
        d.on_event(d.slots[tag], events[i].events);
      }
    }
    d.expire_timeouts();
  }
  for (uint32_t i = 0; i < d.opt.max_connections; i++) {
    if (d.slots[i].state != ConnState::Free) d.close_conn(d.slots[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// Responder

size_t Responder::copy_capacity() const {
  return kOutReserve - 512;
}

bool Responder::send(uint16_t status, std::string_view type, std::string_view body,
                     const http::Header* extra, uint16_t n_extra) {
  return finish(status, type, body, nullptr, extra, n_extra);
}

bool Responder::send_static(uint16_t status, std::string_view type, std::string_view body,
                            const http::Header* extra, uint16_t n_extra) {
  return finish(status, type, body, body.data(), extra, n_extra);
}

bool Responder::finish(uint16_t status, std::string_view type, std::string_view body,
                       const char* ext, const http::Header* extra, uint16_t n_extra) {
  if (responded_) return false;
  for (uint16_t i = 0; i < n_extra; i++) {
    if (!http::header_value_ok(extra[i].value) || !http::header_value_ok(extra[i].name))
      return false;
  }
  if (!http::header_value_ok(type)) return false;
  Conn& c = *static_cast<Conn*>(conn_);
  responded_ =
      static_cast<Server::Impl*>(engine_)->respond(c, status, type, body, ext, extra, n_extra);
  return responded_;
}

bool Responder::stream(uint16_t status, std::string_view type, ChunkFill fill, void* user,
                       const http::Header* extra, uint16_t n_extra) {
  if (responded_ || fill == nullptr) return false;
  Server::Impl& d = *static_cast<Server::Impl*>(engine_);
  Conn& c = *static_cast<Conn*>(conn_);
  if (!d.lend_out(c)) return false;
  bool raw = c.minor0;
  if (raw) c.close_after = true;
  http::ResponseHead h;
  h.status = status;
  h.content_type = type;
  h.framing = raw ? Framing::Close : Framing::Chunked;
  h.close = c.close_after;
  h.extra = extra;
  h.num_extra = n_extra;
  size_t n = http::write_head(c.out + c.out_len, d.io.size() - c.out_len, h, d.date);
  if (n == 0) return false;
  c.out_len += uint32_t(n);
  d.count_status(status);
  if (!c.is_head) {
    c.streaming = true;
    c.stream_raw = raw;
    c.fill = fill;
    c.fill_user = user;
    c.fill_state[0] = c.fill_state[1] = 0;
  }
  responded_ = true;
  return true;
}

const PathParam* RouteRequest::param(std::string_view name) const {
  for (uint8_t i = 0; i < num_params; i++) {
    if (params[i].name == name) return &params[i];
  }
  return nullptr;
}

}  // namespace viper
