// What a WebSocket connection costs beyond its slot (engine/ws/session.h): the protocol state
// of an idle connection, and the zlib streams of a compressed one, in this build's profile.
// The target: at most 512 bytes beyond the slot when no message is in flight.
#include <gtest/gtest.h>

#include <cstdio>

#include "mem/allocator.h"
#include "ws/session.h"
#include "ws_frames.h"

using namespace viper::ws;

TEST(WsSession, IdleStateFitsTheBudget) {
  std::printf(
      "sizeof: Session %zu (FrameDecoder %zu, CloseHandshake %zu, MessageFramer %zu, "
      "Utf8Validator %zu, PmdParams %zu, two stream pointers %zu)\n",
      sizeof(Session), sizeof(FrameDecoder), sizeof(CloseHandshake), sizeof(MessageFramer),
      sizeof(Utf8Validator), sizeof(PmdParams), 2 * sizeof(void*));
  // No compression: the Session is everything (buffers are returned when idle).
  EXPECT_LE(sizeof(Session), 512u);
  // The pieces stay small: a regression here would show in every connection.
  EXPECT_LE(sizeof(FrameDecoder), 48u);
  EXPECT_LE(sizeof(CloseHandshake), 8u);
}

// With compression, a connection that keeps context (the default) holds its two streams for
// its whole life; with no_context_takeover in both directions it needs them only while a
// message is in flight, so an idle one holds just the Session.
TEST(WsSession, CompressedConnectionStreams) {
  PmdConfig c;  // this profile's policy, turned on
  c.enabled = true;
  auto before = viper::mem::stats().bytes_in_use;
  MessageDeflater d;
  MessageInflater inf;
  ASSERT_TRUE(d.init(c.server_max_window_bits));
  ASSERT_TRUE(inf.init(c.client_max_window_bits));
  size_t total = d.memory_bytes() + inf.memory_bytes();
  EXPECT_EQ(viper::mem::stats().bytes_in_use - before, total);
  std::printf(
      "permessage-deflate streams (profile windows %d/%d, mem_level %d): deflate %zu + "
      "inflate %zu = %zu bytes per connection that keeps context\n",
      c.server_max_window_bits, c.client_max_window_bits, VIPER_WS_DEFLATE_MEM_LEVEL,
      d.memory_bytes(), inf.memory_bytes(), total);
#if defined(VIPER_PROFILE_ESP32)
  EXPECT_LE(total, 40000u);  // about 22 KB + 9 KB with 2 KB windows and mem_level 4
#endif
}

TEST(WsSession, StartResetsEverything) {
  Session s;
  PmdParams pmd;
  pmd.enabled = true;
  s.start(100, pmd);
  std::string f = wstest::frame(0xC1, "zz");  // RSV1 allowed now
  Event ev = s.decoder.decode(f.data(), f.size());
  EXPECT_EQ(ev.kind, EventKind::Data);
  EXPECT_TRUE(ev.compressed);
  s.closing.close(1000);
  s.framer.begin(Opcode::Text);
  s.start(100, PmdParams{});
  EXPECT_EQ(s.closing.state(), CloseHandshake::State::Open);
  EXPECT_FALSE(s.framer.open());
  EXPECT_FALSE(s.pmd.enabled);
  f = wstest::frame(0xC1, "zz");
  ev = s.decoder.decode(f.data(), f.size());
  EXPECT_EQ(ev.kind, EventKind::Error);  // RSV1 no longer allowed
  f = wstest::binary(std::string(101, 'x'));
  s.start(100, PmdParams{});
  ev = s.decoder.decode(f.data(), f.size());
  EXPECT_EQ(ev.code, 1009);
}
