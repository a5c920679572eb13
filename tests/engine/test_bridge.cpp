// The bridge end to end inside one process: the engine thread serves sockets; a second thread
// stands in for the interpreter (waits on the wake descriptor, drains, responds).  Run under
// TSan in CI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bridge/bridge.h"

using namespace viper;

namespace {

// Connection slots: 64 on the host, the profile's cap on the device (16).
constexpr uint32_t kSlots = VIPER_MAX_CONNECTIONS_CAP < 64 ? VIPER_MAX_CONNECTIONS_CAP : 64;

class BridgeTest : public ::testing::Test {
 protected:
  void start(uint32_t handler_timeout_ms = 5000, uint32_t queue = 64) {
    ServerOptions o;
    o.port = 0;
    o.max_connections = kSlots;
    o.handler_timeout_ms = handler_timeout_ms;
    bridge::Options bo;
    bo.request_records = queue;
    if (VIPER_MEMORY_BUDGET_BYTES > 0) {
      // Every slot, the body pool and both payload rings within the device's budget: small
      // bodies and rings, as a device application would configure (these requests have no body
      // and the responses are a few bytes).
      o.limits.max_body_bytes = 8 * 1024;
      o.body_buffers = 1;
      bo.request_bytes = 0;  // twice the largest request the limits let through (Bridge::create)
      bo.response_bytes = 16 * 1024;
    }
    const char* err = nullptr;
    server_ = Server::create(o, &err);
    ASSERT_NE(server_, nullptr) << err;
    bridge_ = bridge::Bridge::create(server_, bo, &err);
    ASSERT_NE(bridge_, nullptr) << err;
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/echo/{n:int}", 7), AddResult::Ok);
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/never", 8), AddResult::Ok);
    ASSERT_TRUE(server_->listen());
    engine_ = std::thread([this] { server_->run(); });
    interp_ = std::thread([this] { interpreter(); });
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    server_->request_stop();
    engine_.join();
    stop_interp_.store(true);
    uint64_t one = 1;
    ASSERT_EQ(write(bridge_->wake_fd(), &one, 8), 8);
    interp_.join();
    Server::destroy(server_);
    bridge::Bridge::destroy(bridge_);
  }

  // The stand-in interpreter: answers /echo/{n} with "n=<n> q=<query>", never answers
  // /never, and records cancelled tokens.
  void interpreter() {
    pollfd p{bridge_->wake_fd(), POLLIN, 0};
    while (!stop_interp_.load()) {
      if (poll(&p, 1, 1000) <= 0) continue;
      bridge_->begin_drain();
      bridge::RequestItem it;
      while (bridge_->pop_request(&it)) {
        if (it.route_id == 7) {
          int64_t n;
          std::memcpy(&n, it.params.data() + 1, 8);
          std::string body = "n=" + std::to_string(n) + " q=" + std::string(it.query);
          bridge_->release(it);
          while (bridge_->respond(it.token, 200, "content-type: text/plain\r\n", body) ==
                 bridge::Push::Full) {
            std::this_thread::yield();
          }
        } else {
          bridge_->release(it);
          never_tokens_.fetch_add(1);
        }
      }
      uint32_t token;
      while (bridge_->pop_cancel(&token))
        cancelled_.fetch_add(1);
    }
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

  // Reads until `needle` has arrived (or the peer closes / times out).
  static std::string read_until(int fd, const std::string& needle) {
    std::string got;
    char buf[4096];
    while (got.find(needle) == std::string::npos) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }

  Server* server_ = nullptr;
  bridge::Bridge* bridge_ = nullptr;
  std::thread engine_, interp_;
  std::atomic<bool> stop_interp_{false};
  std::atomic<int> never_tokens_{0}, cancelled_{0};
};

TEST_F(BridgeTest, RequestsCrossAndResponsesComeBackInOrder) {
  start();
  int fd = connect_client();
  std::string pipeline;
  for (int i = 0; i < 50; i++)
    pipeline += "GET /echo/" + std::to_string(i) + "?x=" + std::to_string(i) +
                " HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(send(fd, pipeline.data(), pipeline.size(), 0), ssize_t(pipeline.size()));
  std::string got = read_until(fd, "n=49 q=x=49");
  size_t at = 0;
  for (int i = 0; i < 50; i++) {
    std::string want = "n=" + std::to_string(i) + " q=x=" + std::to_string(i);
    size_t p = got.find(want, at);
    ASSERT_NE(p, std::string::npos) << want;
    at = p;
  }
  close(fd);
  EXPECT_EQ(bridge_->counters().requests_queued.get(), 50u);
}

TEST_F(BridgeTest, ManyConnectionsAtOnce) {
  start();
  std::vector<int> fds;
  // 40 of the host's 64 slots; every one of the device's 16 (the select poller once had no
  // room for the last slot beside the bridge's hook descriptor).
  for (uint32_t i = 0; i < (kSlots < 40 ? kSlots : 40); i++)
    fds.push_back(connect_client());
  for (size_t i = 0; i < fds.size(); i++) {
    std::string req = "GET /echo/" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(send(fds[i], req.data(), req.size(), 0), ssize_t(req.size()));
  }
  for (size_t i = 0; i < fds.size(); i++) {
    std::string got = read_until(fds[i], "n=" + std::to_string(i) + " q=");
    EXPECT_NE(got.find("HTTP/1.1 200 OK"), std::string::npos) << i << ": " << got;
    close(fds[i]);
  }
  EXPECT_EQ(server_->counters().io_errors.get(), 0u);
  EXPECT_EQ(server_->counters().rejected_full.get(), 0u);
}

TEST_F(BridgeTest, HandlerDeadlineGives504AndCancels) {
  start(200);
  int fd = connect_client();
  std::string req = "GET /never HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  std::string got = read_until(fd, "timed out\"}");
  EXPECT_EQ(got.rfind("HTTP/1.1 504 Gateway Timeout\r\n", 0), 0u) << got;
  // The connection stays usable after the 504.
  std::string next = "GET /echo/5 HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(send(fd, next.data(), next.size(), 0), ssize_t(next.size()));
  EXPECT_NE(read_until(fd, "n=5 q=").find("n=5"), std::string::npos);
  close(fd);
  for (int i = 0; i < 100 && cancelled_.load() == 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(cancelled_.load(), 1);
  EXPECT_EQ(server_->counters().timeouts_handler.get(), 1u);
  EXPECT_EQ(server_->counters().deferred_in_flight.get(), 0u);
}

TEST_F(BridgeTest, ClientDisconnectCancels) {
  start();
  int fd = connect_client();
  std::string req = "GET /never HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  for (int i = 0; i < 100 && never_tokens_.load() == 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  close(fd);
  for (int i = 0; i < 200 && cancelled_.load() == 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(cancelled_.load(), 1);
  EXPECT_EQ(server_->counters().abandoned.get(), 1u);
  EXPECT_EQ(server_->counters().deferred_in_flight.get(), 0u);
}

}  // namespace
