// tls::Context and tls::Session (engine/tls/) against an mbedTLS client over a socketpair: both
// ends non-blocking, driven in turn as the engine's loop would drive the server end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mbedtls/net_sockets.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "tls/tls.h"

using namespace viper;

namespace {

std::string read_file(const std::string& name) {
  std::ifstream f(std::string(VIPER_TLS_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A TLS client (mbedTLS) for the tests.
struct Client {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_x509_crt ca, own;
  mbedtls_pk_context key;
  const char* alpn[3] = {"h2", "http/1.1", nullptr};
  int fd;

  explicit Client(int fd_, bool offer_h2 = true, int max_minor = MBEDTLS_SSL_MINOR_VERSION_3,
                  const char* cert = nullptr, const char* keyfile = nullptr)
      : fd(fd_) {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&own);
    mbedtls_pk_init(&key);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_1);
    mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, max_minor);
    if (!offer_h2) alpn[0] = "http/1.1", alpn[1] = nullptr;
    mbedtls_ssl_conf_alpn_protocols(&conf, alpn);
    if (cert != nullptr) {
      std::string c = read_file(cert), k = read_file(keyfile);
      mbedtls_x509_crt_parse(&own, reinterpret_cast<const unsigned char*>(c.c_str()), c.size() + 1);
      mbedtls_pk_parse_key(&key, reinterpret_cast<const unsigned char*>(k.c_str()), k.size() + 1,
                           nullptr, 0);
      mbedtls_ssl_conf_own_cert(&conf, &own, &key);
    }
    mbedtls_ssl_setup(&ssl, &conf);
    mbedtls_ssl_set_hostname(&ssl, "device.local");
    mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, mbedtls_net_recv, nullptr);
  }
  ~Client() {
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&own);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
};

struct Pair {
  int fds[2];
  Pair() {
    socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
  }
  ~Pair() {
    close(fds[0]);
    close(fds[1]);
  }
};

tls::Credentials ec_creds() {
  static std::string cert = read_file("ec-cert.pem"), key = read_file("ec-key.pem");
  tls::Credentials c;
  c.cert_chain = cert;
  c.key = key;
  return c;
}

// Drives both handshakes to the end (or until one fails).  Returns the server's last status.
tls::Status handshake(tls::Session& s, Client& c, int* client_ret = nullptr) {
  tls::Status st = tls::Status::WantRead;
  int cr = MBEDTLS_ERR_SSL_WANT_READ;
  for (int i = 0; i < 1000; i++) {
    if (st != tls::Status::Ok && st != tls::Status::Error && st != tls::Status::Closed)
      st = s.handshake();
    if (cr == MBEDTLS_ERR_SSL_WANT_READ || cr == MBEDTLS_ERR_SSL_WANT_WRITE)
      cr = mbedtls_ssl_handshake(&c.ssl);
    bool server_done =
        st == tls::Status::Ok || st == tls::Status::Error || st == tls::Status::Closed;
    bool client_done = cr != MBEDTLS_ERR_SSL_WANT_READ && cr != MBEDTLS_ERR_SSL_WANT_WRITE;
    if (server_done && (client_done || st == tls::Status::Error)) break;
  }
  if (client_ret != nullptr) *client_ret = cr;
  return st;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(ctx.init(ec_creds()), nullptr); }
  void TearDown() override { ctx.destroy(); }
  tls::Context ctx;
};

}  // namespace

TEST_F(Tls, HandshakeAndAlpnHttp11WhenH2NotOffered) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  Client c(p.fds[1]);
  int cr;
  EXPECT_EQ(handshake(s, c, &cr), tls::Status::Ok);
  EXPECT_EQ(cr, 0);
  EXPECT_TRUE(s.established());
  EXPECT_FALSE(s.h2());
  EXPECT_STREQ(mbedtls_ssl_get_alpn_protocol(&c.ssl), "http/1.1");
  EXPECT_EQ(s.sni(), "device.local");
  EXPECT_FALSE(s.resumed());
  EXPECT_GT(s.bytes_in(), 0u);
  EXPECT_GT(s.bytes_out(), 0u);
  s.destroy();
}

TEST(TlsConfig, H2ChosenWhenOffered) {
  tls::Context ctx;
  tls::Credentials cr = ec_creds();
  cr.offer_h2 = true;
  ASSERT_EQ(ctx.init(cr), nullptr);
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  {
    Client c(p.fds[1]);
    EXPECT_EQ(handshake(s, c), tls::Status::Ok);
    EXPECT_TRUE(s.h2());
  }
  {  // a client that offers only http/1.1 still gets it
    Pair q;
    s.reset();
    s.attach(q.fds[0]);
    Client c(q.fds[1], false);
    EXPECT_EQ(handshake(s, c), tls::Status::Ok);
    EXPECT_FALSE(s.h2());
  }
  s.destroy();
  ctx.destroy();
}

