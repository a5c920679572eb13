// Internals of the renderer, shared by render.cpp (the machine: frames, loops, output),
// ops.cpp (Python's semantics: truth, equality, order, arithmetic, attributes, items,
// iteration), text_of.cpp (str(), repr(), JSON of values) and filters.cpp (filters, tests).
// Every helper reports failure by returning false after RenderState::fail().
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string_view>

#include "tmpl/program.h"
#include "tmpl/render.h"
#include "tmpl/text.h"
#include "tmpl/value.h"

namespace viper::tmpl {

// Walks anything iterable without allocating.
struct Iter {
  enum Kind : uint8_t { Seq, DictKeys, DictValues, DictItems, Range, Chars, ByteInts, Pair, Empty };
  Kind kind = Empty;
  uint8_t safe = 0;  // Chars of a safe string yield plain strings (as Python's str.__iter__)
  const uint8_t* p = nullptr;  // next element / entry
  const uint8_t* end = nullptr;
  const char* s = nullptr;  // Chars, ByteInts
  uint32_t sn = 0, spos = 0;
  int64_t cur = 0, stop = 0, step = 1;  // Range
  uint32_t index = 0, count = 0;        // items produced, total
};

struct Var {
  uint16_t id;
  Value v;
};

enum class FrameKind : uint8_t { Root, Include, IncludeIsolated, Block, BlockScoped, Loop };

struct Frame {
  FrameKind kind;
  uint16_t var_base;
  uint32_t ret_pc;
  uint32_t scratch_mark;
};

struct Loop {
  Iter it, start;  // current position, and the start (for the filter's second pass)
  Value prev, cur;
  uint32_t length = 0;      // items the body sees
  uint32_t done = 0;        // iterations run so far
  uint8_t* bits = nullptr;  // filter: selected candidates
  uint32_t scanned = 0;
  uint8_t filtered = 0, had_prev = 0;
  uint32_t scratch_mark = 0;  // released at every iteration
};

struct RenderState {
  // configuration
  Program prog{nullptr};
  const uint8_t* context = nullptr;  // encoded Dict, or nullptr
  size_t context_len = 0;
  RenderLimits lim;
  RenderCaps caps;

  // machine
  uint32_t pc = 0;
  Value* stack = nullptr;
  uint32_t sp = 0;
  Var* vars = nullptr;
  uint32_t nvars = 0;
  Frame* frames = nullptr;
  uint32_t nframes = 0;
  Loop* loops = nullptr;
  uint32_t nloops = 0;
  uint32_t include_depth = 0;
  uint64_t iterations = 0;

  // scratch: a bump region released to marks
  uint8_t* scratch = nullptr;
  uint32_t scratch_top = 0, scratch_peak = 0, print_mark = 0;
  uint32_t scratch_hi = 0;  // temporary arrays taken from the top end (tojson's sorted keys)

  // output
  char* out = nullptr;
  size_t out_cap = 0, out_n = 0;
  uint64_t output_total = 0;
  const char* pend = nullptr;  // bytes still to write after the last piece filled up
  size_t pend_n = 0;
  bool pend_escape = false;
  bool pend_release = false;  // release scratch to print_mark once drained
  char numbuf[48];            // a printed number (pending output may point here)
  char* capture = nullptr;    // {% set %} block text
  uint32_t capture_n = 0;
  bool capturing = false;

  RenderStatus status = RenderStatus::More;
  RenderError err;

  // --- errors ---
  bool fail(const char* fmt, ...);
  template <typename... A>
  bool limit_fail(const char* fmt, A... a) {
    bool first = status != RenderStatus::Error;
    fail(fmt, a...);
    if (first) err.kind = RenderError::kLimit;
    return false;
  }
  bool undefined_error(const Value& v);

  // --- scratch ---
  Buf scratch_buf() {
    return Buf{reinterpret_cast<char*>(scratch + scratch_top), 0, scratch_hi - scratch_top};
  }
  // A temporary array from the top end while `b` (a scratch_buf) is being written: shrinks
  // b's capacity so the two never meet.  Freed in reverse order with tfree().
  void* talloc(size_t n, Buf* b);
  void tfree(size_t n) { scratch_hi += uint32_t(n); }
  // Keeps what `b` wrote; false (and an error) when it overflowed.
  bool commit(const Buf& b, std::string_view* out);
  uint8_t* salloc(size_t n);
  EncodedWriter scratch_writer() {
    return EncodedWriter(scratch + scratch_top, scratch_hi - scratch_top);
  }
  bool commit(const EncodedWriter& w, const uint8_t** out);

