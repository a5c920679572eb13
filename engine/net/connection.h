// A connection slot and the intrusive lists that order slots by age.
//
// Every slot is in exactly one list at a time, chosen by its state.  Each list has one timeout,
// and a slot moves to the tail whenever it makes progress, so the head of each list is both the
// least recently active slot (the one to evict when the pool is full, SPEC §4) and the next to
// time out.  Finding the next deadline is therefore O(number of lists), with no timer wheel.
#pragma once

#include <cstdint>

#include "http/file_headers.h"
#include "http/request_parser.h"
#include "viper/server.h"

namespace viper::tls {
class Session;
}

namespace viper::net {

enum class ConnState : uint8_t {
  Free,       // slot unused
  Idle,       // keep-alive, no bytes buffered, no buffers lent
  Head,       // receiving a request head (also: accepted, nothing received yet)
  Body,       // head complete, receiving the body
  Send,       // response bytes waiting for the socket
  Linger,     // error sent, write side shut; discarding input until EOF so the client reads it
  Busy,       // waiting for a deferred response (Responder::defer)
  WebSocket,  // upgraded (net/ws_conn.cpp): frames both ways until the close handshake
};

enum ListId : uint8_t {
  kListIdle,
  kListSilent,  // state Head, accepted and nothing received yet
  kListHead,
  kListBody,
  kListSend,
  kListLinger,
  kListBusy,
  kListStream,  // a response streamed from the bridge, its output drained (stream_path.cpp)
  kListWs,      // WebSockets, by the last byte received: the idle ping (never evicted)
  kNumLists,
  kListNone
};

inline constexpr uint32_t kNil = 0xffffffffu;

// Most ranges one request may ask for (more: the Range header is ignored and the whole file
// sent, as nginx does beyond its max_ranges).
inline constexpr size_t kMaxRanges = 8;

// A file body being sent (static files, FileResponse).  Lent from a pool of one per slot while
// the body is in flight, so an idle connection pays only the pointer.  The bytes come from an
// open file (sendfile, or read into the output buffer where there is none) or from memory
// (an asset pack's mapping, a pinned cache entry) sent without a copy.
struct Transfer {
  int fd = -1;  // file, or -1 when `mem` holds the bytes
  const char* mem = nullptr;
  int32_t cache_entry = -1;    // pinned while its bytes are borrowed
  uint64_t size = 0;           // the whole representation (for multipart Content-Range)
  uint64_t off = 0, left = 0;  // the part being sent
  uint8_t num_ranges = 0;      // multipart/byteranges: parts in `ranges`
  uint8_t next_range = 0;      // the next part to start
  bool multipart = false;
  bool trailer_sent = false;
  http::ByteRange ranges[kMaxRanges] = {};
  char content_type[96] = {};  // for the part headers
  uint8_t content_type_len = 0;
};

struct Conn {
  int fd = -1;
  ConnState state = ConnState::Free;
  uint8_t list = kListNone;
  uint8_t interest = 0;       // events registered with the poller
  bool close_after = false;   // close once the output is flushed
  bool big = false;           // `in` is a body buffer, not an I/O buffer
  bool head_ready = false;    // head parsed; `head_bytes`.. describe the body
  bool streaming = false;     // a ChunkFill producer is active
  bool stream_raw = false;    // stream without chunk framing (HTTP/1.0: ends at close)
  bool linger = false;        // an error was answered mid-request: drain input before close
  bool is_head = false;       // the current request is HEAD: no body is sent
  bool minor0 = false;        // the current request is HTTP/1.0
  bool awaiting = false;      // a deferred response is pending (state Busy)
  bool out_big = false;       // `extra_body` is a lent body buffer, returned after sending
  bool accepts_gzip = false;  // the deferred request allows gzip (set by defer, gzip on)
  // Of the slot's last deferred request (net/request_token.h).  Kept when the slot is reused
  // by another connection, so a token of the previous one stays stale.
  uint32_t generation = 0;
  uint32_t peer_ip = 0;  // IPv4, host byte order
  uint16_t peer_port = 0;
  uint32_t prev = kNil, next = kNil;  // list links (slot indices)
  uint64_t touched_ms = 0;            // last progress; deadline = touched + list timeout
  uint64_t admitted_ms = 0;           // accepted at (its turn, while clients wait)

