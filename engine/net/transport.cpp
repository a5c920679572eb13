#include "net/transport.h"

#include <cerrno>

#include "tls/tls.h"

namespace viper::net {

long transport_read(Conn& c, char* dst, size_t cap) {
  if (c.tls == nullptr) return port::recv_some(c.fd, dst, cap);
  size_t got = 0;
  switch (c.tls->read(dst, cap, &got)) {
    case tls::Status::Ok:
      return long(got);
    case tls::Status::Closed:
      return 0;
    case tls::Status::WantRead:
    case tls::Status::WantWrite:
      errno = EAGAIN;
      return -1;
    case tls::Status::Error:
      break;
  }
  errno = ECONNRESET;
  return -1;
}

long transport_send(Conn& c, const port::Slice* slices, int count, bool more) {
  if (c.tls == nullptr) return port::send_slices(c.fd, slices, count, more);
  size_t total = 0;
  for (int i = 0; i < count; i++) {
    size_t off = 0;
    while (off < slices[i].len) {
      size_t put = 0;
      tls::Status st =
          c.tls->write(static_cast<const char*>(slices[i].data) + off, slices[i].len - off, &put);
      if (st == tls::Status::Ok) {
        off += put;
        total += put;
        continue;
      }
      if (total > 0) return long(total);
      errno = st == tls::Status::WantWrite || st == tls::Status::WantRead ? EAGAIN : EPIPE;
      return -1;
    }
  }
  return long(total);
}

bool tls_pending(const Conn& c) {
  return c.tls != nullptr && c.tls->pending();
}

}  // namespace viper::net
