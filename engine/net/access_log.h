// The engine's access log: uvicorn-format lines for the responses the engine makes by itself
// ('INFO:     127.0.0.1:54321 - "GET /path?q HTTP/1.1" 404 Not Found'), the same format the
// Python side writes for its handlers.
//
// Lines are gathered in one buffer and written once per loop iteration (flush()), at most
// kBytes at a time and in whole lines: a write to a pipe up to PIPE_BUF is atomic, so the
// engine's lines never interleave with the interpreter's.  Writing never blocks the engine
// (port::write_stdout drops what a full stdout cannot take).
#pragma once

#include <cstdint>
#include <string_view>

namespace viper::net {

class AccessLog {
 public:
  static constexpr uint32_t kBytes = 4096;

  // Allocates the buffer.  False when out of memory.
  bool init();
  void destroy();
  bool on() const { return buf_ != nullptr; }

  // Adds one line (a line that does not fit after the others goes into an emptied buffer; one
  // longer than the whole buffer is dropped).
  void add(uint32_t peer_ip, uint16_t peer_port, std::string_view method, std::string_view target,
           bool http10, uint16_t status);
  void flush();
  bool pending() const { return len_ != 0; }

 private:
  char* buf_ = nullptr;  // owned (engine allocator)
  uint32_t len_ = 0;
};

}  // namespace viper::net
