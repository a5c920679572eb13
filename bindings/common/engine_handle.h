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
#include "options.h"
#include "viper/server.h"

namespace viper::binding {

class EngineHandle {
 public:
  EngineHandle();
  ~EngineHandle();
  EngineHandle(const EngineHandle&) = delete;
  EngineHandle& operator=(const EngineHandle&) = delete;

  // Before create(): set one option (options.h: Unknown -> TypeError, Invalid -> ValueError
  // naming the option).  Strings are copied.
  OptionStatus set_str(std::string_view name, std::string_view value);
  OptionStatus set_int(std::string_view name, int64_t value);
  OptionStatus set_seconds(std::string_view name, double value);

  // Allocates the engine.  Ok, or what went wrong and its kind: an option whose value the
  // engine refused in combination with the others (`what` is its name: ValueError), or a
  // resource that could not be had (`what` says which: MemoryError).
  enum class CreateError : uint8_t { Ok, Option, Resource };
  CreateError create(const char** what);

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

  OptionValues options_;
  Server* server_ = nullptr;
  bridge::Bridge* bridge_ = nullptr;
  pthread_t thread_{};
  bool started_ = false;
  bool joined_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace viper::binding
