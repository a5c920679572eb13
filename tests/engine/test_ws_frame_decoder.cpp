// The frame decoder (engine/ws/frame_decoder.h) rule by rule, with every stream also fed one
// byte at a time and in every chunk size: the transcript must not change.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "ws/frame_decoder.h"
#include "ws_frames.h"

using namespace viper::ws;
using namespace wstest;

namespace {

DecoderConfig cfg(uint64_t max = 1 << 20, bool rsv1 = false, Role role = Role::Server) {
  DecoderConfig c;
  c.max_message_bytes = max;
  c.rsv1_allowed = rsv1;
  c.role = role;
  return c;
}

// The transcript of `stream`, checked to be the same for every chunk size from 1 byte up.
std::string decode(const std::string& stream, const DecoderConfig& c = cfg()) {
  FrameDecoder whole(c);
  std::string expect = feed(whole, stream).str();
  size_t max_chunk = stream.size() < 300 ? stream.size() : 300;
  for (size_t chunk = 1; chunk < max_chunk; chunk++) {
    FrameDecoder d(c);
    std::string got = feed(d, stream, chunk).str();
    EXPECT_EQ(got, expect) << "chunk " << chunk;
    if (got != expect) break;
  }
  return expect;
}

std::string repeat(size_t n, char c = 'x') {
  return std::string(n, c);
}

}  // namespace

TEST(WsFrameDecoder, LengthEncodings) {
  for (size_t n : {0, 1, 125, 126, 127, 1000, 65535, 65536, 70000}) {
    std::string p;
    for (size_t i = 0; i < n; i++)
      p += char('a' + i % 26);
    FrameDecoder d(cfg());
    EXPECT_EQ(feed(d, binary(p)).str(), "binary:" + p + "\n") << n;
    FrameDecoder d1(cfg());
    EXPECT_EQ(feed(d1, binary(p), 1).str(), "binary:" + p + "\n") << n;
  }
}

TEST(WsFrameDecoder, NonMinimalLengthsAreProtocolErrors) {
  EXPECT_EQ(decode(frame(Raw{0x82, repeat(125), true, 2})), "error:1002:non_minimal_length\n");
  EXPECT_EQ(decode(frame(Raw{0x82, repeat(0), true, 2})), "error:1002:non_minimal_length\n");
  EXPECT_EQ(decode(frame(Raw{0x82, repeat(65535), true, 8})), "error:1002:non_minimal_length\n");
  EXPECT_EQ(decode(frame(Raw{0x82, repeat(3), true, 8})), "error:1002:non_minimal_length\n");
  // The shortest form of each is fine; 126 in 16 bits and 65536 in 64 bits are minimal.
  EXPECT_EQ(decode(frame(Raw{0x82, repeat(126), true, 2})), "binary:" + repeat(126) + "\n");
  FrameDecoder d(cfg());
  EXPECT_EQ(feed(d, frame(Raw{0x82, repeat(65536), true, 8})).str(),
            "binary:" + repeat(65536) + "\n");
}

TEST(WsFrameDecoder, SixtyFourBitLengthWithTheTopBitSet) {
  std::string f = "\x82\xff";
  f += std::string("\x80\x00\x00\x00\x00\x00\x00\x01", 8);
  f += "abcd";
  EXPECT_EQ(decode(f, cfg(UINT64_MAX)), "error:1002:length_too_large\n");
  // The largest legal length passes the header check (and fails the size limit, not this one).
  std::string g = "\x82\xff";
  g += "\x7f\xff\xff\xff\xff\xff\xff\xff";
  g += "abcd";
  EXPECT_EQ(decode(g, cfg(UINT64_MAX)), "");  // waiting for 2^63-1 bytes
  EXPECT_EQ(decode(g), "error:1009:message_too_big\n");
}

