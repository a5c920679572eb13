// libFuzzer target for the WebSocket handshake helpers (engine/ws/handshake.h,
// engine/ws/extensions.h, engine/ws/base64.h).
//
// Input: byte 0 picks a permessage-deflate policy; the rest is header lines "Name: value",
// separated by '\n' (a line without ':' is a name with an empty value).  Checked (a violation
// traps):
//   check_upgrade   an accepted request's key is 24 characters of base64 of 16 bytes; the
//                   status is 101, 400 or 426 and 426 carries Sec-WebSocket-Version;
//   protocols       every offer is a token, protocol_offered finds each one;
//   extensions      an accepted permessage-deflate's window bits are in range and within the
//                   policy; its response value, offered back, is accepted with the same result;
//                   the 101 header lines fit kMaxAcceptHeaders and contain no CR or LF except
//                   at line ends;
//   base64          each header value that decodes re-encodes to a string that decodes to the
//                   same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "ws/base64.h"
#include "ws/handshake.h"
#include "ws/http_tokens.h"

namespace {

using namespace viper::ws;
using viper::http::Header;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

constexpr size_t kMaxHeaders = 32;

bool lines_ok(std::string_view s) {
  // Only CRLF line ends, no bare CR/LF/NUL inside a line, every line "Name: value".
  while (!s.empty()) {
    size_t eol = s.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = s.substr(0, eol);
    for (char c : line)
      if (c == '\r' || c == '\n' || c == '\0') return false;
    if (line.find(": ") == std::string_view::npos) return false;
    s.remove_prefix(eol + 2);
  }
  return true;
}

void check_base64(std::string_view v) {
  uint8_t raw[256];
  long n = base64_decode(v, raw, sizeof raw);
  if (n < 0) return;
  CHECK(v.size() == base64_encoded_size(size_t(n)));
  char again[344];
  size_t m = base64_encode(raw, size_t(n), again);
  CHECK(m == v.size());
  uint8_t raw2[256];
  CHECK(base64_decode(std::string_view(again, m), raw2, sizeof raw2) == n);
  CHECK(std::memcmp(raw, raw2, size_t(n)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  PmdConfig config;
  config.enabled = (data[0] & 1) == 0;
  config.server_max_window_bits = uint8_t(9 + (data[0] >> 1) % 7);
  config.client_max_window_bits = uint8_t(8 + (data[0] >> 4) % 8);
  config.server_no_context_takeover = data[0] & 0x80;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  Header headers[kMaxHeaders];
  size_t n = 0;
  while (!text.empty() && n < kMaxHeaders) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    size_t colon = line.find(':');
    headers[n].name = viper::http::trim_blanks(line.substr(0, colon));
    headers[n].value = colon == std::string_view::npos
                           ? std::string_view()
                           : viper::http::trim_blanks(line.substr(colon + 1));
    check_base64(headers[n].value);
    n++;
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  std::span<const Header> h(headers, n);

  UpgradeRequest r = check_upgrade(h);
  uint16_t status = status_of(r.error);
  CHECK(status == 101 || status == 400 || status == 426);
  CHECK((status == 426) == !refusal_headers(r.error).empty());
  if (r.error == UpgradeError::None) {
    uint8_t raw[18];
    CHECK(r.key.size() == 24 && base64_decode(r.key, raw, sizeof raw) == 16);
    for_each_protocol(h, [&](std::string_view p) {
      CHECK(is_token(p));
      CHECK(protocol_offered(h, p));
      return true;
    });
  }

  PmdParams p = negotiate_permessage_deflate(h, config);
  CHECK(!p.enabled || config.enabled);
  if (p.enabled) {
    CHECK(p.server_window_bits >= 8 && p.server_window_bits <= 15);
    CHECK(p.server_window_bits == 8 || p.server_window_bits <= config.server_max_window_bits);
    CHECK(p.client_window_bits >= 8 && p.client_window_bits <= 15);
    CHECK(p.client_window_bits == 15 || p.client_window_bits <= config.client_max_window_bits);
    CHECK(p.inflate_window_bits() >= 9 && p.inflate_window_bits() >= p.client_window_bits);
    CHECK(!config.server_no_context_takeover || p.server_no_context_takeover);
    char value[kMaxPmdResponse];
    size_t len = write_pmd_response(p, value, sizeof value);
    CHECK(len > 0);
    // Our answer, read as an offer, is acceptable and means the same.
    Header back[1] = {{"Sec-WebSocket-Extensions", std::string_view(value, len)}};
    PmdParams q = negotiate_permessage_deflate(back, config);
    CHECK(q.enabled);
    CHECK(q.server_no_context_takeover == p.server_no_context_takeover);
    CHECK(q.client_no_context_takeover == p.client_no_context_takeover);
    CHECK(q.server_window_bits == p.server_window_bits);
    if (p.reply_client_window) CHECK(q.client_window_bits == p.client_window_bits);
    if (r.error == UpgradeError::None) {
      char out[kMaxAcceptHeaders];
      std::string_view proto;
      for_each_protocol(h, [&](std::string_view x) {
        proto = x;
        return false;
      });
      if (proto.size() > 64) proto = {};
      size_t m = write_accept_headers(out, sizeof out, r.key, proto, &p);
      CHECK(m > 0 && lines_ok(std::string_view(out, m)));
    }
  }
  // Every offer parses without reading outside the headers (ASan) and reports sane counts.
  for_each_extension_offer(h, [&](const ExtensionOffer& o) {
    CHECK(o.num_params <= ExtensionOffer::kMaxParams);
    CHECK(o.valid || o.num_params == 0);
    return true;
  });
  return 0;
}

#include "replay_main.h"
