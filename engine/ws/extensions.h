// Sec-WebSocket-Extensions offers (RFC 6455 §9.1) and the negotiation of permessage-deflate
// (RFC 7692 §7.1), the one extension the engine implements.
//
// The client lists offers in order of preference, possibly over several header lines; each
// offer is an extension name with parameters.  The server accepts at most one
// permessage-deflate offer: the first acceptable one wins, the others and unknown extensions
// are ignored.  An offer is declined (never an error for the whole handshake) when it has an
// unknown or duplicate parameter, an invalid value, or asks for what the configuration cannot
// give.  Everything is views into the headers; nothing is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/request_parser.h"
#include "http/response_writer.h"

namespace viper::ws {

// One offer as parsed: `name`, then up to kMaxParams parameters.  A quoted-string value is
// given without its quotes; `value_escaped` says it contained backslash escapes (a value of
// permessage-deflate never needs any, so such an offer is declined rather than unescaped).
struct ExtensionOffer {
  static constexpr size_t kMaxParams = 8;
  struct Param {
    std::string_view name;
    std::string_view value;  // data() == nullptr: no "=value"
    bool value_escaped = false;
  };
  std::string_view name;
  Param params[kMaxParams];
  size_t num_params = 0;
  bool valid = false;  // false: malformed (bad syntax, more than kMaxParams parameters)
};

// Calls fn(const ExtensionOffer&) for each offer in the Sec-WebSocket-Extensions headers
// among `headers`, in order; stops when fn returns false.  A malformed offer is reported with
// valid == false (its name may be empty) and parsing resumes at the next comma.
template <typename Fn>
void for_each_extension_offer(std::span<const http::Header> headers, Fn fn);

// Defaults of the policy (runtime options override them): compression on for a PC, off on the
// device (each compressed connection needs its zlib streams, tens of KB; the choice),
// and when turned on there, 2 KB windows.
#ifndef VIPER_WS_DEFAULT_COMPRESSION
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_WS_DEFAULT_COMPRESSION 0
#else
#define VIPER_WS_DEFAULT_COMPRESSION 1
#endif
#endif
#ifndef VIPER_WS_DEFAULT_WINDOW_BITS
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_WS_DEFAULT_WINDOW_BITS 11
#else
#define VIPER_WS_DEFAULT_WINDOW_BITS 15
#endif
#endif

// The server's permessage-deflate policy.
struct PmdConfig {
  bool enabled = VIPER_WS_DEFAULT_COMPRESSION;
  // Our deflate window, 9..15 (zlib cannot write raw deflate with a 256-byte window).  The
  // deflate stream takes about 2^(bits+2) bytes plus 2^(mem_level+9) plus 6 KB.
  uint8_t server_max_window_bits = VIPER_WS_DEFAULT_WINDOW_BITS;
  // The largest window we let the client use, 8..15: our inflate window, 2^bits bytes plus
  // about 7 KB.  Below 15 this needs the client's consent (an offer with client_max_window_bits);
  // an offer without it is declined.
  uint8_t client_max_window_bits = VIPER_WS_DEFAULT_WINDOW_BITS;
  // Ask for no context takeover although the client did not (frees the streams' history
  // between messages; costs compression ratio).
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
};

// What was agreed.
struct PmdParams {
  bool enabled = false;  // false: no offer was acceptable (or none made): no extension
  bool server_no_context_takeover = false;  // we reset our deflate stream for every message
  bool client_no_context_takeover = false;  // the client resets its stream: we may reset ours
  // Our deflate window, 9..15; 8 when the client asked for a 256-byte window: zlib cannot
  // write that, so we then send every message uncompressed (RFC 7692 lets a sender do that).
  uint8_t server_window_bits = 15;
  uint8_t client_window_bits = 15;   // the client's window: our inflate window
  bool reply_server_window = false;  // the response carries server_max_window_bits
  bool reply_client_window = false;  // the response carries client_max_window_bits
  bool compress_outgoing() const { return enabled && server_window_bits >= 9; }
  // The window to inflate with: the client's, but at least 512 bytes, because zlib-based
  // clients told "8" compress with 9 (zlib has no raw 256-byte window) and a 256-byte
  // inflater would then refuse their messages.
  uint8_t inflate_window_bits() const { return client_window_bits < 9 ? 9 : client_window_bits; }
};

// Negotiates permessage-deflate from the request's headers (all of them: the function picks
// the Sec-WebSocket-Extensions lines).
PmdParams negotiate_permessage_deflate(std::span<const http::Header> headers,
                                       const PmdConfig& config);
// Judges one offer (its name must be permessage-deflate): enabled == false when declined.
PmdParams accept_pmd_offer(const ExtensionOffer& offer, const PmdConfig& config);

// The response's Sec-WebSocket-Extensions value for `p` (e.g. "permessage-deflate;
// client_max_window_bits=12"), into out[0..cap).  Returns its size (at most kMaxPmdResponse), or 0
// when p is not enabled or cap is too small.
inline constexpr size_t kMaxPmdResponse = 128;
size_t write_pmd_response(const PmdParams& p, char* out, size_t cap);

// ---- implementation of the template ----

namespace detail {
// Parses the offer starting at value[0..]; returns the bytes it took (up to and including the
// comma that ends it, or the whole rest).
size_t parse_extension_offer(std::string_view value, ExtensionOffer* out);
}  // namespace detail

template <typename Fn>
void for_each_extension_offer(std::span<const http::Header> headers, Fn fn) {
  for (const http::Header& h : headers) {
    if (!http::ascii_iequal(h.name, "sec-websocket-extensions")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      ExtensionOffer offer;
      size_t used = detail::parse_extension_offer(v, &offer);
      v.remove_prefix(used);
      if (offer.valid && offer.name.empty()) continue;  // an empty list element
      if (!fn(static_cast<const ExtensionOffer&>(offer))) return;
    }
  }
}

}  // namespace viper::ws