  std::string_view name(uint16_t id) const { return prog.name(id); }
};

// --- ops.cpp: shared helpers ---------------------------------------------------------------------
const char* type_name(const Value& v);  // Python's name of the value's type, for messages
inline bool int_like(const Value& v) {
  return v.k == VK::Bool || v.k == VK::Int;
}
// A List, Tuple or Pair (a dict item seen as a tuple); *tag: kList or kTuple.
bool is_seq(const Value& v, uint8_t* tag);
uint32_t seq_len(const Value& v);
Value seq_item(RenderState& st, const Value& v, uint32_t i);
const uint8_t* seq_at(const uint8_t* c, uint32_t i);
uint64_t range_len(int64_t start, int64_t stop, int64_t step);
// An object with __html__ (not a str subclass): its HTML, which printing, escape, safe and
// join use (str(), ~ and the string filters use its str()).
inline bool html_of(const Value& v, std::string_view* html) {
  return v.k == VK::Enc && v.e[0] == kObject && enc_object_html(v.e, html);
}

// --- ops.cpp: truth, equality, order, arithmetic -----------------------------------------------
bool truthy(RenderState& st, const Value& v, bool* out);
// A key as stored in a Dict or Object (KeyId, Str or Int).
Value key_value(RenderState& st, const uint8_t* key);
bool equal(RenderState& st, const Value& a, const Value& b, bool* out);
// -1, 0, 1 for a < b, a == b, a > b (Python's ordering; false and an error for other types)
bool order(RenderState& st, const Value& a, const Value& b, int* out);
bool contains(RenderState& st, const Value& container, const Value& item, bool* out);
bool binary(RenderState& st, uint8_t op, const Value& a, const Value& b, Value* out);
bool negate(RenderState& st, const Value& a, bool minus, Value* out);

// --- values.cpp: lookups, slices, iteration, length, encoding ------------------------------------
bool get_attr(RenderState& st, const Value& obj, uint16_t id, Value* out);
bool get_attr_str(RenderState& st, const Value& obj, std::string_view name, Value* out);
bool get_item(RenderState& st, const Value& obj, const Value& key, Value* out);
bool slice(RenderState& st, const Value& obj, const Value* start, const Value* stop,
           const Value* step, Value* out);
bool iter_init(RenderState& st, const Value& v, Iter* it);
bool iter_next(RenderState& st, Iter* it, Value* out);  // false at the end (no error)
bool length(RenderState& st, const Value& v, int64_t* out);
// Lookup in an encoded Dict/Object by name id, runtime string or int; nullptr when missing.
const uint8_t* dict_find_id(const uint8_t* dict, uint16_t id);
const uint8_t* dict_find(RenderState& st, const uint8_t* dict, const Value& key);
// Encodes v into w (copies containers); false and an error for what cannot be stored.
bool encode_value(RenderState& st, EncodedWriter* w, const Value& v);
bool make_range(RenderState& st, const Value* args, int n, Value* out);

// --- text_of.cpp -------------------------------------------------------------------------------
// Python's str(v) appended to b (a safe string stays as is; *safe tells whether v was one).
bool str_of(RenderState& st, Buf* b, const Value& v);
// repr(v)
bool repr_of(RenderState& st, Buf* b, const Value& v);
// json.dumps(v, sort_keys=True[, indent]) with Jinja's htmlsafe replacements.
bool json_of(RenderState& st, Buf* b, const Value& v, int indent);
// str(v) as a value: views where possible, else built in scratch.
bool to_str(RenderState& st, const Value& v, Value* out);

// --- filters.cpp -------------------------------------------------------------------------------
// args[i] is argument slot i (VK::Undefined with aux 0xff when not given).
bool apply_filter(RenderState& st, uint8_t filter, const Value& v, const Value* args, Value* out);
bool apply_test(RenderState& st, uint8_t test, const Value& v, const Value* args, int argc,
                bool* out);
inline bool given(const Value& a) {
  return !(a.k == VK::Undefined && a.aux == 0xff);
}
inline Value absent() {
  Value v;
  v.aux = 0xff;
  return v;
}

}  // namespace viper::tmpl
