// The response path: engine-made and handler responses, writing, streaming, Responder.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "http/file_headers.h"
#include "mem/allocator.h"
#include "net/server_impl.h"
#include "net/transport.h"
#include "port/port.h"

namespace viper {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Deferred responses

void Server::Impl::abandon(Conn& c) {
  c.awaiting = false;
  counters.deferred_in_flight.dec();
  counters.abandoned.inc();
  if (hooks.on_abandon != nullptr) {
    hooks.on_abandon(hooks.user, tokens.make(index_of(c), c.generation));
  }
}

// The slot still waiting for the request `token` names, or nullptr (counted as late) when that
// request was answered already (504), its client left, or the value is no token at all.
Conn* Server::Impl::awaiting_slot(uint32_t token) {
  uint32_t slot, generation;
  if (!tokens.split(token, &slot, &generation) || slot >= opt.max_connections ||
      !slots[slot].awaiting || slots[slot].generation != generation) {
    counters.late_completions.inc();
    return nullptr;
  }
  return &slots[slot];
}

Server::Completion Server::Impl::complete(uint32_t token, uint16_t status,
                                          std::string_view raw_headers, std::string_view body) {
  Conn* slot = awaiting_slot(token);
  if (slot == nullptr) return Completion::Gone;
  Conn& c = *slot;
  c.awaiting = false;
  counters.deferred_in_flight.dec();
  end_turn_if_waiting(c);
  Completion result = Completion::Sent;
  if (c.accepts_gzip && body.size() >= opt.gzip_min_bytes && gzip.ready() &&
      respond_gzipped(c, status, raw_headers, body)) {
    drive(c);
    return result;
  }
  if (!respond(c, status, {}, body, nullptr, nullptr, 0, raw_headers, true)) {
    counters.responses_too_large.inc();
    respond_error(c, 500, "Response too large for the engine's buffers", false);
    result = Completion::TooLarge;
  }
  drive(c);
  return result;
}

// A FileResponse: the engine sends the file at `path` as it would a static file.
Server::Completion Server::Impl::complete_file(uint32_t token, uint16_t status,
                                               std::string_view raw_headers, std::string_view path,
                                               std::string_view request_headers) {
  Conn* slot = awaiting_slot(token);
  if (slot == nullptr) return Completion::Gone;
  Conn& c = *slot;
  c.awaiting = false;
  counters.deferred_in_flight.dec();
  end_turn_if_waiting(c);
  files.complete(c, status, raw_headers, path, request_headers);
  drive(c);
  return Completion::Sent;
}

Server::Completion Server::complete_file(uint32_t token, uint16_t status,
                                         std::string_view raw_headers, std::string_view path,
                                         std::string_view request_headers) {
  return impl_->complete_file(token, status, raw_headers, path, request_headers);
}

// GZipMiddleware: compresses into a body buffer and sends that.  False (nothing queued) when
// the response must or need not be compressed, or compressing does not pay.
bool Server::Impl::respond_gzipped(Conn& c, uint16_t status, std::string_view raw_headers,
                                   std::string_view body) {
  if (status < 200 || status == 204 || status == 304 ||
      !http::gzip_allowed(http::find_header_line(raw_headers, "content-type"), raw_headers) ||
      c.extra_body != nullptr)
    return false;
  char* b = bodies.take();
  if (b == nullptr) return false;  // no buffer free now: identity is still a correct answer
  size_t n = gzip.compress(body, b, body.size() < bodies.size() ? body.size() : bodies.size());
  if (n == 0) {
    bodies.give(b);
    return false;
  }
  counters.body_buffers_in_use.inc();
  static const http::Header kGzip[2] = {{"Content-Encoding", "gzip"}, {"Vary", "Accept-Encoding"}};
  if (!respond(c, status, {}, std::string_view(b, n), b, kGzip, 2, raw_headers)) {
    bodies.give(b);
    counters.body_buffers_in_use.dec();
    return false;
  }
  if (c.extra_body == b) {
    c.out_big = true;  // returned to the pool once sent
  } else {
    bodies.give(b);  // HEAD: the head says what GET would send, no body goes out
    counters.body_buffers_in_use.dec();
  }
  counters.gzip_responses.inc();
  counters.gzip_bytes_in.inc(body.size());
  counters.gzip_bytes_out.inc(n);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writing

void Server::Impl::count_status(uint16_t status) {
  last_status = status;
  for (size_t i = 0; i < kNumCountedStatuses; i++) {
    if (kCountedStatuses[i] == status) {
      counters.status[i].inc();
      return;
    }
  }
  counters.status_other.inc();
}

// Queues a complete response: head (and a copied body) into the output buffer, or a borrowed
// static body after it.  With `copy_big`, a body too large for the output buffer is copied
// into a body buffer instead.  HEAD requests get the head only.
bool Server::Impl::respond(Conn& c, uint16_t status, std::string_view type, std::string_view body,
                           const char* ext_body, const http::Header* extra, uint16_t n_extra,
                           std::string_view raw_headers, bool copy_big) {
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
  h.raw_headers = raw_headers;
  size_t room = io.size() - c.out_len;
  size_t n = http::write_head(c.out + c.out_len, room, h, date);
  bool send_body = !no_body && !c.is_head;
  if (n != 0 && send_body && ext_body == nullptr && copy_big && n + body.size() > room) {
    if (body.size() > bodies.size() || c.extra_body != nullptr) return false;
    char* b = bodies.take();
    if (b == nullptr) {
      counters.body_buffers_exhausted.inc();
      return false;
    }
    counters.body_buffers_in_use.inc();
    std::memcpy(b, body.data(), body.size());
    ext_body = b;
    c.out_big = true;
  }
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
    port::Slice iov[2];
    int n_iov = 0;
    if (c.out_sent < c.out_len) iov[n_iov++] = {c.out + c.out_sent, c.out_len - c.out_sent};
    if (c.extra_body != nullptr)
      iov[n_iov++] = {c.extra_body + c.extra_sent, c.extra_len - c.extra_sent};
    // A file body follows by sendfile: let the head share its first segment.
    bool more = c.xfer != nullptr && c.xfer->fd >= 0 && c.xfer->left > 0;
    long n = net::transport_send(c, iov, n_iov, more);
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
      if (c.extra_sent == c.extra_len) {
        if (c.out_big) {
          bodies.give(const_cast<char*>(c.extra_body));
          counters.body_buffers_in_use.dec();
          c.out_big = false;
        }
        c.extra_body = nullptr;
      }
    }
  }
  c.out_len = c.out_sent = 0;
  if (c.pystream) stream_drained(c);
  return true;
}

