#include "ws/close_handshake.h"

#include "ws/protocol.h"

namespace viper::ws {

CloseHandshake::Action CloseHandshake::close(uint16_t code) {
  Action a;
  if (state_ != State::Open) return a;
  state_ = State::CloseSent;
  initiator_ = Initiator::Local;
  a.send_close = true;
  a.code = code;
  sent_code_ = code;
  return a;
}

CloseHandshake::Action CloseHandshake::fail(uint16_t code) {
  Action a;
  if (state_ == State::Open) {
    a.send_close = true;
    a.code = code;
    sent_code_ = code;
    initiator_ = Initiator::Local;
  }
  if (disconnect_code_ == 0) disconnect_code_ = code;
  state_ = State::Closed;
  a.close_transport = true;
  return a;
}

CloseHandshake::Action CloseHandshake::on_close_frame(uint16_t code) {
  Action a;
  if (state_ == State::Closed) return a;
  if (disconnect_code_ == 0) disconnect_code_ = code;
  if (state_ == State::Open) {
    initiator_ = Initiator::Peer;
    a.send_close = true;
    // Echo the code (§5.5.1); a close without one is answered without one.
    a.code = code == close_code::kNoStatus ? 0 : code;
    sent_code_ = a.code;
  }
  state_ = State::Closed;
  a.close_transport = true;
  return a;
}

void CloseHandshake::on_transport_closed() {
  if (disconnect_code_ == 0) disconnect_code_ = close_code::kAbnormal;
  state_ = State::Closed;
}

}  // namespace viper::ws
