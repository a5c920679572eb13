// Helpers of the template tests (test_tmpl_*.cpp): compile a template from strings, encode a
// context the way the bindings do (keys interned against the program's names), render whole or
// in pieces.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mem/allocator.h"
#include "tmpl/compiler.h"
#include "tmpl/encoded.h"
#include "tmpl/program.h"
#include "tmpl/render.h"

namespace tmpltest {

using namespace viper::tmpl;

// Templates from a map (name -> source), for includes and extends.
struct MapLoader : SourceLoader {
  std::map<std::string, std::string> files;
  int loads = 0;
  LoadStatus load(std::string_view name, Source* out) override {
    auto it = files.find(std::string(name));
    if (it == files.end()) return LoadStatus::NotFound;
    loads++;
    out->text = it->second;
    out->size = it->second.size();
    out->mtime_ns = 1;
    return LoadStatus::Ok;
  }
  void release(Source*) override {}
};

// A compiled program, freed at the end of its scope.
struct Compiled {
  void* p = nullptr;
  CompileError err;
  Compiled() = default;
  Compiled(const Compiled&) = delete;
  ~Compiled() { viper::mem::release(p); }
  explicit operator bool() const { return p != nullptr; }
  Program prog() const { return Program(p); }
};

inline void compile_into(Compiled* c, const std::string& src, MapLoader* loader = nullptr,
                         const CompileLimits& lim = CompileLimits()) {
  c->p = compile_source("page.html", src, loader, lim, &c->err);
}

// A context: variables written by `fill` with a writer whose keys are interned.
struct Context {
  std::vector<uint8_t> buf = std::vector<uint8_t>(1 << 20);
  EncodedWriter w;
  Program prog;  // a view, copied
  size_t at = 0;
  uint32_t n = 0;
  explicit Context(const Program& p) : w(buf.data(), buf.size()), prog(p) { at = w.open(kDict); }
  // Writes a key (interned when the program knows it).
  void key(std::string_view k) {
    int id = prog.find_name(k);
    if (id >= 0)
      w.key_id(uint16_t(id));
    else
      w.bytes(kStr, k);
  }
  // A top-level variable; `value` writes its value.
  Context& var(std::string_view name, const std::function<void(EncodedWriter&)>& value) {
    int id = prog.find_name(name);
    if (id < 0) return *this;  // the template does not read it: not sent, as the bindings do
    w.key_id(uint16_t(id));
    value(w);
    n++;
    return *this;
  }
  Context& str(std::string_view name, std::string_view v) {
    return var(name, [&](EncodedWriter& x) { x.bytes(kStr, v); });
  }
  Context& integer(std::string_view name, int64_t v) {
    return var(name, [&](EncodedWriter& x) { x.integer(v); });
  }
  const uint8_t* data() {
    w.close(at, n);
    return buf.data();
  }
  size_t size() const { return w.size(); }
};

struct Rendered {
  bool ok = false;
  std::string out;
  RenderError err;
  size_t scratch_peak = 0;
};

// Renders in pieces of `piece` bytes (0: one large buffer).
inline Rendered render(const Program& p, const uint8_t* ctx, size_t ctx_len, size_t piece = 0,
                       const RenderLimits& lim = RenderLimits(),
                       const RenderCaps& caps = RenderCaps()) {
  std::vector<uint64_t> mem(render_memory(caps) / 8 + 1);
  Render* r = render_start(mem.data(), caps, p.base(), ctx, ctx_len, lim);
  Rendered res;
  std::vector<char> buf(piece ? piece : (1 << 21));
  while (true) {
    size_t n = 0;
    RenderStatus st = render_next(r, buf.data(), buf.size(), &n);
    EXPECT_LE(n, buf.size());
    res.out.append(buf.data(), n);
    if (st == RenderStatus::More) {
      EXPECT_GT(n, 0u) << "a piece must make progress";
      if (n == 0) break;
      continue;
    }
    res.ok = st == RenderStatus::Done;
    if (!res.ok) res.err = render_error(r);
    break;
  }
  res.scratch_peak = render_scratch_peak(r);
  return res;
}

// Compiles and renders `src` with no context; "ERROR: message" on failure.
inline std::string run(const std::string& src, bool strict = true) {
  Compiled c;
  compile_into(&c, src);
  if (!c) return std::string("COMPILE: ") + c.err.message;
  RenderLimits lim;
  lim.strict = strict;
  Rendered r = render(c.prog(), nullptr, 0, 0, lim);
  return r.ok ? r.out : std::string("ERROR: ") + r.err.message;
}

}  // namespace tmpltest
