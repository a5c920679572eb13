// What both Python bindings wrap: one engine (Server + Bridge) with its thread, configured by
// option name.  The CPython extension (bindings/cpython) and the MicroPython module
// (bindings/micropython) only marshal between this class and interpreter objects, so the two
// cannot drift; docs/native-api.md describes the Python-level API they expose.
//
// No Python header is included here, and nothing here raises: every call reports failure by
// its return value, and the glue turns that into an exception.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bridge/bridge.h"
#include "viper/server.h"

namespace viper::binding {

// The options the native engine accepts, by the name the Python API uses (SPEC §5, plus the
// bridge's queue sizes and the poller).  `kind` tells the glue which Python type to accept.
enum class OptionKind : uint8_t { Str, Int, Seconds };
struct OptionSpec {
  const char* name;
  OptionKind kind;
};
extern const OptionSpec kOptionSpecs[];
extern const size_t kNumOptionSpecs;

class EngineHandle {
 public:
  EngineHandle();
  ~EngineHandle();
  EngineHandle(const EngineHandle&) = delete;
  EngineHandle& operator=(const EngineHandle&) = delete;

  // Before create(): set one option.  False if the name is unknown or the value out of range
  // for its type (the glue raises ValueError naming the option).  Strings are copied.
  bool set_str(const char* name, std::string_view value);
  bool set_int(const char* name, int64_t value);
  bool set_seconds(const char* name, double value);

  // Allocates the engine.  nullptr on success, else the name of the invalid option or a
  // message about the resource that could not be had.
  const char* create();

  // Method name ("GET", ...) and pattern; BadPattern for an unknown method too.
  AddResult add_route(std::string_view method, std::string_view pattern, uint32_t route_id);

  // After create(), before start(): a static mount.  `kind` is "directory", "pack" or "file".
  // nullptr on success, else the message for a ValueError.
  const char* add_static(std::string_view kind, std::string_view prefix, std::string_view source,
                         bool html, std::string_view cache_control);

  // Binds, listens and starts the engine thread.  Returns the port, or -errno.
  int start();
  // Requests a graceful stop (any thread).  The engine thread ends once in-flight requests
  // are answered (or the grace period is over), then wakes the interpreter one last time.
  void stop();
  bool running() const;
  // Waits for the engine thread (call without holding an interpreter lock).
  void join();

  bridge::Bridge* bridge() { return bridge_; }
  int wake_fd() const;

  // The engine's and the bridge's counters as one JSON object.
  size_t stats_json(char* out, size_t cap) const;

 private:
  static void* thread_main(void* self);

  ServerOptions opt_;
  bridge::Options bopt_;
  char host_[64] = "127.0.0.1";
  Server* server_ = nullptr;
  bridge::Bridge* bridge_ = nullptr;
  pthread_t thread_{};
  bool started_ = false;
  bool joined_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace viper::binding
