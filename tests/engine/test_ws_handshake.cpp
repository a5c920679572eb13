// The opening handshake (engine/ws/handshake.h): what an upgrade request must carry, the
// status of each refusal, Sec-WebSocket-Accept, subprotocol offers and the 101 header lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/handshake.h"

using namespace viper::ws;
using viper::http::Header;

namespace {

// The handshake of RFC 6455 §1.2 (the sample key), as a browser sends it.
std::vector<Header> good() {
  return {{"Host", "server.example.com"},   {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"Origin", "http://example.com"}, {"Sec-WebSocket-Protocol", "chat, superchat"},
          {"Sec-WebSocket-Version", "13"}};
}

std::vector<Header> with(std::vector<Header> h, std::string_view name, std::string_view value) {
  bool replaced = false;
  for (auto& x : h)
    if (viper::http::ascii_iequal(x.name, name)) {
      x.value = value;
      replaced = true;
    }
  if (!replaced) h.push_back({name, value});
  return h;
}

std::vector<Header> without(std::vector<Header> h, std::string_view name) {
  std::vector<Header> out;
  for (auto& x : h)
    if (!viper::http::ascii_iequal(x.name, name)) out.push_back(x);
  return out;
}

UpgradeError error_of(const std::vector<Header>& h) {
  return check_upgrade(h).error;
}

}  // namespace

TEST(WsHandshake, Rfc6455SampleIsAccepted) {
  auto h = good();
  UpgradeRequest r = check_upgrade(h);
  ASSERT_EQ(r.error, UpgradeError::None);
  EXPECT_EQ(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.origin, "http://example.com");
  char accept[kAcceptBytes];
  compute_accept(r.key, accept);
  // RFC 6455 §1.3.
  EXPECT_EQ(std::string(accept, kAcceptBytes), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, TokensAreCaseInsensitiveAndListsAreLists) {
  EXPECT_EQ(error_of(with(good(), "Upgrade", "WebSocket")), UpgradeError::None);
  EXPECT_EQ(error_of(with(good(), "Upgrade", "h2c, websocket")), UpgradeError::None);
  EXPECT_EQ(error_of(with(good(), "Connection", "keep-alive, Upgrade")), UpgradeError::None);
  EXPECT_EQ(error_of(with(good(), "Connection", "UPGRADE")), UpgradeError::None);
  EXPECT_EQ(error_of(with(good(), "Connection", " , upgrade ,")), UpgradeError::None);
  // Header names in any case; a second Connection line may carry the token.
  auto h = with(good(), "Connection", "keep-alive");
  h.push_back({"connection", "upgrade"});
  EXPECT_EQ(error_of(h), UpgradeError::None);
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Key", "  dGhlIHNhbXBsZSBub25jZQ==  ")),
            UpgradeError::None);
}

TEST(WsHandshake, RefusalsAndTheirStatus) {
  EXPECT_EQ(error_of(without(good(), "Upgrade")), UpgradeError::NotWebSocket);
  EXPECT_EQ(error_of(with(good(), "Upgrade", "h2c")), UpgradeError::NotWebSocket);
  EXPECT_EQ(error_of(with(good(), "Upgrade", "websockets")), UpgradeError::NotWebSocket);
  EXPECT_EQ(error_of(without(good(), "Connection")), UpgradeError::NoConnectionUpgrade);
  EXPECT_EQ(error_of(with(good(), "Connection", "keep-alive")), UpgradeError::NoConnectionUpgrade);
  EXPECT_EQ(error_of(with(good(), "Connection", "upgraded")), UpgradeError::NoConnectionUpgrade);
  EXPECT_EQ(error_of(without(good(), "Sec-WebSocket-Version")), UpgradeError::BadVersionHeader);
  auto two = good();
  two.push_back({"Sec-WebSocket-Version", "13"});
  EXPECT_EQ(error_of(two), UpgradeError::BadVersionHeader);
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Version", "8")), UpgradeError::UnsupportedVersion);
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Version", "13, 8")),
            UpgradeError::UnsupportedVersion);
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Version", "")), UpgradeError::UnsupportedVersion);
  EXPECT_EQ(error_of(without(good(), "Sec-WebSocket-Key")), UpgradeError::BadKey);
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Protocol", "chat, super chat")),
            UpgradeError::BadProtocolList);

  EXPECT_EQ(status_of(UpgradeError::None), 101);
  EXPECT_EQ(status_of(UpgradeError::UnsupportedVersion), 426);
  EXPECT_EQ(refusal_headers(UpgradeError::UnsupportedVersion),
            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
  for (UpgradeError e :
       {UpgradeError::NotWebSocket, UpgradeError::NoConnectionUpgrade,
        UpgradeError::BadVersionHeader, UpgradeError::BadKey, UpgradeError::BadProtocolList}) {
    EXPECT_EQ(status_of(e), 400);
    EXPECT_EQ(refusal_headers(e), "");
    EXPECT_FALSE(detail_of(e).empty());
  }
}

