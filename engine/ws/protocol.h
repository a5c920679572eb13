// RFC 6455 constants shared by the WebSocket modules: opcodes, close status codes, limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::ws {

// Frame opcodes (RFC 6455 §5.2).  3-7 and 0xB-0xF are reserved: receiving one is 1002.
enum class Opcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

inline constexpr bool is_control(Opcode op) {
  return (uint8_t(op) & 0x8) != 0;
}

// Close status codes (RFC 6455 §7.4.1 and the IANA registry).
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;  // never sent: "the close frame had no code"
inline constexpr uint16_t kAbnormal = 1006;  // never sent: "no close frame at all"
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kMandatoryExtension = 1010;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kServiceRestart = 1012;
inline constexpr uint16_t kTryAgainLater = 1013;
inline constexpr uint16_t kBadGateway = 1014;
inline constexpr uint16_t kTlsHandshake = 1015;  // never sent
}  // namespace close_code

// Whether a close frame may carry `code`, i.e. whether receiving it is not a protocol error
// (RFC 6455 §7.4; Autobahn cases 7.7.x and 7.9.x): 1000-1003 and 1007-1014 (registered, and
// not one of the codes reserved for local use: 1004, 1005, 1006, 1015), 3000-4999 (libraries
// and applications).  0-999, 1016-2999 (unassigned) and 5000 and above are not.
inline constexpr bool close_code_valid(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// Largest payload of a control frame (RFC 6455 §5.5); a close reason has 2 bytes less.
inline constexpr size_t kMaxControlPayload = 125;
inline constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

// Longest frame header: 2 bytes, 8 of extended length, 4 of masking key.
inline constexpr size_t kMaxFrameHeader = 14;

// The GUID appended to Sec-WebSocket-Key before hashing (RFC 6455 §1.3).
inline constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

}  // namespace viper::ws
