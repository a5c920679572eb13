// Heap bytes of the engine's TLS per connection (bench/tls.sh, docs/benchmarks.md): the engine's
// tls::Context and tls::Session against an mbedTLS client, in one process over socketpairs.
//
// Debian's libmbedtls is built without MBEDTLS_PLATFORM_MEMORY, so its allocations cannot be
// routed through the engine's counting allocator (engine/mem).  This program counts them by
// interposing malloc/free/calloc/realloc (to glibc's __libc_* functions): bytes in use as glibc
// lends them (malloc_usable_size), with their peak.  Everything runs on one thread and the
// server's and the client's steps alternate, so what changes during a server call is the
// server's alone.  Reported per connection:
//   setup        a Session's mbedtls_ssl_setup: the record buffers and the handshake structures
//                (done once per slot by the engine, kept between connections)
//   handshake    the most the server held at any moment of a full handshake (transients inside
//                a call included), counted from before setup
//   established  what it holds once the handshake is over (handshake state freed)
//   resumed      the same for a resumed handshake (the first connection's session ticket)
// plus the shared tls::Context and sizeof(tls::Session) (the engine's pool object, allocated by
// engine/mem with the connection slots).
// Usage: viper_tls_memory CERT KEY [CONNECTIONS]
#include <fcntl.h>
#include <malloc.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tls/tls.h"

extern "C" {
void* __libc_malloc(size_t n);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t n);
void* __libc_memalign(size_t align, size_t n);
void __libc_free(void* p);
}

namespace {

long g_in_use = 0, g_peak = 0;

void* counted(void* p) {
  if (p != nullptr) {
    g_in_use += long(malloc_usable_size(p));
    if (g_in_use > g_peak) g_peak = g_in_use;
  }
  return p;
}

}  // namespace

extern "C" {
void* malloc(size_t n) {
  return counted(__libc_malloc(n));
}
void* calloc(size_t n, size_t size) {
  return counted(__libc_calloc(n, size));
}
void* realloc(void* p, size_t n) {
  if (p != nullptr) g_in_use -= long(malloc_usable_size(p));
  void* q = __libc_realloc(p, n);
  if (q == nullptr && p != nullptr && n != 0) g_in_use += long(malloc_usable_size(p));  // kept
  return counted(q);
}
void* memalign(size_t align, size_t n) {
  return counted(__libc_memalign(align, n));
}
void* aligned_alloc(size_t align, size_t n) {
  return counted(__libc_memalign(align, n));
}
int posix_memalign(void** out, size_t align, size_t n) {
  *out = counted(__libc_memalign(align, n));
  return *out != nullptr ? 0 : ENOMEM;
}
void free(void* p) {
  if (p != nullptr) g_in_use -= long(malloc_usable_size(p));
  __libc_free(p);
}
}

namespace {

long heap() {
  return g_in_use;
}

char* read_file(const char* path, size_t* size) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return nullptr;
  static char buf[2][65536];
  static int which = 0;
  char* out = buf[which++ & 1];
  *size = std::fread(out, 1, sizeof buf[0], f);
  std::fclose(f);
  return out;
}

