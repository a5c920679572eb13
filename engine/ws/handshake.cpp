#include "ws/handshake.h"

#include "http/response_writer.h"
#include "ws/base64.h"
#include "ws/http_tokens.h"
#include "ws/protocol.h"
#include "ws/sha1.h"

namespace viper::ws {

uint16_t status_of(UpgradeError e) {
  switch (e) {
    case UpgradeError::None:
      return 101;
    case UpgradeError::UnsupportedVersion:
      return 426;
    default:
      return 400;
  }
}

std::string_view detail_of(UpgradeError e) {
  switch (e) {
    case UpgradeError::None:
      return "";
    case UpgradeError::NotWebSocket:
      return "Missing or invalid Upgrade header";
    case UpgradeError::NoConnectionUpgrade:
      return "Connection header lacks the upgrade token";
    case UpgradeError::BadVersionHeader:
      return "Missing or repeated Sec-WebSocket-Version";
    case UpgradeError::UnsupportedVersion:
      return "Unsupported Sec-WebSocket-Version";
    case UpgradeError::BadKey:
      return "Missing or invalid Sec-WebSocket-Key";
    case UpgradeError::BadProtocolList:
      return "Invalid Sec-WebSocket-Protocol";
  }
  return "";
}

std::string_view refusal_headers(UpgradeError e) {
  if (e == UpgradeError::UnsupportedVersion)
    return "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  return "";
}

namespace {

bool has_token(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_list_element(list, [&](std::string_view e) {
    found = http::ascii_iequal(e, token);
    return !found;
  });
  return found;
}

}  // namespace

UpgradeRequest check_upgrade(std::span<const http::Header> headers) {
  UpgradeRequest r;
  bool upgrade = false, connection = false, protocols_ok = true;
  int versions = 0, keys = 0;
  std::string_view version;
  for (const http::Header& h : headers) {
    std::string_view n = h.name;
    if (http::ascii_iequal(n, "upgrade")) {
      upgrade = upgrade || has_token(h.value, "websocket");
    } else if (http::ascii_iequal(n, "connection")) {
      connection = connection || has_token(h.value, "upgrade");
    } else if (http::ascii_iequal(n, "sec-websocket-version")) {
      versions++;
      version = http::trim_blanks(h.value);
    } else if (http::ascii_iequal(n, "sec-websocket-key")) {
      keys++;
      r.key = http::trim_blanks(h.value);
    } else if (http::ascii_iequal(n, "origin")) {
      r.origin = h.value;
    } else if (http::ascii_iequal(n, "sec-websocket-protocol")) {
      for_each_list_element(h.value, [&](std::string_view e) {
        protocols_ok = protocols_ok && is_token(e);
        return protocols_ok;
      });
    }
  }
  if (!upgrade)
    r.error = UpgradeError::NotWebSocket;
  else if (!connection)
    r.error = UpgradeError::NoConnectionUpgrade;
  else if (versions != 1)
    r.error = UpgradeError::BadVersionHeader;
  else if (version != "13")
    r.error = UpgradeError::UnsupportedVersion;
  else if (keys != 1)
    r.error = UpgradeError::BadKey;
  else if (!protocols_ok)
    r.error = UpgradeError::BadProtocolList;
  if (r.error == UpgradeError::None) {
    // RFC 6455 §4.1: a random 16-byte value, base64-encoded (24 characters).
    uint8_t raw[18];
    if (r.key.size() != base64_encoded_size(16) || base64_decode(r.key, raw, sizeof raw) != 16)
      r.error = UpgradeError::BadKey;
  }
  if (r.error != UpgradeError::None) r.key = {};
  return r;
}

void compute_accept(std::string_view key, char out[kAcceptBytes]) {
  Sha1 h;
  h.update(key);
  h.update(kAcceptGuid);
  uint8_t digest[Sha1::kDigestBytes];
  h.finish(digest);
  base64_encode(digest, sizeof digest, out);
}

bool protocol_offered(std::span<const http::Header> headers, std::string_view protocol) {
  bool found = false;
  for_each_protocol(headers, [&](std::string_view p) {
    found = p == protocol;
    return !found;
  });
  return found;
}

size_t write_accept_headers(char* out, size_t cap, std::string_view key, std::string_view protocol,
                            const PmdParams* pmd) {
  if (!protocol.empty() && !is_token(protocol)) return 0;
  http::Appender a(out, cap);
  a.put("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
  char accept[kAcceptBytes];
  compute_accept(key, accept);
  a.put(std::string_view(accept, kAcceptBytes));
  a.put("\r\n");
  if (!protocol.empty()) {
    a.put("Sec-WebSocket-Protocol: ");
    a.put(protocol);
    a.put("\r\n");
  }
  if (pmd != nullptr && pmd->enabled) {
    char value[kMaxPmdResponse];
    size_t n = write_pmd_response(*pmd, value, sizeof value);
    a.put("Sec-WebSocket-Extensions: ");
    a.put(std::string_view(value, n));
    a.put("\r\n");
  }
  return a.ok() ? a.size() : 0;
}

}  // namespace viper::ws
