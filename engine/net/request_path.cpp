// The request path: bytes in, parsed heads, bodies, routing and handler dispatch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "net/server_impl.h"
#include "net/transport.h"
#include "port/port.h"

namespace viper {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Reading and processing

void Server::Impl::on_event(Conn& c, uint32_t events) {
  if (c.tls != nullptr && !c.tls->established() && c.state != ConnState::Linger) {
    on_readable(c);  // the handshake wants the socket, either way
    return;
  }
  if (c.state == ConnState::WebSocket) {
    ws_on_event(c, events);  // net/ws_conn.cpp
    return;
  }
  if ((events & net::kHangup) && c.state == ConnState::Busy) {
    close_conn(c);  // the client is gone while its response is being produced
    return;
  }
  // A hang-up while output is pending is found by the next send (EPIPE), which closes.
  bool sending =
      c.state == ConnState::Send || (c.state == ConnState::Busy && (c.interest & net::kWritable));
  if ((events & (net::kWritable | net::kHangup)) && sending) drive(c);
  if ((events & (net::kReadable | net::kHangup)) && c.state != ConnState::Free &&
      c.state != ConnState::Send) {
    on_readable(c);
  }
}

void Server::Impl::on_readable(Conn& c) {
  if (c.state == ConnState::WebSocket) {
    ws_read(c);  // net/ws_conn.cpp
    return;
  }
  if (c.state == ConnState::Linger) {
    char sink[512];
    long n = port::recv_some(c.fd, sink, sizeof sink);
    if (n > 0 && c.in_len + uint32_t(n) < kLingerMaxBytes) {
      c.in_len += uint32_t(n);  // counts discarded bytes; no buffer is held while lingering
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    close_conn(c);
    return;
  }
  if (c.tls != nullptr && !c.tls->established() && !drive_handshake(c)) return;
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
  long n = net::transport_read(c, c.in + c.in_len, c.in_cap - c.in_len);
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
  if (c.state == ConnState::Idle || c.list == net::kListSilent) {
    c.state = ConnState::Head;
    set_list(c, net::kListHead);  // the header timeout runs from the first byte
  } else if (c.state == ConnState::Body) {
    set_list(c, net::kListBody);  // progress restarts the body inactivity timeout
  }
  drive(c);
  if (c.state != ConnState::Free) queue_tls_ready(c);
}

// Runs the connection as far as it can go without blocking: process buffered requests, write
// output, refill a stream, and repeat while progress is possible.
void Server::Impl::drive(Conn& c) {
  for (;;) {
    bool more = process(c);
    if (c.state == ConnState::Free) return;
    if (!flush(c)) return;                                 // closed
    if (c.out_len != 0 || c.extra_body != nullptr) break;  // socket full: wait for writable
    if (c.awaiting) break;  // the rest waits for the deferred response
    if (c.xfer != nullptr) {
      FileServer::Pump p = files.pump(c);
      if (p == FileServer::Pump::Closed) return;
      if (p == FileServer::Pump::Wait) break;
      continue;  // the body is out: the next pipelined request, or close
    }
    if (c.streaming) {
      if (!refill_stream(c)) return;
      continue;
    }
    if (c.close_after) {
      // Unread input would make close() send RST and lose the response: linger instead.
      if (c.linger || c.in_len > 0) {
        linger(c);
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
  bool pending_out = c.out_len != 0 || c.extra_body != nullptr || c.streaming || c.xfer != nullptr;
  if (c.awaiting) {
    // Keep reading (pipelined requests wait in the buffer, and EOF tells the client left)
    // until the buffer is full; write whatever earlier responses are still queued.
    if (c.pystream && c.in != nullptr && c.in_len == 0) {
      // A stream may last for hours: it holds its output buffer, not an empty input buffer
      // (one is lent again if the client sends anything, or to see its EOF).
      release_in(c);
    }
    uint8_t want = pending_out                              ? uint8_t(net::kWritable)
                   : c.in == nullptr || c.in_len < c.in_cap ? uint8_t(net::kReadable)
                                                            : uint8_t(0);
    set_interest(c, want);
    if (c.pystream) {
      // A bridge stream: no handler timeout.  Bytes waiting for the socket are timed as any
      // send; once drained, the slot waits for its producer (and its pings) in list Stream,
      // ordered by its last write.
      c.state = ConnState::Busy;
      uint8_t list = pending_out ? net::kListSend : net::kListStream;
      if (list == net::kListStream || c.list != list) set_list(c, list);
      return;
    }
    if (c.state != ConnState::Busy) {
      c.state = ConnState::Busy;
      set_list(c, net::kListBusy);
    }
    return;
  }
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
  while (c.in_len > 0) {
    if (c.close_after || c.streaming || c.awaiting || c.xfer != nullptr)
      return false;  // resumed by their ends
    // A borrowed body or a full output buffer must drain before the next response is queued.
    if (c.extra_body != nullptr || (c.out != nullptr && c.out_len + kOutReserve > io.size()))
      return true;
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
    } else if (req_owner != &c) {
      // The shared `req` describes another connection's head by now (or our buffer moved):
      // parse ours again; the parser is deterministic and left the bytes untouched.
      c.parser.reset();
      c.parser.parse(c.in, c.head_bytes, opt.limits, req);
      req_owner = &c;
    }
    uint32_t consumed = 0;
    std::string_view body;
    if (!body_complete(c, &consumed, &body)) return false;
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

// Routes a complete request and runs its handler, or answers 404/405/307/501 itself; logs
// what was answered here (a deferred response is logged by whoever completes it).
void Server::Impl::dispatch(Conn& c, std::string_view body) {
  last_status = 0;
  route(c, body);
  if (log.on() && !c.awaiting && last_status != 0)
    log.add(c.peer_ip, c.peer_port, req.method_token, req.target, req.http_minor == 0, last_status);
}

void Server::Impl::route(Conn& c, std::string_view body) {
  counters.requests.inc();
  if (c.requests + 1 >= opt.keepalive_max_requests || !req.keep_alive || draining)
    c.close_after = true;
  end_turn_if_waiting(c);
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
  if (m.target.fn == nullptr) {  // a static mount: answered here, never crossing the bridge
    std::string_view rel = m.num_params > 0 ? m.params[0].value : std::string_view();
    files.serve(c, *static_cast<fs::Mount*>(m.target.user), rel);
    return;
  }
  RouteRequest rr{&req, path, m.params, m.num_params, body, c.peer_ip, c.peer_port, m.target.id};
  Responder res(this, &c);
  auto fn = reinterpret_cast<RouteFn>(m.target.fn);
  fn(rr, res, m.target.user);
  if (!res.responded()) respond_error(c, 500, "Internal Server Error", c.close_after);
}

// Percent-encodes what may not appear raw in a path (RFC 3986 pchar and '/').
static void put_path_encoded(http::Appender& a, std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  for (char ch : path) {
    auto u = static_cast<unsigned char>(ch);
    bool safe = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                std::strchr("/-._~!$&'()*+,;=:@", ch) != nullptr;
    if (safe && u != 0) {
      a.put(std::string_view(&ch, 1));
    } else {
      char esc[3] = {'%', kHex[u >> 4], kHex[u & 15]};
      a.put(std::string_view(esc, 3));
    }
  }
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
  // Location is the decoded path with the slash toggled, re-encoded, plus the raw query;
  // absolute when the client sent Host (as Starlette does).  Built from the decoded path so
  // that "/hello%2F" leads to "/hello", the path the router actually matched.
  char* loc = location_scratch;
  http::Appender a(loc, location_capacity());
  if (!req.host.empty()) {
    a.put(c.tls != nullptr ? "https://" : "http://");
    a.put(req.host);
  }
  put_path_encoded(a, std::string_view(alt, plen));
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

const PathParam* RouteRequest::param(std::string_view name) const {
  for (uint8_t i = 0; i < num_params; i++) {
    if (params[i].name == name) return &params[i];
  }
  return nullptr;
}

}  // namespace viper