int client_send(void* fd, const unsigned char* b, size_t n) {
  ssize_t r = ::send(*static_cast<int*>(fd), b, n, MSG_NOSIGNAL);
  if (r >= 0) return int(r);
  return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

int client_recv(void* fd, unsigned char* b, size_t n) {
  ssize_t r = ::recv(*static_cast<int*>(fd), b, n, 0);
  if (r >= 0) return int(r);
  return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

struct Client {
  mbedtls_ssl_context ssl;
  int fd = -1;
};

struct Measure {
  long setup = 0, peak = 0, established = 0;
};

// One handshake of `server` (set up, attached to one end) with `client` (the other end).
bool handshake(viper::tls::Session& server, Client& client, Measure* m) {
  long held = 0;
  bool server_done = false, client_done = false;
  for (int step = 0; step < 1000 && !(server_done && client_done); step++) {
    if (!client_done) {
      int r = mbedtls_ssl_handshake(&client.ssl);
      if (r == 0)
        client_done = true;
      else if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
        std::fprintf(stderr, "client handshake: -0x%04x\n", unsigned(-r));
        return false;
      }
    }
    if (!server_done) {
      long before = heap();
      g_peak = before;
      viper::tls::Status st = server.handshake();
      if (held + (g_peak - before) > m->peak) m->peak = held + (g_peak - before);
      held += heap() - before;
      if (st == viper::tls::Status::Ok)
        server_done = true;
      else if (st != viper::tls::Status::WantRead && st != viper::tls::Status::WantWrite) {
        std::fprintf(stderr, "server handshake failed\n");
        return false;
      }
    }
  }
  m->established = held;
  return server_done && client_done;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT KEY [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  int n = argc > 3 ? std::atoi(argv[3]) : 8;
  if (n < 1 || n > 64) n = 8;
  size_t cert_n = 0, key_n = 0;
  const char* cert = read_file(argv[1], &cert_n);
  const char* key = read_file(argv[2], &key_n);
  if (cert == nullptr || key == nullptr) {
    std::fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
    return 1;
  }

  long h0 = heap();
  viper::tls::Context ctx;
  viper::tls::Credentials cr;
  cr.cert_chain = std::string_view(cert, cert_n);
  cr.key = std::string_view(key, key_n);
  cr.session_cache_entries = 64;
  if (const char* why = ctx.init(cr)) {
    std::fprintf(stderr, "context: %s\n", why);
    return 1;
  }
  long context = heap() - h0;

  // The client: verifies the server's certificate (the same self-signed one).
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt_init(&ca);
  std::string_view pem(cert, cert_n);
  static unsigned char cabuf[65537];
  std::memcpy(cabuf, pem.data(), pem.size());
  cabuf[pem.size()] = 0;
  if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0) != 0 ||
      mbedtls_x509_crt_parse(&ca, cabuf, pem.size() + 1) != 0 ||
      mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
    std::fprintf(stderr, "client setup failed\n");
    return 1;
  }
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);

  auto* servers = new viper::tls::Session[size_t(n)];
  auto* clients = new Client[size_t(n)];
  Measure* m = new Measure[size_t(n)];
  mbedtls_ssl_session saved;
  mbedtls_ssl_session_init(&saved);
  for (int i = 0; i < n; i++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    long before = heap();
    if (!servers[i].setup(ctx)) return 1;
    m[i].setup = heap() - before;
    m[i].peak = 0;
    servers[i].attach(sv[0]);
    mbedtls_ssl_init(&clients[i].ssl);
    if (mbedtls_ssl_setup(&clients[i].ssl, &conf) != 0) return 1;
    mbedtls_ssl_set_hostname(&clients[i].ssl, "localhost");
    clients[i].fd = sv[1];
    mbedtls_ssl_set_bio(&clients[i].ssl, &clients[i].fd, client_send, client_recv, nullptr);
    if (!handshake(servers[i], clients[i], &m[i])) return 1;
    if (i == 0) mbedtls_ssl_get_session(&clients[0].ssl, &saved);
  }

  // A resumed handshake: a new connection offering the first one's session (ticket).
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  fcntl(sv[1], F_SETFL, O_NONBLOCK);
  viper::tls::Session rs;
  long before = heap();
  if (!rs.setup(ctx)) return 1;
  long rs_setup = heap() - before;
  rs.attach(sv[0]);
  Client rc;
  mbedtls_ssl_init(&rc.ssl);
  mbedtls_ssl_setup(&rc.ssl, &conf);
  mbedtls_ssl_set_hostname(&rc.ssl, "localhost");
  mbedtls_ssl_set_session(&rc.ssl, &saved);
  rc.fd = sv[1];
  mbedtls_ssl_set_bio(&rc.ssl, &rc.fd, client_send, client_recv, nullptr);
  Measure rm;
  if (!handshake(rs, rc, &rm)) return 1;

  long during = 0, after = 0, setup_total = 0;
  for (int i = 0; i < n; i++) {
    setup_total += m[i].setup;
    if (m[i].setup + m[i].peak > during) during = m[i].setup + m[i].peak;
    if (m[i].setup + m[i].established > after) after = m[i].setup + m[i].established;
  }
  std::printf("{\"mbedtls\": \"%s\", \"connections\": %d, \"session_object_bytes\": %zu,\n",
              MBEDTLS_VERSION_STRING, n, sizeof(viper::tls::Session));
  std::printf(
      " \"context_bytes\": %ld, \"setup_bytes\": %ld, \"handshake_bytes\": %ld,"
      " \"established_bytes\": %ld,\n",
      context, m[0].setup, during, after);
  std::printf(
      " \"resumed\": %s, \"resumed_handshake_bytes\": %ld, \"resumed_established_bytes\": "
      "%ld,\n",
      rs.resumed() ? "true" : "false", rs_setup + rm.peak, rs_setup + rm.established);
  std::printf(" \"all_connections_setup_bytes\": %ld}\n", setup_total);
  return 0;
}