TEST(WsFrameDecoder, ClientFramesMustBeMasked) {
  Raw r{0x81, "hello", false};
  EXPECT_EQ(decode(frame(r)), "error:1002:mask_missing\n");
  // The client role is the mirror image.
  EXPECT_EQ(decode(frame(r), cfg(1 << 20, false, Role::Client)), "text:hello\n");
  EXPECT_EQ(decode(text("hello"), cfg(1 << 20, false, Role::Client)),
            "error:1002:mask_unexpected\n");
}

TEST(WsFrameDecoder, UnmasksInPlaceAndHandsOnViews) {
  std::string buf = text("Hello, world");
  FrameDecoder d(cfg());
  Event ev = d.decode(buf.data(), buf.size());
  ASSERT_EQ(ev.kind, EventKind::Data);
  EXPECT_EQ(ev.payload, "Hello, world");
  EXPECT_EQ(ev.payload.data(), buf.data() + 6);  // a view, not a copy
  EXPECT_EQ(buf.substr(6), "Hello, world");      // unmasked in place
  EXPECT_EQ(ev.consumed, buf.size());
  EXPECT_TRUE(ev.first);
  EXPECT_TRUE(ev.last);
  EXPECT_FALSE(d.in_message());
}

TEST(WsFrameDecoder, PayloadArrivesInPiecesAsItComes) {
  std::string f = binary(repeat(1000, 'q'));
  FrameDecoder d(cfg());
  // Header (8 bytes) + 100 payload bytes: the header is consumed and 100 bytes handed on.
  std::string part = f.substr(0, 108);
  Event ev = d.decode(part.data(), part.size());
  ASSERT_EQ(ev.kind, EventKind::Data);
  EXPECT_EQ(ev.payload.size(), 100u);
  EXPECT_TRUE(ev.first);
  EXPECT_FALSE(ev.last);
  EXPECT_EQ(ev.consumed, 108u);
  EXPECT_TRUE(d.in_message());
  std::string rest = f.substr(108);
  ev = d.decode(rest.data(), rest.size());
  EXPECT_EQ(ev.payload, repeat(900, 'q'));
  EXPECT_FALSE(ev.first);
  EXPECT_TRUE(ev.last);
}

TEST(WsFrameDecoder, HeadersAndControlFramesAreTakenWhole) {
  FrameDecoder d(cfg());
  std::string f = ping("are you there");
  for (size_t n = 0; n < f.size(); n++) {
    std::string part = f.substr(0, n);
    Event ev = d.decode(part.data(), part.size());
    ASSERT_EQ(ev.kind, EventKind::NeedMore) << n;
    ASSERT_EQ(ev.consumed, 0u) << n;
  }
  Event ev = d.decode(f.data(), f.size());
  EXPECT_EQ(ev.kind, EventKind::Ping);
  EXPECT_EQ(ev.payload, "are you there");
  EXPECT_EQ(ev.consumed, f.size());
  // A 64-bit header is consumed only when its 14 bytes are there.
  FrameDecoder d2(cfg());
  std::string g = binary(repeat(70000));
  for (size_t n = 0; n < 14; n++) {
    Event e = d2.decode(g.data(), n);
    ASSERT_EQ(e.kind, EventKind::NeedMore);
    ASSERT_EQ(e.consumed, 0u);
  }
  Event e = d2.decode(g.data(), 14);
  EXPECT_EQ(e.kind, EventKind::NeedMore);
  EXPECT_EQ(e.consumed, 14u);
}

