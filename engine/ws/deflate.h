// permessage-deflate (RFC 7692 §7.2): compressing outgoing and inflating incoming messages with
// zlib, one message at a time, into bounded buffers the caller gives.
//
// Each stream owns one block of memory taken from viper::mem when it is created (at start-up,
// e.g. as a pool), sized by a trial run of zlib for the largest window it will be asked for;
// zlib's own allocations are carved from that block, so starting a stream for a connection's
// negotiated window, resetting it per message (no_context_takeover) and inflating never touch
// the heap.  Raw deflate: the 00 00 ff ff that ends every compressed message (a sync flush) is
// removed on the way out and added back on the way in.
//
// The inflater stops at the maximum message size: output is produced into the caller's buffer
// piece by piece and counted, and one byte beyond the limit fails the message (1009), however
// small the input; a "zip bomb" costs at most the limit plus one byte of work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::ws {

// zlib's memory level for deflate (the hash table and pending buffer: 2^(level+9) bytes) and
// the compression level.  The window is negotiated per connection (PmdConfig).
#ifndef VIPER_WS_DEFLATE_MEM_LEVEL
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_WS_DEFLATE_MEM_LEVEL 4
#else
#define VIPER_WS_DEFLATE_MEM_LEVEL 8
#endif
#endif
#ifndef VIPER_WS_DEFLATE_LEVEL
#define VIPER_WS_DEFLATE_LEVEL 6
#endif

class MessageDeflater {
 public:
  MessageDeflater() = default;
  MessageDeflater(const MessageDeflater&) = delete;
  MessageDeflater& operator=(const MessageDeflater&) = delete;
  ~MessageDeflater() { destroy(); }

  // Takes the memory for a stream with windows up to max_window_bits (9..15) at mem_level
  // (1..9), compressing at `level` (1..9).  False when an argument is out of range or the
  // memory cannot be had (nothing is kept then).
  bool init(int max_window_bits, int mem_level = VIPER_WS_DEFLATE_MEM_LEVEL,
            int level = VIPER_WS_DEFLATE_LEVEL);
  void destroy();
  bool ready() const { return s_ != nullptr; }

  // Prepares the stream for a connection: its negotiated window (9..max_window_bits) and
  // whether each message starts without the previous ones' history.  Forgets any message in
  // progress.  No allocation.  False when not ready or window_bits is out of range.
  bool start(int window_bits, bool no_context_takeover);

  struct Result {
    size_t consumed = 0;  // bytes of `in` taken
    size_t produced = 0;  // bytes written to out
    bool done = false;    // the message's compressed data is complete (this was its end)
    bool error = false;   // not started, or cap below kMinOutput, or a zlib failure
  };
  static constexpr size_t kMinOutput = 16;

  // Compresses the next part of the current message (a message begins with the first call
  // after start() or after the previous message was done).  `last`: `in` ends the message.
  // Call again with the rest of `in` while consumed < in.size(), and with `last` until done;
  // each call's output can go out as one frame (MessageFramer), the frame with `done` having
  // FIN.  The first frame of the message carries RSV1.  A call may produce nothing (zlib
  // keeps the input until it has a block's worth): send a frame only when produced > 0 or
  // done.  The last four bytes produced are held back until the next call, since they may be
  // the start of the tail that is dropped.  An empty message is one byte (0x00).
  Result compress(std::string_view in, bool last, char* out, size_t cap);

  bool in_message() const;
  // Bytes taken from viper::mem (the block and the bookkeeping); 0 when not ready.
  size_t memory_bytes() const;

 private:
  struct State;
  State* s_ = nullptr;
};

class MessageInflater {
 public:
  MessageInflater() = default;
  MessageInflater(const MessageInflater&) = delete;
  MessageInflater& operator=(const MessageInflater&) = delete;
  ~MessageInflater() { destroy(); }

  // Takes the memory for a stream with windows up to max_window_bits (8..15).
  bool init(int max_window_bits);
  void destroy();
  bool ready() const { return s_ != nullptr; }

  // Prepares the stream for a connection: the client's negotiated window (8..max), whether
  // the client resets its history per message, and the maximum message size after inflating.
  bool start(int window_bits, bool no_context_takeover, uint64_t max_message_bytes);

  enum class Status : uint8_t {
    NeedInput,   // all of `in` was taken; give the next piece of the message
    OutputFull,  // out is full: call again (with the rest of `in`) after using the output
    Done,        // the message is complete (only with `last`); the next call starts another
    TooBig,      // the message inflates to more than max_message_bytes: fail with 1009
    Corrupt,     // not valid deflate data: fail with 1007
  };
  struct Result {
    size_t consumed = 0;
    size_t produced = 0;
    Status status = Status::NeedInput;
  };

  // Inflates the next piece of a compressed message (the decoder's Data events with
  // `compressed`) into out[0..cap).  `last`: `in` is the message's last piece.
  Result inflate(std::string_view in, bool last, char* out, size_t cap);

  bool in_message() const;
  uint64_t message_bytes() const;  // inflated bytes of the current message so far
  size_t memory_bytes() const;

 private:
  struct State;
  State* s_ = nullptr;
};

}  // namespace viper::ws
