// Tokens of deferred requests (net/request_token.h): the packing, the generation's wrap, and
// through real sockets and the bridge, that a stale token is dropped as late — for a reused
// slot and across the wrap — while the current one is delivered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "bridge/bridge.h"
#include "net/request_token.h"

using namespace viper;
using net::TokenFormat;

namespace {

constexpr uint32_t kSmallIntLimit = 1u << 30;  // a 32-bit MicroPython's small ints: < 2^30

TEST(TokenFormat, SlotFieldIsJustWideEnoughForThePool) {
  const struct {
    uint32_t slots;
    uint8_t bits;
  } cases[] = {{1, 0}, {2, 1}, {3, 2}, {8, 3}, {9, 4}, {16, 4}, {512, 9}, {4096, 12}};
  for (const auto& c : cases) {
    TokenFormat f(c.slots);
    EXPECT_EQ(f.slot_bits(), c.bits) << c.slots;
    EXPECT_EQ(f.generation_mask(), (1u << (30 - c.bits)) - 1) << c.slots;
  }
}

TEST(TokenFormat, EveryTokenIsASmallIntAndSplitsBack) {
  for (uint32_t slots : {1u, 2u, 8u, 16u, 100u, 512u, uint32_t(VIPER_MAX_CONNECTIONS_CAP)}) {
    TokenFormat f(slots);
    for (uint32_t slot : {0u, slots / 2, slots - 1}) {
      for (uint32_t g :
           {0u, 1u, f.first_generation(), f.generation_mask() - 1, f.generation_mask()}) {
        uint32_t t = f.make(slot, g);
        EXPECT_LT(t, kSmallIntLimit) << slots << " " << slot << " " << g;
        uint32_t s2 = 99, g2 = 99;
        ASSERT_TRUE(f.split(t, &s2, &g2));
        EXPECT_EQ(s2, slot);
        EXPECT_EQ(g2, g);
      }
    }
  }
}

TEST(TokenFormat, ValuesNoTokenCanHaveAreRefused) {
  TokenFormat f(8);
  uint32_t s, g;
  EXPECT_FALSE(f.split(kSmallIntLimit, &s, &g));
  EXPECT_FALSE(f.split(kSmallIntLimit | 3, &s, &g));
  EXPECT_FALSE(f.split(UINT32_MAX, &s, &g));
  EXPECT_TRUE(f.split(kSmallIntLimit - 1, &s, &g));
  EXPECT_EQ(s, 7u);
  EXPECT_EQ(g, f.generation_mask());
}

TEST(TokenFormat, GenerationWrapsEarlyAndStaysInItsField) {
  for (uint32_t slots : {1u, 8u, 4096u}) {
    TokenFormat f(slots);
    uint32_t g = f.first_generation();
    for (uint32_t i = 1; i < net::kRequestsBeforeFirstWrap; i++) {
      g = f.next(g);
      EXPECT_NE(g, 0u) << i;
    }
    EXPECT_EQ(g, f.generation_mask());  // the last generation before the wrap ...
    g = f.next(g);
    EXPECT_EQ(g, 0u);                                      // ... and the wrap
    EXPECT_EQ(f.make(slots - 1, f.generation_mask() + 1),  // never spills into other bits
              f.make(slots - 1, 0));
  }
}

// One slot's tokens over a whole period of its generation, starting where a server starts (so
// across the wrap): all distinct, none equal to another slot's.
TEST(TokenFormat, OneSlotsTokensAreDistinctOverAPeriod) {
  TokenFormat f(4096);
  std::set<uint32_t> seen;
  uint32_t g = f.first_generation();
  for (uint32_t i = 0; i <= f.generation_mask(); i++) {
    g = f.next(g);
    uint32_t t = f.make(4095, g);
    ASSERT_TRUE(seen.insert(t).second) << i;
    uint32_t s, g2;
    ASSERT_TRUE(f.split(t, &s, &g2));
    ASSERT_EQ(s, 4095u);
  }
  EXPECT_EQ(seen.size(), size_t(f.generation_mask()) + 1);
  EXPECT_EQ(seen.count(f.make(4094, f.first_generation())), 0u);
}

// A server with one slot, so that every connection uses the same slot and every token of the
// slot is a generation; this test's thread is the interpreter side of the bridge (it drains
// and responds itself, so it controls which token is answered when).
class TokenServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    o.max_connections = 1;
    o.handler_timeout_ms = 30000;
    bridge::Options bo;
    if (VIPER_MEMORY_BUDGET_BYTES > 0) {
      o.limits.max_body_bytes = 8 * 1024;
      bo.request_bytes = 0;  // twice the largest request the limits let through (Bridge::create)
      bo.response_bytes = 16 * 1024;
    }
    const char* err = nullptr;
    server_ = Server::create(o, &err);
    ASSERT_NE(server_, nullptr) << err;
    bridge_ = bridge::Bridge::create(server_, bo, &err);
    ASSERT_NE(bridge_, nullptr) << err;
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/r/{n:int}", 1), AddResult::Ok);
    ASSERT_TRUE(server_->listen());
    engine_ = std::thread([this] { server_->run(); });
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    server_->request_stop();
    if (engine_.joinable()) engine_.join();
    Server::destroy(server_);
    bridge::Bridge::destroy(bridge_);
  }

  int connect_client() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  static void send_request(int fd, int n) {
    std::string req = "GET /r/" + std::to_string(n) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  }

  // Waits for the engine's next request on the bridge; returns its token (and path param).
  uint32_t next_token(int64_t* n = nullptr) {
    pollfd p{bridge_->wake_fd(), POLLIN, 0};
    for (int i = 0; i < 100; i++) {
      bridge_->begin_drain();
      bridge::RequestItem it;
      if (bridge_->pop_request(&it)) {
        if (n != nullptr) std::memcpy(n, it.params.data() + 1, 8);
        bridge_->release(it);
        return it.token;
      }
      poll(&p, 1, 100);
    }
    ADD_FAILURE() << "no request reached the bridge";
    return UINT32_MAX;
  }

  // Waits until the engine has reported `token` as abandoned.
  void expect_cancel(uint32_t token) {
    pollfd p{bridge_->wake_fd(), POLLIN, 0};
    for (int i = 0; i < 100; i++) {
      bridge_->begin_drain();
      uint32_t t;
      if (bridge_->pop_cancel(&t)) {
        EXPECT_EQ(t, token);
        return;
      }
      poll(&p, 1, 100);
    }
    ADD_FAILURE() << "token " << token << " was never cancelled";
  }

  void respond(uint32_t token, const std::string& body) {
    ASSERT_EQ(bridge_->respond(token, 200, "content-type: text/plain\r\n", body), bridge::Push::Ok);
  }

  // The engine applies responses on its own thread: waits until `n` were applied or dropped.
  void wait_responses(uint64_t n) {
    const bridge::BridgeCounters& c = bridge_->counters();
    for (int i = 0; i < 500 && c.responses_applied.get() + c.responses_gone.get() < n; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(c.responses_applied.get() + c.responses_gone.get(), n);
  }

  static std::string read_response(int fd) {
    std::string got;
    char buf[1024];
    while (got.find("\r\n\r\n") == std::string::npos ||
           got.size() < got.find("\r\n\r\n") + 4 + content_length(got)) {
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) break;
      got.append(buf, size_t(r));
    }
    return got;
  }
  static size_t content_length(const std::string& head) {
    size_t at = head.find("content-length: ");
    if (at == std::string::npos) at = head.find("Content-Length: ");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
  }
  static bool nothing_to_read(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 200) == 0;
  }

  Server* server_ = nullptr;
  bridge::Bridge* bridge_ = nullptr;
  std::thread engine_;
};