TEST(WsFrameDecoder, ReservedBits) {
  EXPECT_EQ(decode(frame(0x91, "x")), "error:1002:reserved_bits\n");  // RSV3
  EXPECT_EQ(decode(frame(0xA1, "x")), "error:1002:reserved_bits\n");  // RSV2
  EXPECT_EQ(decode(frame(0xC1, "x")), "error:1002:reserved_bits\n");  // RSV1 without pmd
  EXPECT_EQ(decode(frame(0xF1, "x")), "error:1002:reserved_bits\n");
  // With permessage-deflate: RSV1 on the first frame of a data message only.
  DecoderConfig z = cfg(1 << 20, true);
  EXPECT_EQ(decode(frame(0xC1, "x"), z), "text+z:x\n");
  EXPECT_EQ(decode(frame(0x42, "a") + frame(0x80, "b"), z), "binary+z:ab\n");
  EXPECT_EQ(decode(frame(0x41, "a") + frame(0xC0, "b"), z),
            "error:1002:reserved_bits\npartial:a\n");
  EXPECT_EQ(decode(frame(0xC9, "p"), z), "error:1002:reserved_bits\n");
  EXPECT_EQ(decode(frame(0xE1, "x"), z), "error:1002:reserved_bits\n");  // RSV2 still not
  // Compressed text is not validated here: it is deflate data.
  EXPECT_EQ(decode(frame(0xC1, "\xff\xfe"), z), "text+z:\xff\xfe\n");
}

TEST(WsFrameDecoder, ReservedOpcodes) {
  for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
    EXPECT_EQ(decode(frame(uint8_t(0x80 | op), "")), "error:1002:reserved_opcode\n") << op;
  // After a valid message, still an error.
  EXPECT_EQ(decode(text("ok") + frame(0x85, "")), "text:ok\nerror:1002:reserved_opcode\n");
}

TEST(WsFrameDecoder, ControlFrames) {
  EXPECT_EQ(decode(ping("")), "ping:\n");
  EXPECT_EQ(decode(ping(repeat(125))), "ping:" + repeat(125) + "\n");
  EXPECT_EQ(decode(pong("x")), "pong:x\n");
  EXPECT_EQ(decode(ping(repeat(126))), "error:1002:control_too_long\n");
  EXPECT_EQ(decode(frame(Raw{0x89, repeat(5), true, 2})), "error:1002:control_too_long\n");
  EXPECT_EQ(decode(frame(0x09, "x")), "error:1002:control_fragmented\n");
  EXPECT_EQ(decode(frame(0x08, "")), "error:1002:control_fragmented\n");
}

TEST(WsFrameDecoder, Fragmentation) {
  EXPECT_EQ(decode(text("Hel", false) + cont("lo, ", false) + cont("world")),
            "text:Hello, world\n");
  // Control frames between fragments are reported in their place.
  EXPECT_EQ(decode(text("a", false) + ping("p1") + cont("b", false) + pong("q") + cont("c")),
            "ping:p1\npong:q\ntext:abc\n");
  // Empty fragments anywhere.
  EXPECT_EQ(decode(binary("", false) + cont("", false) + cont("x", false) + cont("")),
            "binary:x\n");
  EXPECT_EQ(decode(text("")), "text:\n");
  EXPECT_EQ(decode(cont("x")), "error:1002:unexpected_continuation\n");
  EXPECT_EQ(decode(text("a") + cont("x")), "text:a\nerror:1002:unexpected_continuation\n");
  EXPECT_EQ(decode(text("a", false) + text("b")), "error:1002:expected_continuation\npartial:a\n");
  EXPECT_EQ(decode(text("a", false) + binary("b")),
            "error:1002:expected_continuation\npartial:a\n");
}

TEST(WsFrameDecoder, MessageSizeLimit) {
  const uint64_t max = 1000;
  EXPECT_EQ(decode(binary(repeat(1000)), cfg(max)), "binary:" + repeat(1000) + "\n");
  EXPECT_EQ(decode(binary(repeat(1001)), cfg(max)), "error:1009:message_too_big\n");
  // Across fragments: the sum counts, at the limit and one past it.
  EXPECT_EQ(decode(binary(repeat(600), false) + cont(repeat(400)), cfg(max)),
            "binary:" + repeat(1000) + "\n");
  EXPECT_EQ(decode(binary(repeat(600), false) + cont(repeat(401)), cfg(max)),
            "error:1009:message_too_big\npartial:" + repeat(600) + "\n");
  // Judged from the header alone: no payload byte needs to arrive.
  FrameDecoder d(cfg(max));
  std::string f = binary(repeat(70000));
  Event ev = d.decode(f.data(), 10);
  EXPECT_EQ(ev.kind, EventKind::Error);
  EXPECT_EQ(ev.code, 1009);
  // Control frames do not count, and each message starts from zero.
  EXPECT_EQ(decode(binary(repeat(1000)) + ping("x") + text(repeat(1000)), cfg(max)),
            "binary:" + repeat(1000) + "\nping:x\ntext:" + repeat(1000) + "\n");
}

