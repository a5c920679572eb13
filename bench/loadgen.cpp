// A closed-loop HTTP/1.1 load generator that, unlike wrk, reports per-client fairness: N
// keep-alive clients each send one GET, wait for the whole response, and send the next; a
// client whose connection is closed (Connection: close, or EOF between responses) reconnects
// and goes on, as a browser would.  Single-threaded (epoll), so it measures the server, not
// itself, only up to ~100k req/s on one core; the pool bench stays far below that.
//
//   viper_loadgen HOST PORT PATH CLIENTS SECONDS
//
// Prints one JSON object: requests, req/s, errors by kind (a reset or an EOF in the middle of
// a response, a failed connect — what a browser would show as a network error), reconnects,
// latency percentiles (request sent → response complete, including any wait in the server's
// listen backlog), and the requests of the least and most served client against the mean.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  int fd = -1;
  bool connected = false;
  std::string in;
  size_t sent = 0;
  Clock::time_point started;
  uint64_t done = 0;
};

struct Totals {
  uint64_t requests = 0, reconnects = 0, err_connect = 0, err_reset = 0, err_eof_mid = 0,
           non_2xx = 0;
  std::vector<uint32_t> latency_us;
};

sockaddr_in g_addr{};
std::string g_request;
int g_ep = -1;

void watch(Client& c, size_t idx, uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = idx;
  epoll_ctl(g_ep, op, c.fd, &ev);
}

void open_conn(Client& c, size_t idx) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(c.fd, reinterpret_cast<sockaddr*>(&g_addr), sizeof g_addr);
  c.connected = r == 0;
  c.in.clear();
  c.sent = 0;
  c.started = Clock::now();
  watch(c, idx, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
}

void reopen(Client& c, size_t idx, Totals& t) {
  epoll_ctl(g_ep, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  t.reconnects++;
  open_conn(c, idx);
}

// Length of a complete response at the start of `s` (0: incomplete); sets *close when the
// server asked to close.  Responses here carry Content-Length (the server's JSON routes).
size_t complete_response(const std::string& s, bool* close, int* status) {
  size_t head_end = s.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  *status = s.size() > 12 ? std::atoi(s.c_str() + 9) : 0;
  size_t body = 0;
  std::string head = s.substr(0, head_end);
  for (char& ch : head)
    ch = char(std::tolower(static_cast<unsigned char>(ch)));
  size_t p = head.find("\r\ncontent-length:");
  if (p != std::string::npos) body = std::strtoul(head.c_str() + p + 17, nullptr, 10);
  *close = head.find("\r\nconnection: close") != std::string::npos;
  size_t total = head_end + 4 + body;
  return s.size() >= total ? total : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s HOST PORT PATH CLIENTS SECONDS\n", argv[0]);
    return 2;
  }
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons(uint16_t(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &g_addr.sin_addr);
  g_request = std::string("GET ") + argv[3] + " HTTP/1.1\r\nHost: " + argv[1] + "\r\n\r\n";
  size_t n = size_t(std::atoi(argv[4]));
  double seconds = std::atof(argv[5]);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Client> clients(n);
  Totals t;
  t.latency_us.reserve(1 << 20);
  for (size_t i = 0; i < n; i++)
    open_conn(clients[i], i);
  auto start = Clock::now();
  auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<epoll_event> events(256);
  char buf[65536];
  while (Clock::now() < end) {
    int k = epoll_wait(g_ep, events.data(), int(events.size()), 50);
    for (int e = 0; e < k; e++) {
      size_t idx = events[e].data.u64;
      Client& c = clients[idx];
      uint32_t ev = events[e].events;
      if (!c.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          t.err_connect++;
          reopen(c, idx, t);
          continue;
        }
        c.connected = true;
      }
      if ((ev & EPOLLOUT) && c.sent < g_request.size()) {
        ssize_t w = send(c.fd, g_request.data() + c.sent, g_request.size() - c.sent, MSG_NOSIGNAL);
        if (w > 0) c.sent += size_t(w);
        if (w < 0 && errno != EAGAIN) {
          t.err_reset++;
          reopen(c, idx, t);
          continue;
        }
        if (c.sent == g_request.size()) watch(c, idx, EPOLLIN, EPOLL_CTL_MOD);
      }
      if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        // EOF with nothing of a response pending is a polite close (after Connection: close,
        // or an idle connection the server let go); anything else is a failed request.
        if (r < 0)
          t.err_reset++;
        else if (!c.in.empty() || c.sent == g_request.size())
          t.err_eof_mid++;
        reopen(c, idx, t);
        continue;
      }
      c.in.append(buf, size_t(r));
      bool close_it = false;
      int status = 0;
      size_t len = complete_response(c.in, &close_it, &status);
      if (len == 0) continue;
      auto now = Clock::now();
      t.latency_us.push_back(
          uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(now - c.started).count()));
      t.requests++;
      c.done++;
      if (status < 200 || status > 299) t.non_2xx++;
      c.in.erase(0, len);
      if (close_it) {
        reopen(c, idx, t);
        continue;
      }
      c.sent = 0;
      c.started = now;
      watch(c, idx, EPOLLOUT | EPOLLIN, EPOLL_CTL_MOD);
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(t.latency_us.begin(), t.latency_us.end());
  auto pct = [&](double p) -> uint32_t {
    if (t.latency_us.empty()) return 0;
    return t.latency_us[std::min(t.latency_us.size() - 1, size_t(p * double(t.latency_us.size())))];
  };
  uint64_t lo = UINT64_MAX, hi = 0;
  for (auto& c : clients) {
    lo = std::min(lo, c.done);
    hi = std::max(hi, c.done);
  }
  double mean = double(t.requests) / double(n);
  std::printf(
      "{\"clients\":%zu,\"seconds\":%.2f,\"requests\":%llu,\"rps\":%.0f,\"non_2xx\":%llu,"
      "\"errors\":{\"connect\":%llu,\"reset\":%llu,\"eof_mid_request\":%llu},"
      "\"reconnects\":%llu,\"latency_us\":{\"p50\":%u,\"p90\":%u,\"p99\":%u,\"max\":%u},"
      "\"per_client\":{\"min\":%llu,\"mean\":%.1f,\"max\":%llu,\"min_over_mean\":%.3f}}\n",
      n, elapsed, (unsigned long long)t.requests, double(t.requests) / elapsed,
      (unsigned long long)t.non_2xx, (unsigned long long)t.err_connect,
      (unsigned long long)t.err_reset, (unsigned long long)t.err_eof_mid,
      (unsigned long long)t.reconnects, pct(0.5), pct(0.9), pct(0.99),
      t.latency_us.empty() ? 0 : t.latency_us.back(), (unsigned long long)lo, mean,
      (unsigned long long)hi, mean > 0 ? double(lo) / mean : 0.0);
  return 0;
}
