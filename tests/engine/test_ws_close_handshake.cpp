// The close handshake helper (engine/ws/close_handshake.h): every path from Open to Closed,
// what is answered, and the code the application sees.
#include <gtest/gtest.h>

#include "ws/close_handshake.h"

using viper::ws::CloseHandshake;
using State = CloseHandshake::State;
using Initiator = CloseHandshake::Initiator;

TEST(WsCloseHandshake, PeerClosesFirst) {
  CloseHandshake c;
  EXPECT_TRUE(c.can_send());
  EXPECT_EQ(c.disconnect_code(), 0);
  auto a = c.on_close_frame(1001);
  EXPECT_TRUE(a.send_close);
  EXPECT_EQ(a.code, 1001);  // echoed
  EXPECT_TRUE(a.close_transport);
  EXPECT_EQ(c.state(), State::Closed);
  EXPECT_EQ(c.initiator(), Initiator::Peer);
  EXPECT_EQ(c.disconnect_code(), 1001);
  EXPECT_EQ(c.sent_code(), 1001);
  EXPECT_FALSE(c.can_send());
  // A second close frame (the decoder would not report one) changes nothing.
  a = c.on_close_frame(1000);
  EXPECT_FALSE(a.send_close);
  EXPECT_EQ(c.disconnect_code(), 1001);
}

TEST(WsCloseHandshake, PeerClosesWithoutCode) {
  CloseHandshake c;
  auto a = c.on_close_frame(1005);
  EXPECT_TRUE(a.send_close);
  EXPECT_EQ(a.code, 0);  // an empty close answers an empty close
  EXPECT_EQ(c.disconnect_code(), 1005);
}

TEST(WsCloseHandshake, WeCloseFirst) {
  CloseHandshake c;
  auto a = c.close(1000);
  EXPECT_TRUE(a.send_close);
  EXPECT_EQ(a.code, 1000);
  EXPECT_FALSE(a.close_transport);  // wait for the answer (the caller's close timeout runs)
  EXPECT_EQ(c.state(), State::CloseSent);
  EXPECT_FALSE(c.can_send());
  EXPECT_FALSE(c.delivers());
  EXPECT_FALSE(c.close(1001).send_close);  // only once
  a = c.on_close_frame(1000);
  EXPECT_FALSE(a.send_close);  // no second close frame
  EXPECT_TRUE(a.close_transport);
  EXPECT_EQ(c.state(), State::Closed);
  EXPECT_EQ(c.initiator(), Initiator::Local);
  EXPECT_EQ(c.disconnect_code(), 1000);
  EXPECT_EQ(c.sent_code(), 1000);
}

TEST(WsCloseHandshake, WeCloseAndThePeerNeverAnswers) {
  CloseHandshake c;
  c.close(1001);
  c.on_transport_closed();  // the caller's close timeout, or EOF
  EXPECT_EQ(c.state(), State::Closed);
  EXPECT_EQ(c.disconnect_code(), 1006);
}

TEST(WsCloseHandshake, ProtocolErrorFailsAtOnce) {
  CloseHandshake c;
  auto a = c.fail(1002);
  EXPECT_TRUE(a.send_close);
  EXPECT_EQ(a.code, 1002);
  EXPECT_TRUE(a.close_transport);  // no waiting for an answer (RFC 6455 §7.1.7)
  EXPECT_EQ(c.state(), State::Closed);
  EXPECT_EQ(c.disconnect_code(), 1002);
  EXPECT_FALSE(c.fail(1007).send_close);
}

TEST(WsCloseHandshake, ErrorWhileWaitingForTheAnswer) {
  CloseHandshake c;
  c.close(1000);
  auto a = c.fail(1007);
  EXPECT_FALSE(a.send_close);  // our close frame is already out
  EXPECT_TRUE(a.close_transport);
  EXPECT_EQ(c.disconnect_code(), 1007);
}

TEST(WsCloseHandshake, ConnectionLostWhileOpen) {
  CloseHandshake c;
  c.on_transport_closed();
  EXPECT_EQ(c.disconnect_code(), 1006);
  EXPECT_EQ(c.initiator(), Initiator::None);
  EXPECT_FALSE(c.close(1000).send_close);
  EXPECT_FALSE(c.on_close_frame(1000).send_close);
}