TEST_F(Tls, DataBothWaysWithPartialWrites) {
  Pair p;
  int small = 4096;
  setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt(p.fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  Client c(p.fds[1]);
  ASSERT_EQ(handshake(s, c), tls::Status::Ok);
  // Server → client: 200 KB through a small socket buffer: WantWrite many times.
  std::string out(200000, '\0');
  for (size_t i = 0; i < out.size(); i++)
    out[i] = char('a' + i % 26);
  std::string got;
  size_t sent = 0;
  int want_writes = 0;
  unsigned char buf[16384];
  for (int i = 0; i < 100000 && got.size() < out.size(); i++) {
    if (sent < out.size()) {
      size_t put = 0;
      tls::Status st = s.write(out.data() + sent, out.size() - sent, &put);
      ASSERT_TRUE(st == tls::Status::Ok || st == tls::Status::WantWrite);
      if (st == tls::Status::WantWrite) want_writes++;
      sent += put;
    }
    int r = mbedtls_ssl_read(&c.ssl, buf, sizeof buf);
    if (r > 0) got.append(reinterpret_cast<char*>(buf), size_t(r));
  }
  EXPECT_GT(want_writes, 0);
  EXPECT_EQ(got, out);
  // Client → server.
  const char msg[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(mbedtls_ssl_write(&c.ssl, reinterpret_cast<const unsigned char*>(msg), sizeof msg - 1),
            int(sizeof msg - 1));
  char in[256];
  size_t n = 0;
  tls::Status st = s.read(in, sizeof in, &n);
  ASSERT_EQ(st, tls::Status::Ok);
  EXPECT_EQ(std::string(in, n), msg);
  EXPECT_FALSE(s.pending());
  EXPECT_EQ(s.read(in, sizeof in, &n), tls::Status::WantRead);
  s.destroy();
}

TEST_F(Tls, PendingWhenTheCallerReadsLessThanARecord) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  Client c(p.fds[1]);
  ASSERT_EQ(handshake(s, c), tls::Status::Ok);
  std::string msg(3000, 'x');
  ASSERT_EQ(
      mbedtls_ssl_write(&c.ssl, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()),
      int(msg.size()));
  char in[1000];
  size_t n = 0;
  ASSERT_EQ(s.read(in, sizeof in, &n), tls::Status::Ok);
  EXPECT_EQ(n, 1000u);
  // The rest is decrypted inside mbedTLS: the socket has nothing more to say.
  EXPECT_TRUE(s.pending());
  ASSERT_EQ(s.read(in, sizeof in, &n), tls::Status::Ok);
  ASSERT_EQ(s.read(in, sizeof in, &n), tls::Status::Ok);
  EXPECT_FALSE(s.pending());
  s.destroy();
}

TEST_F(Tls, SessionTicketResumption) {
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  mbedtls_ssl_session saved;
  mbedtls_ssl_session_init(&saved);
  {
    Pair p;
    s.attach(p.fds[0]);
    Client c(p.fds[1]);
    ASSERT_EQ(handshake(s, c), tls::Status::Ok);
    EXPECT_FALSE(s.resumed());
    ASSERT_EQ(mbedtls_ssl_get_session(&c.ssl, &saved), 0);
  }
  s.reset();
  {
    Pair p;
    s.attach(p.fds[0]);
    Client c(p.fds[1]);
    ASSERT_EQ(mbedtls_ssl_set_session(&c.ssl, &saved), 0);
    ASSERT_EQ(handshake(s, c), tls::Status::Ok);
    EXPECT_TRUE(s.resumed());
  }
  mbedtls_ssl_session_free(&saved);
  s.destroy();
}

TEST_F(Tls, PlainHttpToTheTlsPortIsNotTls) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(p.fds[1], req, sizeof req - 1), ssize_t(sizeof req - 1));
  tls::Status st = tls::Status::WantRead;
  for (int i = 0; i < 10 && st == tls::Status::WantRead; i++)
    st = s.handshake();
  EXPECT_EQ(st, tls::Status::Error);
  EXPECT_EQ(s.failure(), tls::Failure::NotTls);
  s.destroy();
}

TEST_F(Tls, GarbageHandshakeRecordIsABadHello) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  // A handshake record header announcing 40 bytes of a ClientHello that is nonsense.
  unsigned char rec[45] = {0x16, 0x03, 0x01, 0x00, 40, 0x01, 0x00, 0x00, 36, 0x03, 0x03};
  for (size_t i = 11; i < sizeof rec; i++)
    rec[i] = 0xee;
  ASSERT_EQ(write(p.fds[1], rec, sizeof rec), ssize_t(sizeof rec));
  tls::Status st = tls::Status::WantRead;
  for (int i = 0; i < 10 && st == tls::Status::WantRead; i++)
    st = s.handshake();
  EXPECT_EQ(st, tls::Status::Error);
  EXPECT_EQ(s.failure(), tls::Failure::BadHello);
  s.destroy();
}