// Asks the stream's producer for the next piece and frames it.  Returns false if closed.
bool Server::Impl::refill_stream(Conn& c) {
  size_t cap = io.size() - kChunkPrefixRoom - 2 - http::kLastChunk.size();
  bool done = false;
  char* dst = c.out + kChunkPrefixRoom;
  // Small pieces are gathered into one chunk while half the buffer is still free: one send per
  // buffer rather than per piece.  With TCP_NODELAY every send is a segment, and on lwIP (the
  // device) a stream of 25-byte pieces went out as 100,000 tiny segments at 90 KB/s.
  size_t n = 0;
  do {
    size_t k = c.fill(c.fill_user, c.fill_state, dst + n, cap - n, &done);
    if (k > cap - n) k = cap - n;
    n += k;
    if (k == 0) break;
  } while (!done && cap - n >= cap / 2);
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
  Conn& c = *conn_;
  responded_ = engine_->respond(c, status, type, body, ext, extra, n_extra);
  return responded_;
}

bool Responder::defer(uint32_t* token) {
  if (responded_) return false;
  auto& d = *engine_;
  Conn& c = *conn_;
  c.awaiting = true;
  c.generation = d.tokens.next(c.generation);
  *token = d.tokens.make(d.index_of(c), c.generation);
  // GZipMiddleware decides at completion, when the request head is gone: note now.
  c.accepts_gzip = d.gzip.ready() && http::accepts_gzip(d.req.header("accept-encoding"));
  d.counters.deferred.inc();
  d.counters.deferred_in_flight.inc();
  responded_ = true;
  return true;
}

bool Responder::stream(uint16_t status, std::string_view type, ChunkFill fill, void* user,
                       const http::Header* extra, uint16_t n_extra) {
  if (responded_ || fill == nullptr) return false;
  Server::Impl& d = *engine_;
  Conn& c = *conn_;
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

}  // namespace viper
