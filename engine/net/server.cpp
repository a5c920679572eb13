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

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "net/server_impl.h"
#include "port/port.h"

namespace viper {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Options

uint32_t resolved_max_connections(const ServerOptions& o) {
  if (o.max_connections != 0) return o.max_connections;
  int room = port::max_descriptors() - port::reserved_descriptors();
  uint32_t n = VIPER_DEFAULT_MAX_CONNECTIONS;
  if (room < int(n)) n = room > 1 ? uint32_t(room) : 1u;
  return n > VIPER_MAX_CONNECTIONS_CAP ? VIPER_MAX_CONNECTIONS_CAP : n;
}

const char* validate_options(const ServerOptions& o) {
  if (o.host == nullptr || o.host[0] == '\0') return "host";
  if (o.max_connections > VIPER_MAX_CONNECTIONS_CAP) return "max_connections";
  if (o.keepalive_timeout_ms < 1 || o.keepalive_timeout_ms > 3600000) return "keepalive_timeout_s";
  if (o.keepalive_max_requests < 1) return "keepalive_max_requests";
  if (o.header_timeout_ms < 1 || o.header_timeout_ms > 3600000) return "header_timeout_s";
  if (o.send_timeout_ms < 1 || o.send_timeout_ms > 3600000) return "send_timeout_s";
  if (o.handler_timeout_ms < 1 || o.handler_timeout_ms > 3600000) return "handler_timeout_s";
  if (o.limits.max_header_bytes < 64 || o.limits.max_header_bytes > VIPER_IO_BUFFER_BYTES)
    return "max_header_bytes";
  if (o.limits.max_headers < 1 || o.limits.max_headers > VIPER_MAX_HEADERS_CAP)
    return "max_headers";
  if (o.limits.max_uri_bytes < 1 || o.limits.max_uri_bytes >= o.limits.max_header_bytes)
    return "max_uri_bytes";
  if (o.limits.max_body_bytes > (64u << 20)) return "max_body_bytes";
  if (o.body_buffers > resolved_max_connections(o)) return "body_buffers";
  if (o.evict_idle_after_ms > 3600000) return "evict_idle_after_ms";
  if (o.evict_head_after_ms > 3600000) return "evict_head_after_ms";
  if (o.evict_silent_after_ms > 3600000) return "evict_silent_after_ms";
  if (o.slot_turn_ms > 3600000) return "slot_turn_ms";
  if (o.admission_timeout_ms > 3600000) return "admission_timeout_ms";
  // Beyond an I/O buffer's room, a stream borrows a body buffer: at most its size less 1 KB.
  if (o.stream_buffer_bytes > kMaxStreamBuffer &&
      uint64_t(o.stream_buffer_bytes) + 1024 >
          uint64_t(o.limits.max_header_bytes) + o.limits.max_body_bytes + VIPER_IO_BUFFER_BYTES)
    return "stream_buffer_bytes";
  if (o.ws_max_message_bytes < 125 || o.ws_max_message_bytes > (64u << 20))
    return "ws_max_message_bytes";
  if (o.ws_ping_interval_ms < 1 || o.ws_ping_interval_ms > 3600000) return "ws_ping_interval_s";
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
  if (options.max_connections + uint32_t(port::reserved_descriptors()) >
      uint32_t(port::max_descriptors())) {
    // More connections than the platform's socket limit allows (LWIP_MAX_SOCKETS on the
    // device, the descriptor limit on a PC): reported as an invalid option, like the others.
    *error = "max_connections";
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
  o.max_connections = resolved_max_connections(options);
  if (o.body_buffers == 0) {
    // A quarter of the slots, at most 32 (each holds max_header_bytes + max_body_bytes; a
    // PC's 512 slots would otherwise reserve 10 MB for a rare case).
    uint32_t quarter = o.max_connections / 4;
    o.body_buffers = quarter == 0 ? 1 : quarter > 32 ? 32 : quarter;
  }
  uint32_t n = o.max_connections;
  d->slots = mem::alloc_array<Conn>(n);
  d->free_slots = mem::alloc_array<uint32_t>(n);
  d->stream_dirty = mem::alloc_array<uint32_t>(n);
  d->path_scratch = static_cast<char*>(mem::alloc(o.limits.max_uri_bytes + 1));
  d->alt_scratch = static_cast<char*>(mem::alloc(o.limits.max_uri_bytes + 2));
  d->location_scratch = static_cast<char*>(mem::alloc(d->location_capacity()));
  // Besides the connections: the listening socket, the wake descriptor and the bridge's hook
  // descriptor (set_hooks).  The select poller has no room beyond its capacity.
  d->poller = net::make_poller(o.poller, n + 3);
  bool ok =
      d->slots && d->free_slots && d->stream_dirty && d->path_scratch && d->alt_scratch &&
      d->location_scratch && d->poller && d->io.init(2 * n, VIPER_IO_BUFFER_BYTES) &&
      d->bodies.init(o.body_buffers, uint32_t(o.limits.max_header_bytes + o.limits.max_body_bytes +
                                              VIPER_IO_BUFFER_BYTES));
  if (!ok) {
    *error = d->poller ? "out of memory (pools exceed the memory budget)" : "poller unavailable";
    Impl::free_all(d);
    return nullptr;
  }
  d->tokens = net::TokenFormat(n);
  for (uint32_t i = 0; i < n; i++) {
    new (&d->slots[i]) Conn();
    d->slots[i].generation = d->tokens.first_generation();
    d->free_slots[i] = n - 1 - i;
  }
  d->free_top = n;
  if (const char* why = d->files.init(n, o.static_cache_bytes)) {
    *error = why;
    Impl::free_all(d);
    return nullptr;
  }
  if (o.tls.enabled()) {
    if (const char* why = d->init_tls()) {
      *error = why;
      Impl::free_all(d);
      return nullptr;
    }
  }
  if (o.access_log) {
    if (!d->log.init()) {
      *error = "out of memory (access_log)";
      Impl::free_all(d);
      return nullptr;
    }
  }
  if (o.gzip_level > 0 &&
      !d->gzip.init(o.gzip_level, VIPER_GZIP_WINDOW_BITS, VIPER_GZIP_MEM_LEVEL)) {
    *error = o.gzip_level > 9 ? "gzip_level" : "out of memory (gzip)";
    Impl::free_all(d);
    return nullptr;
  }
  d->admission.configure({o.evict_idle_after_ms, o.evict_head_after_ms, o.evict_silent_after_ms,
                          o.slot_turn_ms, o.admission_timeout_ms});
  d->timeouts[net::kListIdle] = o.keepalive_timeout_ms;
  d->timeouts[net::kListSilent] = o.header_timeout_ms;
  d->timeouts[net::kListHead] = o.header_timeout_ms;
  d->timeouts[net::kListBody] = o.header_timeout_ms;
  d->timeouts[net::kListSend] = o.send_timeout_ms;
  d->timeouts[net::kListLinger] = kLingerMs;
  d->timeouts[net::kListBusy] = o.handler_timeout_ms;
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
      if (d->slots[i].fd >= 0) port::close_socket(d->slots[i].fd);
    }
  }
  if (d->listen_fd >= 0) port::close_socket(d->listen_fd);
  if (d->wake_fd >= 0) port::wake_close(d->wake_fd);
  net::destroy_poller(d->poller);
  d->io.destroy();
  d->bodies.destroy();
  mem::release(d->slots);
  mem::release(d->free_slots);
  mem::release(d->stream_dirty);
  mem::release(d->path_scratch);
  mem::release(d->alt_scratch);
  mem::release(d->location_scratch);
  d->gzip.destroy();
  d->log.destroy();
  d->files.destroy();
  d->destroy_tls();
  d->free_ws();
  d->~Impl();
  mem::release(d);
}