TEST_F(Tls, ClientGoneMidHandshake) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  unsigned char part[3] = {0x16, 0x03, 0x01};
  ASSERT_EQ(write(p.fds[1], part, 3), 3);
  shutdown(p.fds[1], SHUT_WR);
  tls::Status st = tls::Status::WantRead;
  for (int i = 0; i < 10 && st == tls::Status::WantRead; i++)
    st = s.handshake();
  EXPECT_EQ(st, tls::Status::Closed);
  EXPECT_EQ(s.failure(), tls::Failure::PeerClosed);
  s.destroy();
}

TEST_F(Tls, Tls11IsRefused) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  Client c(p.fds[1], true, MBEDTLS_SSL_MINOR_VERSION_2);  // at most TLS 1.1
  EXPECT_EQ(handshake(s, c), tls::Status::Error);
  EXPECT_EQ(s.failure(), tls::Failure::BadHello);
  s.destroy();
}

TEST_F(Tls, CloseNotifyBothWays) {
  Pair p;
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  s.attach(p.fds[0]);
  Client c(p.fds[1]);
  ASSERT_EQ(handshake(s, c), tls::Status::Ok);
  ASSERT_EQ(mbedtls_ssl_close_notify(&c.ssl), 0);
  char in[64];
  size_t n = 0;
  EXPECT_EQ(s.read(in, sizeof in, &n), tls::Status::Closed);
  s.close_notify();
  unsigned char buf[64];
  EXPECT_EQ(mbedtls_ssl_read(&c.ssl, buf, sizeof buf), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
  s.destroy();
}

TEST(TlsConfig, RsaDerAndEncryptedKeys) {
  std::string rsa_cert = read_file("rsa-cert.pem"), rsa_key = read_file("rsa-key.pem");
  std::string der_cert = read_file("ec-cert.der"), der_key = read_file("ec-key.der");
  std::string enc_key = read_file("ec-key-encrypted.pem"), ec_cert = read_file("ec-cert.pem");
  struct Case {
    std::string_view cert, key, password;
    const char* error;
  } cases[] = {
      {rsa_cert, rsa_key, {}, nullptr},
      {der_cert, der_key, {}, nullptr},
      {ec_cert, enc_key, "secret", nullptr},
      {ec_cert, enc_key, "wrong", "ssl_keyfile_password: missing or wrong"},
      {ec_cert, enc_key, {}, "ssl_keyfile_password: missing or wrong"},
      {ec_cert, rsa_key, {}, "ssl_keyfile: does not match the certificate"},
      {"not a cert", rsa_key, {}, "ssl_certfile: not a certificate (PEM or DER)"},
      {ec_cert, "not a key", {}, "ssl_keyfile: not a private key (PEM or DER)"},
      {{}, rsa_key, {}, "ssl_certfile: not a certificate (PEM or DER)"},
  };
  for (const Case& k : cases) {
    tls::Context ctx;
    tls::Credentials cr;
    cr.cert_chain = k.cert;
    cr.key = k.key;
    cr.key_password = k.password;
    const char* err = ctx.init(cr);
    if (k.error == nullptr) {
      EXPECT_EQ(err, nullptr) << k.password;
      Pair p;
      tls::Session s;
      ASSERT_TRUE(s.setup(ctx));
      s.attach(p.fds[0]);
      Client c(p.fds[1]);
      EXPECT_EQ(handshake(s, c), tls::Status::Ok);
      s.destroy();
    } else {
      EXPECT_STREQ(err, k.error);
    }
    ctx.destroy();
  }
}

TEST(TlsConfig, ClientCertificates) {
  std::string ca = read_file("ca-cert.pem");
  tls::Credentials cr = ec_creds();
  cr.client_auth = tls::ClientAuth::Required;
  {
    tls::Context ctx;
    EXPECT_STREQ(ctx.init(cr), "ssl_ca_certs: required to verify client certificates");
    ctx.destroy();
  }
  cr.ca_certs = ca;
  tls::Context ctx;
  ASSERT_EQ(ctx.init(cr), nullptr);
  tls::Session s;
  ASSERT_TRUE(s.setup(ctx));
  {  // no certificate: refused
    Pair p;
    s.attach(p.fds[0]);
    Client c(p.fds[1]);
    EXPECT_EQ(handshake(s, c), tls::Status::Error);
    EXPECT_EQ(s.failure(), tls::Failure::ClientCert);
  }
  s.reset();
  {  // a certificate the CA signed: accepted
    Pair p;
    s.attach(p.fds[0]);
    Client c(p.fds[1], true, MBEDTLS_SSL_MINOR_VERSION_3, "client-cert.pem", "client-key.pem");
    EXPECT_EQ(handshake(s, c), tls::Status::Ok);
  }
  s.reset();
  {  // a self-signed certificate the CA did not sign: refused
    Pair p;
    s.attach(p.fds[0]);
    Client c(p.fds[1], true, MBEDTLS_SSL_MINOR_VERSION_3, "ec-cert.pem", "ec-key.pem");
    EXPECT_EQ(handshake(s, c), tls::Status::Error);
    EXPECT_EQ(s.failure(), tls::Failure::ClientCert);
  }
  s.destroy();
  ctx.destroy();
}
