// The template renderer: runs a Program (engine/tmpl/program.h) over an encoded context
// (engine/tmpl/encoded.h) and writes the page into bounded pieces.
//
// A render lives entirely in memory its caller gives it (render_memory() bytes: value stack,
// variables, frames, loops, scratch for strings that filters make, a capture buffer), so it
// allocates nothing, touches no interpreter and can run on any thread.  It is resumable:
// render_next() fills at most `cap` bytes and returns More; the next call continues where it
// stopped (pieces end on UTF-8 character boundaries).  A long page can so be sent piece by
// piece — into a Python list today, from the engine's ChunkFill streaming writer later.
#pragma once

#include <cstddef>
#include <cstdint>

namespace viper::tmpl {

struct RenderLimits {
  bool strict = true;                     // an undefined value used is an error (StrictUndefined)
  uint32_t max_include_depth = 16;        // nested includes and blocks
  uint32_t max_loop_iterations = 100000;  // loop iterations in one render, all loops together
  uint64_t max_output_bytes = 1u << 20;   // page size
};

// Fixed capacities of one render: its memory.  The device's are smaller (the esp32 profile
// and any non-Linux build): render_memory() is about 13 KB there, 4 KB of it scratch.
#if defined(VIPER_PROFILE_ESP32) || !defined(__linux__)
#define VIPER_TEMPLATE_DEVICE_CAPS 1
#endif
struct RenderCaps {
#if defined(VIPER_TEMPLATE_DEVICE_CAPS)
  uint16_t stack = 64;
  uint16_t vars = 96;
  uint16_t frames = 32;
  uint16_t loops = 8;
  uint32_t scratch = 4096;
  uint32_t capture = 2048;
#else
  uint16_t stack = 128;      // value stack slots (a program says how many it needs)
  uint16_t vars = 256;       // variables alive at once (loop variables, set, per frame)
  uint16_t frames = 48;      // nested includes, blocks and loops
  uint16_t loops = 16;       // nested loops
  uint32_t scratch = 65536;  // strings and lists made while rendering (released per output)
  uint32_t capture = 8192;   // {% set x %}...{% endset %} text
#endif
};

struct RenderError {
  enum Kind : uint8_t { kOther, kUndefined, kLimit };
  Kind kind = kOther;
  char message[200] = {};
  char template_name[128] = {};
  uint32_t line = 0;
};

enum class RenderStatus : uint8_t { More, Done, Error };

struct Render;

size_t render_memory(const RenderCaps& caps);
// Starts rendering `program` with `context` (an encoded Dict with KeyId keys: the variables;
// nullptr or empty for none) in `mem` (render_memory(caps) bytes, 8-byte aligned).  The
// program and the context must outlive the render.  Never fails for a valid program; a
// program needing more stack than `caps` allows fails at the first render_next().
Render* render_start(void* mem, const RenderCaps& caps, const void* program, const uint8_t* context,
                     size_t context_len, const RenderLimits& limits);
// Writes the next piece (at most `cap` bytes, cap >= 16) into dst.
RenderStatus render_next(Render* r, char* dst, size_t cap, size_t* written);
const RenderError& render_error(const Render* r);
uint64_t render_output_bytes(const Render* r);
size_t render_scratch_peak(const Render* r);   // the most scratch bytes held at once
size_t render_context_bytes(const Render* r);  // the encoded context's length
RenderStatus render_status(const Render* r);

}  // namespace viper::tmpl
