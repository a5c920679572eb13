// The frame encoder (engine/ws/frame_encoder.h): exact bytes of server frames, the limits it
// refuses, fragmentation with MessageFramer, and round trips through the decoder.
#include <gtest/gtest.h>

#include <string>

#include "ws/frame_decoder.h"
#include "ws/frame_encoder.h"
#include "ws/mask.h"
#include "ws_frames.h"

using namespace viper::ws;

namespace {

std::string hdr(Opcode op, bool fin, bool rsv1, uint64_t len) {
  char h[kMaxFrameHeader];
  size_t n = write_frame_header(h, op, fin, rsv1, len);
  return std::string(h, n);
}

std::string data_frame(Opcode op, bool fin, bool rsv1, std::string_view payload) {
  char h[kMaxFrameHeader];
  OutFrame f = encode_data_frame(h, op, fin, rsv1, payload);
  if (f.header_size == 0) return "<refused>";
  EXPECT_EQ(f.payload.data(), payload.data());  // the payload is not copied
  return std::string(h, f.header_size) + std::string(f.payload);
}

std::string client_decode(const std::string& stream) {
  DecoderConfig c;
  c.role = Role::Client;
  c.rsv1_allowed = true;
  c.max_message_bytes = 1 << 20;  // not the profile's default (64 KB on the device)
  FrameDecoder d(c);
  return wstest::feed(d, stream).str();
}

}  // namespace

TEST(WsFrameEncoder, HeaderBytes) {
  // RFC 6455 §5.7 examples: unmasked "Hello", and the 256-byte / 64 KiB binary headers.
  EXPECT_EQ(data_frame(Opcode::Text, true, false, "Hello"), "\x81\x05Hello");
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 256), std::string("\x82\x7e\x01\x00", 4));
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 65536),
            std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  // The shortest encoding at each boundary.
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 125).size(), 2u);
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 126).size(), 4u);
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 65535).size(), 4u);
  EXPECT_EQ(hdr(Opcode::Binary, true, false, 65536).size(), 10u);
  EXPECT_EQ(frame_header_size(125), 2u);
  EXPECT_EQ(frame_header_size(126), 4u);
  EXPECT_EQ(frame_header_size(65536, true), 14u);
  // FIN, RSV1 and continuation.
  EXPECT_EQ(hdr(Opcode::Text, false, true, 0), std::string("\x41\x00", 2));
  EXPECT_EQ(hdr(Opcode::Continuation, true, false, 1), "\x80\x01");
  EXPECT_EQ(hdr(Opcode::Binary, true, false, uint64_t(1) << 63), "");  // not a legal length
}

TEST(WsFrameEncoder, MaskedClientHeader) {
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  char h[kMaxFrameHeader];
  size_t n = write_frame_header(h, Opcode::Text, true, false, 5, key);
  std::string payload = "Hello";
  apply_mask(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), key, 0);
  // RFC 6455 §5.7: a masked "Hello".
  EXPECT_EQ(std::string(h, n) + payload, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
}

TEST(WsFrameEncoder, ControlFrames) {
  char out[2 + kMaxControlPayload];
  size_t n = encode_ping(out, sizeof out, "Hello");
  EXPECT_EQ(std::string(out, n), "\x89\x05Hello");
  n = encode_pong(out, sizeof out, "Hello");
  EXPECT_EQ(std::string(out, n), "\x8a\x05Hello");
  n = encode_pong(out, sizeof out, "");
  EXPECT_EQ(std::string(out, n), std::string("\x8a\x00", 2));
  EXPECT_EQ(encode_ping(out, sizeof out, std::string(125, 'p')), 127u);
  EXPECT_EQ(encode_ping(out, sizeof out, std::string(126, 'p')), 0u);
  EXPECT_EQ(encode_ping(out, 6, "Hello"), 0u);  // no room
  // Control opcodes never fragmented, never RSV1, never long.
  char h[kMaxFrameHeader];
  EXPECT_EQ(write_frame_header(h, Opcode::Ping, false, false, 0), 0u);
  EXPECT_EQ(write_frame_header(h, Opcode::Pong, true, true, 0), 0u);
  EXPECT_EQ(write_frame_header(h, Opcode::Close, true, false, 126), 0u);
  EXPECT_EQ(encode_data_frame(h, Opcode::Ping, true, false, "x").header_size, 0u);
}