// Requests on one keep-alive connection carry the slot's generation across its wrap (the
// engine starts each slot a few generations before it), each answered with its own response.
TEST_F(TokenServer, GenerationCrossesItsWrapOnOneConnection) {
  TokenFormat f(1);
  int fd = connect_client();
  std::set<uint32_t> tokens;
  uint32_t n_requests = 3 * net::kRequestsBeforeFirstWrap;
  for (uint32_t i = 0; i < n_requests; i++) {
    send_request(fd, int(i));
    int64_t n = -1;
    uint32_t t = next_token(&n);
    EXPECT_EQ(n, int64_t(i));
    EXPECT_LT(t, kSmallIntLimit);
    EXPECT_EQ(t, f.make(0, f.first_generation() + 1 + i));
    tokens.insert(t);
    respond(t, "answer " + std::to_string(i));
    std::string got = read_response(fd);
    EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("answer " + std::to_string(i)), std::string::npos) << got;
  }
  EXPECT_EQ(tokens.size(), n_requests);
  EXPECT_EQ(tokens.count(0u), 1u);  // generation 0 of slot 0: the wrap was crossed
  close(fd);
  EXPECT_EQ(server_->counters().late_completions.get(), 0u);
}

// A client leaves while its request is in the interpreter; the next client gets the same slot.
// The first request's response, arriving late, is dropped; it does not go to the new client.
TEST_F(TokenServer, StaleTokenOfAReusedSlotIsDropped) {
  int a = connect_client();
  send_request(a, 1);
  uint32_t ta = next_token();
  close(a);
  expect_cancel(ta);
  int b = connect_client();
  send_request(b, 2);
  uint32_t tb = next_token();
  ASSERT_NE(ta, tb);
  respond(ta, "for the client that left");
  wait_responses(1);
  EXPECT_EQ(bridge_->counters().responses_gone.get(), 1u);
  EXPECT_EQ(server_->counters().late_completions.get(), 1u);
  EXPECT_TRUE(nothing_to_read(b));
  respond(tb, "for b");
  std::string got = read_response(b);
  EXPECT_NE(got.find("for b"), std::string::npos) << got;
  EXPECT_EQ(got.find("client that left"), std::string::npos) << got;
  close(b);
}

