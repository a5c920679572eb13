// permessage-deflate streams (engine/ws/deflate.h): the RFC 7692 §7.2.3 examples, round trips
// with every window and context mode, bounded output, the maximum message size against zip
// bombs, and memory: taken once, from viper::mem, never again while compressing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "mem/allocator.h"
#include "ws/deflate.h"
#include "ws/extensions.h"

using namespace viper::ws;
using Status = MessageInflater::Status;

namespace {

// The largest window of this profile (15 on a PC; 11 in the esp32 profile, whose 256 KB
// memory budget a 15-bit deflate stream would not fit).
constexpr int kBits = VIPER_WS_DEFAULT_WINDOW_BITS;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b)
    s += char(c);
  return s;
}

// Compresses one message, `in_piece` input bytes per call, `cap` output bytes per call; the
// frames' payloads concatenated (what goes on the wire for the message).
std::string deflate_message(MessageDeflater& d, const std::string& msg, size_t in_piece = 0,
                            size_t cap = 4096, int* frames = nullptr) {
  std::string wire;
  std::vector<char> out(cap);
  size_t at = 0;
  if (in_piece == 0) in_piece = msg.size() + 1;
  int n = 0;
  while (true) {
    size_t take = std::min(in_piece, msg.size() - at);
    bool last = at + take == msg.size();
    MessageDeflater::Result r =
        d.compress(std::string_view(msg).substr(at, take), last, out.data(), out.size());
    EXPECT_FALSE(r.error);
    if (r.error) return "<error>";
    at += r.consumed;
    wire.append(out.data(), r.produced);
    if (r.produced > 0 || r.done) n++;
    if (r.done) break;
  }
  if (frames) *frames = n;
  return wire;
}

struct Inflated {
  std::string text;
  Status status;
};

// Inflates one message given as wire pieces of `in_piece` bytes into a `cap`-byte buffer.
Inflated inflate_message(MessageInflater& inf, const std::string& wire, size_t in_piece = 0,
                         size_t cap = 4096) {
  Inflated res;
  std::vector<char> out(cap);
  if (in_piece == 0) in_piece = wire.size() + 1;
  size_t at = 0;
  while (true) {
    size_t take = std::min(in_piece, wire.size() - at);
    bool last = at + take == wire.size();
    std::string_view piece = std::string_view(wire).substr(at, take);
    size_t used = 0;
    while (true) {
      MessageInflater::Result r = inf.inflate(piece.substr(used), last, out.data(), out.size());
      used += r.consumed;
      res.text.append(out.data(), r.produced);
      EXPECT_LE(r.produced, cap);
      res.status = r.status;
      if (r.status == Status::OutputFull) continue;
      if (r.status != Status::NeedInput) return res;
      EXPECT_EQ(used, piece.size());
      break;
    }
    at += take;
    if (last) return res;  // NeedInput after the last piece would be a bug
  }
}

std::string random_text(size_t n, unsigned seed, int alphabet = 256) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = char(rng() % alphabet);
  return s;
}

std::string json_like(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; i++)
    s += "{\"sensor\": \"temp-" + std::to_string(i % 7) +
         "\", \"value\": " + std::to_string(20 + i % 13) + "}\n";
  s.resize(n);
  return s;
}

// Raw inflate by zlib alone, with the tail appended: the reference reader.
std::string zlib_inflate(const std::string& wire, int bits) {
  z_stream z{};
  inflateInit2(&z, -bits);
  std::string in = wire + bytes({0, 0, 0xff, 0xff});
  z.next_in = reinterpret_cast<Bytef*>(in.data());
  z.avail_in = uInt(in.size());
  std::string out;
  char buf[65536];
  int ret;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    ret = inflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (ret == Z_OK && z.avail_in > 0);
  inflateEnd(&z);
  return ret == Z_OK || ret == Z_BUF_ERROR ? out : "<zlib error>";
}

}  // namespace

