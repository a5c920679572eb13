// The per-slot state of a WebSocket connection (net/ws_conn.cpp), beside its slot: one per
// slot, allocated by Server::enable_websockets() when the first WebSocket route is registered,
// so an app without WebSockets pays nothing.  Nothing here points into a buffer: an idle
// WebSocket holds no I/O buffer.
#pragma once

#include <atomic>
#include <cstdint>

#include "ws/handshake.h"
#include "ws/session.h"

namespace viper::net {

struct WsConn {
  ws::Session session;
  char key[24];  // Sec-WebSocket-Key (base64 of 16 bytes), kept from the upgrade request
  uint8_t key_len = 0;
  uint32_t upgrade_generation = 0;  // of the deferred upgrade request it belongs to
  uint32_t accounted = 0;           // reserved bytes of the frames in the output buffer
  // A data piece decoded but not yet taken by the application (its ring was full): where it
  // is in the input buffer, and where the decoder's consumed bytes end.
  uint32_t held_off = 0, held_len = 0, held_end = 0;
  uint8_t held_flags = 0;
  bool holding = false;
  bool upgrade_pending = false;   // Responder::upgrade deferred it; ws_accept may answer
  bool ping_outstanding = false;  // the idle ping is out, no byte arrived since
  bool paused = false;            // not reading: the application's ring was full
  bool told = false;              // the application has had its WsClosed event
  bool app_closed = false;        // the application closed (it needs no WsClosed event)
  bool close_tcp = false;         // close (linger) once the output is flushed
  // permessage-deflate (net/ws_pmd.cpp): what the upgrade negotiated, the stream pair taken
  // at the 101 (-1: none, messages go uncompressed), and an inflated piece held back while
  // the application's ring was full (in the pair's scratch), with the compressed input left.
  ws::PmdParams pmd;
  int16_t pair = -1;
  bool inflate_first = false;  // the next inflated piece is its message's first
  bool held_inflated = false;  // the held piece is inflated output (else a view into `in`)
  bool held_done = false;      // ... and it ended its message
  bool held_in_last = false;   // the compressed input left is its message's last
  uint32_t held_in_off = 0, held_in_len = 0;
};

// A permessage-deflate stream pair with its output scratch, lent to one connection at a time.
struct WsPmdPair {
  ws::MessageDeflater deflater;
  ws::MessageInflater inflater;
  char* scratch = nullptr;  // inflated output (one I/O buffer's size)
  bool used = false;
};

// The send queue's reservations, one 32-bit word per slot shared by the interpreter (which
// reserves) and the engine (which returns what the socket took): the low 16 bits are the
// reserved bytes, bit 15 of the high half says the interpreter waits for room, and the upper
// 15 bits hold the WebSocket's generation (its token's), so a reservation for a connection
// that has gone never lands on the next one in the slot.  32 bits, because the device's
// 32-bit cores have no 64-bit atomics.
inline constexpr uint32_t kWsNone = 0xffff0000u;  // generation bits all set: no WebSocket
inline constexpr uint32_t kWsWantBit = 1u << 16;
inline constexpr uint32_t ws_word_generation(uint32_t generation) {
  return (generation % 0x7fffu) << 17;  // never 0x7fff, the bits of kWsNone
}

}  // namespace viper::net
