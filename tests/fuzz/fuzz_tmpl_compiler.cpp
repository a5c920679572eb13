// libFuzzer target for the template compiler and renderer (engine/tmpl/).
//
// Input: up to four templates separated by NUL bytes: page.html (compiled), then a.html,
// b.html and c.html, which page.html may include or extend.  When it compiles, it is rendered
// twice with a context that gives every variable the template reads a value (cycling through
// the types a binding can send), strict and lenient, once whole and once in 7-byte pieces:
// both renders must succeed or fail alike and give the same bytes, every piece must be valid
// UTF-8 when the templates are, and the limits (loop iterations, output, include depth) keep
// each run short.  A violated invariant traps.
//
// Build (the fuzz CMakeLists does the same):
//   clang++-14 -std=c++20 -fsanitize=fuzzer,address,undefined -I engine -I engine/include
//     tests/fuzz/fuzz_tmpl_compiler.cpp engine/tmpl/*.cpp engine/mem/allocator.cpp
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mem/allocator.h"
#include "tmpl/compiler.h"
#include "tmpl/encoded.h"
#include "tmpl/program.h"
#include "tmpl/render.h"
#include "tmpl/text.h"

namespace {

using namespace viper::tmpl;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Loader : SourceLoader {
  std::string_view files[3];
  LoadStatus load(std::string_view name, Source* out) override {
    static const char* const kNames[] = {"a.html", "b.html", "c.html"};
    for (int i = 0; i < 3; i++) {
      if (name == kNames[i]) {
        out->text = files[i];
        out->size = files[i].size();
        return LoadStatus::Ok;
      }
    }
    return LoadStatus::NotFound;
  }
  void release(Source*) override {}
};

// A value of kind k (0..7), nested at most `depth` more levels.
void value(EncodedWriter& w, const Program& p, unsigned k, int depth) {
  switch (depth > 0 ? k % 8 : k % 5) {
    case 0:
      w.integer(int64_t(k) * 7 - 3);
      break;
    case 1:
      w.bytes(kStr, "<a href=\"x\">\xc3\xa9&'</a>");
      break;
    case 2:
      w.real(2.5);
      break;
    case 3:
      w.none();
      break;
    case 4:
      w.boolean(k & 1);
      break;
    case 5: {
      size_t at = w.open(kList);
      for (unsigned i = 0; i < 3; i++)
        value(w, p, k + i + 1, depth - 1);
      w.close(at, 3);
      break;
    }
    case 6: {  // a dict with every name the template knows as a key
      size_t at = w.open(kDict);
      uint32_t n = 0;
      for (size_t id = 0; id < p.num_names() && n < 6; id++, n++) {
        w.key_id(uint16_t(id));
        value(w, p, k + unsigned(id), depth - 1);
      }
      w.close(at, n);
      break;
    }
    default: {
      size_t at = w.open_object(true, "Obj");
      uint32_t n = 0;
      for (size_t id = 0; id < p.num_names() && n < 6; id++) {
        if (!(p.name_entry(id).flags & kNameAttr)) continue;
        w.key_id(uint16_t(id));
        value(w, p, k + unsigned(id) + 3, depth - 1);
        n++;
      }
      w.close(at, n);
    }
  }
}

struct Result {
  RenderStatus status;
  std::string out;
};

Result render(const void* prog, const std::vector<uint8_t>& ctx, size_t piece, bool strict) {
  RenderCaps caps;
  caps.scratch = 4096;
  caps.capture = 1024;
  RenderLimits lim;
  lim.strict = strict;
  lim.max_loop_iterations = 2000;
  lim.max_output_bytes = 1 << 16;
  lim.max_include_depth = 8;
  static std::vector<uint64_t> mem;
  mem.resize(render_memory(caps) / 8 + 1);
  Render* r = render_start(mem.data(), caps, prog, ctx.data(), ctx.size(), lim);
  Result res;
  std::vector<char> buf(piece);
  while (true) {
    size_t n = 0;
    res.status = render_next(r, buf.data(), buf.size(), &n);
    CHECK(n <= buf.size());
    res.out.append(buf.data(), n);
    if (res.status != RenderStatus::More) break;
    CHECK(n > 0);
  }
  return res;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[4];
  for (int i = 0; i < 4; i++) {
    size_t nul = i < 3 ? in.find('\0') : std::string_view::npos;
    parts[i] = in.substr(0, nul);
    in = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  }
  Loader loader;
  for (int i = 0; i < 3; i++)
    loader.files[i] = parts[i + 1];
  CompileLimits lim;
  lim.max_stack = 64;
  CompileError err;
  uint64_t before = viper::mem::stats().bytes_in_use;
  void* prog = compile_source("page.html", parts[0], &loader, lim, &err);
  if (prog == nullptr) {
    CHECK(err.message[0] != 0);  // a failure always says why
    CHECK(viper::mem::stats().bytes_in_use == before);
    return 0;
  }
  Program p(prog);
  CHECK(p.h().magic == kProgramMagic);
  CHECK(p.h().max_stack <= 64);
  for (size_t id = 0; id < p.num_names(); id++)
    CHECK(p.find_name(p.name(id)) == int(id));

  std::vector<uint8_t> ctx(1 << 16);
  EncodedWriter w(ctx.data(), ctx.size());
  size_t at = w.open(kDict);
  uint32_t n = 0;
  for (size_t id = 0; id < p.num_names(); id++) {
    if (!(p.name_entry(id).flags & kNameContext)) continue;
    w.key_id(uint16_t(id));
    value(w, p, unsigned(id), 2);
    n++;
  }
  w.close(at, n);
  if (!w.overflow()) {
    ctx.resize(w.size());
    bool valid = true;
    for (const auto& part : parts)
      valid = valid && utf8_valid(part);
    for (bool strict : {true, false}) {
      Result whole = render(prog, ctx, 1 << 17, strict);
      Result pieces = render(prog, ctx, 7, strict);
      CHECK(whole.status == pieces.status);
      CHECK(whole.out == pieces.out);
      if (valid && whole.status == RenderStatus::Done) CHECK(utf8_valid(whole.out));
    }
  }
  viper::mem::release(prog);
  CHECK(viper::mem::stats().bytes_in_use == before);
  return 0;
}

#include "replay_main.h"
