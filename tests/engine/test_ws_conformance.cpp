// Autobahn|Testsuite's case groups at the codec level: the cases' client frames go into an
// echo endpoint built from the protocol modules (ws_endpoint.h), and what the endpoint writes
// is read back as a client would.  Every case runs with its bytes delivered whole, one byte at
// a time, and in 7- and 997-byte reads: the answer must not change.  The lead adds the same
// groups through real sockets.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ws/deflate.h"
#include "ws/extensions.h"
#include "ws/mask.h"
#include "ws_endpoint.h"
#include "ws_frames.h"

using namespace viper::ws;
using namespace wstest;

namespace {

struct Outcome {
  std::string reads;  // what the client reads from the endpoint
  bool closed;        // the endpoint closed the TCP connection
  std::string str() const { return reads + (closed ? "[closed]" : "[open]"); }
};

// Sends each element of `sends` (each one a "chop" of the case), `chunk` bytes per read.
Outcome run_once(const std::vector<std::string>& sends, size_t chunk, uint64_t max,
                 const PmdParams& pmd) {
  Endpoint e(max, pmd);
  for (const std::string& s : sends) {
    if (chunk == 0) {
      e.receive(s);
    } else {
      for (size_t at = 0; at < s.size(); at += chunk)
        e.receive(s.substr(at, chunk));
    }
  }
  return Outcome{client_reads(e.out, pmd), e.transport_closed};
}

// The outcome, checked to be the same for several read sizes.
std::string run(const std::vector<std::string>& sends, uint64_t max = 1 << 24,
                const PmdParams& pmd = PmdParams{}) {
  Outcome whole = run_once(sends, 0, max, pmd);
  size_t total = 0;
  for (auto& s : sends)
    total += s.size();
  for (size_t chunk : {size_t(1), size_t(7), size_t(997)}) {
    if (chunk == 1 && total > 20000) continue;  // byte-wise only for the small cases
    if (chunk == 7 && total > 200000) continue;
    Outcome o = run_once(sends, chunk, max, pmd);
    EXPECT_TRUE(o.str() == whole.str()) << "chunk " << chunk << "\n"
                                        << o.str().substr(0, 300) << "\nvs\n"
                                        << whole.str().substr(0, 300);
  }
  return whole.str();
}

// An Autobahn case ends with the client's close(1000), answered by the endpoint.
std::string with_close(std::vector<std::string> sends) {
  sends.push_back(close_frame(1000));
  return run(sends);
}

const std::string kClosed = "close:1000:\n[closed]";
const std::string k1002 = "close:1002:\n[closed]";
const std::string k1007 = "close:1007:\n[closed]";
const std::string k1009 = "close:1009:\n[closed]";

std::string fill(size_t n, char c) {
  return std::string(n, c);
}

const std::string kKosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";  // κόσμε

}  // namespace

// ---- 1.x framing ----

TEST(WsAutobahn1, TextAndBinaryOfEveryLengthClass) {
  for (size_t n : {0, 125, 126, 127, 128, 65535, 65536}) {
    std::string t = fill(n, '*'), b = fill(n, char(0xfe));
    EXPECT_EQ(with_close({text(t)}), "text:" + t + "\n" + kClosed) << n;
    EXPECT_EQ(with_close({binary(b)}), "binary:" + b + "\n" + kClosed) << n;
  }
  // 1.1.8 / 1.2.8: 65536 bytes in chops of 997 bytes.
  std::string f = text(fill(65536, '*'));
  std::vector<std::string> chops;
  for (size_t at = 0; at < f.size(); at += 997)
    chops.push_back(f.substr(at, 997));
  EXPECT_EQ(with_close(chops), "text:" + fill(65536, '*') + "\n" + kClosed);
}

// ---- 2.x pings and pongs ----

