// A template rendered on the engine thread and streamed to a real client through the
// engine's streaming writer (Responder::stream, ChunkFill): the path a long page takes once
// Python responses can stream.  The page arrives chunked, in pieces of the output buffer's
// size, and equals the page rendered whole.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tmpl/store.h"
#include "tmpl_support.h"
#include "viper/server.h"

using namespace viper;
using namespace viper::tmpl;

namespace {

const char* kPage =
    "<ul>{% for i in range(n) %}<li>{{ i }}: {{ word }} {{ '<&>' }}</li>\n{% endfor %}</ul>";

struct Streamed {
  void* program = nullptr;
  std::vector<uint64_t> mem;
  std::vector<uint8_t> ctx;
  Render* render = nullptr;
  int pieces = 0;
};

size_t fill(void* user, uint64_t[2], char* dst, size_t cap, bool* done) {
  auto* s = static_cast<Streamed*>(user);
  size_t n = 0;
  RenderStatus st = render_next(s->render, dst, cap, &n);
  *done = st != RenderStatus::More;
  s->pieces++;
  return n;
}

void page(const RouteRequest&, Responder& res, void* user) {
  auto* s = static_cast<Streamed*>(user);
  Program p(s->program);
  s->render = render_start(s->mem.data(), RenderCaps(), s->program, s->ctx.data(), s->ctx.size(),
                           RenderLimits());
  res.stream(200, "text/html; charset=utf-8", fill, s);
}

std::string dechunk(const std::string& body) {
  std::string out;
  size_t i = 0;
  while (i < body.size()) {
    size_t eol = body.find("\r\n", i);
    size_t n = std::stoul(body.substr(i, eol - i), nullptr, 16);
    if (n == 0) break;
    out += body.substr(eol + 2, n);
    i = eol + 2 + n + 2;
  }
  return out;
}

}  // namespace

TEST(TmplStream, PageStreamsThroughChunkFill) {
  tmpltest::Compiled c;
  tmpltest::compile_into(&c, kPage);
  ASSERT_TRUE(c) << c.err.message;
  tmpltest::Context ctx(c.prog());
  ctx.integer("n", 2000).str("word", "caf\xc3\xa9");
  const uint8_t* data = ctx.data();
  tmpltest::Rendered whole = tmpltest::render(c.prog(), data, ctx.size());
  ASSERT_TRUE(whole.ok);
  ASSERT_GT(whole.out.size(), size_t(VIPER_IO_BUFFER_BYTES) * 4);

  Streamed s;
  s.program = c.p;
  s.mem.resize(render_memory(RenderCaps()) / 8 + 1);
  s.ctx.assign(data, data + ctx.size());

  ServerOptions o;
  o.port = 0;
  o.max_connections = VIPER_DEFAULT_MAX_CONNECTIONS;
  const char* err = nullptr;
  Server* server = Server::create(o, &err);
  ASSERT_NE(server, nullptr) << err;
  ASSERT_EQ(server->add_route(http::Method::Get, "/page", page, &s), AddResult::Ok);
  ASSERT_TRUE(server->listen());
  std::thread t([server] { server->run(); });

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server->port());
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  std::string got;
  char buf[8192];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  close(fd);
  server->request_stop();
  t.join();
  Server::destroy(server);

  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  std::string head = got.substr(0, head_end);
  EXPECT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(dechunk(got.substr(head_end + 4)), whole.out);
  EXPECT_GT(s.pieces, 4);  // several refills of the output buffer, not one big copy
}
