// Streamed responses through the bridge (engine/net/stream_path.cpp, Bridge::stream_*): the
// engine thread serves sockets; a second thread stands in for the interpreter, streams bodies
// under the credit rules, and waits for writable events.  Checks the chunk framing, the credit
// bound (never more accepted than the engine has room for), HTTP/1.0 and HEAD, Content-Length,
// aborts without a terminator, disconnects reported as cancellations, and the engine's pings.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "bridge/bridge.h"

using namespace viper;

namespace {

constexpr uint32_t kSlots = VIPER_MAX_CONNECTIONS_CAP < 16 ? VIPER_MAX_CONNECTIONS_CAP : 16;

enum Route : uint32_t { kBytes = 1, kAbort = 2, kSilent = 3, kLength = 4 };

struct Stream {
  uint64_t left = 0;  // bytes still to send
  uint64_t sent = 0;
  bool waiting = false;  // got kStreamWait: send again only after the writable event
  bool abort = false;
};

class StreamTest : public ::testing::Test {
 protected:
  void start(uint32_t stream_buffer_bytes = 0, uint32_t cancel_records = 256) {
    ServerOptions o;
    o.port = 0;
    o.max_connections = kSlots;
    o.stream_buffer_bytes = stream_buffer_bytes;
    bridge::Options bo;
    bo.request_records = 16;
    bo.cancel_records = cancel_records;
    if (VIPER_MEMORY_BUDGET_BYTES > 0) {
      o.limits.max_body_bytes = 12 * 1024;
      o.body_buffers = 1;
      bo.request_bytes = 0;  // twice the largest request the limits let through (Bridge::create)
      bo.response_bytes = 16 * 1024;
    }
    const char* err = nullptr;
    server_ = Server::create(o, &err);
    ASSERT_NE(server_, nullptr) << err;
    bridge_ = bridge::Bridge::create(server_, bo, &err);
    ASSERT_NE(bridge_, nullptr) << err;
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/bytes/{n:int}", kBytes), AddResult::Ok);
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/abort", kAbort), AddResult::Ok);
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/silent", kSilent), AddResult::Ok);
    ASSERT_EQ(bridge_->add_route(http::Method::Get, "/length", kLength), AddResult::Ok);
    ASSERT_TRUE(server_->listen());
    credit_bound_ = server_->stream_credit_bytes();
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

  static char byte_at(uint64_t i) { return char('a' + i % 26); }

  // Sends what the stream's credit allows; false when it is finished.
  bool pump(uint32_t token, Stream& s) {
    static thread_local char piece[16384];
    while (s.left > 0 && !s.waiting) {
      size_t n = s.left < sizeof piece ? size_t(s.left) : sizeof piece;
      for (size_t i = 0; i < n; i++)
        piece[i] = byte_at(s.sent + i);
      long r = bridge_->stream_send(token, std::string_view(piece, n));
      if (r == bridge::kStreamWait) {
        s.waiting = true;
        waits_.fetch_add(1);
        return true;
      }
      if (r == bridge::kStreamFull) return true;  // retried at the next wake-up
      EXPECT_GT(r, 0);
      // Never more than the bound less the framing: what the engine can always hold.
      EXPECT_LE(uint64_t(r), credit_bound_ - Server::kStreamChunkOverhead);
      if (r <= 0) return false;
      if (uint64_t(r) > largest_.load()) largest_.store(uint64_t(r));
      s.left -= uint64_t(r);
      s.sent += uint64_t(r);
      accepted_.fetch_add(uint64_t(r));
    }
    if (s.left > 0) return true;
    if (bridge_->stream_end(token, s.abort) == bridge::Push::Full) return true;
    return false;
  }

  void interpreter() {
    pollfd p{bridge_->wake_fd(), POLLIN, 0};
    std::map<uint32_t, Stream> streams;
    while (!stop_interp_.load()) {
      if (poll(&p, 1, 50) < 0) continue;
      bridge_->begin_drain();
      bridge::RequestItem it;
      while (bridge_->pop_request(&it)) {
        uint32_t token = it.token;
        uint32_t route = it.route_id;
        int64_t n = 0;
        if (route == kBytes) std::memcpy(&n, it.params.data() + 1, 8);
        bridge_->release(it);
        Stream s;
        uint32_t ping = route == kSilent ? 50 : 0;
        int64_t length = route == kLength ? 10 : -1;
        while (bridge_->stream_start(token, 200, "content-type: text/plain\r\n", ping, length) ==
               bridge::Push::Full) {
          std::this_thread::yield();
        }
        s.waiting = true;  // no credit before the engine has written the head
        s.left = route == kBytes ? uint64_t(n) : route == kAbort ? 5 : route == kLength ? 10 : 0;
        s.abort = route == kAbort;
        if (route == kSilent) {
          silent_token_.store(token);
          continue;  // never sends: the engine pings; the client leaves
        }
        streams[token] = s;
      }
      uint32_t ev;
      while (bridge_->pop_cancel(&ev)) {
        if (ev & bridge::kWritableFlag) {
          writable_.fetch_add(1);
          auto f = streams.find(ev & ~bridge::kWritableFlag);
          if (f != streams.end()) f->second.waiting = false;
        } else {
          cancelled_.fetch_add(1);
          streams.erase(ev);
        }
      }
      for (auto i = streams.begin(); i != streams.end();) {
        if (pump(i->first, i->second))
          ++i;
        else
          i = streams.erase(i);
      }
    }
  }

  int connect_client(int rcvbuf = 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  static void send_all(int fd, const std::string& s) {
    ASSERT_EQ(send(fd, s.data(), s.size(), 0), ssize_t(s.size()));
  }

  static std::string read_until(int fd, const std::string& needle) {
    std::string got;
    char buf[8192];
    while (got.find(needle) == std::string::npos) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }

  static std::string read_to_close(int fd) {
    std::string got;
    char buf[8192];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }

  // Decodes a chunked body strictly; false on any framing error or a missing terminator.
  static bool dechunk(std::string_view raw, std::string* body, size_t* chunks) {
    size_t pos = 0;
    *chunks = 0;
    for (;;) {
      size_t eol = raw.find("\r\n", pos);
      if (eol == std::string_view::npos || eol == pos) return false;
      size_t size = 0;
      for (size_t i = pos; i < eol; i++) {
        char ch = raw[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) return false;
        size = size * 16 + size_t(d);
      }
      pos = eol + 2;
      if (size == 0) return raw.substr(pos) == "\r\n";
      if (pos + size + 2 > raw.size() || raw.substr(pos + size, 2) != "\r\n") return false;
      body->append(raw.substr(pos, size));
      pos += size + 2;
      ++*chunks;
    }
  }

  std::string expected(uint64_t n) {
    std::string s;
    for (uint64_t i = 0; i < n; i++)
      s += byte_at(i);
    return s;
  }

  Server* server_ = nullptr;
  bridge::Bridge* bridge_ = nullptr;
  std::thread engine_, interp_;
  std::atomic<bool> stop_interp_{false};
  std::atomic<int> cancelled_{0}, writable_{0}, waits_{0};
  std::atomic<uint64_t> accepted_{0}, largest_{0};
  std::atomic<uint32_t> silent_token_{0};
  uint32_t credit_bound_ = 0;
};

TEST_F(StreamTest, ChunkedBodyUnderTheCreditBound) {
  start();
  int fd = connect_client();
  send_all(fd, "GET /bytes/200000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string got = read_to_close(fd);
  close(fd);
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  std::string head = got.substr(0, head_end + 4);
  EXPECT_NE(head.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  std::string body;
  size_t chunks = 0;
  ASSERT_TRUE(dechunk(std::string_view(got).substr(head_end + 4), &body, &chunks));
  EXPECT_EQ(body, expected(200000));
  // 200,000 bytes through a bound of a few KB: the producer waited for credit many times.
  EXPECT_GE(chunks, 200000u / credit_bound_);
  EXPECT_GT(waits_.load(), 0);
  EXPECT_GT(writable_.load(), 0);
  const Counters& c = server_->counters();
  EXPECT_EQ(c.stream_bytes.get(), 200000u);
  EXPECT_EQ(c.streams_started.get(), 1u);
}

TEST_F(StreamTest, SmallBoundAtTheLimitAndKeepAlive) {
  start(512);
  EXPECT_EQ(credit_bound_, 512u);
  int fd = connect_client();
  for (int round = 0; round < 3; round++) {
    send_all(fd, "GET /bytes/5000 HTTP/1.1\r\nHost: t\r\n\r\n");
    std::string got = read_until(fd, "\r\n0\r\n\r\n");
    size_t head_end = got.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    std::string body;
    size_t chunks = 0;
    ASSERT_TRUE(dechunk(std::string_view(got).substr(head_end + 4), &body, &chunks));
    EXPECT_EQ(body, expected(5000));
    EXPECT_GE(chunks, 5000u / 500u);
  }
  close(fd);
}

TEST_F(StreamTest, BoundPastTheLimitIsRefused) {
  ServerOptions o;
  o.port = 0;
  o.max_connections = 4;
  o.limits.max_body_bytes = 8 * 1024;
  uint32_t body = o.limits.max_header_bytes + 8 * 1024 + VIPER_IO_BUFFER_BYTES;
  o.stream_buffer_bytes = VIPER_IO_BUFFER_BYTES - 1024;  // an I/O buffer's window
  EXPECT_EQ(validate_options(o), nullptr);
  o.stream_buffer_bytes = body - 1024;  // a body buffer's
  EXPECT_EQ(validate_options(o), nullptr);
  o.stream_buffer_bytes = body - 1024 + 1;
  EXPECT_STREQ(validate_options(o), "stream_buffer_bytes");
}

// A window larger than an I/O buffer: the stream borrows a body buffer, so one credit covers
// more than an I/O buffer holds; the buffer goes back when the stream ends.
TEST_F(StreamTest, LargeWindowBorrowsABodyBuffer) {
  start(12 * 1024);
  int fd = connect_client();
  send_all(fd, "GET /bytes/300000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string got = read_to_close(fd);
  close(fd);
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  std::string body;
  size_t chunks = 0;
  ASSERT_TRUE(dechunk(std::string_view(got).substr(head_end + 4), &body, &chunks));
  EXPECT_EQ(body, expected(300000));
  EXPECT_GT(largest_.load(), uint64_t(VIPER_IO_BUFFER_BYTES));
  EXPECT_LE(largest_.load(), uint64_t(12 * 1024 - Server::kStreamChunkOverhead));
  for (int i = 0; i < 200 && server_->counters().body_buffers_in_use.get() != 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server_->counters().body_buffers_in_use.get(), 0u);
}

// Writable events that find the cancel ring full are pushed again at the end of the engine's
// loop iteration: with a ring of one record, four concurrent streams still finish.
TEST_F(StreamTest, WritableEventsSurviveAFullRing) {
  start(1024, 1);
  int fds[4];
  for (int& fd : fds) {
    fd = connect_client();
    send_all(fd, "GET /bytes/100000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  }
  for (int fd : fds) {
    std::string got = read_to_close(fd);
    close(fd);
    size_t head_end = got.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    std::string body;
    size_t chunks = 0;
    ASSERT_TRUE(dechunk(std::string_view(got).substr(head_end + 4), &body, &chunks));
    EXPECT_EQ(body, expected(100000));
  }
  std::printf("writable events %u, dropped and retried %u\n",
              unsigned(bridge_->counters().writable_events.get()),
              unsigned(bridge_->counters().writable_dropped.get()));
}

TEST_F(StreamTest, Http10EndsAtCloseAndHeadHasNoBody) {
  start();
  int fd = connect_client();
  send_all(fd, "GET /bytes/3000 HTTP/1.0\r\n\r\n");
  std::string got = read_to_close(fd);
  close(fd);
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(got.substr(head_end + 4), expected(3000));

  fd = connect_client();
  send_all(fd,
           "HEAD /bytes/3000 HTTP/1.1\r\nHost: t\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n");
  got = read_until(fd, "\r\n0\r\n\r\n");
  close(fd);
  // The HEAD head, then directly the GET's response: no body bytes in between.
  size_t first = got.find("\r\n\r\n");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(got.compare(first + 4, 9, "HTTP/1.1 "), 0) << got;
  EXPECT_NE(got.find("3\r\nabc\r\n0\r\n\r\n"), std::string::npos) << got;
}

TEST_F(StreamTest, ContentLengthFromTheApplication) {
  start();
  int fd = connect_client();
  send_all(fd, "GET /length HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string got = read_until(fd, "abcdefghij");
  close(fd);
  EXPECT_NE(got.find("Content-Length: 10\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "abcdefghij");
}

TEST_F(StreamTest, AbortClosesWithoutTerminator) {
  start();
  int fd = connect_client();
  send_all(fd, "GET /abort HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string got = read_to_close(fd);
  close(fd);
  std::string body = got.substr(got.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "5\r\nabcde\r\n");  // the chunk, and no "0\r\n\r\n"
  EXPECT_EQ(server_->counters().stream_aborts.get(), 1u);
}

TEST_F(StreamTest, PingsWhileSilentAndDisconnectCancels) {
  start();
  int fd = connect_client();
  send_all(fd, "GET /silent HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string ping = "8\r\n: ping\n\n\r\n";
  std::string got = read_until(fd, ping + ping + ping);
  EXPECT_NE(got.find(ping + ping + ping), std::string::npos) << got;
  EXPECT_GE(server_->counters().stream_pings.get(), 3u);
  EXPECT_EQ(server_->counters().streams_open.get(), 1u);
  close(fd);
  for (int i = 0; i < 500 && cancelled_.load() == 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(cancelled_.load(), 1);
  EXPECT_EQ(server_->counters().stream_disconnects.get(), 1u);
  EXPECT_EQ(server_->counters().streams_open.get(), 0u);
  // The stream's token is stale now: anything sent for it is refused by the engine.
  EXPECT_GE(bridge_->counters().responses_applied.get(), 1u);
}

TEST_F(StreamTest, SlowReaderHoldsTheProducer) {
  start(1024);
  int fd = connect_client(4096);
  send_all(fd, "GET /bytes/50000000 HTTP/1.1\r\nHost: t\r\n\r\n");
  // The client reads nothing: the producer's accepted bytes stop growing (socket buffers and
  // the engine's 1 KB are full).  Wait until stable.
  uint64_t last = ~uint64_t(0);
  int stable = 0;
  for (int i = 0; i < 400 && stable < 5; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t now = accepted_.load();
    stable = now == last ? stable + 1 : 0;
    last = now;
  }
  EXPECT_EQ(stable, 5);
  EXPECT_LT(last, 50000000u);
  EXPECT_LT(last, uint64_t(16) << 20);
  EXPECT_LE(server_->counters().io_buffers_in_use.get(), 2u);
  close(fd);
}

}  // namespace