TEST(WsAutobahn2, PingsAreAnsweredWithTheirPayload) {
  EXPECT_EQ(with_close({ping("")}), "pong:\n" + kClosed);
  EXPECT_EQ(with_close({ping("Hello, world!")}), "pong:Hello, world!\n" + kClosed);
  std::string bin("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
  EXPECT_EQ(with_close({ping(bin)}), "pong:" + bin + "\n" + kClosed);
  EXPECT_EQ(with_close({ping(fill(125, char(0xfe)))}),
            "pong:" + fill(125, char(0xfe)) + "\n" + kClosed);
}

TEST(WsAutobahn2, PingTooLongFails) {
  EXPECT_EQ(run({ping(fill(126, char(0xfe)))}), k1002);  // 2.5
}

TEST(WsAutobahn2, UnsolicitedPongsAreIgnored) {
  EXPECT_EQ(with_close({pong("")}), kClosed);                          // 2.7
  EXPECT_EQ(with_close({pong("unsolicited pong payload")}), kClosed);  // 2.8
  EXPECT_EQ(with_close({pong("unsolicited pong payload"), ping("ping payload")}),
            "pong:ping payload\n" + kClosed);  // 2.9
}

TEST(WsAutobahn2, TenPingsTenPongs) {
  std::vector<std::string> s;
  std::string expect;
  for (int i = 0; i < 10; i++) {
    s.push_back(ping("payload-" + std::to_string(i)));
    expect += "pong:payload-" + std::to_string(i) + "\n";
  }
  Endpoint e;
  for (auto& f : s)
    e.receive(f);
  EXPECT_EQ(e.pongs_sent, 10);  // engine-answered: no message reached the application
  EXPECT_EQ(e.messages, 0);
  EXPECT_EQ(with_close(s), expect + kClosed);
}

// ---- 3.x reserved bits ----

TEST(WsAutobahn3, ReservedBitsFail) {
  EXPECT_EQ(run({frame(0x91, "Hello, world!")}), k1002);  // 3.1 RSV3 (no extension)
  // 3.2-3.4: a valid message first is echoed, then the bad frame fails; the ping after it is
  // never answered.
  EXPECT_EQ(run({text("Hello, world!"), frame(0xA1, "Hello, world!"), ping("")}),
            "text:Hello, world!\n" + k1002);
  EXPECT_EQ(run({text("Hello, world!") + frame(0xB1, "Hello, world!") + ping("")}),
            "text:Hello, world!\n" + k1002);
  EXPECT_EQ(run({frame(0xC2, "\x00\xff\xfe")}), k1002);              // 3.5 binary
  EXPECT_EQ(run({frame(0xD9, "Hello, world!")}), k1002);             // 3.6 ping
  EXPECT_EQ(run({frame(0xF8, std::string("\x03\xe8", 2))}), k1002);  // 3.7 close
}

// ---- 4.x opcodes ----

TEST(WsAutobahn4, ReservedOpcodesFail) {
  for (int op : {3, 4, 5, 6, 7}) {
    EXPECT_EQ(run({frame(uint8_t(0x80 | op), "")}), k1002) << op;
    EXPECT_EQ(run({frame(uint8_t(0x80 | op), "reserved opcode payload")}), k1002) << op;
    EXPECT_EQ(run({text("Hello, world!"), frame(uint8_t(0x80 | op), ""), ping("")}),
              "text:Hello, world!\n" + k1002)
        << op;
  }
  for (int op : {11, 12, 13, 14, 15}) {
    EXPECT_EQ(run({frame(uint8_t(0x80 | op), "")}), k1002) << op;
    EXPECT_EQ(run({text("Hello, world!"), frame(uint8_t(0x80 | op), "x"), ping("")}),
              "text:Hello, world!\n" + k1002)
        << op;
  }
}

// ---- 5.x fragmentation ----

TEST(WsAutobahn5, FragmentedControlFramesFail) {
  EXPECT_EQ(run({frame(0x09, "fragment1"), frame(0x80, "fragment2")}), k1002);  // 5.1
  EXPECT_EQ(run({frame(0x0A, "fragment1"), frame(0x80, "fragment2")}), k1002);  // 5.2
}

TEST(WsAutobahn5, FragmentedMessages) {
  EXPECT_EQ(with_close({text("fragment1", false), cont("fragment2")}),
            "text:fragment1fragment2\n" + kClosed);  // 5.3-5.5
  EXPECT_EQ(with_close({text("fragment1", false), ping("ping payload"), cont("fragment2")}),
            "pong:ping payload\ntext:fragment1fragment2\n" + kClosed);  // 5.6-5.8
  // 5.19/5.20: pings between five fragments.
  EXPECT_EQ(with_close({text("fragment1", false), cont("fragment2", false), ping("pongme 1!"),
                        cont("fragment3", false), ping("pongme 2!"), cont("fragment4", false),
                        cont("fragment5")}),
            "pong:pongme 1!\npong:pongme 2!\ntext:fragment1fragment2fragment3fragment4fragment5\n" +
                kClosed);
}

TEST(WsAutobahn5, ContinuationWithoutAMessageFails) {
  EXPECT_EQ(run({cont("non-continuation payload"), text("Hello, world!")}), k1002);         // 5.9
  EXPECT_EQ(run({cont("non-continuation payload", false), text("Hello, world!")}), k1002);  // 5.12
  EXPECT_EQ(run({cont("fragment1", false), cont("fragment2", false), cont("fragment3")}),
            k1002);  // 5.16
  // 5.15: a complete message, then a continuation of nothing.
  EXPECT_EQ(run({text("fragment1", false), cont("fragment2"), cont("fragment3", false),
                 text("fragment4")}),
            "text:fragment1fragment2\n" + k1002);
}

TEST(WsAutobahn5, NewMessageInsideAMessageFails) {
  EXPECT_EQ(run({text("fragment1", false), text("fragment2")}), k1002);  // 5.18
  EXPECT_EQ(run({binary("fragment1", false), text("fragment2", false)}), k1002);
}

// ---- 6.x UTF-8 ----

TEST(WsAutobahn6, EmptyFragments) {
  EXPECT_EQ(with_close({text("")}), "text:\n" + kClosed);  // 6.1.1
  EXPECT_EQ(with_close({text("", false), cont("", false), cont("")}), "text:\n" + kClosed);
  EXPECT_EQ(with_close({text("", false), cont("middle frame payload", false), cont("")}),
            "text:middle frame payload\n" + kClosed);
}

TEST(WsAutobahn6, ValidTextInAnyFragmentation) {
  const std::string hello =
      "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
  EXPECT_EQ(with_close({text(hello)}), "text:" + hello + "\n" + kClosed);  // 6.2.1
  // 6.2.2: two fragments split at a code point; 6.2.3/6.2.4: every byte its own fragment.
  EXPECT_EQ(with_close({text(hello.substr(0, 7), false), cont(hello.substr(7))}),
            "text:" + hello + "\n" + kClosed);
  std::vector<std::string> bytewise;
  for (size_t i = 0; i < kKosme.size(); i++)
    bytewise.push_back(i == 0 ? text(kKosme.substr(0, 1), false)
                              : cont(kKosme.substr(i, 1), i + 1 == kKosme.size()));
  EXPECT_EQ(with_close(bytewise), "text:" + kKosme + "\n" + kClosed);
}

TEST(WsAutobahn6, InvalidTextFails) {
  EXPECT_EQ(run({text(kKosme + "\xed\xa0\x80"
                               "edited")}),
            k1007);  // 6.3.1
  std::vector<std::string> bytewise;
  std::string bad = kKosme +
                    "\xed\xa0\x80"
                    "edited";
  for (size_t i = 0; i < bad.size(); i++)
    bytewise.push_back(i == 0 ? text(bad.substr(0, 1), false)
                              : cont(bad.substr(i, 1), i + 1 == bad.size()));
  EXPECT_EQ(run(bytewise), k1007);  // 6.3.2
}

// 6.4.x: the endpoint must fail as soon as the invalid part arrives, before the rest.
TEST(WsAutobahn6, FailFast) {
  const std::string tail = "edited";
  // 6.4.1: three frames; fails after the second.
  {
    Endpoint e;
    e.receive(text(kKosme, false));
    EXPECT_FALSE(e.transport_closed);
    e.receive(cont("\xf4\x90\x80\x80", false));
    EXPECT_TRUE(e.transport_closed);
    EXPECT_EQ(client_reads(e.out), "close:1007:\n");
  }
  // 6.4.2: the invalid byte is the second frame's single byte.
  {
    Endpoint e;
    e.receive(text(kKosme + "\xf4", false));
    EXPECT_FALSE(e.transport_closed);
    e.receive(cont("\x90", false));
    EXPECT_TRUE(e.transport_closed);
  }
  // 6.4.3 / 6.4.4: one frame in three chops; fails with the second chop.
  for (auto [p1, p2] : {std::pair<std::string, std::string>{kKosme, "\xf4\x90\x80\x80"},
                        std::pair<std::string, std::string>{kKosme + "\xf4", "\x90"}}) {
    std::string f = text(p1 + p2 + (p2.size() == 1 ? "\x80\x80" + tail : tail));
    size_t header = 6;
    Endpoint e;
    e.receive(f.substr(0, header + p1.size()));
    EXPECT_FALSE(e.transport_closed);
    e.receive(f.substr(header + p1.size(), p2.size()));
    EXPECT_TRUE(e.transport_closed);
    EXPECT_EQ(client_reads(e.out), "close:1007:\n");
  }
}

// 6.5-6.23: sequences that are valid, and prefixes of κόσμε cut inside a code point.
TEST(WsAutobahn6, SequencesAndPrefixes) {
  for (size_t n = 1; n <= kKosme.size(); n++) {
    std::string p = kKosme.substr(0, n);
    bool boundary = n == 2 || n == 5 || n == 7 || n == 9 || n == 11;
    EXPECT_EQ(with_close({text(p)}), boundary ? "text:" + p + "\n" + kClosed : k1007) << n;
  }
  const char* valid[] = {
      "\x7f",         "\xc2\x80",        "\xdf\xbf",     "\xe0\xa0\x80",     "\xef\xbf\xbf",
      "\xed\x9f\xbf", "\xee\x80\x80",    "\xef\xbf\xbd", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
      "\xef\xbf\xbe", "\xf0\x9f\xbf\xbe"};
  for (const char* v : valid)
    EXPECT_EQ(with_close({text(v)}), "text:" + std::string(v) + "\n" + kClosed);
  const char* invalid[] = {"\xf4\x90\x80\x80",
                           "\xf7\xbf\xbf\xbf",
                           "\x80",
                           "\xbf",
                           "\x80\xbf",
                           "\xc0 ",
                           "\xe0\x80 ",
                           "\xfe",
                           "\xff",
                           "\xc0\xaf",
                           "\xe0\x80\xaf",
                           "\xf0\x80\x80\xaf",
                           "\xed\xa0\x80",
                           "\xed\xbf\xbf",
                           "\xed\xa0\x80\xed\xb0\x80",
                           "\xc2"};
  for (const char* v : invalid)
    EXPECT_EQ(with_close({text(v)}), k1007) << v;
}

// ---- 7.x close handling ----

TEST(WsAutobahn7, CloseHandshake) {
  EXPECT_EQ(run({text("Hello World!"), close_frame(1000)}), "text:Hello World!\n" + kClosed);
  EXPECT_EQ(run({close_frame(1000), close_frame(1000)}), kClosed);     // 7.1.2
  EXPECT_EQ(run({close_frame(1000), ping("")}), kClosed);              // 7.1.3
  EXPECT_EQ(run({close_frame(1000), text("Hello World!")}), kClosed);  // 7.1.4
  EXPECT_EQ(run({text("fragment1", false), close_frame(1000), cont("fragment2")}),
            kClosed);  // 7.1.5
  std::string big = fill(262144, 'B');
  EXPECT_EQ(run({text(big), close_frame(1000), ping("")}),
            "text:" + big + "\n" + kClosed);  // 7.1.6
}

TEST(WsAutobahn7, ClosePayloads) {
  EXPECT_EQ(run({close_frame(-1)}), "close:1005:\n[closed]");    // 7.3.1: empty answers empty
  EXPECT_EQ(run({frame(0x88, "a")}), k1002);                     // 7.3.2
  EXPECT_EQ(run({close_frame(1000)}), kClosed);                  // 7.3.3
  EXPECT_EQ(run({close_frame(1000, "Hello World!")}), kClosed);  // 7.3.4
  EXPECT_EQ(run({close_frame(1000, fill(123, '*'))}), kClosed);  // 7.3.5
  EXPECT_EQ(run({close_frame(1000, fill(124, '*'))}), k1002);    // 7.3.6
  EXPECT_EQ(run({close_frame(1000,
                             "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                             "edited")}),
            k1007);  // 7.5.1
}

TEST(WsAutobahn7, CloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999})
    EXPECT_EQ(run({close_frame(code)}), "close:" + std::to_string(code) + ":\n[closed]") << code;
  for (int code : {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535})
    EXPECT_EQ(run({close_frame(code)}), k1002) << code;
}

TEST(WsAutobahn7, ServerClosesFirst) {
  Endpoint e;
  e.receive(text("before"));
  e.close(1001, "restarting");
  EXPECT_FALSE(e.transport_closed);  // waiting for the answer
  e.receive(text("late message") + ping("late ping"));
  EXPECT_EQ(e.messages, 1);    // data after our close is not delivered
  EXPECT_EQ(e.pongs_sent, 0);  // nor answered
  e.receive(close_frame(1001));
  EXPECT_TRUE(e.transport_closed);
  EXPECT_EQ(e.s.closing.disconnect_code(), 1001);
  EXPECT_EQ(client_reads(e.out), "text:before\nclose:1001:restarting\n");
}

// ---- 9.x limits ----

TEST(WsAutobahn9, MessageSizeLimit) {
  const uint64_t max = 1 << 20;
  std::string at = fill(max, 'x'), past = fill(max + 1, 'x');
  EXPECT_EQ(run({text(at), close_frame(1000)}, max), "text:" + at + "\n" + kClosed);
  EXPECT_EQ(run({text(past)}, max), k1009);
  EXPECT_EQ(run({binary(past)}, max), k1009);
  // Fragmented at the limit and one past it, in fragments of 64 bytes up to 64 KB.
  for (size_t frag : {64, 4096, 65536}) {
    for (size_t total : {size_t(max), size_t(max + 1)}) {
      std::vector<std::string> frames;
      for (size_t at2 = 0; at2 < total; at2 += frag) {
        size_t n = std::min(frag, total - at2);
        bool last = at2 + n == total;
        frames.push_back(at2 == 0 ? binary(fill(n, 'y'), last) : cont(fill(n, 'y'), last));
      }
      std::string got = run({frames.begin(), frames.end()}, max);
      EXPECT_EQ(got, total == max ? "binary:" + fill(max, 'y') + "\n[open]" : k1009) << frag;
    }
  }
}

TEST(WsAutobahn9, ManySmallMessages) {
  std::string stream, expect;
  for (int i = 0; i < 1000; i++) {
    std::string m = "message " + std::to_string(i);
    stream += i % 2 ? binary(m) : text(m);
    expect += std::string(i % 2 ? "binary:" : "text:") + m + "\n";
  }
  EXPECT_EQ(run({stream, close_frame(1000)}), expect + kClosed);
}

// ---- 12.x / 13.x permessage-deflate ----

namespace {

PmdParams negotiated(std::string_view offer) {
  PmdConfig config;  // the PC's policy, also when the suite runs in the esp32 profile
  config.enabled = true;
  config.server_max_window_bits = config.client_max_window_bits = 15;
  std::vector<viper::http::Header> h = {{"Sec-WebSocket-Extensions", offer}};
  return negotiate_permessage_deflate(h, config);
}

// A client that compresses as negotiated, with zlib itself.
struct Client {
  ZlibPeer z;
  explicit Client(const PmdParams& p)
      : z(p.client_window_bits < 9 ? 9 : p.client_window_bits, p.client_no_context_takeover, 15,
          false) {}
  std::string message(Opcode op, const std::string& m, size_t frag = 4096) {
    return z.message(op, m, frag);
  }
};

std::string json_like(size_t n, int seed) {
  std::string s;
  for (int i = 0; s.size() < n; i++)
    s += "{\"id\": " + std::to_string(i * seed % 1000) + ", \"name\": \"sensor-" +
         std::to_string(i % 9) + "\", \"ok\": true}\n";
  s.resize(n);
  return s;
}

}  // namespace

TEST(WsAutobahn12, CompressedEchoOfManySizes) {
  // 12.1.x: text of 16 bytes to 128 KB; 12.2.x: binary, less compressible.
  for (const char* offer : {"permessage-deflate", "permessage-deflate; client_max_window_bits"}) {
    PmdParams p = negotiated(offer);
    ASSERT_TRUE(p.enabled);
    Client c(p);
    std::vector<std::string> sends;
    std::string expect;
    std::mt19937 rng(5);
    for (size_t n : {16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072}) {
      for (int rep = 0; rep < 3; rep++) {
        std::string t = json_like(n, rep + 1);
        std::string b(n, '\0');
        for (auto& ch : b)
          ch = char(rng() % 16);
        sends.push_back(c.message(Opcode::Text, t));
        sends.push_back(c.message(Opcode::Binary, b));
        expect += "text:" + t + "\nbinary:" + b + "\n";
      }
    }
    sends.push_back(close_frame(1000));
    EXPECT_TRUE(run(sends, 1 << 24, p) == expect + kClosed) << offer;
  }
}

TEST(WsAutobahn13, NegotiatedParameterSets) {
  // 13.1-13.7: context takeover and window bits as the client offers them.
  const char* offers[] = {
      "permessage-deflate",
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      "permessage-deflate; client_max_window_bits=9",
      "permessage-deflate; client_max_window_bits=15",
      "permessage-deflate; client_no_context_takeover; client_max_window_bits=9",
      "permessage-deflate; client_no_context_takeover; client_max_window_bits=15",
      "permessage-deflate; server_max_window_bits=9",
      "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
      // Two offers in one header value.
      ("permessage-deflate; client_no_context_takeover; client_max_window_bits=8, "
       "permessage-deflate"),
  };
  for (const char* offer : offers) {
    PmdParams p = negotiated(offer);
    ASSERT_TRUE(p.enabled) << offer;
    Client c(p);
    std::vector<std::string> sends;
    std::string expect;
    for (int i = 0; i < 20; i++) {
      std::string m = json_like(100 + i * 700, i + 3);
      sends.push_back(c.message(i % 4 == 3 ? Opcode::Binary : Opcode::Text, m, 1000));
      expect += std::string(i % 4 == 3 ? "binary:" : "text:") + m + "\n";
    }
    sends.push_back(close_frame(1000));
    EXPECT_TRUE(run(sends, 1 << 24, p) == expect + kClosed) << offer;
  }
}

TEST(WsAutobahn13, CompressedViolations) {
  PmdParams p = negotiated("permessage-deflate; client_no_context_takeover");
  {
    Client c(p);
    // Invalid UTF-8 inside compressed text: found after inflating.
    EXPECT_EQ(run({c.message(Opcode::Text, kKosme + "\xed\xa0\x80")}, 1 << 24, p), k1007);
  }
  {
    Client c(p);
    // Over the limit after inflating, though small on the wire.
    std::string m = c.message(Opcode::Binary, fill(100000, 'z'));
    EXPECT_LT(m.size(), 1000u);
    EXPECT_EQ(run({m}, 99999, p), k1009);
    Client c2(p);
    EXPECT_EQ(run({c2.message(Opcode::Binary, fill(99999, 'z')), close_frame(1000)}, 99999, p),
              "binary:" + fill(99999, 'z') + "\n" + kClosed);
  }
  // Not deflate data.
  EXPECT_EQ(run({frame(0xC1, "\xff\xff\xff")}, 1 << 24, p), k1007);
  // RSV1 on a continuation, with the extension on.
  EXPECT_EQ(run({frame(0x41, "\xf2\x48"), frame(0xC0, "x")}, 1 << 24, p), k1002);
  // Uncompressed messages are still fine when the extension is on.
  EXPECT_EQ(run({text("plain"), close_frame(1000)}, 1 << 24, p), "text:plain\n" + kClosed);
}
