// TLS connections (issue 16): a session lent to each connection of a TLS listener, the
// handshake driven by readiness like everything else, and decrypted bytes that mbedTLS holds
// while the socket is quiet.  The HTTP code above reads and writes through net/transport.h.
#include <new>

#include "mem/allocator.h"
#include "net/server_impl.h"
#include "net/transport.h"
#include "port/port.h"

namespace viper {

const char* Server::Impl::init_tls() {
  const TlsOptions& t = opt.tls;
  tls::Credentials cr;
  cr.cert_chain = t.cert_chain;
  cr.key = t.key;
  cr.key_password = t.key_password;
  cr.ca_certs = t.ca_certs;
  cr.client_auth = t.client_auth == 2   ? tls::ClientAuth::Required
                   : t.client_auth == 1 ? tls::ClientAuth::Optional
                                        : tls::ClientAuth::None;
  cr.offer_h2 = t.offer_h2;
  cr.session_cache_entries = t.session_cache_entries;
  // The context (about 40 KB: entropy, DRBG, configuration, keys) exists only on a TLS port.
  void* mem = mem::alloc(sizeof(tls::Context));
  if (mem == nullptr) return "out of memory (tls)";
  tls_ctx = new (mem) tls::Context();
  if (const char* why = tls_ctx->init(cr)) return why;
  uint32_t n = opt.max_connections;
  tls_sessions = mem::alloc_array<tls::Session>(n);
  tls_free = mem::alloc_array<tls::Session*>(n);
  tls_ready = mem::alloc_array<uint32_t>(n);
  if (tls_sessions == nullptr || tls_free == nullptr || tls_ready == nullptr)
    return "out of memory (tls)";
  for (uint32_t i = 0; i < n; i++) {
    new (&tls_sessions[i]) tls::Session();
    tls_free[i] = &tls_sessions[n - 1 - i];
  }
  tls_free_top = n;
  return nullptr;
}

void Server::Impl::destroy_tls() {
  if (tls_sessions != nullptr) {
    for (uint32_t i = 0; i < opt.max_connections; i++)
      tls_sessions[i].destroy();
  }
  mem::release(tls_sessions);
  mem::release(tls_free);
  mem::release(tls_ready);
  tls_sessions = nullptr;
  tls_free = nullptr;
  tls_ready = nullptr;
  if (tls_ctx != nullptr) {
    tls_ctx->destroy();
    tls_ctx->~Context();
    mem::release(tls_ctx);
    tls_ctx = nullptr;
  }
}

// A session for a connection just accepted.  mbedTLS allocates a session's record buffers
// when it is set up, once; afterwards a session is reset and reused, so accepting allocates
// nothing.  False when it cannot be set up (out of memory): the connection is closed.
bool Server::Impl::take_tls(Conn& c) {
  if (tls_free_top == 0) return false;  // cannot happen: one per slot
  tls::Session* s = tls_free[tls_free_top - 1];
  if (!s->set_up() && !s->setup(*tls_ctx)) return false;
  tls_free_top--;
  s->attach(c.fd);
  c.tls = s;
  counters.tls_sessions_in_use.inc();
  return true;
}

void Server::Impl::release_tls(Conn& c) {
  tls::Session* s = c.tls;
  if (s == nullptr) return;
  s->close_notify();  // best effort: a full socket is not waited for
  counters.tls_bytes_in.inc(s->bytes_in());
  counters.tls_bytes_out.inc(s->bytes_out());
  s->reset();
  tls_free[tls_free_top++] = s;
  c.tls = nullptr;
  counters.tls_sessions_in_use.dec();
}

// Advances the handshake.  True once it is complete (the connection reads requests from
// here); false while it waits for the socket, or when the connection was closed.  Until it is
// complete the connection stays in the head stage: the header timeout and the pool's rules for
// slow heads apply, so stuck or slow handshakes cannot hold slots.
bool Server::Impl::drive_handshake(Conn& c) {
  if (c.list == net::kListSilent) set_list(c, net::kListHead);  // the ClientHello began
  tls::Status st = c.tls->handshake();
  if (st == tls::Status::Ok) {
    counters.tls_handshakes.inc();
    if (c.tls->resumed()) counters.tls_resumed.inc();
    set_interest(c, net::kReadable);
    return true;
  }
  if (st == tls::Status::WantRead || st == tls::Status::WantWrite) {
    set_interest(c, st == tls::Status::WantRead ? net::kReadable : net::kWritable);
    return false;
  }
  counters.tls_failed[unsigned(c.tls->failure()) % 6].inc();
  if (c.tls->failure() == tls::Failure::NotTls) {
    refuse_plain_http(c);
    return false;
  }
  close_conn(c);
  return false;
}

// Plain HTTP sent to the HTTPS port: say so in plain HTTP, as nginx does, then close.
void Server::Impl::refuse_plain_http(Conn& c) {
  static constexpr std::string_view kBody = "{\"detail\":\"This is an HTTPS port: use https://\"}";
  static constexpr std::string_view kHead =
      "HTTP/1.1 400 Bad Request\r\nServer: " VIPER_SERVER_NAME
      "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ";
  char out[256];
  http::Appender a(out, sizeof out);
  a.put(kHead);
  a.put_uint(kBody.size());
  a.put("\r\n\r\n");
  a.put(kBody);
  long r = port::send_now(c.fd, out, a.size());
  (void)r;
  count_status(400);
  tls::Session* s = c.tls;  // no close_notify: there is no TLS to speak
  s->reset();
  tls_free[tls_free_top++] = s;
  c.tls = nullptr;
  counters.tls_sessions_in_use.dec();
  linger(c);  // read what it sent away, so the close does not reset it
}

// Decrypted bytes can wait inside mbedTLS (a record larger than the room in the buffer) while
// the socket has nothing more: the poller would not wake for them.  Such a connection is read
// again at the end of the loop iteration.
void Server::Impl::queue_tls_ready(Conn& c) {
  if (c.tls_queued || !net::tls_pending(c)) return;
  c.tls_queued = true;
  tls_ready[tls_ready_n++] = index_of(c);
}

void Server::Impl::run_tls_ready() {
  uint32_t n = tls_ready_n;
  tls_ready_n = 0;
  for (uint32_t i = 0; i < n; i++) {
    Conn& c = slots[tls_ready[i]];
    c.tls_queued = false;
    if (c.tls != nullptr && c.state != ConnState::Free && c.state != ConnState::Send &&
        c.state != ConnState::Linger)
      on_readable(c);
  }
}

}  // namespace viper
