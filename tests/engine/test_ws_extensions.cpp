// Sec-WebSocket-Extensions parsing and the permessage-deflate negotiation of RFC 7692 §7.1
// (engine/ws/extensions.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/extensions.h"

using namespace viper::ws;
using viper::http::Header;

namespace {

// The PC's policy (the suite runs in the esp32 profile too, where the defaults differ).
PmdConfig wide() {
  PmdConfig c;
  c.enabled = true;
  c.server_max_window_bits = c.client_max_window_bits = 15;
  return c;
}

// The negotiated response value for these extension header values ("" when declined).
std::string negotiate(std::vector<std::string_view> values, const PmdConfig& c = wide()) {
  std::vector<Header> h = {{"Host", "x"}};
  for (auto v : values)
    h.push_back({"Sec-WebSocket-Extensions", v});
  PmdParams p = negotiate_permessage_deflate(h, c);
  char out[kMaxPmdResponse];
  size_t n = write_pmd_response(p, out, sizeof out);
  EXPECT_EQ(p.enabled, n > 0);
  return std::string(out, n);
}

std::string negotiate(std::string_view value, const PmdConfig& c = wide()) {
  return negotiate(std::vector<std::string_view>{value}, c);
}

std::vector<std::string> offers(std::string_view value) {
  std::vector<Header> h = {{"sec-websocket-extensions", value}};
  std::vector<std::string> out;
  for_each_extension_offer(h, [&](const ExtensionOffer& o) {
    std::string s = o.valid ? std::string(o.name) : "!" + std::string(o.name);
    for (size_t i = 0; i < o.num_params; i++) {
      s += ";" + std::string(o.params[i].name);
      if (o.params[i].value.data() != nullptr) s += "=" + std::string(o.params[i].value);
    }
    out.push_back(s);
    return true;
  });
  return out;
}

}  // namespace

TEST(WsExtensions, ParsesOffers) {
  EXPECT_EQ(offers("permessage-deflate"), (std::vector<std::string>{"permessage-deflate"}));
  EXPECT_EQ(offers("permessage-deflate; client_max_window_bits"),
            (std::vector<std::string>{"permessage-deflate;client_max_window_bits"}));
  EXPECT_EQ(offers("a;x=1 ; y = \"2\", b , ,c;z"),
            (std::vector<std::string>{"a;x=1;y=2", "b", "c;z"}));
  // A comma inside a quoted string does not end the offer.
  EXPECT_EQ(offers("a;x=\"1,2\", b"), (std::vector<std::string>{"a;x=1,2", "b"}));
  // Malformed offers are reported as such and parsing resumes after the next comma.
  EXPECT_EQ(offers("a;;x, b"), (std::vector<std::string>{"!a", "b"}));
  EXPECT_EQ(offers("a x, b"), (std::vector<std::string>{"!a", "b"}));
  EXPECT_EQ(offers("a;x=, b"), (std::vector<std::string>{"!a", "b"}));
  EXPECT_EQ(offers("=a, b"), (std::vector<std::string>{"!", "b"}));
  EXPECT_EQ(offers("a;x=\"1, b"), (std::vector<std::string>{"!a"}));  // unterminated quote
  EXPECT_EQ(offers("a;p1;p2;p3;p4;p5;p6;p7;p8;p9, b"), (std::vector<std::string>{"!a", "b"}));
  EXPECT_EQ(offers(""), (std::vector<std::string>{}));
}

TEST(WsExtensions, PlainOfferIsAccepted) {
  EXPECT_EQ(negotiate("permessage-deflate"), "permessage-deflate");
  EXPECT_EQ(negotiate("Permessage-Deflate"), "permessage-deflate");
  EXPECT_EQ(negotiate(std::vector<std::string_view>{}), "");
  PmdConfig off = wide();
  off.enabled = false;
  EXPECT_EQ(negotiate("permessage-deflate", off), "");
}

// What browsers and libraries send.
TEST(WsExtensions, RealClientOffers) {
  // Chrome, Node's ws, Python's websockets.
  EXPECT_EQ(negotiate("permessage-deflate; client_max_window_bits"),
            "permessage-deflate; client_max_window_bits=15");
  // Firefox.
  EXPECT_EQ(negotiate("permessage-deflate"), "permessage-deflate");
  // Safari (older): an unknown extension first.
  EXPECT_EQ(negotiate("x-webkit-deflate-frame, permessage-deflate"), "permessage-deflate");
}

