// The byte stream under the HTTP code: a plain socket, or a TLS session over it (issue 16).
// The connection code reads and writes through these two calls only, so HTTP/1.1 (and later
// WebSocket and HTTP/2) runs unchanged over TLS.  What differs is said here once:
//   * a TLS connection first completes its handshake (Server::Impl::drive_handshake);
//   * decrypted bytes may wait inside mbedTLS while the socket is quiet (tls_pending());
//   * files cannot go out by sendfile (the bytes must be encrypted): can_sendfile().
#pragma once

#include <cstddef>

#include "net/connection.h"
#include "port/port.h"

namespace viper::net {

// Reads up to `cap` bytes.  > 0: bytes; 0: the peer closed; -1: errno (EAGAIN when nothing is
// there yet, anything else is an error).
long transport_read(Conn& c, char* dst, size_t cap);

// Sends from `count` slices (1 or 2) in order.  Returns the bytes taken, which may be fewer
// than offered, or -1 with errno (EAGAIN: nothing could be taken now).  `more`: a file body
// follows at once (plain sockets: MSG_MORE).
long transport_send(Conn& c, const port::Slice* slices, int count, bool more);

inline bool can_sendfile(const Conn& c) {
  return c.tls == nullptr;
}
bool tls_pending(const Conn& c);

}  // namespace viper::net
