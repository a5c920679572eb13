// WebSocket echo load generator for bench/ws.sh: N connections, each a closed loop (send one
// masked text message of SIZE bytes, wait for its echo, repeat) for SECONDS; prints messages
// per second, per-connection min/max (fairness) and the p50/p99 round trip.  One thread, epoll,
// frames prepared once: a few microseconds of CPU per message, so the servers are measured,
// not the client.  Usage: ws_load PORT PATH CONNS SECONDS SIZE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  std::string in;
  Clock::time_point sent;
  uint64_t done = 0;
};

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= size_t(k);
  }
  return true;
}

// Bytes of one whole server frame at the front of `in`, or 0 while incomplete.
size_t frame_size(const std::string& in) {
  if (in.size() < 2) return 0;
  size_t n = uint8_t(in[1]) & 0x7f, at = 2;
  if (n == 126) {
    if (in.size() < 4) return 0;
    n = (size_t(uint8_t(in[2])) << 8) | uint8_t(in[3]);
    at = 4;
  } else if (n == 127) {
    if (in.size() < 10) return 0;
    n = 0;
    for (int i = 2; i < 10; i++)
      n = (n << 8) | uint8_t(in[size_t(i)]);
    at = 10;
  }
  return in.size() >= at + n ? at + n : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: ws_load PORT PATH CONNS SECONDS SIZE\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  const char* path = argv[2];
  int conns = std::atoi(argv[3]);
  double seconds = std::atof(argv[4]);
  size_t size = size_t(std::atol(argv[5]));

  // The message, masked once with a fixed key (any key is valid; the server unmasks each).
  std::string frame;
  frame += char(0x81);
  if (size < 126) {
    frame += char(0x80 | size);
  } else if (size < 65536) {
    frame += char(0x80 | 126);
    frame += char(size >> 8);
    frame += char(size & 255);
  } else {
    frame += char(0x80 | 127);
    for (int i = 7; i >= 0; i--)
      frame += char((uint64_t(size) >> (8 * i)) & 255);
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < size; i++)
    frame += char(('a' + i % 26) ^ key[i & 3]);

  int ep = epoll_create1(0);
  std::vector<Conn> cs(static_cast<size_t>(conns));
  char req[512];
  int rl = std::snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n",
                         path);
  for (int i = 0; i < conns; i++) {
    Conn& c = cs[size_t(i)];
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        !send_all(c.fd, req, size_t(rl))) {
      std::perror("ws_load: connect");
      return 1;
    }
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t k = recv(c.fd, buf, sizeof buf, 0);
      if (k <= 0) {
        std::fprintf(stderr, "ws_load: handshake failed\n");
        return 1;
      }
      head.append(buf, size_t(k));
    }
    if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
      std::fprintf(stderr, "ws_load: not upgraded: %.40s\n", head.c_str());
      return 1;
    }
    c.in = head.substr(head.find("\r\n\r\n") + 4);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = uint32_t(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  std::vector<double> rtts;
  rtts.reserve(1 << 20);
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  for (Conn& c : cs) {
    c.sent = Clock::now();
    send_all(c.fd, frame.data(), frame.size());
  }
  std::vector<epoll_event> evs(static_cast<size_t>(conns));
  char buf[65536];
  uint64_t total = 0;
  while (Clock::now() < end) {
    int n = epoll_wait(ep, evs.data(), conns, 100);
    for (int i = 0; i < n; i++) {
      Conn& c = cs[evs[size_t(i)].data.u32];
      ssize_t k = recv(c.fd, buf, sizeof buf, 0);
      if (k <= 0) {
        std::fprintf(stderr, "ws_load: connection closed by the server\n");
        return 1;
      }
      c.in.append(buf, size_t(k));
      size_t f;
      while ((f = frame_size(c.in)) != 0) {
        uint8_t b0 = uint8_t(c.in[0]);
        c.in.erase(0, f);
        // The echo ends with a data frame with FIN (large messages come back in fragments);
        // a ping from the server needs no answer in a short run.
        if ((b0 & 0x0f) >= 8 || !(b0 & 0x80)) continue;
        auto now = Clock::now();
        rtts.push_back(std::chrono::duration<double, std::micro>(now - c.sent).count());
        c.done++;
        total++;
        c.sent = now;
        send_all(c.fd, frame.data(), frame.size());
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t lo = UINT64_MAX, hi = 0;
  for (Conn& c : cs) {
    lo = std::min(lo, c.done);
    hi = std::max(hi, c.done);
    close(c.fd);
  }
  std::sort(rtts.begin(), rtts.end());
  auto pct = [&](double p) { return rtts.empty() ? 0.0 : rtts[size_t(p * (rtts.size() - 1))]; };
  std::printf(
      "msgs_per_s=%.0f messages=%llu per_conn_min=%llu per_conn_max=%llu p50_us=%.0f "
      "p99_us=%.0f\n",
      double(total) / elapsed, (unsigned long long)total, (unsigned long long)lo,
      (unsigned long long)hi, pct(0.5), pct(0.99));
  return 0;
}