TEST(WsFrameDecoder, CloseFrames) {
  EXPECT_EQ(decode(close_frame(-1)), "close:1005:\n");
  EXPECT_EQ(decode(close_frame(1000)), "close:1000:\n");
  EXPECT_EQ(decode(close_frame(1001, "bye")), "close:1001:bye\n");
  EXPECT_EQ(decode(close_frame(4999, "\xce\xba")), "close:4999:\xce\xba\n");
  EXPECT_EQ(decode(close_frame(1000, repeat(123))), "close:1000:" + repeat(123) + "\n");
  EXPECT_EQ(decode(frame(0x88, "\x03")), "error:1002:close_length_1\n");
  EXPECT_EQ(decode(close_frame(1000, "\xff")), "error:1007:invalid_close_reason\n");
  EXPECT_EQ(decode(close_frame(1000, "\xed\xa0\x80")), "error:1007:invalid_close_reason\n");
  EXPECT_EQ(decode(close_frame(1000, "\xc3")), "error:1007:invalid_close_reason\n");
  // Everything after a close frame is discarded.
  EXPECT_EQ(decode(close_frame(1000) + text("late") + frame(0x85, "")), "close:1000:\n");
  FrameDecoder d(cfg());
  feed(d, close_frame(1000));
  EXPECT_TRUE(d.closed());
}

// RFC 6455 §7.4 and Autobahn 7.7.x / 7.9.x: which codes a close frame may carry.
TEST(WsFrameDecoder, CloseCodes) {
  for (int code = 0; code < 65536; code++) {
    bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                 (code >= 3000 && code <= 4999);
    FrameDecoder d(cfg());
    std::string t = feed(d, close_frame(code)).str();
    ASSERT_EQ(t, valid ? "close:" + std::to_string(code) + ":\n"
                       : std::string("error:1002:invalid_close_code\n"))
        << code;
  }
}

TEST(WsFrameDecoder, TextIsValidatedAcrossFragments) {
  // "κόσμε" split inside code points.
  const std::string k = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
  EXPECT_EQ(decode(text(k.substr(0, 1), false) + cont(k.substr(1, 3), false) + cont(k.substr(4))),
            "text:" + k + "\n");
  // Binary is not text.
  EXPECT_EQ(decode(binary("\xff")), "binary:\xff\n");
  // Invalid: fail fast, at the first bad byte; the valid bytes before it are still handed on.
  EXPECT_EQ(decode(text(k + "\xed\xa0\x80"
                            "edited")),
            "error:1007:invalid_utf8\npartial:" + k + "\xed\n");
  EXPECT_EQ(decode(text(k, false) + cont("\xf4\x90\x80\x80", false) + cont("x")),
            "error:1007:invalid_utf8\npartial:" + k + "\xf4\n");
  // Incomplete at the end of the message.
  EXPECT_EQ(decode(text("ab\xc3")), "error:1007:invalid_utf8\npartial:ab\xc3\n");
  EXPECT_EQ(decode(text("ab\xc3", false) + cont("")), "error:1007:invalid_utf8\npartial:ab\xc3\n");
  // Complete across the fragment boundary.
  EXPECT_EQ(decode(text("ab\xc3", false) + cont("\xa9")), "text:ab\xc3\xa9\n");
}

