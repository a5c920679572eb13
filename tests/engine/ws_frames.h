// Test helpers for the WebSocket codec suites: raw client frames (any encoding, also invalid
// ones) and a driver that feeds a FrameDecoder a byte stream split in a chosen way and writes
// down what it reports.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ws/frame_decoder.h"

namespace wstest {

using viper::ws::EventKind;
using viper::ws::FrameDecoder;

struct Raw {
  uint8_t first;  // FIN | RSV | opcode
  std::string payload;
  bool masked = true;
  int length_bytes = -1;  // -1: shortest; 0, 2 or 8: force that encoding (non-minimal)
  uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
};

// A frame as a client would send it (masked unless told otherwise).
inline std::string frame(const Raw& r) {
  std::string f;
  f += char(r.first);
  uint64_t n = r.payload.size();
  int lb = r.length_bytes >= 0 ? r.length_bytes : n < 126 ? 0 : n <= 0xFFFF ? 2 : 8;
  uint8_t m = r.masked ? 0x80 : 0;
  if (lb == 0) {
    f += char(m | n);
  } else if (lb == 2) {
    f += char(m | 126);
    f += char(n >> 8);
    f += char(n);
  } else {
    f += char(m | 127);
    for (int i = 7; i >= 0; i--)
      f += char(n >> (8 * i));
  }
  if (r.masked) {
    f.append(reinterpret_cast<const char*>(r.key), 4);
    for (size_t i = 0; i < r.payload.size(); i++)
      f += char(r.payload[i] ^ r.key[i & 3]);
  } else {
    f += r.payload;
  }
  return f;
}

inline std::string frame(uint8_t first, const std::string& payload) {
  return frame(Raw{first, payload});
}
inline std::string text(const std::string& p, bool fin = true) {
  return frame(uint8_t((fin ? 0x80 : 0) | 0x1), p);
}
inline std::string binary(const std::string& p, bool fin = true) {
  return frame(uint8_t((fin ? 0x80 : 0) | 0x2), p);
}
inline std::string cont(const std::string& p, bool fin = true) {
  return frame(uint8_t((fin ? 0x80 : 0) | 0x0), p);
}
inline std::string ping(const std::string& p) {
  return frame(0x89, p);
}
inline std::string pong(const std::string& p) {
  return frame(0x8A, p);
}
inline std::string close_frame(int code, const std::string& reason = "") {
  std::string p;
  if (code >= 0) {
    p += char(code >> 8);
    p += char(code & 0xFF);
  }
  return frame(0x88, p + reason);
}

// What the decoder reported, as text: "text:<message>", "binary:<message>", "ping:<p>",
// "pong:<p>", "close:<code>:<reason>", "error:<code>:<name>", and "partial:<bytes>" for a
// message still open at the end.  Data pieces are joined, so the transcript does not depend
// on the split; pieces counts them.
struct Transcript {
  std::vector<std::string> events;
  size_t pieces = 0;
  std::string open;  // bytes of the message in progress
  bool open_started = false;
  bool failed = false;

  std::string str() const {
    std::string s;
    for (auto& e : events)
      s += e + "\n";
    if (open_started) s += "partial:" + open + "\n";
    return s;
  }
};

// Feeds `stream` to `d`, `chunk` bytes per read (0: all at once), the way a connection does:
// unconsumed bytes stay at the front, new bytes are appended.
inline Transcript feed(FrameDecoder& d, const std::string& stream, size_t chunk = 0) {
  Transcript t;
  std::string pending;
  size_t at = 0;
  if (chunk == 0) chunk = stream.size() ? stream.size() : 1;
  while (at < stream.size() && !t.failed) {
    size_t n = std::min(chunk, stream.size() - at);
    pending.append(stream, at, n);
    at += n;
    while (true) {
      viper::ws::Event ev = d.decode(pending.data(), pending.size());
      if (ev.consumed > pending.size()) {
        t.events.push_back("CONSUMED MORE THAN GIVEN");
        t.failed = true;
        break;
      }
      // Views point into the bytes just consumed (or into pending for NeedMore).
      const char* lo = pending.data();
      if (ev.payload.data() != nullptr && !ev.payload.empty() &&
          (ev.payload.data() < lo || ev.payload.data() + ev.payload.size() > lo + ev.consumed))
        t.events.push_back("VIEW OUTSIDE CONSUMED BYTES");
      switch (ev.kind) {
        case EventKind::NeedMore:
          break;
        case EventKind::Data:
          t.pieces++;
          if (ev.first != !t.open_started) t.events.push_back("BAD FIRST FLAG");
          t.open_started = true;
          t.open.append(ev.payload);
          if (ev.last) {
            std::string kind = ev.message == viper::ws::Opcode::Text ? "text" : "binary";
            if (ev.compressed) kind += "+z";
            t.events.push_back(kind + ":" + t.open);
            t.open.clear();
            t.open_started = false;
          }
          break;
        case EventKind::Ping:
          t.events.push_back("ping:" + std::string(ev.payload));
          break;
        case EventKind::Pong:
          t.events.push_back("pong:" + std::string(ev.payload));
          break;
        case EventKind::Close:
          t.events.push_back("close:" + std::to_string(ev.code) + ":" + std::string(ev.payload));
          break;
        case EventKind::Error:
          t.events.push_back("error:" + std::to_string(ev.code) + ":" +
                             std::string(viper::ws::name_of(ev.error)));
          t.failed = true;
          break;
      }
      pending.erase(0, ev.consumed);
      if (ev.kind == EventKind::NeedMore || ev.kind == EventKind::Error) break;
    }
  }
  return t;
}

}  // namespace wstest