// The same across the wrap: the last token before generation 0 goes stale (its client left)
// and comes back after the slot wrapped; it must not complete the wrapped request.
TEST_F(TokenServer, StaleTokenFromBeforeTheWrapIsDropped) {
  TokenFormat f(1);
  int fd = connect_client();
  // Requests 1 .. 6 of the slot; the 7th has the last generation before the wrap.
  for (uint32_t i = 1; i < net::kRequestsBeforeFirstWrap - 1; i++) {
    send_request(fd, int(i));
    uint32_t t = next_token();
    respond(t, "ok");
    read_response(fd);
  }
  send_request(fd, 100);
  uint32_t before = next_token();
  EXPECT_EQ(before, f.make(0, f.generation_mask()));
  close(fd);
  expect_cancel(before);
  int b = connect_client();
  send_request(b, 101);
  uint32_t after = next_token();
  EXPECT_EQ(after, f.make(0, 0));
  uint64_t applied = bridge_->counters().responses_applied.get();
  respond(before, "stale");
  wait_responses(applied + 1);
  EXPECT_EQ(server_->counters().late_completions.get(), 1u);
  EXPECT_TRUE(nothing_to_read(b));
  respond(after, "fresh");
  std::string got = read_response(b);
  EXPECT_NE(got.find("fresh"), std::string::npos) << got;
  close(b);
}

// Values no token can have are late too, never a crash or another slot's response.
TEST_F(TokenServer, ImpossibleTokensAreLate) {
  int fd = connect_client();
  send_request(fd, 1);
  uint32_t t = next_token();
  respond(t | kSmallIntLimit, "bits above the token's 30");
  respond(UINT32_MAX, "all ones");
  wait_responses(2);
  EXPECT_EQ(server_->counters().late_completions.get(), 2u);
  EXPECT_TRUE(nothing_to_read(fd));
  respond(t, "mine");
  EXPECT_NE(read_response(fd).find("mine"), std::string::npos);
  close(fd);
}

}  // namespace
