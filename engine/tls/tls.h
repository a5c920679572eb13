// TLS for the engine's connections (SPEC §4, issue 16), on mbedTLS: ESP-IDF's TLS library, and
// Debian's libmbedtls (2.28) on the PC.  Builds with mbedTLS 2.28 and 3.x.
//
//   tls::Context   what every TLS connection of a server shares: the certificate chain and key,
//                  the random generator, ALPN, session tickets and a bounded session cache,
//                  optional client-certificate verification.  Made once at start.
//   tls::Session   one connection's TLS state.  A server keeps a fixed pool of them, set up once
//                  (mbedTLS allocates its record buffers then) and reset between connections, so
//                  accepting a TLS connection allocates nothing.
//
// Non-blocking: every call returns WantRead / WantWrite instead of waiting, and the connection
// code registers the matching poller interest.  Used on the engine thread only.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::tls {

enum class ClientAuth : uint8_t { None, Optional, Required };

// What a server is configured with.  Every view is copied (or parsed) by Context::init.  PEM
// (one or more certificates: the chain, leaf first) or DER.
struct Credentials {
  std::string_view cert_chain;
  std::string_view key;
  std::string_view key_password;  // an encrypted PEM key's password
  std::string_view ca_certs;      // trusted for client certificates
  ClientAuth client_auth = ClientAuth::None;
  bool offer_h2 = false;               // ALPN offers "h2" before "http/1.1"
  uint32_t session_cache_entries = 0;  // session-id resumption for clients without tickets
};

// Why a handshake failed (counted in server_stats()).
enum class Failure : uint8_t {
  None,
  NotTls,      // the first bytes were not a TLS ClientHello (plain HTTP to an HTTPS port)
  BadHello,    // a malformed or unacceptable ClientHello (old version, no shared cipher...)
  ClientCert,  // a client certificate was required and missing, or did not verify
  PeerClosed,  // the client went away mid-handshake
  Other,
};
inline constexpr const char* kFailureNames[] = {"none",        "not_tls",     "bad_hello",
                                                "client_cert", "peer_closed", "other"};

enum class Status : uint8_t { Ok, WantRead, WantWrite, Closed, Error };

class Context {
 public:
  // nullptr on success, else what is wrong ("ssl_certfile: ...", "ssl_keyfile: ...", ...).
  const char* init(const Credentials& cred);
  void destroy();
  bool ready() const { return ready_; }
  mbedtls_ssl_config* config() { return &conf_; }

 private:
  static int on_sni(void* self, mbedtls_ssl_context* ssl, const unsigned char* name, size_t len);

  bool ready_ = false;
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
  mbedtls_ssl_config conf_;
  mbedtls_x509_crt chain_, ca_;
  mbedtls_pk_context key_;
  mbedtls_ssl_ticket_context tickets_;
  mbedtls_ssl_cache_context cache_;
  bool has_ca_ = false, has_cache_ = false;
  const char* alpn_[3] = {};
};

class Session {
 public:
  // Once, when the server's pool is made: mbedTLS allocates the record buffers here.
  bool setup(Context& ctx);
  void destroy();
  // Per connection: bind to a connected non-blocking socket.
  void attach(int fd);
  // After the connection closed: ready for the next one (keeps the buffers).
  void reset();

  // Drives the handshake; Ok once it is complete.
  Status handshake();
  // Reads decrypted bytes: Ok with *got > 0; Closed at close_notify or EOF.
  Status read(char* dst, size_t cap, size_t* got);
  // Encrypts and sends from `src`: Ok with *put bytes taken (maybe fewer than len).  After
  // WantWrite the same bytes must be offered again (mbedTLS holds the record): this class
  // remembers how many, so the caller just calls again with its unsent data.
  Status write(const char* src, size_t len, size_t* put);
  // Sends close_notify (best effort: a full socket is not waited for).
  void close_notify();
  // Decrypted bytes already held by mbedTLS: readable without the socket being readable.
  bool pending() const;

  bool set_up() const { return set_up_; }
  bool established() const { return established_; }
  bool resumed() const { return resumed_; }
  bool h2() const;  // ALPN chose "h2"
  std::string_view sni() const { return std::string_view(sni_, sni_len_); }
  Failure failure() const { return failure_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

  // For the configuration's callbacks, which run inside handshake().
  void note_resumed();
  void note_sni(const unsigned char* name, size_t len);
  static void set_current(Session* s);

 private:
  static int bio_send(void* self, const unsigned char* buf, size_t len);
  static int bio_recv(void* self, unsigned char* buf, size_t len);
  Status fail(int ret);

  mbedtls_ssl_context ssl_;
  int fd_ = -1;
  bool set_up_ = false, established_ = false, resumed_ = false, saw_bytes_ = false;
  Failure failure_ = Failure::None;
  size_t pending_write_ = 0;  // length of a record mbedTLS holds after WantWrite
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  uint8_t first_byte_ = 0;
  char sni_[64] = {};  // the server name the client asked for (longer names are cut)
  uint8_t sni_len_ = 0;
};

}  // namespace viper::tls
