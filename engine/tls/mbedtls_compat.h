// The few calls that differ between mbedTLS 2.28 (Debian 12) and 3.x (ESP-IDF 5).
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>

namespace viper::tls::compat {

inline int parse_key(mbedtls_pk_context* pk, const unsigned char* key, size_t len,
                     const unsigned char* pwd, size_t pwd_len, mbedtls_ctr_drbg_context* drbg) {
#if MBEDTLS_VERSION_MAJOR >= 3
  return mbedtls_pk_parse_key(pk, key, len, pwd, pwd_len, mbedtls_ctr_drbg_random, drbg);
#else
  (void)drbg;
  return mbedtls_pk_parse_key(pk, key, len, pwd, pwd_len);
#endif
}

inline int check_pair(const mbedtls_pk_context* pub, const mbedtls_pk_context* prv,
                      mbedtls_ctr_drbg_context* drbg) {
#if MBEDTLS_VERSION_MAJOR >= 3
  return mbedtls_pk_check_pair(pub, prv, mbedtls_ctr_drbg_random, drbg);
#else
  (void)drbg;
  return mbedtls_pk_check_pair(pub, prv);
#endif
}

// TLS 1.2 at least: no SSL 3, TLS 1.0 or 1.1.  3.x also offers TLS 1.3 where it is built in.
inline void min_tls12(mbedtls_ssl_config* conf) {
#if MBEDTLS_VERSION_MAJOR >= 3
  mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
  mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

// The key-exchange groups, in the server's order of preference: P-256 first (the cheapest
// with mbedTLS's NIST-optimised code, and what ESP32 hardware accelerates), then X25519, then
// P-384.  Without this mbedTLS 2.28 prefers the largest curve the client offers: secp521r1
// for OpenSSL clients, which doubled the server's CPU time per full handshake (5.6 ms against
// 2.8 ms with P-256, release build on the PC, openssl s_time; docs/benchmarks.md).
inline void set_groups(mbedtls_ssl_config* conf) {
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
  static const uint16_t kGroups[] = {
#if defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
#endif
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
#endif
#if defined(MBEDTLS_ECP_DP_SECP384R1_ENABLED)
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
#endif
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE
  };
  mbedtls_ssl_conf_groups(conf, kGroups);
#else
  static const mbedtls_ecp_group_id kCurves[] = {
#if defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
    MBEDTLS_ECP_DP_SECP256R1,
#endif
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
    MBEDTLS_ECP_DP_CURVE25519,
#endif
#if defined(MBEDTLS_ECP_DP_SECP384R1_ENABLED)
    MBEDTLS_ECP_DP_SECP384R1,
#endif
    MBEDTLS_ECP_DP_NONE
  };
  mbedtls_ssl_conf_curves(conf, kCurves);
#endif
}

// A malformed or unacceptable ClientHello.
inline bool is_bad_hello(int ret) {
#if MBEDTLS_VERSION_MAJOR >= 3
  return ret == MBEDTLS_ERR_SSL_DECODE_ERROR || ret == MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE ||
         ret == MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION || ret == MBEDTLS_ERR_SSL_INVALID_RECORD ||
         ret == MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION;
#else
  return ret == MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO || ret == MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN ||
         ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION ||
         ret == MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE || ret == MBEDTLS_ERR_SSL_INVALID_RECORD;
#endif
}

inline bool is_client_cert_error(int ret) {
#if MBEDTLS_VERSION_MAJOR >= 3
  return ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ||
         ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE;
#else
  return ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ||
         ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || ret == MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE ||
         ret == MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED;
#endif
}

}  // namespace viper::tls::compat