TEST(WsHandshake, KeyMustBeBase64OfSixteenBytes) {
  // 16 bytes: 24 characters ending in "==".
  EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")),
            UpgradeError::None);
  const char* bad[] = {
      "",
      "dGhlIHNhbXBsZSBub25jZQ",        // no padding
      "dGhlIHNhbXBsZSBub25jZQ=",       // wrong padding
      "dGhlIHNhbXBsZSBub25jZXg=",      // 17 bytes
      "dGhlIHNhbXBsZSBub25j",          // 15 bytes
      "dGhlIHNhbXBsZSBub25jZQ==dGhl",  // 19 bytes
      "dGhlIHNhbXBsZSBub25jZ*==",      // not the alphabet
      "dGhlIHNhbXBs ZSBub25jZQ=",      // a space inside
  };
  for (const char* k : bad)
    EXPECT_EQ(error_of(with(good(), "Sec-WebSocket-Key", k)), UpgradeError::BadKey) << k;
  auto two = good();
  two.push_back({"Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="});
  EXPECT_EQ(error_of(two), UpgradeError::BadKey);
  EXPECT_TRUE(check_upgrade(two).key.empty());
}

TEST(WsHandshake, SubprotocolOffers) {
  auto h = good();
  h.push_back({"sec-websocket-protocol", "v2.json"});
  std::vector<std::string> offers;
  for_each_protocol(h, [&](std::string_view p) {
    offers.emplace_back(p);
    return true;
  });
  EXPECT_EQ(offers, (std::vector<std::string>{"chat", "superchat", "v2.json"}));
  EXPECT_TRUE(protocol_offered(h, "superchat"));
  EXPECT_TRUE(protocol_offered(h, "v2.json"));
  EXPECT_FALSE(protocol_offered(h, "Chat"));  // case-sensitive (RFC 6455 §11.3.4)
  EXPECT_FALSE(protocol_offered(h, "super"));
  EXPECT_FALSE(protocol_offered(without(h, "Sec-WebSocket-Protocol"), "chat"));
  offers.clear();
  for_each_protocol(h, [&](std::string_view p) {
    offers.emplace_back(p);
    return false;  // stop at the first
  });
  EXPECT_EQ(offers.size(), 1u);
}

TEST(WsHandshake, AcceptHeaderLines) {
  char out[kMaxAcceptHeaders];
  size_t n = write_accept_headers(out, sizeof out, "dGhlIHNhbXBsZSBub25jZQ==", "", nullptr);
  EXPECT_EQ(std::string(out, n),
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
  PmdParams pmd;
  pmd.enabled = true;
  pmd.client_window_bits = 10;
  pmd.reply_client_window = true;
  n = write_accept_headers(out, sizeof out, "dGhlIHNhbXBsZSBub25jZQ==", "chat", &pmd);
  EXPECT_EQ(std::string(out, n),
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n");
  // Not a token: refused rather than sent (response splitting).
  EXPECT_EQ(write_accept_headers(out, sizeof out, "k", "a\r\nX: y", nullptr), 0u);
  EXPECT_EQ(write_accept_headers(out, sizeof out, "k", "a b", nullptr), 0u);
  // Too small a buffer: 0, never a truncated head.
  EXPECT_EQ(write_accept_headers(out, 50, "dGhlIHNhbXBsZSBub25jZQ==", "", nullptr), 0u);
}

TEST(WsHandshake, MaxAcceptHeadersIsEnough) {
  PmdParams pmd;
  pmd.enabled = pmd.server_no_context_takeover = pmd.client_no_context_takeover = true;
  pmd.reply_server_window = pmd.reply_client_window = true;
  pmd.server_window_bits = pmd.client_window_bits = 15;
  std::string protocol(64, 'p');
  char out[kMaxAcceptHeaders];
  size_t n = write_accept_headers(out, sizeof out, "dGhlIHNhbXBsZSBub25jZQ==", protocol, &pmd);
  EXPECT_EQ(n, kMaxAcceptHeaders);
}
