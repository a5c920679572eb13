// tls::Context: what every TLS connection of a server shares (see tls.h).
#include <mbedtls/error.h>

#include <cstring>

#include "mem/allocator.h"
#include "tls/mbedtls_compat.h"
#include "tls/tls.h"

namespace viper::tls {

namespace {

// Modern suites only: forward secrecy (ECDHE) and AEAD ciphers, ECDSA or RSA certificates.
const int kCiphersuites[] = {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#endif
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

// mbedTLS reads PEM only from a NUL-terminated buffer whose length counts the NUL; DER as is.
// Calls `parse(data, len)` with what it needs.  Start-up only: the copy is freed at once.
template <typename Parse>
int with_parseable(std::string_view in, Parse parse) {
  if (in.find("-----BEGIN") == std::string_view::npos)
    return parse(reinterpret_cast<const unsigned char*>(in.data()), in.size());
  auto* copy = static_cast<unsigned char*>(mem::alloc(in.size() + 1));
  if (copy == nullptr) return MBEDTLS_ERR_SSL_ALLOC_FAILED;
  std::memcpy(copy, in.data(), in.size());
  copy[in.size()] = 0;
  int r = parse(copy, in.size() + 1);
  std::memset(copy, 0, in.size());  // it may be a private key
  mem::release(copy);
  return r;
}

Session* g_handshaking = nullptr;  // the session in Session::handshake() (engine thread)

// Resumption is only visible to the ticket and cache callbacks: wrap them to note it.
int ticket_parse(void* p, mbedtls_ssl_session* session, unsigned char* buf, size_t len) {
  int r = mbedtls_ssl_ticket_parse(p, session, buf, len);
  if (r == 0 && g_handshaking != nullptr) g_handshaking->note_resumed();
  return r;
}

#if MBEDTLS_VERSION_MAJOR >= 3
int cache_get(void* p, const unsigned char* id, size_t id_len, mbedtls_ssl_session* session) {
  int r = mbedtls_ssl_cache_get(p, id, id_len, session);
#else
int cache_get(void* p, mbedtls_ssl_session* session) {
  int r = mbedtls_ssl_cache_get(p, session);
#endif
  if (r == 0 && g_handshaking != nullptr) g_handshaking->note_resumed();
  return r;
}

}  // namespace

void Session::note_resumed() {
  resumed_ = true;
}

void Session::set_current(Session* s) {
  g_handshaking = s;
}

int Context::on_sni(void*, mbedtls_ssl_context*, const unsigned char* name, size_t len) {
  if (g_handshaking != nullptr) g_handshaking->note_sni(name, len);
  return 0;  // one certificate for every name: only noted
}

const char* Context::init(const Credentials& c) {
  mbedtls_entropy_init(&entropy_);
  mbedtls_ctr_drbg_init(&drbg_);
  mbedtls_ssl_config_init(&conf_);
  mbedtls_x509_crt_init(&chain_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_pk_init(&key_);
  mbedtls_ssl_ticket_init(&tickets_);
  mbedtls_ssl_cache_init(&cache_);
  ready_ = true;  // from here destroy() frees what was initialised
  static const unsigned char kPers[] = "viperhttp tls";
  if (mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, kPers, sizeof kPers - 1) != 0)
    return "tls: no entropy source";
  if (c.cert_chain.empty() || with_parseable(c.cert_chain, [&](const unsigned char* d, size_t n) {
                                return mbedtls_x509_crt_parse(&chain_, d, n);
                              }) != 0)
    return "ssl_certfile: not a certificate (PEM or DER)";
  int r = with_parseable(c.key, [&](const unsigned char* d, size_t n) {
    return compat::parse_key(&key_, d, n,
                             reinterpret_cast<const unsigned char*>(c.key_password.data()),
                             c.key_password.size(), &drbg_);
  });
  if (c.key.empty() || r != 0) {
    return r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || r == MBEDTLS_ERR_PK_PASSWORD_MISMATCH
               ? "ssl_keyfile_password: missing or wrong"
               : "ssl_keyfile: not a private key (PEM or DER)";
  }
  if (mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT) != 0)
    return "tls: configuration refused";
  mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
  if (compat::check_pair(&chain_.pk, &key_, &drbg_) != 0 ||
      mbedtls_ssl_conf_own_cert(&conf_, &chain_, &key_) != 0)
    return "ssl_keyfile: does not match the certificate";
  compat::min_tls12(&conf_);
  compat::set_groups(&conf_);
  mbedtls_ssl_conf_ciphersuites(&conf_, kCiphersuites);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
  mbedtls_ssl_conf_renegotiation(&conf_, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
  int n = 0;
  if (c.offer_h2) alpn_[n++] = "h2";
  alpn_[n++] = "http/1.1";
  alpn_[n] = nullptr;
  if (mbedtls_ssl_conf_alpn_protocols(&conf_, alpn_) != 0) return "tls: ALPN";
  mbedtls_ssl_conf_sni(&conf_, on_sni, this);
  if (!c.ca_certs.empty()) {
    if (with_parseable(c.ca_certs, [&](const unsigned char* d, size_t len) {
          return mbedtls_x509_crt_parse(&ca_, d, len);
        }) != 0)
      return "ssl_ca_certs: not a certificate (PEM or DER)";
    has_ca_ = true;
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
  } else if (c.client_auth != ClientAuth::None) {
    return "ssl_ca_certs: required to verify client certificates";
  }
  mbedtls_ssl_conf_authmode(&conf_,
                            c.client_auth == ClientAuth::Required   ? MBEDTLS_SSL_VERIFY_REQUIRED
                            : c.client_auth == ClientAuth::Optional ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                                    : MBEDTLS_SSL_VERIFY_NONE);
  // Session tickets: resumption that costs the server no memory per client (the state travels
  // encrypted in the ticket); the key rotates with the lifetime.
  if (mbedtls_ssl_ticket_setup(&tickets_, mbedtls_ctr_drbg_random, &drbg_,
                               MBEDTLS_CIPHER_AES_256_GCM, 86400) != 0)
    return "tls: session tickets";
  mbedtls_ssl_conf_session_tickets_cb(&conf_, mbedtls_ssl_ticket_write, ticket_parse, &tickets_);
  if (c.session_cache_entries > 0) {
    mbedtls_ssl_cache_set_max_entries(&cache_, int(c.session_cache_entries));
    mbedtls_ssl_cache_set_timeout(&cache_, 86400);
    mbedtls_ssl_conf_session_cache(&conf_, &cache_, cache_get, mbedtls_ssl_cache_set);
    has_cache_ = true;
  }
  return nullptr;
}

void Context::destroy() {
  if (!ready_) return;
  mbedtls_ssl_cache_free(&cache_);
  mbedtls_ssl_ticket_free(&tickets_);
  mbedtls_pk_free(&key_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_x509_crt_free(&chain_);
  mbedtls_ssl_config_free(&conf_);
  mbedtls_ctr_drbg_free(&drbg_);
  mbedtls_entropy_free(&entropy_);
  ready_ = false;
}

}  // namespace viper::tls
