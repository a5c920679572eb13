// The render state's own helpers: errors (the first one wins) and the scratch allocator.
#include <cstdio>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

// --- RenderState helpers ------------------------------------------------------------------------

bool RenderState::fail(const char* fmt, ...) {
  if (status == RenderStatus::Error) return false;
  status = RenderStatus::Error;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(err.message, sizeof err.message, fmt, ap);
  va_end(ap);
  return false;
}

bool RenderState::undefined_error(const Value& v) {
  if (status != RenderStatus::Error) err.kind = RenderError::kUndefined;
  if (v.aux == kUndefAttr && v.n != 0xffff) {
    std::string_view n = name(uint16_t(v.n));
    return fail("undefined: no attribute or key '%.*s'", int(n.size()), n.data());
  }
  if (v.aux == kUndefItem) return fail("undefined: no such item");
  if (v.aux == kUndefEmpty) return fail("undefined: the sequence was empty");
  if (v.n != 0xffff) {
    std::string_view n = name(uint16_t(v.n));
    return fail("'%.*s' is undefined", int(n.size()), n.data());
  }
  return fail("undefined value");
}

bool RenderState::commit(const Buf& b, std::string_view* out) {
  if (b.overflow) return fail("out of template scratch memory (%u bytes)", unsigned(caps.scratch));
  *out = std::string_view(b.p, b.n);
  scratch_top += uint32_t(b.n);
  if (scratch_top > scratch_peak) scratch_peak = scratch_top;
  return true;
}

bool RenderState::commit(const EncodedWriter& w, const uint8_t** out) {
  if (w.overflow())
    return fail("out of template scratch memory (%u bytes)", unsigned(caps.scratch));
  *out = w.data();
  scratch_top += uint32_t(w.size());
  if (scratch_top > scratch_peak) scratch_peak = scratch_top;
  return true;
}

void* RenderState::talloc(size_t n, Buf* b) {
  n = (n + 7) & ~size_t(7);
  if (scratch_top + b->n + n > scratch_hi) {
    fail("out of template scratch memory (%u bytes)", unsigned(caps.scratch));
    return nullptr;
  }
  scratch_hi -= uint32_t(n);
  b->cap = scratch_hi - scratch_top;
  if (caps.scratch - scratch_hi + scratch_top + b->n > scratch_peak)
    scratch_peak = caps.scratch - scratch_hi + scratch_top + uint32_t(b->n);
  return scratch + scratch_hi;
}

uint8_t* RenderState::salloc(size_t n) {
  if (n > scratch_hi - scratch_top) {
    fail("out of template scratch memory (%u bytes)", unsigned(caps.scratch));
    return nullptr;
  }
  uint8_t* p = scratch + scratch_top;
  scratch_top += uint32_t(n);
  if (scratch_top > scratch_peak) scratch_peak = scratch_top;
  return p;
}

}  // namespace viper::tmpl
