#include "net/access_log.h"

#include "http/response_writer.h"
#include "mem/allocator.h"
#include "port/port.h"

namespace viper::net {

bool AccessLog::init() {
  buf_ = static_cast<char*>(mem::alloc(kBytes));
  len_ = 0;
  return buf_ != nullptr;
}

void AccessLog::destroy() {
  mem::release(buf_);
  buf_ = nullptr;
  len_ = 0;
}

void AccessLog::add(uint32_t peer_ip, uint16_t peer_port, std::string_view method,
                    std::string_view target, bool http10, uint16_t status) {
  // Formatted straight into the batch: no line buffer on the engine task's small stack.
  for (int attempt = 0; attempt < 2; attempt++) {
    http::Appender a(buf_ + len_, kBytes - len_);
    a.put("INFO:     ");
    for (int shift = 24; shift >= 0; shift -= 8) {
      a.put_uint((peer_ip >> shift) & 0xff);
      if (shift != 0) a.put(".");
    }
    a.put(":");
    a.put_uint(peer_port);
    a.put(" - \"");
    a.put(method);
    a.put(" ");
    a.put(target);
    a.put(http10 ? " HTTP/1.0\" " : " HTTP/1.1\" ");
    a.put_uint(status);
    a.put(" ");
    a.put(http::reason_phrase(status));
    a.put("\n");
    if (a.ok()) {
      len_ += uint32_t(a.size());
      return;
    }
    if (len_ == 0) return;  // longer than a whole batch: not logged
    flush();
  }
}

void AccessLog::flush() {
  port::write_stdout(buf_, len_);
  len_ = 0;
}

}  // namespace viper::net
