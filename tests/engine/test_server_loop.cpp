// The server loop in-process: a Server on its own thread, driven through real sockets from the
// test thread, then stopped from the test thread (the cross-thread path TSan checks).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "mem/allocator.h"
#include "viper/server.h"

using namespace viper;

namespace {

void hello(const RouteRequest&, Responder& res, void*) {
  res.send_static(200, "application/json", R"({"message":"hello"})");
}

void item(const RouteRequest& req, Responder& res, void*) {
  std::string body = "{\"id\":" + std::to_string(req.params[0].i) + "}";
  res.send(200, "application/json", body);
}

void no_answer(const RouteRequest&, Responder&, void*) {}

void bad_header(const RouteRequest&, Responder& res, void*) {
  http::Header h{"X-Evil", "a\r\nSet-Cookie: x=1"};
  EXPECT_FALSE(res.send(200, "text/plain", "x", &h, 1));
}

class ServerLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    // The profile's default pools: the esp32 profile's memory budget holds them, while its cap
    // of VIPER_MAX_CONNECTIONS_CAP slots with the default body limits would not fit.
    o.max_connections = VIPER_DEFAULT_MAX_CONNECTIONS;
    const char* err = nullptr;
    server_ = Server::create(o, &err);
    ASSERT_NE(server_, nullptr) << err;
    ASSERT_EQ(server_->add_route(http::Method::Get, "/hello", hello, nullptr), AddResult::Ok);
    ASSERT_EQ(server_->add_route(http::Method::Get, "/items/{id:int}", item, nullptr),
              AddResult::Ok);
    ASSERT_EQ(server_->add_route(http::Method::Get, "/silent", no_answer, nullptr), AddResult::Ok);
    ASSERT_EQ(server_->add_route(http::Method::Get, "/evil", bad_header, nullptr), AddResult::Ok);
    ASSERT_TRUE(server_->listen());
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    server_->request_stop();
    thread_.join();
    Server::destroy(server_);
  }

  int connect_client() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  // Sends `req` and reads until `n` responses' worth of "\r\n\r\n" + body have arrived, by
  // reading until the peer is quiet for the given marker count.
  static std::string exchange(int fd, const std::string& req, size_t expect_bytes) {
    EXPECT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
    std::string got;
    char buf[4096];
    while (got.size() < expect_bytes) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }

  static std::string body_of(const std::string& resp) {
    return resp.substr(resp.find("\r\n\r\n") + 4);
  }

  Server* server_ = nullptr;
  std::thread thread_;
};

constexpr size_t kHelloLen = 146;  // status line, Date, Server, type, length, blank, body

TEST_F(ServerLoop, AnswersAndReusesTheConnection) {
  int fd = connect_client();
  std::string r1 = exchange(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", kHelloLen);
  EXPECT_EQ(r1.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r1;
  EXPECT_EQ(body_of(r1), R"({"message":"hello"})");
  std::string r2 = exchange(fd, "GET /items/-12 HTTP/1.1\r\nHost: t\r\n\r\n", 1);
  while (r2.find("{\"id\":-12}") == std::string::npos) {
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    r2.append(buf, size_t(n));
  }
  close(fd);
  EXPECT_EQ(server_->counters().keepalive_reuses.get(), 1u);
}

TEST_F(ServerLoop, NoEngineAllocationPerRequest) {
  int fd = connect_client();
  exchange(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", kHelloLen);  // warm up
  uint64_t before = mem::stats().allocations;
  for (int i = 0; i < 200; i++) {
    std::string r = exchange(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", kHelloLen);
    ASSERT_EQ(body_of(r), R"({"message":"hello"})");
  }
  EXPECT_EQ(mem::stats().allocations, before);
  close(fd);
}

TEST_F(ServerLoop, HandlerWithoutResponseGets500) {
  int fd = connect_client();
  std::string r =
      exchange(fd, "GET /silent HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 1 << 20);
  EXPECT_EQ(r.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u) << r;
  close(fd);
}

TEST_F(ServerLoop, HeaderInjectionIsRefused) {
  int fd = connect_client();
  std::string r =
      exchange(fd, "GET /evil HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 1 << 20);
  EXPECT_EQ(r.rfind("HTTP/1.1 500 ", 0), 0u) << r;
  EXPECT_EQ(r.find("Set-Cookie"), std::string::npos);
  close(fd);
}

TEST_F(ServerLoop, StopClosesIdleConnections) {
  int fd = connect_client();
  exchange(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", kHelloLen);
  server_->request_stop();
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // orderly close, not a timeout
  close(fd);
}

}  // namespace