TEST(WsFrameEncoder, CloseFrames) {
  char out[2 + kMaxControlPayload];
  size_t n = encode_close(out, sizeof out, 1000, "");
  EXPECT_EQ(std::string(out, n), std::string("\x88\x02\x03\xe8", 4));
  n = encode_close(out, sizeof out, 1001, "going");
  EXPECT_EQ(std::string(out, n), std::string("\x88\x07\x03\xe9going", 9));
  n = encode_close(out, sizeof out, 0, "");
  EXPECT_EQ(std::string(out, n), std::string("\x88\x00", 2));
  EXPECT_EQ(encode_close(out, sizeof out, 0, "reason without code"), 0u);
  EXPECT_EQ(encode_close(out, sizeof out, 4999, std::string(123, 'r')), 127u);
  EXPECT_EQ(encode_close(out, sizeof out, 4999, std::string(124, 'r')), 0u);
  for (uint16_t bad : {999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
    EXPECT_EQ(encode_close(out, sizeof out, bad, ""), 0u) << bad;
  EXPECT_EQ(encode_close(out, sizeof out, 1000, "\xff"), 0u);  // reason must be UTF-8
  // What we send, our decoder (client role) reads back.
  n = encode_close(out, sizeof out, 1008, "policy \xce\xba");
  EXPECT_EQ(client_decode(std::string(out, n)), "close:1008:policy \xce\xba\n");
}

TEST(WsFrameEncoder, MessageFramerFragments) {
  MessageFramer m;
  char h[kMaxFrameHeader];
  EXPECT_EQ(m.next(h, "x", true).header_size, 0u);  // no message open
  std::string stream;
  m.begin(Opcode::Text, true);
  EXPECT_TRUE(m.open());
  for (const char* piece : {"Hel", "lo, ", "world"}) {
    bool last = std::string(piece) == "world";
    OutFrame f = m.next(h, piece, last);
    ASSERT_GT(f.header_size, 0u);
    stream += std::string(h, f.header_size) + std::string(f.payload);
  }
  EXPECT_FALSE(m.open());
  // RSV1 and the opcode on the first frame only.
  EXPECT_EQ(uint8_t(stream[0]), 0x41);
  EXPECT_EQ(uint8_t(stream[5]), 0x00);
  EXPECT_EQ(uint8_t(stream[11]), 0x80);
  EXPECT_EQ(client_decode(stream), "text+z:Hello, world\n");
  // A ping between fragments.
  m.begin(Opcode::Binary);
  OutFrame f = m.next(h, "ab", false);
  stream = std::string(h, f.header_size) + "ab";
  char p[16];
  stream += std::string(p, encode_ping(p, sizeof p, "!"));
  f = m.next(h, "cd", true);
  stream += std::string(h, f.header_size) + "cd";
  EXPECT_EQ(client_decode(stream), "ping:!\nbinary:abcd\n");
}

TEST(WsFrameEncoder, LargeRoundTrip) {
  std::string payload(200000, '\0');
  for (size_t i = 0; i < payload.size(); i++)
    payload[i] = char(i * 13);
  std::string f = data_frame(Opcode::Binary, true, false, payload);
  EXPECT_EQ(f.size(), payload.size() + 10);
  EXPECT_EQ(client_decode(f), "binary:" + payload + "\n");
}

TEST(WsFrameEncoder, MaskPhaseAcrossPieces) {
  const uint8_t key[4] = {1, 2, 3, 4};
  std::string a(37, 'a'), b = a;
  apply_mask(reinterpret_cast<uint8_t*>(a.data()), a.size(), key, 0);
  uint8_t phase = 0;
  for (size_t at = 0, step = 1; at < b.size(); at += step, step = step % 9 + 1) {
    size_t n = std::min(step, b.size() - at);
    phase = apply_mask(reinterpret_cast<uint8_t*>(b.data() + at), n, key, phase);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(phase, 37 % 4);
}