void Server::destroy(Server* s) {
  if (s == nullptr) return;
  Impl::free_all(s->impl_);
  s->~Server();
  mem::release(s);
}

AddResult Server::add_route(http::Method method, std::string_view pattern, RouteFn fn, void* user,
                            uint32_t id) {
  return impl_->router.add(method, pattern, RouteTarget{reinterpret_cast<void*>(fn), user, id});
}

const char* Server::add_static(const StaticMount& sm) {
  return impl_->files.add_mount(sm, impl_->router);
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

uint32_t Server::max_connections() const {
  return impl_->opt.max_connections;
}

size_t Server::max_completion_body() const {
  return impl_->bodies.size();
}

size_t Server::max_request_payload() const {
  const http::ParseLimits& l = impl_->opt.limits;
  // Path and query lie within the target; headers are encoded in fewer bytes than they take in
  // the head; each path parameter is a tag, a length or a number, and a part of the path.
  size_t params = size_t(l.max_uri_bytes) + VIPER_MAX_PATH_PARAMS * 13u;
  return size_t(l.max_uri_bytes) + l.max_header_bytes + size_t(l.max_body_bytes) + params;
}

bool Server::set_hooks(const Hooks& hooks) {
  Impl& d = *impl_;
  if (d.hooks.fd >= 0 || hooks.fd < 0 || hooks.on_ready == nullptr) return false;
  if (!d.poller->add(hooks.fd, net::kReadable, kHookTag)) return false;
  d.hooks = hooks;
  return true;
}

Server::Completion Server::complete(uint32_t token, uint16_t status, std::string_view raw_headers,
                                    std::string_view body) {
  return impl_->complete(token, status, raw_headers, body);
}

void Server::request_stop() {
  impl_->stop_requested.store(true);
  if (impl_->wake_fd >= 0) port::wake_signal(impl_->wake_fd);
}

bool Server::listen() {
  Impl& d = *impl_;
  d.listen_fd = port::listen_tcp(d.opt.host, d.opt.port, &d.bound_port);
  // Silent connections surface after the header timeout at the latest, then get it again.
  if (d.listen_fd >= 0 && d.opt.defer_accept)
    port::defer_accept(d.listen_fd, (d.opt.header_timeout_ms + 999) / 1000);
  if (d.listen_fd < 0) return false;
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

// Gives the input buffer back (to the body pool when it is a large one).
void Server::Impl::release_in(Conn& c) {
  if (c.in == nullptr) return;
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

// Closes our side after the last bytes and reads what the client still sends until it closes:
// closing with unread input would send RST and lose the response (or the close frame).
void Server::Impl::linger(Conn& c) {
  if (c.tls != nullptr) c.tls->close_notify();
  port::shutdown_write(c.fd);
  release_buffers(c);
  c.state = ConnState::Linger;
  c.in_len = 0;
  set_interest(c, net::kReadable);
  set_list(c, net::kListLinger);
}

void Server::Impl::release_buffers(Conn& c) {
  release_in(c);
  if (c.out_big) {
    bodies.give(const_cast<char*>(c.extra_body));
    counters.body_buffers_in_use.dec();
    c.out_big = false;
    c.extra_body = nullptr;
  }
  if (c.out != nullptr) {
    if (c.out_body) {  // a stream's larger window (stream_path.cpp)
      bodies.give(c.out);
      counters.body_buffers_in_use.dec();
      c.out_body = false;
    } else {
      io.give(c.out);
      counters.io_buffers_in_use.dec();
    }
    c.out = nullptr;
    c.out_len = c.out_sent = 0;
  }
}

void Server::Impl::close_conn(Conn& c) {
  if (c.pystream) stream_closed(c);
  if (c.awaiting) abandon(c);
  if (c.state == ConnState::WebSocket) ws_on_close_conn(c);
  files.end(c);
  release_tls(c);
  uint32_t idx = index_of(c);
  lists.unlink(slots, idx);
  poller->remove(c.fd);
  port::close_socket(c.fd);
  release_buffers(c);
  uint32_t generation = c.generation;  // outlives the connection: its tokens stay stale
  c.~Conn();
  new (&c) Conn();
  c.generation = generation;
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

// While every slot is taken the listener leaves the poll set: waiting clients stay in the
// kernel's backlog instead of being accepted only to evict someone (net/admission.h).
void Server::Impl::set_accepting(bool on) {
  if (accepting == on || listen_fd < 0) return;
  accepting = on;
  poller->modify(listen_fd, on ? uint32_t(net::kReadable) : 0u, kListenTag);
  if (!on) counters.accept_paused.inc();
}

net::EvictionCandidates Server::Impl::candidates() const {
  net::EvictionCandidates c;
  c.linger = lists.head(net::kListLinger) != kNil;
  uint32_t idle = lists.head(net::kListIdle), head = lists.head(net::kListHead),
           silent = lists.head(net::kListSilent);
  c.idle = idle != kNil;
  if (c.idle) c.idle_since_ms = slots[idle].touched_ms;
  c.head = head != kNil;
  if (c.head) c.head_since_ms = slots[head].touched_ms;
  c.silent = silent != kNil;
  if (c.silent) c.silent_since_ms = slots[silent].touched_ms;
  return c;
}

// Closes the connection the policy picks for a waiting client.  False if none may go yet.
bool Server::Impl::make_room() {
  for (int tries = 0; tries < 8; tries++) {
    net::Victim v = admission.pick(now, candidates());
    if (v == net::Victim::None) return false;
    uint8_t list = v == net::Victim::Linger ? net::kListLinger
                   : v == net::Victim::Idle ? net::kListIdle
                   : v == net::Victim::Head ? net::kListHead
                                            : net::kListSilent;
    Conn& c = slots[lists.head(list)];
    if (v != net::Victim::Linger && port::readable_now(c.fd)) {
      // Its request (or its close) has arrived and is not read yet: closing now would reset
      // the client in the middle of that request.  Serve it instead; it is no longer idle.
      counters.evictions_spared.inc();
      on_readable(c);
      if (free_top > 0) return true;  // it was the client's close
      continue;
    }
    (v == net::Victim::Linger ? counters.evicted_linger
     : v == net::Victim::Idle ? counters.evicted_idle
     : v == net::Victim::Head ? counters.evicted_head
                              : counters.evicted_silent)
        .inc();
    close_conn(c);
    return true;
  }
  return false;
}

// Takes one client from the listen backlog into a free slot.
Server::Impl::Accept Server::Impl::accept_one() {
  uint32_t peer_ip = 0;
  uint16_t peer_port = 0;
  int fd = port::accept_connection(listen_fd, &peer_ip, &peer_port);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Accept::Empty;
    if (errno != EINTR && errno != ECONNABORTED) counters.io_errors.inc();
    return Accept::Failed;
  }
  uint32_t idx = free_slots[--free_top];
  Conn& c = slots[idx];
  c.fd = fd;
  c.peer_ip = peer_ip;
  c.peer_port = peer_port;
  c.state = ConnState::Head;
  c.interest = net::kReadable;
  c.admitted_ms = now;
  if (!poller->add(fd, net::kReadable, idx)) {
    counters.io_errors.inc();
    port::close_socket(fd);
    c.fd = -1;
    c.state = ConnState::Free;
    free_slots[free_top++] = idx;
    return Accept::Failed;
  }
  if (tls_sessions != nullptr && !take_tls(c)) {  // out of memory for mbedTLS's buffers
    counters.io_errors.inc();
    poller->remove(fd);
    port::close_socket(fd);
    c.fd = -1;
    c.state = ConnState::Free;
    free_slots[free_top++] = idx;
    return Accept::Failed;
  }
  counters.connections_accepted.inc();
  counters.connections_active.inc();
  set_list(c, net::kListSilent);
  return Accept::Admitted;
}

void Server::Impl::on_accept() {
  for (int i = 0; i < 64; i++) {
    if (free_top == 0) {
      // Having just taken the last slot says nothing of the backlog: look before waiting.
      if (i > 0 && !port::readable_now(listen_fd)) return;
      // A client arrived while every slot is taken: it waits in the backlog from now on.
      admission.clients_waiting(now);
      set_accepting(false);
      admit_waiting();
      return;
    }
    if (accept_one() == Accept::Empty) return;
  }
}

// Gives waiting clients the slots that are free or may be freed now, oldest client first (the
// backlog is FIFO).  Runs when a client arrives at a full pool and after every loop iteration
// while clients wait, so a slot freed anywhere goes to them.
void Server::Impl::admit_waiting() {
  for (int i = 0; i < 64 && admission.waiting(); i++) {
    if (listen_fd < 0) {
      admission.backlog_empty();
      return;
    }
    if (free_top == 0 && !make_room()) return;  // retried at admission.next_deadline()
    Accept r = accept_one();
    if (r == Accept::Admitted) {
      admission.admitted(now);
      counters.admitted_waiting.inc();
    }
    // Nobody left in the backlog: watch the listener again (a slot may stay free).  Checked
    // before making room for a client that may not exist.
    if (r == Accept::Empty || (free_top == 0 && !port::readable_now(listen_fd))) {
      admission.backlog_empty();
      set_accepting(true);
      return;
    }
  }
}

// No waiting client could be given a slot within admission_timeout_ms (every slot is held by
// a request in progress or a long-lived connection): answer them 503 rather than leave them
// hanging, and keep serving the others.
void Server::Impl::reject_waiting() {
  for (int i = 0; i < 64; i++) {
    uint32_t peer_ip = 0;
    uint16_t peer_port = 0;
    int fd = port::accept_connection(listen_fd, &peer_ip, &peer_port);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) continue;
      admission.backlog_empty();
      set_accepting(true);
      return;
    }
    long r = port::send_now(fd, kRejectFull.data(), kRejectFull.size());
    (void)r;
    // Its request has usually arrived: read it away first, or the close would reset the
    // connection and the client could lose the 503 it has not read yet.
    char sink[512];
    for (int k = 0; k < 16 && port::recv_some(fd, sink, sizeof sink) > 0; k++) {
    }
    port::close_socket(fd);
    counters.rejected_full.inc();
    count_status(503);
  }
}

// While clients wait, a busy connection's response ends its turn: it carries Connection:
// close, and the slot goes to the client waiting longest.
void Server::Impl::end_turn_if_waiting(Conn& c) {
  if (!c.close_after && admission.turn_over(now, c.admitted_ms)) {
    c.close_after = true;
    counters.turns_ended.inc();
  }
}

// ---------------------------------------------------------------------------------------------
// Reading and processing

// ---------------------------------------------------------------------------------------------
// Timeouts and the loop

int Server::Impl::next_timeout_ms() const {
  uint64_t best = UINT64_MAX;
  for (uint8_t l = 0; l < net::kNumLists; l++) {
    uint32_t h = lists.head(l);
    if (h == kNil || l == net::kListStream) continue;  // no timeout; pings: ping_due
    uint64_t due = slots[h].touched_ms + timeouts[l];
    if (due < best) best = due;
  }
  if (draining && drain_deadline < best) best = drain_deadline;
  if (lists.head(net::kListStream) != kNil && ping_due < best) best = ping_due;
  uint64_t admit = admission.next_deadline(candidates());
  if (admit < best) best = admit;
  if (best == UINT64_MAX) return -1;
  return best <= now ? 0 : int(best - now > 60000 ? 60000 : best - now);
}

void Server::Impl::expire_timeouts() {
  if (lists.head(net::kListStream) != kNil && ping_due <= now) run_stream_pings();
  for (uint8_t l = 0; l < net::kNumLists; l++) {
    uint32_t h;
    if (l == net::kListStream) continue;
    while ((h = lists.head(l)) != kNil && slots[h].touched_ms + timeouts[l] <= now) {
      Conn& c = slots[h];
      switch (l) {
        case net::kListIdle:
          counters.timeouts_idle.inc();
          break;
        case net::kListSend:
          counters.timeouts_send.inc();
          break;
        case net::kListSilent:
        case net::kListHead:
          counters.timeouts_header.inc();
          break;
        case net::kListBody:
          counters.timeouts_body.inc();
          break;
        case net::kListBusy:
          counters.timeouts_handler.inc();
          break;
        default:
          break;
      }
      if (l == net::kListWs) {
        ws_on_timeout(c);  // pinged (and moved to the tail), or closed
        continue;
      }
      if (l == net::kListBusy) {
        // The handler missed its deadline: answer for it; its late response will be dropped.
        abandon(c);
        respond_error(c, 504, "Handler timed out", false);
        drive(c);
        if (c.state != ConnState::Free && slots[h].list == l && lists.head(l) == h) close_conn(c);
        continue;
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
    port::close_socket(listen_fd);
    listen_fd = -1;
  }
  admission.backlog_empty();
  for (uint32_t i = 0; i < opt.max_connections; i++) {
    Conn& c = slots[i];
    if (c.state == ConnState::Linger || (c.pystream && c.stream_ping_ms != 0)) {
      // An event stream never ends by itself: closing it now tells its producer (cancelled),
      // and EventSource clients reconnect to wherever the service comes back.
      close_conn(c);
    } else if (c.state == ConnState::WebSocket) {
      ws_going_away(c);
    } else if (c.state == ConnState::Idle || (c.state == ConnState::Head && c.in_len == 0)) {
      // A request may already sit unread in the socket (sent just before the stop): read it
      // and serve it (its response says Connection: close); close only what has nothing.
      on_readable(c);
      if ((c.state == ConnState::Idle || c.state == ConnState::Head) && c.in_len == 0 &&
          !c.head_ready) {
        close_conn(c);
      }
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
    bool listener_ready = false;
    for (int i = 0; i < n; i++) {
      uint32_t tag = events[i].tag;
      if (tag == kListenTag) {
        listener_ready = true;  // after the connections: what they sent decides who may go
      } else if (tag == kHookTag) {
        d.hooks.on_ready(d.hooks.user);
      } else if (tag == kWakeTag) {
        port::wake_drain(d.wake_fd);
      } else if (tag < d.opt.max_connections) {
        d.on_event(d.slots[tag], events[i].events);
      }
    }
    if (d.stream_dirty_n != 0) d.flush_streams();
    if (d.tls_ready_n != 0) d.run_tls_ready();
    if (listener_ready && d.listen_fd >= 0) d.on_accept();
    d.expire_timeouts();
    if (d.admission.waiting()) {
      d.admit_waiting();
      if (d.admission.expired(d.now)) d.reject_waiting();
    }
    if (d.hooks.on_loop_end != nullptr) d.hooks.on_loop_end(d.hooks.user);
    if (d.log.pending()) d.log.flush();
  }
  for (uint32_t i = 0; i < d.opt.max_connections; i++) {
    if (d.slots[i].state != ConnState::Free) d.close_conn(d.slots[i]);
  }
  if (d.log.pending()) d.log.flush();
}

}  // namespace viper