// RFC 7692 §7.2.3: the examples, as a client would send them.
TEST(WsDeflate, Rfc7692Examples) {
  MessageInflater inf;
  ASSERT_TRUE(inf.init(kBits));
  ASSERT_TRUE(inf.start(kBits, false, 1 << 20));
  // §7.2.3.1 "Hello", then §7.2.3.2 the same again with the shared window.
  EXPECT_EQ(inflate_message(inf, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})).text, "Hello");
  Inflated second = inflate_message(inf, bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
  EXPECT_EQ(second.status, Status::Done);
  EXPECT_EQ(second.text, "Hello");
  // §7.2.3.3 a stored block.
  EXPECT_EQ(inflate_message(
                inf, bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}))
                .text,
            "Hello");
  // §7.2.3.4 a block with BFINAL set.
  Inflated fin = inflate_message(inf, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}));
  EXPECT_EQ(fin.status, Status::Done);
  EXPECT_EQ(fin.text, "Hello");
  // §7.2.3.5 two blocks in one message.
  EXPECT_EQ(inflate_message(inf, bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9,
                                        0xc9, 0x07, 0x00}))
                .text,
            "Hello");
  // §7.2.3.6 an empty message.
  EXPECT_EQ(inflate_message(inf, bytes({0x00})).text, "");
  EXPECT_EQ(inflate_message(inf, bytes({0x02, 0x00})).text, "");
}

