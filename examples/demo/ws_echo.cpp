#include "ws_echo.h"

#include <cstring>

#include "port/port.h"

namespace demo {

namespace {

constexpr uint32_t kMaxAccepts = 256;
constexpr uint32_t kMaxPieces = 4096;
constexpr uint32_t kArenaBytes = 1u << 20;

struct Piece {
  uint32_t token;
  uint32_t off, len;
  uint8_t flags;  // viper::Server::WsFlag bits
};

// Everything lives in static storage: the demo serves one server.
struct Echo {
  viper::Server* server = nullptr;
  int fd = -1;
  uint32_t accepts[kMaxAccepts];
  uint32_t num_accepts = 0;
  Piece pieces[kMaxPieces];
  uint32_t head = 0, num_pieces = 0;
  uint32_t sent_of_head = 0;  // bytes of the head piece already sent (split into frames)
  char arena[kArenaBytes];
  uint32_t arena_used = 0;  // reset when the queue is empty
  bool refused = false;     // a hook answered false: the engine waits for ws_resume()
} g;

void on_upgrade(const viper::RouteRequest&, viper::Responder& res, void*) {
  uint32_t token;
  if (g.num_accepts == kMaxAccepts) {
    res.send(503, "application/json", R"({"detail":"too many upgrades at once"})");
    return;
  }
  if (res.upgrade(&token)) g.accepts[g.num_accepts++] = token;
}

bool on_ws_event(void*, uint32_t token, uint8_t kind, uint8_t flags, uint16_t,
                 std::string_view data) {
  if (kind != viper::Server::WsData) return true;  // closes and room are seen at the loop end
  if (g.num_pieces == kMaxPieces || g.arena_used + data.size() > kArenaBytes) {
    g.refused = true;
    return false;
  }
  Piece& p = g.pieces[(g.head + g.num_pieces++) % kMaxPieces];
  p.token = token;
  p.off = g.arena_used;
  p.len = uint32_t(data.size());
  p.flags = flags;
  if (!data.empty()) std::memcpy(g.arena + g.arena_used, data.data(), data.size());
  g.arena_used += p.len;
  return true;
}

// Sends what the queue holds, in order, as far as the send queues take it.
void on_loop_end(void*) {
  for (uint32_t i = 0; i < g.num_accepts; i++)
    g.server->ws_accept(g.accepts[i], {}, {});
  g.num_accepts = 0;
  size_t max_frame = g.server->ws_max_frame();
  while (g.num_pieces > 0) {
    Piece& p = g.pieces[g.head];
    uint32_t left = p.len - g.sent_of_head;
    uint32_t n = left > max_frame ? uint32_t(max_frame) : left;
    viper::Server::Reserve r = g.server->ws_reserve(p.token, n);
    if (r == viper::Server::Reserve::Full) break;  // its queue is full: WsWritable comes back
    if (r == viper::Server::Reserve::Ok) {
      bool first_frame = g.sent_of_head == 0 && (p.flags & viper::Server::WsFirst);
      uint8_t op = first_frame ? uint8_t(p.flags & 0x0f) : 0;
      bool fin = n == left && (p.flags & viper::Server::WsLast);
      g.server->ws_send(p.token, op, fin, std::string_view(g.arena + p.off + g.sent_of_head, n));
      if (n < left) {
        g.sent_of_head += n;
        continue;
      }
    }
    g.sent_of_head = 0;
    g.head = (g.head + 1) % kMaxPieces;
    g.num_pieces--;
    // Its bytes are done with: the engine's receive window for this connection reopens.
    if (g.server->ws_consumed(p.token, p.len)) g.refused = true;
  }
  if (g.num_pieces == 0) {
    g.head = 0;
    g.arena_used = 0;
  }
  if (g.refused && g.num_pieces < kMaxPieces / 2 && g.arena_used < kArenaBytes / 2) {
    g.refused = false;
    g.server->ws_resume();
  }
}

void on_ready(void*) {
  viper::port::wake_drain(g.fd);
}

}  // namespace

bool install_ws_echo(viper::Server* server, const char* path) {
  g.server = server;
  g.fd = viper::port::wake_open();
  if (g.fd < 0 || !server->enable_websockets()) return false;
  viper::Server::Hooks h;
  h.fd = g.fd;
  h.on_ready = on_ready;
  h.on_loop_end = on_loop_end;
  h.on_ws_event = on_ws_event;
  return server->set_hooks(h) && server->add_route(viper::http::Method::Get, path, on_upgrade,
                                                   nullptr) == viper::AddResult::Ok;
}

}  // namespace demo