  char* in = nullptr;  // borrowed from a pool while bytes are buffered
  uint32_t in_cap = 0, in_len = 0;
  char* out = nullptr;  // borrowed from the I/O pool while output is pending
  uint32_t out_len = 0, out_sent = 0;
  const char* extra_body = nullptr;  // borrowed static body sent after `out`
  uint32_t extra_len = 0, extra_sent = 0;

  http::RequestParser parser;
  http::ChunkedDecoder chunked;
  uint32_t head_bytes = 0;
  uint32_t raw_start = 0;  // chunked: where undecoded bytes start (decoded body ends there)
  uint32_t requests = 0;   // served on this connection

  Transfer* xfer = nullptr;     // a file body in flight (net/file_server.cpp)
  tls::Session* tls = nullptr;  // lent from the server's pool on a TLS listener (net/transport.h)
  bool tls_queued = false;      // in the loop's list of TLS connections with bytes held

  // A response streamed by the bridge (Server::stream_start, engine/net/stream_path.cpp).  The
  // request stays `awaiting` (its token names the stream, a disconnect abandons it) until
  // stream_end.  Bytes come as records the producer was given credit for; the credit comes
  // back when the output buffer has drained to the socket.
  bool pystream = false;
  bool stream_dirty = false;
  bool out_body = false;  // `out` is a body buffer: a stream's window beyond an I/O buffer    // in
                          // Impl::stream_dirty: written at the loop iteration's end
  uint8_t stream_framing = 0;   // http::Framing: Chunked, Close (HTTP/1.0) or Length
  uint32_t stream_ping_ms = 0;  // SSE keep-alive comment after this much silence (0: none)
  uint32_t stream_charged = 0;  // credit used by bytes queued since the last drain
  uint32_t stream_grant = 0;    // credit given so far (raised to the bound once drained)
  uint64_t stream_left = 0;     // Framing::Length: bytes still to come

  ChunkFill fill = nullptr;  // streaming producer and its state
  void* fill_user = nullptr;
  uint64_t fill_state[2] = {0, 0};
};

// Doubly linked lists of slots, by index.
class ConnLists {
 public:
  void push_back(Conn* slots, uint32_t idx, uint8_t list) {
    Conn& c = slots[idx];
    c.list = list;
    c.prev = tail_[list];
    c.next = kNil;
    if (tail_[list] != kNil)
      slots[tail_[list]].next = idx;
    else
      head_[list] = idx;
    tail_[list] = idx;
    size_[list]++;
  }
  void unlink(Conn* slots, uint32_t idx) {
    Conn& c = slots[idx];
    if (c.list == kListNone) return;
    if (c.prev != kNil)
      slots[c.prev].next = c.next;
    else
      head_[c.list] = c.next;
    if (c.next != kNil)
      slots[c.next].prev = c.prev;
    else
      tail_[c.list] = c.prev;
    size_[c.list]--;
    c.list = kListNone;
    c.prev = c.next = kNil;
  }
  uint32_t head(uint8_t list) const { return head_[list]; }
  uint32_t size(uint8_t list) const { return size_[list]; }

 private:
  uint32_t head_[kNumLists] = {kNil, kNil, kNil, kNil, kNil, kNil, kNil, kNil, kNil};
  uint32_t tail_[kNumLists] = {kNil, kNil, kNil, kNil, kNil, kNil, kNil, kNil, kNil};
  static_assert(kNumLists == 9, "initialise every list above");
  uint32_t size_[kNumLists] = {};
};

}  // namespace viper::net