TEST(WsExtensions, ContextTakeover) {
  EXPECT_EQ(negotiate("permessage-deflate; server_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover");
  EXPECT_EQ(negotiate("permessage-deflate; client_no_context_takeover"),
            "permessage-deflate; client_no_context_takeover");
  PmdConfig c = wide();
  c.server_no_context_takeover = true;
  c.client_no_context_takeover = true;
  EXPECT_EQ(negotiate("permessage-deflate", c),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  std::vector<Header> h = {{"Sec-WebSocket-Extensions", "permessage-deflate"}};
  PmdParams p = negotiate_permessage_deflate(h, c);
  EXPECT_TRUE(p.server_no_context_takeover);
  EXPECT_TRUE(p.client_no_context_takeover);
}

TEST(WsExtensions, WindowBits) {
  std::vector<Header> h = {
      {"Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=10"}};
  PmdParams p = negotiate_permessage_deflate(h, wide());
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.server_window_bits, 10);
  EXPECT_EQ(negotiate("permessage-deflate; server_max_window_bits=10"),
            "permessage-deflate; server_max_window_bits=10");
  // Our limit is lower than what the client allows: we answer with ours.
  PmdConfig small = wide();
  small.server_max_window_bits = 11;
  small.client_max_window_bits = 11;
  EXPECT_EQ(
      negotiate("permessage-deflate; server_max_window_bits=13; client_max_window_bits", small),
      "permessage-deflate; server_max_window_bits=11; client_max_window_bits=11");
  EXPECT_EQ(negotiate("permessage-deflate; client_max_window_bits=9", small),
            "permessage-deflate; client_max_window_bits=9");
  // Not offered: a smaller deflate window needs no word (the client inflates with 32 KB).
  EXPECT_EQ(negotiate("permessage-deflate; client_max_window_bits", small),
            "permessage-deflate; client_max_window_bits=11");
  h = {{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}};
  p = negotiate_permessage_deflate(h, small);
  EXPECT_EQ(p.server_window_bits, 11);
  EXPECT_EQ(p.client_window_bits, 11);
  // A limited inflate window needs the client's consent.
  EXPECT_EQ(negotiate("permessage-deflate", small), "");
  // 256-byte window: accepted, but we never compress (zlib cannot write that window).
  h = {{"Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=8"}};
  p = negotiate_permessage_deflate(h, wide());
  EXPECT_TRUE(p.enabled);
  EXPECT_FALSE(p.compress_outgoing());
  EXPECT_EQ(negotiate("permessage-deflate; server_max_window_bits=8"),
            "permessage-deflate; server_max_window_bits=8");
  EXPECT_EQ(negotiate("permessage-deflate; client_max_window_bits=8"),
            "permessage-deflate; client_max_window_bits=8");
  // Quoted values are the same values (RFC 6455 §9.1).
  EXPECT_EQ(negotiate("permessage-deflate; server_max_window_bits=\"12\""),
            "permessage-deflate; server_max_window_bits=12");
}

TEST(WsExtensions, InvalidOrDuplicateParametersDeclineTheOffer) {
  const char* declined[] = {
      "permessage-deflate; server_max_window_bits",  // needs a value
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=08",  // no leading zero
      "permessage-deflate; server_max_window_bits=+9",
      "permessage-deflate; server_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=\"1\\5\"",  // escapes: not a plain token
      "permessage-deflate; server_no_context_takeover=1",     // takes no value
      "permessage-deflate; client_no_context_takeover=true",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
      "permessage-deflate; unknown_parameter",
      "permessage-deflate; x=1",
      "permessage-deflate;;",
  };
  for (const char* v : declined)
    EXPECT_EQ(negotiate(v), "") << v;
}

TEST(WsExtensions, FirstAcceptableOfferWins) {
  // The first is declined (duplicate), the second accepted, the third ignored.
  EXPECT_EQ(negotiate("permessage-deflate; server_no_context_takeover; server_no_context_takeover,"
                      " permessage-deflate; server_max_window_bits=10, permessage-deflate"),
            "permessage-deflate; server_max_window_bits=10");
  // Offers over several header lines, in order.
  EXPECT_EQ(
      negotiate(std::vector<std::string_view>{
          "foo; bar", "permessage-deflate; client_no_context_takeover", "permessage-deflate"}),
      "permessage-deflate; client_no_context_takeover");
  // Autobahn 13.7.x offers a list, the preferred first.
  EXPECT_EQ(negotiate("permessage-deflate; client_no_context_takeover; client_max_window_bits=8, "
                      "permessage-deflate; client_no_context_takeover, permessage-deflate"),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=8");
  // A malformed offer does not spoil the next one.
  EXPECT_EQ(negotiate("permessage-deflate; x=\"a, permessage-deflate"), "");
  EXPECT_EQ(negotiate("permessage-deflate;=, permessage-deflate"), "permessage-deflate");
}

TEST(WsExtensions, ResponseBufferBounds) {
  PmdParams p;
  p.enabled = p.server_no_context_takeover = p.client_no_context_takeover = true;
  p.reply_server_window = p.reply_client_window = true;
  char out[kMaxPmdResponse];
  EXPECT_EQ(write_pmd_response(p, out, sizeof out), kMaxPmdResponse);
  EXPECT_EQ(write_pmd_response(p, out, sizeof out - 1), 0u);
  p.enabled = false;
  EXPECT_EQ(write_pmd_response(p, out, sizeof out), 0u);
}

TEST(WsExtensions, ProfileDefaults) {
  PmdConfig d;
#if defined(VIPER_PROFILE_ESP32)
  EXPECT_FALSE(d.enabled);  // off on the device unless turned on
  EXPECT_EQ(d.server_max_window_bits, 11);
  EXPECT_EQ(d.client_max_window_bits, 11);
#else
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.server_max_window_bits, 15);
  EXPECT_EQ(d.client_max_window_bits, 15);
#endif
}

TEST(WsExtensions, InflateWindowIsAtLeastNineBits) {
  PmdParams p = negotiate_permessage_deflate(
      std::vector<Header>{
          {"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=8"}},
      wide());
  EXPECT_EQ(p.client_window_bits, 8);     // what we answer
  EXPECT_EQ(p.inflate_window_bits(), 9);  // what we inflate with (zlib clients write 9)
  p.client_window_bits = 12;
  EXPECT_EQ(p.inflate_window_bits(), 12);
}
