// libFuzzer target for the permessage-deflate streams (engine/ws/deflate.h).
//
// Input: byte 0 picks the mode and parameters, byte 1 the piece and buffer sizes; the rest is
// the data.
//   Inflate mode (bit 0 clear): the data is a compressed message from a hostile client.  Its
//     pieces are inflated into small buffers: every call produces at most the buffer's size,
//     the total never exceeds the maximum message size by more than one byte, TooBig comes
//     exactly when it is exceeded, and the stream keeps working for a second message.  With a
//     32 KB window the outcome and the output do not depend on the piece and buffer sizes.
//   Round-trip mode (bit 0 set): the data, cut into messages at 0xFF bytes, is compressed
//     (window, context mode and buffer sizes from the input) and inflated back: identical.
// Memory: no allocation after init (the counting allocator's count does not move).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mem/allocator.h"
#include "ws/deflate.h"

namespace {

using namespace viper::ws;
using Status = MessageInflater::Status;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Outcome {
  std::string out;
  Status status;
};

Outcome inflate_all(MessageInflater& inf, std::string_view msg, size_t piece, size_t cap,
                    uint64_t max) {
  Outcome o;
  std::vector<char> buf(cap);
  size_t at = 0;
  while (true) {
    size_t take = msg.size() - at < piece ? msg.size() - at : piece;
    bool last = at + take == msg.size();
    std::string_view p = msg.substr(at, take);
    size_t used = 0;
    while (true) {
      auto r = inf.inflate(p.substr(used), last, buf.data(), cap);
      CHECK(r.produced <= cap);
      CHECK(r.consumed <= p.size() - used);
      used += r.consumed;
      o.out.append(buf.data(), r.produced);
      CHECK(max == UINT64_MAX || o.out.size() <= max + 1);
      CHECK(inf.message_bytes() == o.out.size() || r.status == Status::Done);
      o.status = r.status;
      if (r.status == Status::TooBig) CHECK(o.out.size() == max + 1);
      if (r.status == Status::OutputFull) continue;
      if (r.status != Status::NeedInput) return o;
      CHECK(used == p.size());
      break;
    }
    at += take;
    CHECK(!last);  // the last piece always ends the message one way or another
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static MessageDeflater* deflater = [] {
    auto* d = new MessageDeflater;
    d->init(15, 8, 6);
    return d;
  }();
  static MessageInflater* inflater = [] {
    auto* i = new MessageInflater;
    i->init(15);
    return i;
  }();
  uint8_t mode = data[0], sizes = data[1];
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t piece = 1 + (sizes & 15) * 7;
  size_t cap = 1 + (sizes >> 4) * 5;
  uint64_t allocations = viper::mem::stats().allocations;

  if ((mode & 1) == 0) {
    int bits = 8 + (mode >> 1) % 8;
    static const uint64_t kMax[] = {0, 1, 100, 4096, 1 << 16, 1 << 20};
    uint64_t max = kMax[(mode >> 4) % 6];
    CHECK(inflater->start(bits, mode & 0x80, max));
    Outcome a = inflate_all(*inflater, body, piece, cap, max);
    if (bits == 15) {
      CHECK(inflater->start(bits, mode & 0x80, max));
      Outcome b = inflate_all(*inflater, body, body.size() + 1, 65536, max);
      CHECK(a.status == b.status);
      if (a.status == Status::Done || a.status == Status::TooBig) CHECK(a.out == b.out);
    }
    // Whatever happened, a fresh message on a restarted stream works.
    CHECK(inflater->start(bits, true, max));
    Outcome c = inflate_all(*inflater, std::string_view("\x00", 1), 1, 1, max);
    CHECK(c.status == Status::Done && c.out.empty());
  } else {
    int bits = 9 + (mode >> 1) % 7;
    bool no_context = mode & 0x10;
    CHECK(deflater->start(bits, no_context));
    CHECK(inflater->start(bits, no_context, UINT64_MAX));
    size_t out_cap = MessageDeflater::kMinOutput + (sizes >> 4) * 11;
    std::vector<char> buf(out_cap);
    while (true) {
      size_t cut = body.find('\xff');
      std::string_view msg = body.substr(0, cut);
      std::string wire;
      size_t used = 0;
      while (true) {
        size_t take = msg.size() - used < piece ? msg.size() - used : piece;
        bool last = used + take == msg.size();
        auto r = deflater->compress(msg.substr(used, take), last, buf.data(), out_cap);
        CHECK(!r.error && r.produced <= out_cap);
        used += r.consumed;
        wire.append(buf.data(), r.produced);
        if (r.done) break;
      }
      CHECK(used == msg.size());
      Outcome back = inflate_all(*inflater, wire, piece, cap, UINT64_MAX);
      CHECK(back.status == Status::Done && back.out == msg);
      if (cut == std::string_view::npos) break;
      body.remove_prefix(cut + 1);
    }
  }
  CHECK(viper::mem::stats().allocations == allocations);
  return 0;
}

#include "replay_main.h"
