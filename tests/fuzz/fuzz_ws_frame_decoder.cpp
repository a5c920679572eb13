// libFuzzer target for the WebSocket frame decoder (engine/ws/frame_decoder.h).
//
// Input: byte 0 picks the configuration (bit 0: RSV1 allowed, bit 1: client role, bits 2-4:
// the maximum message size), byte 1 seeds the read sizes; the rest is the byte stream.
// The stream is decoded three times: whole, one byte per read, and in reads of varying sizes;
// the transcripts (events, joined message payloads, close codes, errors) must be identical.
// Invariants checked on every event (a violation traps):
//   consumed <= the bytes given; payload views lie inside the bytes consumed by that call;
//   Data pieces of one message: `first` exactly on the first, nothing after `last`, the total
//   never above max_message_bytes; control payloads <= 125 bytes; a Close has a valid code (or
//   1005) and a UTF-8 reason; a completed uncompressed text message is valid UTF-8; an Error
//   carries 1002, 1007 or 1009 and nothing follows it; after a Close nothing follows either.
// Each complete message is also re-encoded by the frame encoder and decoded back (client role).
//
// Build: the 'fuzz' preset (tests/fuzz/run.sh).  With -DVIPER_FUZZ_MAIN and without
// -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ws/frame_decoder.h"
#include "ws/frame_encoder.h"
#include "ws/utf8.h"

namespace {

using namespace viper::ws;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

std::string roundtrip(Opcode op, bool compressed, const std::string& m) {
  char h[kMaxFrameHeader];
  OutFrame f = encode_data_frame(h, op, true, compressed, m);
  CHECK(f.header_size > 0);
  std::string wire = std::string(h, f.header_size) + m;
  DecoderConfig c;
  c.role = Role::Client;
  c.rsv1_allowed = true;
  c.max_message_bytes = UINT64_MAX;
  FrameDecoder d(c);
  std::string back;
  size_t at = 0;
  while (true) {
    Event ev = d.decode(wire.data() + at, wire.size() - at);
    at += ev.consumed;
    if (ev.kind == EventKind::Data) {
      CHECK(ev.message == op && ev.compressed == compressed);
      back.append(ev.payload);
      if (ev.last) break;
    } else {
      CHECK(ev.kind == EventKind::NeedMore && ev.consumed == 0 && at == wire.size());
      break;
    }
  }
  return back;
}

// Decodes `stream` in reads of sizes from `next_chunk`; returns the transcript.
template <typename ChunkFn>
std::string run(const DecoderConfig& cfg, const std::string& stream, ChunkFn next_chunk) {
  FrameDecoder d(cfg);
  std::string t, message, pending;
  bool open = false, over = false;
  size_t at = 0;
  while (at < stream.size() && !over) {
    size_t n = next_chunk();
    if (n > stream.size() - at) n = stream.size() - at;
    pending.append(stream, at, n);
    at += n;
    while (!over) {
      Event ev = d.decode(pending.data(), pending.size());
      CHECK(ev.consumed <= pending.size());
      const char* lo = pending.data();
      if (!ev.payload.empty())
        CHECK(ev.payload.data() >= lo && ev.payload.data() + ev.payload.size() <= lo + ev.consumed);
      switch (ev.kind) {
        case EventKind::NeedMore:
          break;
        case EventKind::Data:
          CHECK(ev.first == !open);
          CHECK(ev.message == Opcode::Text || ev.message == Opcode::Binary);
          open = true;
          message.append(ev.payload);
          CHECK(message.size() <= cfg.max_message_bytes);
          CHECK(cfg.rsv1_allowed || !ev.compressed);
          if (ev.last) {
            if (ev.message == Opcode::Text && !ev.compressed) CHECK(utf8_valid(message));
            if (message.size() <= 4096)
              CHECK(roundtrip(ev.message, ev.compressed, message) == message);
            t += ev.message == Opcode::Text ? "T" : "B";
            t += ev.compressed ? "z:" : ":";
            t += message;
            t += '\n';
            message.clear();
            open = false;
          }
          break;
        case EventKind::Ping:
        case EventKind::Pong:
          CHECK(ev.payload.size() <= kMaxControlPayload);
          t += ev.kind == EventKind::Ping ? "ping:" : "pong:";
          t.append(ev.payload);
          t += '\n';
          break;
        case EventKind::Close:
          CHECK(ev.code == close_code::kNoStatus || close_code_valid(ev.code));
          CHECK(ev.payload.size() <= kMaxCloseReason && utf8_valid(ev.payload));
          CHECK(d.closed());
          t += "close:" + std::to_string(ev.code) + ":";
          t.append(ev.payload);
          t += '\n';
          over = true;
          break;
        case EventKind::Error:
          CHECK(ev.code == 1002 || ev.code == 1007 || ev.code == 1009);
          CHECK(ev.code == close_code_of(ev.error) && d.failed());
          t += "error:" + std::to_string(ev.code) + ":" + std::string(name_of(ev.error)) + "\n";
          over = true;
          break;
      }
      pending.erase(0, ev.consumed);
      if (ev.kind == EventKind::NeedMore) break;
    }
  }
  // What a closed or failed decoder does with more input: nothing.
  if (over) {
    std::string more = "\x81\x80\x00\x00\x00\x00";
    Event ev = d.decode(more.data(), more.size());
    CHECK(ev.kind == (d.failed() ? EventKind::Error : EventKind::NeedMore));
  }
  t += "partial:" + message;
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const uint64_t kMax[] = {0, 1, 125, 126, 1000, 65536, 1 << 20, UINT64_MAX};
  DecoderConfig cfg;
  cfg.rsv1_allowed = data[0] & 1;
  cfg.role = data[0] & 2 ? Role::Client : Role::Server;
  cfg.max_message_bytes = kMax[(data[0] >> 2) & 7];
  uint32_t seed = data[1] * 2654435761u + 1;
  std::string stream(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string whole = run(cfg, stream, [&] { return stream.size() + 1; });
  std::string bytes = run(cfg, stream, [] { return size_t(1); });
  CHECK(whole == bytes);
  std::string varied = run(cfg, stream, [&] {
    seed = seed * 1103515245u + 12345u;
    return size_t(1 + (seed >> 16) % 37);
  });
  CHECK(whole == varied);
  return 0;
}

#include "replay_main.h"