TEST(WsDeflate, DeflatesLikeTheRfc) {
  MessageDeflater d;
  ASSERT_TRUE(d.init(kBits));
  ASSERT_TRUE(d.start(kBits, false));
  EXPECT_EQ(deflate_message(d, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  // Context takeover: the second "Hello" refers back to the first.
  EXPECT_EQ(deflate_message(d, "Hello"), bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
  // Without it, both are the same.
  ASSERT_TRUE(d.start(kBits, true));
  EXPECT_EQ(deflate_message(d, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  EXPECT_EQ(deflate_message(d, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  EXPECT_EQ(deflate_message(d, ""), bytes({0x00}));
  // An empty message after another with context takeover (zlib alone would write nothing).
  ASSERT_TRUE(d.start(kBits, false));
  MessageInflater inf;
  ASSERT_TRUE(inf.init(kBits));
  ASSERT_TRUE(inf.start(kBits, false, 1 << 20));
  for (const char* m : {"Hello", "", "", "Hello", ""}) {
    std::string wire = deflate_message(d, m);
    EXPECT_FALSE(wire.empty());
    Inflated back = inflate_message(inf, wire);
    EXPECT_EQ(back.status, Status::Done);
    EXPECT_EQ(back.text, m);
  }
}

TEST(WsDeflate, RoundTripsEveryWindowAndMode) {
  const std::string messages[] = {"",
                                  "a",
                                  json_like(100),
                                  json_like(5000),
                                  random_text(3000, 1),
                                  json_like(70000),
                                  random_text(40000, 2, 4)};
  for (int bits = 9; bits <= kBits; bits += 2)
    for (bool no_context : {false, true}) {
      MessageDeflater d;
      MessageInflater inf;
      ASSERT_TRUE(d.init(kBits));
      ASSERT_TRUE(inf.init(kBits));
      ASSERT_TRUE(d.start(bits, no_context));
      ASSERT_TRUE(inf.start(bits, no_context, 1 << 20));
      int i = 0;
      for (const std::string& m : messages) {
        size_t in_piece = i % 3 == 0 ? 0 : 1 + i * 37;
        size_t cap = i % 2 ? MessageDeflater::kMinOutput : 1000;
        std::string wire = deflate_message(d, m, in_piece, cap);
        // zlib alone reads each message when it does not lean on the previous ones.
        if (no_context || i == 0) {
          ASSERT_TRUE(zlib_inflate(wire, bits) == m) << "bits " << bits << " message " << i;
        }
        Inflated back = inflate_message(inf, wire, 1 + i * 11, i % 2 ? 1 : 700);
        ASSERT_EQ(back.status, Status::Done);
        ASSERT_TRUE(back.text == m) << bits << " " << no_context << " " << i;
        i++;
      }
    }
}

TEST(WsDeflate, ContextTakeoverCompressesRepeatsBetter) {
  // Short enough for the second copy to reach back to the first in a 2 KB window (zlib's
  // longest distance is the window less 262 bytes).
  std::string m = json_like(1000);
  MessageDeflater d;
  ASSERT_TRUE(d.init(kBits));
  ASSERT_TRUE(d.start(kBits, false));
  size_t first = deflate_message(d, m).size();
  size_t second = deflate_message(d, m).size();
  EXPECT_LT(second * 4, first);
  ASSERT_TRUE(d.start(kBits, true));
  EXPECT_EQ(deflate_message(d, m).size(), first);
  EXPECT_EQ(deflate_message(d, m).size(), first);
}

// The negotiated window is what the streams use: data compressed with a 32 KB window is
// refused by a 512-byte inflater, and our 512-byte deflater never needs more.  (zlib also
// resolves distances into what the same call has written to the output buffer, so a small
// output buffer shows it.)
TEST(WsDeflate, WindowBitsAreHonoured) {
  std::string block = random_text(1500, 9);
  std::string m = block + block;  // the repeat is 1500 bytes back: within 2 KB, beyond 512
  MessageDeflater big, small;
  ASSERT_TRUE(big.init(kBits));
  ASSERT_TRUE(small.init(9));
  ASSERT_TRUE(big.start(kBits, true));
  ASSERT_TRUE(small.start(9, true));
  std::string far = deflate_message(big, m), near = deflate_message(small, m);
  EXPECT_LT(far.size(), near.size());
  MessageInflater inf;
  ASSERT_TRUE(inf.init(kBits));
  ASSERT_TRUE(inf.start(9, true, 1 << 20));
  EXPECT_EQ(inflate_message(inf, far, 0, 64).status, Status::Corrupt);
  ASSERT_TRUE(inf.start(9, true, 1 << 20));
  Inflated ok = inflate_message(inf, near, 0, 64);
  EXPECT_EQ(ok.status, Status::Done);
  EXPECT_EQ(ok.text, m);
  // Out of range.
  EXPECT_FALSE(big.start(8, false));
  EXPECT_FALSE(big.start(16, false));
  MessageDeflater capped;
  ASSERT_TRUE(capped.init(11));
  EXPECT_FALSE(capped.start(12, false));
  EXPECT_TRUE(capped.start(11, false));
  EXPECT_FALSE(inf.start(7, false, 1));
  ASSERT_TRUE(inf.start(8, false, 1 << 20));
}

TEST(WsDeflate, MessageSizeLimitAtAndPastIt) {
  MessageDeflater d;
  MessageInflater inf;
  ASSERT_TRUE(d.init(kBits));
  ASSERT_TRUE(inf.init(kBits));
  ASSERT_TRUE(d.start(kBits, true));
  const uint64_t max = 10000;
  ASSERT_TRUE(inf.start(kBits, true, max));
  std::string at = deflate_message(d, json_like(max));
  std::string past = deflate_message(d, json_like(max + 1));
  Inflated r = inflate_message(inf, at);
  EXPECT_EQ(r.status, Status::Done);
  EXPECT_EQ(r.text.size(), max);
  ASSERT_TRUE(inf.start(kBits, true, max));
  r = inflate_message(inf, past);
  EXPECT_EQ(r.status, Status::TooBig);
  EXPECT_EQ(r.text.size(), max + 1);  // one byte past the limit proves it, no more is made
}

// A zip bomb: 64 MB of zeros in about 64 KB.  Inflating stops one byte past the limit.
TEST(WsDeflate, ZipBombStopsAtTheLimit) {
  MessageDeflater d;
  ASSERT_TRUE(d.init(kBits, VIPER_WS_DEFLATE_MEM_LEVEL, 9));
  ASSERT_TRUE(d.start(kBits, true));
  std::string zeros(1 << 20, '\0');
  std::string wire;
  std::vector<char> out(1 << 16);
  for (int i = 0; i < 64; i++) {
    size_t used = 0;
    while (true) {
      auto r = d.compress(std::string_view(zeros).substr(used), i == 63, out.data(), out.size());
      ASSERT_FALSE(r.error);
      used += r.consumed;
      wire.append(out.data(), r.produced);
      if (r.done || (i < 63 && used == zeros.size())) break;
    }
  }
  EXPECT_LT(wire.size(), 100000u);
  MessageInflater inf;
  ASSERT_TRUE(inf.init(kBits));
  const uint64_t max = 1 << 20;
  ASSERT_TRUE(inf.start(kBits, true, max));
  uint64_t produced = 0;
  std::vector<char> buf(4096);
  size_t used = 0;
  Status st = Status::NeedInput;
  while (true) {
    auto r = inf.inflate(std::string_view(wire).substr(used), true, buf.data(), buf.size());
    used += r.consumed;
    produced += r.produced;
    st = r.status;
    if (st != Status::OutputFull) break;
  }
  EXPECT_EQ(st, Status::TooBig);
  EXPECT_EQ(produced, max + 1);
  EXPECT_LT(used, wire.size());  // most of the bomb was never even read
}

TEST(WsDeflate, CorruptInput) {
  MessageInflater inf;
  ASSERT_TRUE(inf.init(kBits));
  ASSERT_TRUE(inf.start(kBits, false, 1 << 20));
  // BTYPE 11 is reserved in deflate.
  EXPECT_EQ(inflate_message(inf, bytes({0xff, 0xff, 0xff})).status, Status::Corrupt);
  ASSERT_TRUE(inf.start(kBits, false, 1 << 20));
  // A distance that reaches before the start of the data.
  EXPECT_EQ(inflate_message(inf, bytes({0x02, 0x00, 0x11, 0x00, 0x00})).status, Status::Corrupt);
  // Not started.
  MessageInflater cold;
  char out[16];
  EXPECT_EQ(cold.inflate("x", true, out, sizeof out).status, Status::Corrupt);
  MessageDeflater dcold;
  EXPECT_TRUE(dcold.compress("x", true, out, sizeof out).error);
  MessageDeflater d;
  ASSERT_TRUE(d.init(9, 1, 1));
  ASSERT_TRUE(d.start(9, false));
  EXPECT_TRUE(d.compress("x", true, out, MessageDeflater::kMinOutput - 1).error);
}

// A stream's memory is taken once, in init, and given back by destroy; starting it for
// another connection and compressing or inflating allocate nothing.
TEST(WsDeflate, MemoryIsTakenOnceFromTheCountingAllocator) {
  auto before = viper::mem::stats();
  {
    MessageDeflater d;
    MessageInflater inf;
    ASSERT_TRUE(d.init(kBits));
    ASSERT_TRUE(inf.init(kBits));
    auto after_init = viper::mem::stats();
    EXPECT_EQ(after_init.bytes_in_use - before.bytes_in_use, d.memory_bytes() + inf.memory_bytes());
    std::string m = json_like(50000);
    for (int bits : {kBits, 10, 9}) {
      ASSERT_TRUE(d.start(bits, bits == 10));
      ASSERT_TRUE(inf.start(bits, bits == 10, 1 << 20));
      for (int i = 0; i < 3; i++) {
        Inflated r = inflate_message(inf, deflate_message(d, m, 999, 777), 555, 333);
        ASSERT_EQ(r.text, m);
      }
    }
    auto after_use = viper::mem::stats();
    EXPECT_EQ(after_use.allocations, after_init.allocations);
    EXPECT_EQ(after_use.bytes_in_use, after_init.bytes_in_use);
  }
  EXPECT_EQ(viper::mem::stats().bytes_in_use, before.bytes_in_use);
}

TEST(WsDeflate, RefusedWhenOverBudget) {
  auto s = viper::mem::stats();
  viper::mem::set_budget(s.bytes_in_use + 10000);
  MessageDeflater d;
  MessageInflater inf;
  EXPECT_FALSE(d.init(15));
  EXPECT_FALSE(inf.init(15));
  EXPECT_FALSE(d.ready());
  EXPECT_EQ(viper::mem::stats().bytes_in_use, s.bytes_in_use);  // nothing kept
  viper::mem::set_budget(s.budget);
  EXPECT_FALSE(d.init(8));  // raw deflate has no 256-byte window in zlib
  EXPECT_FALSE(d.init(15, 0));
  EXPECT_FALSE(d.init(15, 8, 0));
  EXPECT_FALSE(inf.init(7));
}

// The figures docs/architecture.md quotes: bytes per stream for the host's and the device's
// settings (printed; the bounds catch a zlib that grew).
TEST(WsDeflate, StreamSizes) {
  struct {
    int bits, level;
  } deflaters[] = {{15, 8}, {12, 5}, {11, 4}, {9, 1}};
  for (auto c : deflaters) {
    if (c.bits > kBits) continue;  // beyond this profile's memory budget
    MessageDeflater d;
    ASSERT_TRUE(d.init(c.bits, c.level));
    size_t expect = (size_t(1) << (c.bits + 2)) + (size_t(1) << (c.level + 9));
    std::printf("deflate window %d mem_level %d: %zu bytes\n", c.bits, c.level, d.memory_bytes());
    EXPECT_GE(d.memory_bytes(), expect);
    EXPECT_LE(d.memory_bytes(), expect + 8192);
  }
  for (int bits : {15, 12, 11, 9, 8}) {
    if (bits > kBits) continue;
    MessageInflater inf;
    ASSERT_TRUE(inf.init(bits));
    std::printf("inflate window %d: %zu bytes\n", bits, inf.memory_bytes());
    EXPECT_GE(inf.memory_bytes(), size_t(1) << bits);
    EXPECT_LE(inf.memory_bytes(), (size_t(1) << bits) + 8192);
  }
}
