// Responses streamed from the bridge (StreamingResponse, EventSourceResponse; issue 13).
//
// The producer (Python, on the other thread) holds credit: the bytes it may queue for one
// stream.  Its records (start, data, end) travel the response ring like any response and are
// applied here in order; data is copied into the connection's output buffer with its chunk
// framing.  Credit is given when the head is written (what the buffer has room for, up to the
// bound) and given back when the buffer has drained to the socket (`stream_drained`), through
// Hooks::on_stream_credit.  So a record never finds the buffer full (the ring stays strictly
// FIFO, nothing waits in the engine) and a slow reader holds at most the bound per stream: the
// producer waits for credit instead.
//
//   start ──▶ head written, credit granted ──▶ data … (Busy; list Send while bytes wait for the
//   socket, list Stream once drained: no handler timeout, pings) ──▶ end: last chunk, the
//   connection goes on (keep-alive) │ abort: closed after what was queued, no terminator
//
// The request stays deferred (`awaiting`) from start to end: its token names the stream, and a
// client that leaves abandons it like any deferred request (the bridge's cancel ring → the
// producer's task is cancelled).
#include <cstring>

#include "net/server_impl.h"

namespace viper {

using namespace detail;

namespace {

// An SSE comment line: EventSource ignores it (WHATWG HTML §9.2.6), proxies see traffic.
constexpr std::string_view kPing = ": ping\n\n";
// Room kept free after the head and the credit: the last chunk, or a ping.
constexpr uint32_t kStreamReserve = 64;

}  // namespace

uint32_t Server::Impl::stream_bound() const {
  return opt.stream_buffer_bytes == 0 ? kMaxStreamBuffer : opt.stream_buffer_bytes;
}

// What one stream may have queued in its output buffer: the bound, within the buffer it has.
static uint32_t window(uint32_t bound, uint32_t cap) {
  return bound + 1024 <= cap ? bound : cap - 1024;
}

Server::Completion Server::Impl::stream_start(uint32_t token, uint16_t status,
                                              std::string_view raw_headers, uint32_t ping_ms,
                                              int64_t content_length) {
  Conn* slot = awaiting_slot(token);
  if (slot == nullptr) return Completion::Gone;
  Conn& c = *slot;
  if (c.pystream) {  // started twice: the second is refused
    counters.late_completions.inc();
    return Completion::Gone;
  }
  end_turn_if_waiting(c);
  bool no_body = status < 200 || status == 204 || status == 304;
  Framing framing = no_body               ? Framing::NoBody
                    : content_length >= 0 ? Framing::Length
                    : c.minor0            ? Framing::Close
                                          : Framing::Chunked;
  if (framing == Framing::Close) c.close_after = true;  // HTTP/1.0: the body ends at close
  http::ResponseHead h;
  h.status = status;
  h.framing = framing;
  h.content_length = content_length >= 0 ? uint64_t(content_length) : 0;
  h.close = c.close_after;
  h.keep_alive_10 = !c.close_after && c.minor0;
  h.raw_headers = raw_headers;
  size_t n = 0;
  bool lent = lend_out(c);
  if (lent && stream_bound() > kMaxStreamBuffer && c.out_len == 0 && !c.is_head) {
    // A window larger than an I/O buffer: a body buffer while one is free (else the I/O
    // buffer's window: slower, never refused).
    if (char* b = bodies.take()) {
      io.give(c.out);
      counters.io_buffers_in_use.dec();
      counters.body_buffers_in_use.inc();
      c.out = b;
      c.out_body = true;
    }
  }
  if (lent) n = http::write_head(c.out + c.out_len, out_cap(c) - c.out_len, h, date);
  if (n == 0 || c.out_len + n + kStreamReserve > out_cap(c)) {
    c.awaiting = false;
    counters.deferred_in_flight.dec();
    counters.responses_too_large.inc();
    respond_error(c, 500, "Response head too large for the engine's buffers", false);
    drive(c);
    return Completion::TooLarge;
  }
  c.out_len += uint32_t(n);
  count_status(status);
  c.pystream = true;
  // HEAD, 204, 304: the head says what GET would send; no byte of body goes out.
  if (c.is_head) framing = Framing::NoBody;
  c.stream_framing = uint8_t(framing);
  c.stream_left = content_length >= 0 ? uint64_t(content_length) : 0;
  c.stream_charged = 0;
  // Pings are body bytes: only where the body is open-ended.
  c.stream_ping_ms = framing == Framing::Chunked || framing == Framing::Close ? ping_ms : 0;
  uint32_t room = out_cap(c) - c.out_len - kStreamReserve;
  uint32_t full = window(stream_bound(), out_cap(c));
  c.stream_grant = full < room ? full : room;
  counters.streams_started.inc();
  counters.streams_open.inc();
  if (c.stream_ping_ms != 0 && now + c.stream_ping_ms < ping_due) ping_due = now + c.stream_ping_ms;
  if (hooks.on_stream_credit != nullptr) hooks.on_stream_credit(hooks.user, token, c.stream_grant);
  drive(c);
  return Completion::Sent;
}

Server::Completion Server::Impl::stream_data(uint32_t token, std::string_view data,
                                             uint32_t charge) {
  Conn* slot = awaiting_slot(token);
  if (slot == nullptr || !slot->pystream) return Completion::Gone;
  Conn& c = *slot;
  Framing framing = Framing(c.stream_framing);
  if (framing == Framing::NoBody || data.empty()) {
    // HEAD (or a status without a body): nothing goes out; the credit comes straight back, so
    // a producer that does not look at the method just runs to its end.
    if (hooks.on_stream_credit != nullptr) hooks.on_stream_credit(hooks.user, token, charge);
    return Completion::Sent;
  }
  // More than the Content-Length the application announced: what was announced is sent, then
  // the connection closes (the producer is told the stream is gone at its next send).
  bool overflow = framing == Framing::Length && data.size() > c.stream_left;
  if (overflow) data = data.substr(0, size_t(c.stream_left));
  bool chunked = framing == Framing::Chunked;
  size_t need = data.size() + (chunked ? Server::kStreamChunkOverhead : 0);
  if (c.out == nullptr || c.out_len + need > out_cap(c) || charge < need) {
    // The producer went past its credit (a bug on its side): never overrun the buffer.
    counters.io_errors.inc();
    close_conn(c);
    return Completion::Gone;
  }
  char* p = c.out + c.out_len;
  if (chunked) p += http::write_chunk_prefix(p, kChunkPrefixRoom, data.size());
  std::memcpy(p, data.data(), data.size());
  p += data.size();
  if (chunked) {
    std::memcpy(p, "\r\n", 2);
    p += 2;
  }
  c.out_len = uint32_t(p - c.out);
  if (framing == Framing::Length) c.stream_left -= data.size();
  c.stream_charged += charge;
  counters.stream_bytes.inc(data.size());
  if (overflow) return stream_end(token, true);
  if (c.out_len >= out_cap(c) / 2 || stream_dirty_n == opt.max_connections) {
    drive(c);
  } else if (!c.stream_dirty) {
    c.stream_dirty = true;  // more records of this batch may follow: one send at the end
    stream_dirty[stream_dirty_n++] = index_of(c);
  }
  return Completion::Sent;
}

void Server::Impl::flush_streams() {
  for (uint32_t i = 0; i < stream_dirty_n; i++) {
    Conn& c = slots[stream_dirty[i]];
    if (!c.stream_dirty) continue;  // closed (or reused) since: nothing of it is pending
    c.stream_dirty = false;
    drive(c);
  }
  stream_dirty_n = 0;
}

Server::Completion Server::Impl::stream_end(uint32_t token, bool abort) {
  Conn* slot = awaiting_slot(token);
  if (slot == nullptr || !slot->pystream) return Completion::Gone;
  Conn& c = *slot;
  Framing framing = Framing(c.stream_framing);
  c.awaiting = false;
  c.pystream = false;
  counters.deferred_in_flight.dec();
  counters.streams_open.dec();
  // Fewer bytes than the announced Content-Length: the client must not take it as complete.
  // (An abort after the whole announced length still closes: the body itself is complete.)
  if (framing == Framing::Length && c.stream_left != 0) abort = true;
  if (abort) {
    counters.stream_aborts.inc();
    c.close_after = true;
    c.linger = true;  // shut the write side after what was queued: no terminator
  } else if (framing == Framing::Chunked) {
    std::memcpy(c.out + c.out_len, http::kLastChunk.data(), http::kLastChunk.size());
    c.out_len += uint32_t(http::kLastChunk.size());
  }
  drive(c);
  return Completion::Sent;
}

// The output buffer is empty again: what the producer queued is on its way; give the credit
// back (and the rest of the bound, once the head is out too).
void Server::Impl::stream_drained(Conn& c) {
  uint32_t back = c.stream_charged;
  c.stream_charged = 0;
  uint32_t full = window(stream_bound(), out_cap(c));
  if (Framing(c.stream_framing) != Framing::NoBody && c.stream_grant < full) {
    back += full - c.stream_grant;
    c.stream_grant = full;
  }
  if (back != 0 && hooks.on_stream_credit != nullptr)
    hooks.on_stream_credit(hooks.user, tokens.make(index_of(c), c.generation), back);
}

// The connection closes while the stream is open: its client left (or timed out).
void Server::Impl::stream_closed(Conn& c) {
  c.pystream = false;
  counters.streams_open.dec();
  counters.stream_disconnects.inc();
}

// SSE keep-alive: a comment to every stream silent for its interval, without the producer.
// Only drained streams (list Stream) are looked at; one whose bytes wait for the socket is not
// silent.  `ping_due` is a lower bound of the next ping (a stream's deadline only moves later
// when it writes), recomputed here.
void Server::Impl::run_stream_pings() {
  uint64_t next = UINT64_MAX;
  uint32_t left = lists.size(net::kListStream);
  uint32_t i = lists.head(net::kListStream);
  while (left-- > 0 && i != kNil) {  // a pinged stream moves to the tail: visit each once
    Conn& c = slots[i];
    i = c.next;
    if (c.stream_ping_ms == 0) continue;
    uint64_t due = c.touched_ms + c.stream_ping_ms;
    if (due <= now && c.out != nullptr && c.out_len == 0) {
      char* p = c.out;
      if (Framing(c.stream_framing) == Framing::Chunked)
        p += http::write_chunk_prefix(p, kChunkPrefixRoom, kPing.size());
      std::memcpy(p, kPing.data(), kPing.size());
      p += kPing.size();
      if (Framing(c.stream_framing) == Framing::Chunked) {
        std::memcpy(p, "\r\n", 2);
        p += 2;
      }
      c.out_len = uint32_t(p - c.out);
      counters.stream_pings.inc();
      uint32_t interval = c.stream_ping_ms;
      drive(c);
      due = now + interval;
    }
    if (due < next) next = due;
  }
  ping_due = next;
}

// ---------------------------------------------------------------------------------------------
// The public API (engine thread only)

Server::Completion Server::stream_start(uint32_t token, uint16_t status,
                                        std::string_view raw_headers, uint32_t ping_ms,
                                        int64_t content_length) {
  return impl_->stream_start(token, status, raw_headers, ping_ms, content_length);
}

Server::Completion Server::stream_data(uint32_t token, std::string_view data, uint32_t charge) {
  return impl_->stream_data(token, data, charge);
}

Server::Completion Server::stream_end(uint32_t token, bool abort) {
  return impl_->stream_end(token, abort);
}

uint32_t Server::stream_credit_bytes() const {
  return impl_->stream_bound();
}

}  // namespace viper
