// The server side of the WebSocket opening handshake (RFC 6455 §4.2): validating an upgrade
// request from its headers, the Sec-WebSocket-Accept value, the subprotocol offers, and the
// header lines of the 101 response.
//
// The caller routes only GET requests over HTTP/1.1 here (the request parser gives method and
// version; RFC 6455 §4.1 requires both) and writes the response head itself (status 101 with
// these lines as raw headers, or the refusal's status with refusal_headers()).  Everything
// works on views of the parsed headers; nothing is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/request_parser.h"
#include "ws/extensions.h"
#include "ws/http_tokens.h"

namespace viper::ws {

enum class UpgradeError : uint8_t {
  None,
  NotWebSocket,         // no Upgrade header naming "websocket": not a WebSocket handshake  400
  NoConnectionUpgrade,  // no "upgrade" token in the Connection header(s)                    400
  BadVersionHeader,     // Sec-WebSocket-Version missing or repeated                         400
  UnsupportedVersion,   // a version other than 13                 426 + Sec-WebSocket-Version
  BadKey,               // Sec-WebSocket-Key missing, repeated, or not base64 of 16 bytes     400
  BadProtocolList,      // a Sec-WebSocket-Protocol element that is not a token               400
};

uint16_t status_of(UpgradeError e);
// Short reason for the refusal's body ("Missing Sec-WebSocket-Key", ...).
std::string_view detail_of(UpgradeError e);
// Header lines the refusal must carry: for 426 "Sec-WebSocket-Version: 13" (RFC 6455 §4.4) and
// "Upgrade: websocket" (RFC 9110 §15.5.22); empty otherwise.
std::string_view refusal_headers(UpgradeError e);

struct UpgradeRequest {
  UpgradeError error = UpgradeError::None;
  std::string_view key;     // Sec-WebSocket-Key, trimmed (valid when error is None)
  std::string_view origin;  // Origin, for the application (data() == nullptr when absent)
};

// Checks the headers of an upgrade request, in this order: Upgrade, Connection, version, key,
// the subprotocol list.  Header names are compared case-insensitively; Upgrade and Connection
// may be repeated and are token lists (e.g. "Connection: keep-alive, Upgrade").
UpgradeRequest check_upgrade(std::span<const http::Header> headers);

// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + GUID)), 28 characters into out.
inline constexpr size_t kAcceptBytes = 28;
void compute_accept(std::string_view key, char out[kAcceptBytes]);

// Calls fn(protocol) for each subprotocol the client offers (Sec-WebSocket-Protocol, all
// lines, in order); stops when fn returns false.  check_upgrade has verified they are tokens.
template <typename Fn>
void for_each_protocol(std::span<const http::Header> headers, Fn fn);
// Whether `protocol` is among the offers (exact, case-sensitive match, RFC 6455 §11.3.4): the
// response may only name an offered subprotocol.
bool protocol_offered(std::span<const http::Header> headers, std::string_view protocol);

// Writes the 101 response's header lines into out[0..cap):
//   Upgrade: websocket / Connection: Upgrade / Sec-WebSocket-Accept: ...
//   [Sec-WebSocket-Protocol: <protocol>]   when protocol is not empty (it must be a token)
//   [Sec-WebSocket-Extensions: ...]        when pmd is given and enabled
// each ending in CRLF, without the status line and the final empty line.  Returns the size, or
// 0 when cap is too small or protocol is not a token.  kMaxAcceptHeaders bytes always suffice
// for a protocol of up to 64 characters.
// The three fixed lines take 93 bytes, the protocol line 26 + its length, the extensions line
// 28 + its value.
inline constexpr size_t kMaxAcceptHeaders = 93 + (26 + 64) + (28 + kMaxPmdResponse);
size_t write_accept_headers(char* out, size_t cap, std::string_view key, std::string_view protocol,
                            const PmdParams* pmd);

// ---- implementation of the template ----

template <typename Fn>
void for_each_protocol(std::span<const http::Header> headers, Fn fn) {
  for (const http::Header& h : headers) {
    if (!http::ascii_iequal(h.name, "sec-websocket-protocol")) continue;
    bool more = true;
    for_each_list_element(h.value, [&](std::string_view e) { return more = fn(e); });
    if (!more) return;
  }
}

}  // namespace viper::ws
