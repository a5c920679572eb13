// tls::Session: one connection's TLS state over a non-blocking socket (see tls.h).
#include <mbedtls/net_sockets.h>

#include <cerrno>
#include <cstring>

#include "port/port.h"
#include "tls/mbedtls_compat.h"
#include "tls/tls.h"

namespace viper::tls {

bool Session::setup(Context& ctx) {
  mbedtls_ssl_init(&ssl_);
  set_up_ = mbedtls_ssl_setup(&ssl_, ctx.config()) == 0;
  if (!set_up_) mbedtls_ssl_free(&ssl_);
  return set_up_;
}

void Session::destroy() {
  if (set_up_) mbedtls_ssl_free(&ssl_);
  set_up_ = false;
}

void Session::attach(int fd) {
  fd_ = fd;
  mbedtls_ssl_set_bio(&ssl_, this, bio_send, bio_recv, nullptr);
}

void Session::reset() {
  mbedtls_ssl_session_reset(&ssl_);
  fd_ = -1;
  established_ = resumed_ = saw_bytes_ = false;
  failure_ = Failure::None;
  pending_write_ = 0;
  bytes_in_ = bytes_out_ = 0;
  first_byte_ = 0;
  sni_len_ = 0;
}

void Session::note_sni(const unsigned char* name, size_t len) {
  sni_len_ = uint8_t(len < sizeof sni_ ? len : sizeof sni_);
  std::memcpy(sni_, name, sni_len_);
}

int Session::bio_send(void* self, const unsigned char* buf, size_t len) {
  auto* s = static_cast<Session*>(self);
  long n = port::send_now(s->fd_, buf, len);
  if (n >= 0) {
    s->bytes_out_ += uint64_t(n);
    return int(n);
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                               : MBEDTLS_ERR_NET_SEND_FAILED;
}

int Session::bio_recv(void* self, unsigned char* buf, size_t len) {
  auto* s = static_cast<Session*>(self);
  long n = port::recv_some(s->fd_, buf, len);
  if (n > 0) {
    if (!s->saw_bytes_) {
      s->saw_bytes_ = true;
      s->first_byte_ = buf[0];
    }
    s->bytes_in_ += uint64_t(n);
    return int(n);
  }
  if (n == 0) return 0;  // EOF: mbedTLS reports it as MBEDTLS_ERR_SSL_CONN_EOF
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

Status Session::fail(int ret) {
  if (ret == MBEDTLS_ERR_SSL_WANT_READ) return Status::WantRead;
  if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) return Status::WantWrite;
  if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
      ret == MBEDTLS_ERR_NET_CONN_RESET) {
    if (!established_) failure_ = Failure::PeerClosed;
    return Status::Closed;
  }
  if (!established_) {
    // A TLS connection starts with a handshake record (content type 22).  Anything else — most
    // often a plain HTTP request sent to the HTTPS port — is not TLS at all.
    if (saw_bytes_ && first_byte_ != 0x16)
      failure_ = Failure::NotTls;
    else if (compat::is_client_cert_error(ret))
      failure_ = Failure::ClientCert;
    else if (compat::is_bad_hello(ret))
      failure_ = Failure::BadHello;
    else
      failure_ = Failure::Other;
  }
  return Status::Error;
}

Status Session::handshake() {
  if (established_) return Status::Ok;
  set_current(this);
  int r = mbedtls_ssl_handshake(&ssl_);
  set_current(nullptr);
  if (r != 0) return fail(r);
  established_ = true;
  return Status::Ok;
}

Status Session::read(char* dst, size_t cap, size_t* got) {
  *got = 0;
  int r = mbedtls_ssl_read(&ssl_, reinterpret_cast<unsigned char*>(dst), cap);
  if (r > 0) {
    *got = size_t(r);
    return Status::Ok;
  }
  if (r == 0) return Status::Closed;
  return fail(r);
}

Status Session::write(const char* src, size_t len, size_t* put) {
  *put = 0;
  // After WantWrite mbedTLS holds an encrypted record of pending_write_ bytes; it must be
  // offered exactly those bytes again (a longer length would count unencrypted bytes as sent).
  if (pending_write_ != 0 && len > pending_write_) len = pending_write_;
  int r = mbedtls_ssl_write(&ssl_, reinterpret_cast<const unsigned char*>(src), len);
  if (r >= 0) {
    pending_write_ = 0;
    *put = size_t(r);
    return Status::Ok;
  }
  if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
    if (pending_write_ == 0) {
      size_t max = mbedtls_ssl_get_max_out_record_payload(&ssl_) > 0
                       ? size_t(mbedtls_ssl_get_max_out_record_payload(&ssl_))
                       : len;
      pending_write_ = len < max ? len : max;
    }
  }
  return fail(r);
}

void Session::close_notify() {
  if (established_) mbedtls_ssl_close_notify(&ssl_);
}

bool Session::pending() const {
  return mbedtls_ssl_get_bytes_avail(&ssl_) > 0;
}

bool Session::h2() const {
  const char* p = mbedtls_ssl_get_alpn_protocol(&ssl_);
  return p != nullptr && std::strcmp(p, "h2") == 0;
}

}  // namespace viper::tls
