// Where templates live and their compiled forms are kept: a directory (read through the port
// layer, never outside its root) or a folder of an asset pack (mapped once), a cache of
// compiled units with a byte budget (least recently used first out, never one a render is
// using), checked against the files' size and mtime when auto_reload is on, and a fixed pool
// of render slots (the memory of one render and its encoded context), all allocated through
// the engine's counting allocator.
//
// A store is used from one thread at a time (the interpreter's, today); it takes no lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tmpl/compiler.h"
#include "tmpl/render.h"
#include "viper/config.h"

#ifndef VIPER_TEMPLATE_CACHE_BYTES
#if defined(VIPER_TEMPLATE_DEVICE_CAPS)
#define VIPER_TEMPLATE_CACHE_BYTES (32u * 1024u)
#else
#define VIPER_TEMPLATE_CACHE_BYTES (1024u * 1024u)
#endif
#endif
#ifndef VIPER_TEMPLATE_CONTEXT_BYTES
#if defined(VIPER_TEMPLATE_DEVICE_CAPS)
#define VIPER_TEMPLATE_CONTEXT_BYTES (8u * 1024u)
#else
#define VIPER_TEMPLATE_CONTEXT_BYTES (256u * 1024u)
#endif
#endif
#ifndef VIPER_TEMPLATE_SCRATCH_BYTES
#if defined(VIPER_TEMPLATE_DEVICE_CAPS)
#define VIPER_TEMPLATE_SCRATCH_BYTES (4u * 1024u)
#else
#define VIPER_TEMPLATE_SCRATCH_BYTES (64u * 1024u)
#endif
#endif

namespace viper::tmpl {

struct StoreOptions {
  enum class Kind : uint8_t { None, Directory, Pack };
  Kind kind = Kind::None;
  const char* source = nullptr;  // the directory, or the pack file
  std::string_view prefix;       // Pack: the folder of the pack holding the templates ("" all)
  uint32_t cache_bytes = VIPER_TEMPLATE_CACHE_BYTES;
  uint32_t max_cached = 64;                  // units in the cache
  uint32_t max_template_bytes = 256 * 1024;  // one source file
  bool auto_reload = true;                   // Directory: stat the unit's files on each use
  uint16_t render_slots = 2;                 // renders in progress at once
  uint32_t context_bytes = VIPER_TEMPLATE_CONTEXT_BYTES;  // an encoded context, per slot
  CompileLimits compile;
  RenderLimits render;
  RenderCaps caps;  // caps.scratch: VIPER_TEMPLATE_SCRATCH_BYTES unless set
  StoreOptions() { caps.scratch = VIPER_TEMPLATE_SCRATCH_BYTES; }
};

struct StoreStats {
  uint64_t hits, compiles, reloads, evictions, compile_errors, renders, render_errors;
  uint64_t cache_bytes_used, cached, pinned;
  uint64_t slot_bytes;  // memory of the render slots (all of them)
  // the largest encoded context and the most scratch one render needed (to size
  // context_bytes and scratch_bytes for a device)
  uint64_t context_peak, scratch_peak;
};

class TemplateStore {
 public:
  // nullptr with *error set (the source cannot be opened, or memory).
  static TemplateStore* create(const StoreOptions& o, const char** error);
  static void destroy(TemplateStore* s);

  // The compiled unit rooted at `name`, compiled or revalidated as needed, pinned until
  // unpin().  nullptr with *err filled when it does not compile (or does not fit the cache).
  const void* acquire(std::string_view name, CompileError* err);
  void unpin(const void* program);
  // Drops cached units (all, or those whose root is `name`) that no render is using.
  void clear(std::string_view name = {});

  // A render slot: render_memory(caps) bytes for the render, context_bytes for its context.
  struct Slot {
    void* render_mem;
    uint8_t* context;
    bool busy;
  };
  Slot* take_slot();  // nullptr when every slot is busy
  void give_slot(Slot* s);

  // Calls fn(user, name) for every file of the source (directories: recursively, dot-files
  // skipped; packs: entries under the prefix, without it).  Stops when fn returns false.
  void for_each_name(bool (*fn)(void* user, std::string_view name), void* user);

  // The store's source as a loader (for templates compiled from a string that include or
  // extend the store's files).
  SourceLoader* loader();

  const StoreOptions& options() const { return opt_; }
  StoreStats stats() const;
  // Counts a finished render (done or failed) and keeps the peaks of its memory use.
  void count_render(const Render* r);

  struct Impl;

 private:
  StoreOptions opt_;
  StoreStats stats_{};
  Impl* impl_ = nullptr;
};

}  // namespace viper::tmpl