// Autobahn 6.4.x: the error must come when the bad byte arrives, not when the message ends.
TEST(WsFrameDecoder, InvalidUtf8FailsBeforeTheFrameEnds) {
  const std::string k = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
  std::string f = text(k + "\xf4\x90\x80\x80" + "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
  FrameDecoder d(cfg());
  std::string pending;
  size_t header = 6;
  bool failed = false;
  for (size_t i = 0; i < f.size() && !failed; i++) {
    pending += f[i];
    while (true) {
      Event ev = d.decode(pending.data(), pending.size());
      pending.erase(0, ev.consumed);
      if (ev.kind == EventKind::Error) {
        EXPECT_EQ(ev.code, 1007);
        EXPECT_EQ(i, header + k.size() + 1);  // at 0x90, the second byte of F4 90
        failed = true;
      }
      if (ev.kind == EventKind::NeedMore || ev.kind == EventKind::Error) break;
    }
  }
  EXPECT_TRUE(failed);
}

TEST(WsFrameDecoder, StaysFailed) {
  FrameDecoder d(cfg());
  std::string bad = frame(0x83, "");
  Event ev = d.decode(bad.data(), bad.size());
  EXPECT_EQ(ev.kind, EventKind::Error);
  std::string good = text("x");
  ev = d.decode(good.data(), good.size());
  EXPECT_EQ(ev.kind, EventKind::Error);
  EXPECT_EQ(ev.error, DecodeError::ReservedOpcode);
  EXPECT_TRUE(d.failed());
  d.reset();
  ev = d.decode(good.data(), good.size());
  EXPECT_EQ(ev.kind, EventKind::Data);
}

TEST(WsFrameDecoder, CloseCodesOfErrors) {
  EXPECT_EQ(close_code_of(DecodeError::InvalidUtf8), 1007);
  EXPECT_EQ(close_code_of(DecodeError::InvalidCloseReason), 1007);
  EXPECT_EQ(close_code_of(DecodeError::MessageTooBig), 1009);
  for (DecodeError e :
       {DecodeError::ReservedBits, DecodeError::ReservedOpcode, DecodeError::MaskMissing,
        DecodeError::MaskUnexpected, DecodeError::NonMinimalLength, DecodeError::LengthTooLarge,
        DecodeError::ControlTooLong, DecodeError::ControlFragmented,
        DecodeError::UnexpectedContinuation, DecodeError::ExpectedContinuation,
        DecodeError::CloseLength1, DecodeError::InvalidCloseCode}) {
    EXPECT_EQ(close_code_of(e), 1002) << name_of(e);
    EXPECT_NE(name_of(e), "unknown");
  }
}

// Random streams of valid and invalid frames: every chunk size gives the same transcript.
TEST(WsFrameDecoder, RandomStreamsAnySplit) {
  std::mt19937 rng(1234);
  const std::string words[] = {
      "",     "a",           "hello", "\xce\xba\xe1\xbd\xb9", "\xc3", "\xa9", std::string(130, 'z'),
      "\xff", "\xed\xa0\x80"};
  for (int round = 0; round < 300; round++) {
    std::string s;
    int frames = 1 + int(rng() % 6);
    bool open = false;
    for (int i = 0; i < frames; i++) {
      std::string p = words[rng() % 9];
      int kind = int(rng() % 10);
      bool fin = rng() % 2;
      if (kind < 3)
        s += open ? cont(p, fin) : (rng() % 2 ? text(p, fin) : binary(p, fin));
      else if (kind < 5)
        s += ping(p.substr(0, 125));
      else if (kind < 6)
        s += pong(p.substr(0, 125));
      else if (kind < 7)
        s += close_frame(int(rng() % 5000), p.substr(0, 20));
      else if (kind < 8)
        s += frame(uint8_t(rng()), p);
      else
        s += cont(p, fin);
      open = kind < 3 ? !fin : open;
    }
    decode(s, cfg(200, rng() % 2));
    if (HasFailure()) {
      ADD_FAILURE() << "round " << round;
      break;
    }
  }
}
