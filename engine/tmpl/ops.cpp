// Python's semantics for the values a template handles, as Jinja2 applies them: truth,
// equality and ordering (int/float compared exactly), arithmetic with Python's floor division
// and modulo, attribute and item lookup with Jinja's fallbacks (x.a tries x["a"], x["a"]
// tries x.a), slices, iteration and len().  Where Python would produce something the engine
// cannot represent (an int beyond 64 bits, a bound method), the result is an error, never a
// different value.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

namespace {

// Attributes Python's types have (dir(), 3.11): reading one gives a method or a property
// Jinja would print as is; the subset reports an error instead.
const char* const kDictAttrs[] = {"clear", "copy",    "fromkeys",   "get",    "items",  "keys",
                                  "pop",   "popitem", "setdefault", "update", "values", nullptr};
const char* const kListAttrs[] = {"append", "clear", "copy",   "count",   "extend", "index",
                                  "insert", "pop",   "remove", "reverse", "sort",   nullptr};
const char* const kTupleAttrs[] = {"count", "index", nullptr};
const char* const kStrAttrs[] = {
    "capitalize",   "casefold",    "center",    "count",      "encode",       "endswith",
    "expandtabs",   "find",        "format",    "format_map", "index",        "isalnum",
    "isalpha",      "isascii",     "isdecimal", "isdigit",    "isidentifier", "islower",
    "isnumeric",    "isprintable", "isspace",   "istitle",    "isupper",      "join",
    "ljust",        "lower",       "lstrip",    "maketrans",  "partition",    "removeprefix",
    "removesuffix", "replace",     "rfind",     "rindex",     "rjust",        "rpartition",
    "rsplit",       "rstrip",      "split",     "splitlines", "startswith",   "strip",
    "swapcase",     "title",       "translate", "upper",      "zfill",        nullptr};
const char* const kMarkupAttrs[] = {"escape", "striptags", "unescape", nullptr};
const char* const kBytesAttrs[] = {
    "capitalize",   "center",       "count",   "decode",    "endswith",   "expandtabs",
    "find",         "fromhex",      "hex",     "index",     "isalnum",    "isalpha",
    "isascii",      "isdigit",      "islower", "isspace",   "istitle",    "isupper",
    "join",         "ljust",        "lower",   "lstrip",    "maketrans",  "partition",
    "removeprefix", "removesuffix", "replace", "rfind",     "rindex",     "rjust",
    "rpartition",   "rsplit",       "rstrip",  "split",     "splitlines", "startswith",
    "strip",        "swapcase",     "title",   "translate", "upper",      "zfill",
    nullptr};
const char* const kIntAttrs[] = {
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "from_bytes", "imag",
    "numerator",        "real",      "to_bytes",   nullptr};
const char* const kFloatAttrs[] = {"as_integer_ratio", "conjugate", "fromhex", "hex", "imag",
                                   "is_integer",       "real",      nullptr};
const char* const kRangeMethods[] = {"count", "index", nullptr};

bool in_set(const char* const* set, std::string_view s) {
  for (; *set; set++)
    if (s == *set) return true;
  return false;
}

const char* type_name(const Value& v) {
  switch (v.k) {
    case VK::Undefined:
      return "Undefined";
    case VK::None:
      return "NoneType";
    case VK::Bool:
      return "bool";
    case VK::Int:
    case VK::BigInt:
      return "int";
    case VK::Float:
      return "float";
    case VK::Str:
      return v.safe ? "Markup" : "str";
    case VK::Bytes:
      return "bytes";
    case VK::Pair:
      return "tuple";
    case VK::Range:
      return "range";
    case VK::View:
      if (v.aux & 4) return "dict_itemiterator";
      return v.aux == 0 ? "dict_items" : v.aux == 1 ? "dict_keys" : "dict_values";
    case VK::Loop:
      return "LoopContext";
    case VK::Enc:
      switch (v.e[0]) {
        case kList:
          return "list";
        case kTuple:
          return "tuple";
        case kDict:
          return "dict";
        case kCallable:
          return "function";
        default:
          return "object";
      }
  }
  return "?";
}

bool int_like(const Value& v) {
  return v.k == VK::Bool || v.k == VK::Int;
}
double as_double(const Value& v) {
  return v.k == VK::Float ? v.f : double(v.i);
}

bool is_seq(const Value& v, uint8_t* tag) {
  if (v.k == VK::Pair) {
    *tag = kTuple;
    return true;
  }
  if (v.k == VK::Enc && (v.e[0] == kList || v.e[0] == kTuple)) {
    *tag = v.e[0];
    return true;
  }
  return false;
}

// -1/0/1, or 2 when unordered (NaN).
int cmp_num(const Value& a, const Value& b) {
  if (int_like(a) && int_like(b)) return a.i < b.i ? -1 : a.i > b.i;
  if (a.k == VK::Float && b.k == VK::Float) {
    if (std::isnan(a.f) || std::isnan(b.f)) return 2;
    return a.f < b.f ? -1 : a.f > b.f;
  }
  // one int, one float: exactly, as Python does
  bool swap = a.k == VK::Float;
  int64_t x = swap ? b.i : a.i;
  double f = swap ? a.f : b.f;
  int r;
  if (std::isnan(f)) return 2;
  if (std::isinf(f)) {
    r = f > 0 ? -1 : 1;
  } else {
    auto fx = double(x);
    if (fx < f) {
      r = -1;
    } else if (fx > f) {
      r = 1;
    } else if (f >= 9223372036854775808.0) {
      r = -1;
    } else if (f < -9223372036854775808.0) {
      r = 1;
    } else {
      auto xf = int64_t(f);
      r = x < xf ? -1 : x > xf;
    }
  }
  return swap ? -r : r;
}

int cmp_bigint(std::string_view a, std::string_view b) {
  bool na = !a.empty() && a[0] == '-', nb = !b.empty() && b[0] == '-';
  if (na != nb) return na ? -1 : 1;
  int sign = na ? -1 : 1;
  if (a.size() != b.size()) return a.size() < b.size() ? -sign : sign;
  int c = a.compare(b);
  return c < 0 ? -sign : c > 0 ? sign : 0;
}

uint64_t range_len(int64_t start, int64_t stop, int64_t step) {
  if (step > 0 && start < stop) return (uint64_t(stop) - uint64_t(start) - 1) / uint64_t(step) + 1;
  if (step < 0 && start > stop)
    return (uint64_t(start) - uint64_t(stop) - 1) / (uint64_t(0) - uint64_t(step)) + 1;
  return 0;
}

// The i-th element of an encoded List/Tuple (nullptr past the end).
const uint8_t* seq_at(const uint8_t* c, uint32_t i) {
  if (i >= enc_count(c)) return nullptr;
  const uint8_t* p = enc_first(c);
  while (i--)
    p += enc_size(p);
  return p;
}

// The Value at position i of a sequence-like value (List, Tuple, Pair).
Value seq_item(RenderState& st, const Value& v, uint32_t i) {
  if (v.k == VK::Pair) return i == 0 ? key_value(st, v.e) : decode(v.e + enc_size(v.e));
  return decode(seq_at(v.e, i));
}
uint32_t seq_len(const Value& v) {
  return v.k == VK::Pair ? 2 : enc_count(v.e);
}

// Python's slice.indices(): *start, *step and the count.
bool slice_indices(RenderState& st, int64_t len, const Value* a, const Value* b, const Value* c,
                   int64_t* start, int64_t* step, int64_t* count) {
  auto none = [](const Value* v) { return v == nullptr || v->k == VK::None; };
  int64_t s = 1;
  if (!none(c)) {
    s = c->i;
    if (s == 0) return st.fail("slice step cannot be zero");
  }
  int64_t lo, hi;
  if (none(a)) {
    lo = s < 0 ? len - 1 : 0;
  } else {
    lo = a->i;
    if (lo < 0) {
      lo += len;
      if (lo < 0) lo = s < 0 ? -1 : 0;
    } else if (lo >= len) {
      lo = s < 0 ? len - 1 : len;
    }
  }
  if (none(b)) {
    hi = s < 0 ? -1 : len;
  } else {
    hi = b->i;
    if (hi < 0) {
      hi += len;
      if (hi < 0) hi = s < 0 ? -1 : 0;
    } else if (hi >= len) {
      hi = s < 0 ? len - 1 : len;
    }
  }
  *start = lo;
  *step = s;
  *count = s < 0 ? (hi < lo ? (lo - hi - 1) / (-s) + 1 : 0) : (lo < hi ? (hi - lo - 1) / s + 1 : 0);
  return true;
}

// Byte offset of code point i in s (s.size() when past the end).
size_t cp_offset(std::string_view s, int64_t i) {
  size_t off = 0;
  while (i > 0 && off < s.size()) {
    off += utf8_len(uint8_t(s[off]));
    i--;
  }
  return off < s.size() ? off : s.size();
}

bool method_error(RenderState& st, const Value& obj, std::string_view name) {
  return st.fail("'%s.%.*s' is a method or property: calls are not supported", type_name(obj),
                 int(name.size()), name.data());
}

}  // namespace

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

// --- lookups ---------------------------------------------------------------------------------

Value key_value(RenderState& st, const uint8_t* key) {
  if (key[0] == kKeyId) return v_str(st.name(rd16(key + 1)));
  return decode(key);
}

const uint8_t* dict_find_id(const uint8_t* dict, uint16_t id) {
  const uint8_t* p = enc_first(dict);
  for (uint32_t n = enc_count(dict); n > 0; n--) {
    if (p[0] == kKeyId && rd16(p + 1) == id) return p + 3;
    p += enc_size(p);
    p += enc_size(p);
  }
  return nullptr;
}

const uint8_t* dict_find(RenderState& st, const uint8_t* dict, const Value& key) {
  if (key.k == VK::Str) {
    int id = st.prog.find_name(key.sv());
    if (id >= 0) return dict_find_id(dict, uint16_t(id));
    const uint8_t* p = enc_first(dict);
    for (uint32_t n = enc_count(dict); n > 0; n--) {
      const uint8_t* v = p + enc_size(p);
      if ((p[0] == kStr || p[0] == kSafe) && enc_bytes(p) == key.sv()) return v;
      p = v + enc_size(v);
    }
    return nullptr;
  }
  int64_t want;
  if (int_like(key)) {
    want = key.i;
  } else if (key.k == VK::Float && std::floor(key.f) == key.f && std::fabs(key.f) < 9.2e18) {
    want = int64_t(key.f);
  } else {
    return nullptr;
  }
  const uint8_t* p = enc_first(dict);
  for (uint32_t n = enc_count(dict); n > 0; n--) {
    const uint8_t* v = p + enc_size(p);
    if (p[0] == kInt && rd64(p + 1) == want) return v;
    p = v + enc_size(v);
  }
  return nullptr;
}

// --- truth, equality, order -------------------------------------------------------------------

bool truthy(RenderState& st, const Value& v, bool* out) {
  switch (v.k) {
    case VK::Undefined:
      if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
      *out = false;
      return true;
    case VK::None:
      *out = false;
      return true;
    case VK::Bool:
    case VK::Int:
      *out = v.i != 0;
      return true;
    case VK::Float:
      *out = v.f != 0;
      return true;
    case VK::Str:
    case VK::Bytes:
      *out = v.n > 0;
      return true;
    case VK::Enc:
      if (v.e[0] == kObject)
        *out = enc_object_truthy(v.e);
      else if (v.e[0] == kCallable)
        *out = true;
      else
        *out = enc_count(v.e) > 0;
      return true;
    case VK::Range:
      *out = range_len(v.i, v.j, int32_t(v.n)) > 0;
      return true;
    case VK::View:
      *out = (v.aux & 4) || enc_count(v.e) > 0;  // an iterator is always true
      return true;
    default:
      *out = true;
      return true;
  }
}

bool equal(RenderState& st, const Value& a, const Value& b, bool* out) {
  if (a.k == VK::Undefined || b.k == VK::Undefined) {
    const Value& u = a.k == VK::Undefined ? a : b;
    if (st.lim.strict && u.aux != kUndefInlineIf) return st.undefined_error(u);
    *out = a.k == b.k;
    return true;
  }
  auto bad = [&](const Value& v) {
    return (v.k == VK::Enc && (v.e[0] == kObject || v.e[0] == kCallable)) || v.k == VK::Loop;
  };
  if (bad(a) || bad(b))
    return st.fail("cannot compare %s and %s (objects have no equality in templates)", type_name(a),
                   type_name(b));
  if (a.is_num() && b.is_num()) {
    *out = cmp_num(a, b) == 0;
    return true;
  }
  if (a.k == VK::BigInt || b.k == VK::BigInt) {
    if (a.k == VK::BigInt && b.k == VK::BigInt) {
      *out = a.sv() == b.sv();
      return true;
    }
    if ((a.k == VK::Float || b.k == VK::Float))
      return st.fail("cannot compare a 64-bit-overflowing int with a float");
    *out = false;
    return true;
  }
  if (a.k == VK::Str || b.k == VK::Str) {
    *out = a.k == b.k && a.sv() == b.sv();
    return true;
  }
  if (a.k == VK::Bytes || b.k == VK::Bytes) {
    *out = a.k == b.k && a.sv() == b.sv();
    return true;
  }
  if (a.k == VK::None || b.k == VK::None) {
    *out = a.k == b.k;
    return true;
  }
  uint8_t ta = 0, tb = 0;
  bool sa = is_seq(a, &ta), sb = is_seq(b, &tb);
  if (sa || sb) {
    if (!(sa && sb && ta == tb)) {
      *out = false;
      return true;
    }
    uint32_t n = seq_len(a);
    if (n != seq_len(b)) {
      *out = false;
      return true;
    }
    for (uint32_t i = 0; i < n; i++) {
      bool e;
      if (!equal(st, seq_item(st, a, i), seq_item(st, b, i), &e)) return false;
      if (!e) {
        *out = false;
        return true;
      }
    }
    *out = true;
    return true;
  }
  if (a.k == VK::Enc && b.k == VK::Enc && a.e[0] == kDict && b.e[0] == kDict) {
    if (enc_count(a.e) != enc_count(b.e)) {
      *out = false;
      return true;
    }
    const uint8_t* p = enc_first(a.e);
    for (uint32_t n = enc_count(a.e); n > 0; n--) {
      const uint8_t* v = p + enc_size(p);
      const uint8_t* other = dict_find(st, b.e, key_value(st, p));
      bool e = false;
      if (other == nullptr || !equal(st, decode(v), decode(other), &e)) {
        if (st.status == RenderStatus::Error) return false;
      }
      if (other == nullptr || !e) {
        *out = false;
        return true;
      }
      p = v + enc_size(v);
    }
    *out = true;
    return true;
  }
  if (a.k == VK::Range && b.k == VK::Range) {
    uint64_t la = range_len(a.i, a.j, int32_t(a.n)), lb = range_len(b.i, b.j, int32_t(b.n));
    *out = la == lb && (la == 0 || (a.i == b.i && (la == 1 || a.n == b.n)));
    return true;
  }
  if (a.k == VK::View || b.k == VK::View) return st.fail("cannot compare dict views");
  *out = false;  // different types
  return true;
}

bool order(RenderState& st, const Value& a, const Value& b, int* out) {
  if (a.k == VK::Undefined || b.k == VK::Undefined)
    return st.undefined_error(a.k == VK::Undefined ? a : b);
  if (a.is_num() && b.is_num()) {
    *out = cmp_num(a, b);
    return true;
  }
  if ((a.k == VK::BigInt || b.k == VK::BigInt) && (a.k != VK::Float && b.k != VK::Float) &&
      (a.k == VK::BigInt || int_like(a)) && (b.k == VK::BigInt || int_like(b))) {
    if (a.k == VK::BigInt && b.k == VK::BigInt) {
      *out = cmp_bigint(a.sv(), b.sv());
    } else {
      const Value& big = a.k == VK::BigInt ? a : b;
      int sign = big.sv()[0] == '-' ? -1 : 1;  // beyond every int64
      *out = a.k == VK::BigInt ? sign : -sign;
    }
    return true;
  }
  if ((a.k == VK::Str && b.k == VK::Str) || (a.k == VK::Bytes && b.k == VK::Bytes)) {
    int c = a.sv().compare(b.sv());
    *out = c < 0 ? -1 : c > 0;
    return true;
  }
  uint8_t ta = 0, tb = 0;
  if (is_seq(a, &ta) && is_seq(b, &tb) && ta == tb) {
    uint32_t na = seq_len(a), nb = seq_len(b);
    for (uint32_t i = 0; i < na && i < nb; i++) {
      Value x = seq_item(st, a, i), y = seq_item(st, b, i);
      bool e;
      if (!equal(st, x, y, &e)) return false;
      if (!e) return order(st, x, y, out);
    }
    *out = na < nb ? -1 : na > nb;
    return true;
  }
  return st.fail("'<' not supported between instances of '%s' and '%s'", type_name(a),
                 type_name(b));
}

bool contains(RenderState& st, const Value& c, const Value& item, bool* out) {
  switch (c.k) {
    case VK::Undefined:
      if (st.lim.strict && c.aux != kUndefInlineIf) return st.undefined_error(c);
      *out = false;
      return true;
    case VK::Str:
      if (item.k == VK::Undefined) return st.undefined_error(item);
      if (item.k != VK::Str)
        return st.fail("'in <string>' requires string as left operand, not %s", type_name(item));
      *out = c.sv().find(item.sv()) != std::string_view::npos;
      return true;
    case VK::Bytes:
      if (item.k == VK::Bytes) {
        *out = c.sv().find(item.sv()) != std::string_view::npos;
        return true;
      }
      if (int_like(item) && item.i >= 0 && item.i < 256) {
        *out = c.sv().find(char(item.i)) != std::string_view::npos;
        return true;
      }
      return st.fail("a bytes-like object or an int in 0..255 is required");
    case VK::Range: {
      if (!int_like(item)) {
        if (item.k == VK::Float) break;  // compared element by element below
        *out = false;
        return true;
      }
      int64_t s = int32_t(c.n);
      bool inside = s > 0 ? (item.i >= c.i && item.i < c.j) : (item.i <= c.i && item.i > c.j);
      *out = inside && ((item.i - c.i) % s) == 0;
      return true;
    }
    case VK::Enc:
      if (c.e[0] == kDict) {
        if (item.k == VK::Undefined) return st.undefined_error(item);
        bool hashable = item.k == VK::Str || item.is_num() || item.k == VK::None ||
                        item.k == VK::BigInt || item.k == VK::Bytes;
        if (!hashable) return st.fail("unhashable type: '%s'", type_name(item));
        *out = dict_find(st, c.e, item) != nullptr;
        return true;
      }
      if (c.e[0] == kObject || c.e[0] == kCallable)
        return st.fail("argument of type '%s' is not searchable in templates", type_name(c));
      break;
    case VK::View:
      if ((c.aux & 3) == 1) {
        *out = dict_find(st, c.e, item) != nullptr;
        return true;
      }
      break;
    case VK::Pair:
      break;
    default:
      return st.fail("argument of type '%s' is not iterable", type_name(c));
  }
  Iter it;
  if (!iter_init(st, c, &it)) return false;
  Value x;
  while (iter_next(st, &it, &x)) {
    bool e;
    if (!equal(st, item, x, &e)) return false;
    if (e) {
      *out = true;
      return true;
    }
  }
  *out = false;
  return st.status != RenderStatus::Error;
}

// --- arithmetic -----------------------------------------------------------------------------

namespace {

bool float_divmod(RenderState& st, double a, double b, double* div, double* mod) {
  if (b == 0) return st.fail("float division by zero");
  double m = std::fmod(a, b);
  double d = (a - m) / b;
  if (m != 0) {
    if ((b < 0) != (m < 0)) {
      m += b;
      d -= 1.0;
    }
  } else {
    m = std::copysign(0.0, b);
  }
  double fd;
  if (d != 0) {
    fd = std::floor(d);
    if (d - fd > 0.5) fd += 1.0;
  } else {
    fd = std::copysign(0.0, a / b);
  }
  *div = fd;
  *mod = m;
  return true;
}

bool float_pow(RenderState& st, double a, double b, double* out) {
  if (b == 0) {
    *out = 1.0;
    return true;
  }
  if (a == 0 && b < 0) return st.fail("0.0 cannot be raised to a negative power");
  if (a < 0 && std::isfinite(a) && std::isfinite(b) && std::floor(b) != b)
    return st.fail("a negative number raised to a fractional power is complex");
  double r = std::pow(a, b);
  if (std::isinf(r) && std::isfinite(a) && std::isfinite(b))
    return st.fail("numerical result out of range");
  *out = r;
  return true;
}

bool repeat(RenderState& st, const Value& seq, int64_t times, Value* out) {
  if (times < 0) times = 0;
  if (seq.k == VK::Str || seq.k == VK::Bytes) {
    if (times > 0 && uint64_t(seq.n) * uint64_t(times) > st.caps.scratch)
      return st.fail("out of template scratch memory (%u bytes)", unsigned(st.caps.scratch));
    Buf b = st.scratch_buf();
    for (int64_t i = 0; i < times; i++)
      b.put(seq.sv());
    std::string_view v;
    if (!st.commit(b, &v)) return false;
    *out = seq;
    out->s = v.data();
    out->n = uint32_t(v.size());
    return true;
  }
  uint8_t tag = kList;
  is_seq(seq, &tag);
  EncodedWriter w = st.scratch_writer();
  size_t at = w.open(tag);
  uint32_t n = seq_len(seq);
  for (int64_t i = 0; i < times && !w.overflow(); i++)
    for (uint32_t k = 0; k < n; k++)
      if (!encode_value(st, &w, seq_item(st, seq, k))) return false;
  w.close(at, uint32_t(n * uint64_t(times)));
  const uint8_t* p;
  if (!st.commit(w, &p)) return false;
  *out = decode(p);
  return true;
}

}  // namespace

bool binary(RenderState& st, uint8_t op, const Value& a, const Value& b, Value* out) {
  static const char* const kSym[] = {"+", "-", "*", "/", "//", "%", "**"};
  if (a.k == VK::Undefined) return st.undefined_error(a);
  if (b.k == VK::Undefined) return st.undefined_error(b);
  if (a.is_num() && b.is_num()) {
    if (int_like(a) && int_like(b) && op != kDiv) {
      int64_t x = a.i, y = b.i, r = 0;
      switch (op) {
        case kAdd:
          if (__builtin_add_overflow(x, y, &r)) return st.fail("integer overflow (beyond 64 bits)");
          break;
        case kSub:
          if (__builtin_sub_overflow(x, y, &r)) return st.fail("integer overflow (beyond 64 bits)");
          break;
        case kMul:
          if (__builtin_mul_overflow(x, y, &r)) return st.fail("integer overflow (beyond 64 bits)");
          break;
        case kFloorDiv:
        case kMod: {
          if (y == 0) return st.fail("integer division or modulo by zero");
          if (x == INT64_MIN && y == -1) {
            if (op == kMod) {
              r = 0;
              break;
            }
            return st.fail("integer overflow (beyond 64 bits)");
          }
          int64_t q = x / y, m = x % y;
          if (m != 0 && ((m < 0) != (y < 0))) {
            q -= 1;
            m += y;
          }
          r = op == kFloorDiv ? q : m;
          break;
        }
        case kPow: {
          if (y < 0) {
            double f;
            if (!float_pow(st, double(x), double(y), &f)) return false;
            *out = v_float(f);
            return true;
          }
          int64_t base = x, acc = 1;
          while (y > 0) {
            if (y & 1)
              if (__builtin_mul_overflow(acc, base, &acc))
                return st.fail("integer overflow (beyond 64 bits)");
            y >>= 1;
            if (y > 0 && __builtin_mul_overflow(base, base, &base))
              return st.fail("integer overflow (beyond 64 bits)");
          }
          r = acc;
          break;
        }
      }
      *out = v_int(r);
      return true;
    }
    if (op == kDiv && int_like(a) && int_like(b)) {
      if (b.i == 0) return st.fail("division by zero");
      const int64_t lim = int64_t(1) << 53;
      if (a.i > lim || a.i < -lim || b.i > lim || b.i < -lim)
        return st.fail("integer too large for exact true division");
      *out = v_float(double(a.i) / double(b.i));
      return true;
    }
    double x = as_double(a), y = as_double(b), r = 0, unused;
    switch (op) {
      case kAdd:
        r = x + y;
        break;
      case kSub:
        r = x - y;
        break;
      case kMul:
        r = x * y;
        break;
      case kDiv:
        if (y == 0) return st.fail("float division by zero");
        r = x / y;
        break;
      case kFloorDiv:
        if (!float_divmod(st, x, y, &r, &unused)) return false;
        break;
      case kMod:
        if (!float_divmod(st, x, y, &unused, &r)) return false;
        break;
      case kPow:
        if (!float_pow(st, x, y, &r)) return false;
        break;
    }
    *out = v_float(r);
    return true;
  }
  if (a.k == VK::BigInt || b.k == VK::BigInt)
    return st.fail("integer beyond 64 bits: arithmetic is not supported");
  if (op == kAdd && a.k == VK::Str && b.k == VK::Str) {
    // str + str; with Markup on either side the other is escaped (MarkupSafe's __add__)
    bool safe = a.safe || b.safe;
    Buf buf = st.scratch_buf();
    if (safe && !a.safe)
      html_escape(&buf, a.sv());
    else
      buf.put(a.sv());
    if (safe && !b.safe)
      html_escape(&buf, b.sv());
    else
      buf.put(b.sv());
    std::string_view v;
    if (!st.commit(buf, &v)) return false;
    *out = v_str(v, safe);
    return true;
  }
  if (op == kAdd && a.k == VK::Bytes && b.k == VK::Bytes) {
    Buf buf = st.scratch_buf();
    buf.put(a.sv());
    buf.put(b.sv());
    std::string_view v;
    if (!st.commit(buf, &v)) return false;
    *out = a;
    out->s = v.data();
    out->n = uint32_t(v.size());
    return true;
  }
  uint8_t ta = 0, tb = 0;
  if (op == kAdd && is_seq(a, &ta) && is_seq(b, &tb) && ta == tb) {
    EncodedWriter w = st.scratch_writer();
    size_t at = w.open(ta);
    uint32_t na = seq_len(a), nb = seq_len(b);
    for (uint32_t i = 0; i < na; i++)
      if (!encode_value(st, &w, seq_item(st, a, i))) return false;
    for (uint32_t i = 0; i < nb; i++)
      if (!encode_value(st, &w, seq_item(st, b, i))) return false;
    w.close(at, na + nb);
    const uint8_t* p;
    if (!st.commit(w, &p)) return false;
    *out = decode(p);
    return true;
  }
  if (op == kMul) {
    bool a_seq = a.k == VK::Str || a.k == VK::Bytes || is_seq(a, &ta);
    bool b_seq = b.k == VK::Str || b.k == VK::Bytes || is_seq(b, &tb);
    if (a_seq && int_like(b)) return repeat(st, a, b.i, out);
    if (b_seq && int_like(a)) return repeat(st, b, a.i, out);
  }
  if (op == kMod && (a.k == VK::Str || a.k == VK::Bytes))
    return st.fail("'%%' string formatting is not supported in templates");
  return st.fail("unsupported operand types for %s: '%s' and '%s'", kSym[op], type_name(a),
                 type_name(b));
}

bool negate(RenderState& st, const Value& a, bool minus, Value* out) {
  if (a.k == VK::Undefined) return st.undefined_error(a);
  if (int_like(a)) {
    if (minus && a.i == INT64_MIN) return st.fail("integer overflow (beyond 64 bits)");
    *out = v_int(minus ? -a.i : a.i);
    return true;
  }
  if (a.k == VK::Float) {
    *out = v_float(minus ? -a.f : a.f);
    return true;
  }
  if (a.k == VK::BigInt) {
    if (!minus) {
      *out = a;
      return true;
    }
    Buf b = st.scratch_buf();
    if (a.sv()[0] == '-')
      b.put(a.sv().substr(1));
    else {
      b.put('-');
      b.put(a.sv());
    }
    std::string_view v;
    if (!st.commit(b, &v)) return false;
    *out = a;
    out->s = v.data();
    out->n = uint32_t(v.size());
    return true;
  }
  return st.fail("bad operand type for unary %c: '%s'", minus ? '-' : '+', type_name(a));
}

// --- attributes and items ----------------------------------------------------------------------

namespace {

// x.name, with `id` the name's id or -1 when it is not in the program's table.
bool attr(RenderState& st, const Value& obj, std::string_view name, int id, Value* out) {
  Value undef = v_undef(kUndefAttr, id >= 0 ? uint16_t(id) : 0xffff);
  switch (obj.k) {
    case VK::Undefined:
      return st.undefined_error(obj);
    case VK::Loop: {
      const Loop& l = st.loops[obj.i];
      uint32_t index0 = l.done - 1;
      if (name == "index")
        *out = v_int(index0 + 1);
      else if (name == "index0")
        *out = v_int(index0);
      else if (name == "revindex")
        *out = v_int(int64_t(l.length) - index0);
      else if (name == "revindex0")
        *out = v_int(int64_t(l.length) - index0 - 1);
      else if (name == "first")
        *out = v_bool(index0 == 0);
      else if (name == "last")
        *out = v_bool(index0 + 1 == l.length);
      else if (name == "length")
        *out = v_int(l.length);
      else if (name == "depth")
        *out = v_int(1);
      else if (name == "depth0")
        *out = v_int(0);
      else if (name == "previtem")
        *out = l.had_prev ? l.prev : v_undef(kUndefAttr, 0xffff);
      else if (name == "nextitem") {
        Iter peek = l.it;
        Value x;
        Loop& ml = st.loops[obj.i];
        bool found = false;
        uint32_t scanned = ml.scanned;
        while (iter_next(st, &peek, &x)) {
          if (!ml.filtered || (ml.bits[scanned / 8] >> (scanned % 8)) & 1) {
            found = true;
            break;
          }
          scanned++;
        }
        if (st.status == RenderStatus::Error) return false;
        *out = found ? x : v_undef(kUndefAttr, 0xffff);
      } else if (name == "cycle" || name == "changed") {
        return st.fail("loop.%.*s must be called as loop.cycle(...) (changed() is not supported)",
                       int(name.size()), name.data());
      } else {
        *out = undef;
      }
      return true;
    }
    case VK::Enc: {
      uint8_t t = obj.e[0];
      if (t == kCallable) return method_error(st, obj, name);
      if (t == kDict) {
        if (in_set(kDictAttrs, name)) return method_error(st, obj, name);
        const uint8_t* v =
            id >= 0 ? dict_find_id(obj.e, uint16_t(id)) : dict_find(st, obj.e, v_str(name));
        *out = v ? decode(v) : undef;
        return true;
      }
      if (t == kObject) {
        if (id < 0)
          return st.fail(
              "object attribute '%.*s' read by a computed name: name it in the "
              "template (x.%.*s) so it is taken from the object",
              int(name.size()), name.data(), int(name.size()), name.data());
        const uint8_t* v = dict_find_id(obj.e, uint16_t(id));
        *out = v ? decode(v) : undef;
        return true;
      }
      if (in_set(t == kList ? kListAttrs : kTupleAttrs, name)) return method_error(st, obj, name);
      *out = undef;
      return true;
    }
    case VK::Pair:
      if (in_set(kTupleAttrs, name)) return method_error(st, obj, name);
      *out = undef;
      return true;
    case VK::Str:
      if (in_set(kStrAttrs, name) || (obj.safe && in_set(kMarkupAttrs, name)))
        return method_error(st, obj, name);
      *out = undef;
      return true;
    case VK::Bytes:
      if (in_set(kBytesAttrs, name)) return method_error(st, obj, name);
      *out = undef;
      return true;
    case VK::Bool:
    case VK::Int:
    case VK::BigInt:
      if (in_set(kIntAttrs, name)) return method_error(st, obj, name);
      *out = undef;
      return true;
    case VK::Float:
      if (in_set(kFloatAttrs, name)) return method_error(st, obj, name);
      *out = undef;
      return true;
    case VK::Range:
      if (name == "start")
        *out = v_int(obj.i);
      else if (name == "stop")
        *out = v_int(obj.j);
      else if (name == "step")
        *out = v_int(int32_t(obj.n));
      else if (in_set(kRangeMethods, name))
        return method_error(st, obj, name);
      else
        *out = undef;
      return true;
    case VK::View:
      return st.fail("attributes of %s are not supported", type_name(obj));
    case VK::None:
      *out = undef;
      return true;
  }
  *out = undef;
  return true;
}

}  // namespace

bool get_attr(RenderState& st, const Value& obj, uint16_t id, Value* out) {
  return attr(st, obj, st.name(id), id, out);
}

bool get_attr_str(RenderState& st, const Value& obj, std::string_view name, Value* out) {
  return attr(st, obj, name, st.prog.find_name(name), out);
}

bool get_item(RenderState& st, const Value& obj, const Value& key, Value* out) {
  if (obj.k == VK::Undefined) return st.undefined_error(obj);
  if (key.k == VK::Undefined) return st.undefined_error(key);
  Value undef = v_undef(kUndefItem);
  // Jinja: obj[key]; on a type or lookup error a str key is tried as an attribute.
  auto fallback = [&]() {
    if (key.k == VK::Str) return get_attr_str(st, obj, key.sv(), out);
    *out = undef;
    return true;
  };
  switch (obj.k) {
    case VK::Enc:
      if (obj.e[0] == kDict) {
        if (const uint8_t* v = dict_find(st, obj.e, key)) {
          *out = decode(v);
          return true;
        }
        return fallback();
      }
      if (obj.e[0] == kObject || obj.e[0] == kCallable) return fallback();
      [[fallthrough]];
    case VK::Pair: {
      if (!int_like(key)) return fallback();
      int64_t n = seq_len(obj), i = key.i < 0 ? key.i + n : key.i;
      *out = i >= 0 && i < n ? seq_item(st, obj, uint32_t(i)) : undef;
      return true;
    }
    case VK::Str: {
      if (!int_like(key)) return fallback();
      int64_t n = int64_t(utf8_count(obj.sv())), i = key.i < 0 ? key.i + n : key.i;
      if (i < 0 || i >= n) {
        *out = undef;
        return true;
      }
      size_t off = cp_offset(obj.sv(), i);
      *out = v_str(obj.sv().substr(off, utf8_len(uint8_t(obj.s[off]))), obj.safe);
      return true;
    }
    case VK::Bytes: {
      if (!int_like(key)) return fallback();
      int64_t n = obj.n, i = key.i < 0 ? key.i + n : key.i;
      *out = i >= 0 && i < n ? v_int(uint8_t(obj.s[i])) : undef;
      return true;
    }
    case VK::Range: {
      if (!int_like(key)) return fallback();
      auto n = int64_t(range_len(obj.i, obj.j, int32_t(obj.n)));
      int64_t i = key.i < 0 ? key.i + n : key.i;
      *out = i >= 0 && i < n ? v_int(obj.i + i * int32_t(obj.n)) : undef;
      return true;
    }
    default:
      return fallback();
  }
}

bool slice(RenderState& st, const Value& obj, const Value* a, const Value* b, const Value* c,
           Value* out) {
  if (obj.k == VK::Undefined) return st.undefined_error(obj);
  for (const Value* x : {a, b, c}) {
    if (x == nullptr || x->k == VK::None || int_like(*x)) continue;
    if (x->k == VK::Undefined) return st.undefined_error(*x);
    *out = v_undef(kUndefItem);  // TypeError in Python: Jinja gives undefined
    return true;
  }
  uint8_t tag = kList;
  int64_t len;
  if (obj.k == VK::Str)
    len = int64_t(utf8_count(obj.sv()));
  else if (obj.k == VK::Bytes)
    len = obj.n;
  else if (obj.k == VK::Range)
    len = int64_t(range_len(obj.i, obj.j, int32_t(obj.n)));
  else if (is_seq(obj, &tag))
    len = seq_len(obj);
  else {
    *out = v_undef(kUndefItem);
    return true;
  }
  int64_t start = 0, step = 1, count = 0;
  if (!slice_indices(st, len, a, b, c, &start, &step, &count)) return false;
  if (obj.k == VK::Range) {
    Value r = obj;
    int64_t s = int32_t(obj.n);
    r.i = obj.i + start * s;
    int64_t ns = s * step;
    if (ns > INT32_MAX || ns < INT32_MIN) return st.fail("range step too large");
    r.n = uint32_t(int32_t(ns));
    r.j = r.i + count * ns;
    *out = r;
    return true;
  }
  if (obj.k == VK::Str || obj.k == VK::Bytes) {
    bool chars = obj.k == VK::Str;
    if (step == 1) {
      size_t from = chars ? cp_offset(obj.sv(), start) : size_t(start);
      size_t to = chars ? cp_offset(obj.sv(), start + count) : size_t(start + count);
      *out = obj;
      out->s = obj.s + from;
      out->n = uint32_t(to - from);
      return true;
    }
    Buf buf = st.scratch_buf();
    for (int64_t k = 0, i = start; k < count; k++, i += step) {
      if (chars) {
        size_t off = cp_offset(obj.sv(), i);
        buf.put(obj.sv().substr(off, utf8_len(uint8_t(obj.s[off]))));
      } else {
        buf.put(obj.s[i]);
      }
    }
    std::string_view v;
    if (!st.commit(buf, &v)) return false;
    *out = obj;
    out->s = v.data();
    out->n = uint32_t(v.size());
    return true;
  }
  EncodedWriter w = st.scratch_writer();
  size_t at = w.open(tag);
  for (int64_t k = 0, i = start; k < count; k++, i += step)
    if (!encode_value(st, &w, seq_item(st, obj, uint32_t(i)))) return false;
  w.close(at, uint32_t(count));
  const uint8_t* p;
  if (!st.commit(w, &p)) return false;
  *out = decode(p);
  return true;
}

// --- iteration ----------------------------------------------------------------------------------

bool iter_init(RenderState& st, const Value& v, Iter* it) {
  *it = Iter();
  switch (v.k) {
    case VK::Undefined:
      if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
      return true;  // Empty
    case VK::Str:
      it->kind = Iter::Chars;
      it->s = v.s;
      it->sn = v.n;
      it->count = uint32_t(utf8_count(v.sv()));
      return true;
    case VK::Bytes:
      it->kind = Iter::ByteInts;
      it->s = v.s;
      it->sn = v.n;
      it->count = v.n;
      return true;
    case VK::Range:
      it->kind = Iter::Range;
      it->cur = v.i;
      it->stop = v.j;
      it->step = int32_t(v.n);
      it->count = uint32_t(range_len(v.i, v.j, it->step));
      return true;
    case VK::Pair:
      it->kind = Iter::Pair;
      it->p = v.e;
      it->count = 2;
      return true;
    case VK::View:
      it->kind = (v.aux & 3) == 0   ? Iter::DictItems
                 : (v.aux & 3) == 1 ? Iter::DictKeys
                                    : Iter::DictValues;
      it->p = enc_first(v.e);
      it->count = enc_count(v.e);
      return true;
    case VK::Enc:
      switch (v.e[0]) {
        case kList:
        case kTuple:
          it->kind = Iter::Seq;
          it->p = enc_first(v.e);
          it->count = enc_count(v.e);
          return true;
        case kDict:
          it->kind = Iter::DictKeys;
          it->p = enc_first(v.e);
          it->count = enc_count(v.e);
          return true;
        default:
          break;
      }
      break;
    default:
      break;
  }
  return st.fail("'%s' object is not iterable", type_name(v));
}

bool iter_next(RenderState& st, Iter* it, Value* out) {
  if (it->index >= it->count) return false;
  switch (it->kind) {
    case Iter::Seq:
      *out = decode(it->p);
      it->p += enc_size(it->p);
      break;
    case Iter::DictKeys:
      *out = key_value(st, it->p);
      it->p += enc_size(it->p);
      it->p += enc_size(it->p);
      break;
    case Iter::DictValues:
      it->p += enc_size(it->p);
      *out = decode(it->p);
      it->p += enc_size(it->p);
      break;
    case Iter::DictItems:
      out->k = VK::Pair;
      out->e = it->p;
      it->p += enc_size(it->p);
      it->p += enc_size(it->p);
      break;
    case Iter::Pair:
      *out = it->index == 0 ? key_value(st, it->p) : decode(it->p + enc_size(it->p));
      break;
    case Iter::Range:
      *out = v_int(it->cur);
      it->cur += it->step;
      break;
    case Iter::Chars: {
      size_t n = utf8_len(uint8_t(it->s[it->spos]));
      *out = v_str(std::string_view(it->s + it->spos, n));
      it->spos += uint32_t(n);
      break;
    }
    case Iter::ByteInts:
      *out = v_int(uint8_t(it->s[it->spos++]));
      break;
    case Iter::Empty:
      return false;
  }
  it->index++;
  return true;
}

bool length(RenderState& st, const Value& v, int64_t* out) {
  switch (v.k) {
    case VK::Undefined:
      if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
      *out = 0;
      return true;
    case VK::Str:
      *out = int64_t(utf8_count(v.sv()));
      return true;
    case VK::Bytes:
      *out = v.n;
      return true;
    case VK::Pair:
      *out = 2;
      return true;
    case VK::Range:
      *out = int64_t(range_len(v.i, v.j, int32_t(v.n)));
      return true;
    case VK::View:
      if (v.aux & 4) break;  // an iterator has no len()
      *out = enc_count(v.e);
      return true;
    case VK::Enc:
      if (v.e[0] == kList || v.e[0] == kTuple || v.e[0] == kDict) {
        *out = enc_count(v.e);
        return true;
      }
      break;
    default:
      break;
  }
  return st.fail("object of type '%s' has no len()", type_name(v));
}

bool encode_value(RenderState& st, EncodedWriter* w, const Value& v) {
  switch (v.k) {
    case VK::None:
      w->none();
      break;
    case VK::Bool:
      w->boolean(v.i != 0);
      break;
    case VK::Int:
      w->integer(v.i);
      break;
    case VK::Float:
      w->real(v.f);
      break;
    case VK::Str:
      w->bytes(v.safe ? kSafe : kStr, v.sv());
      break;
    case VK::Bytes:
      w->bytes(kBytes, v.sv());
      break;
    case VK::BigInt:
      w->bytes(kBigInt, v.sv());
      break;
    case VK::Enc:
      w->copy(v.e);
      break;
    case VK::Pair: {
      size_t at = w->open(kTuple);
      if (!encode_value(st, w, key_value(st, v.e))) return false;
      w->copy(v.e + enc_size(v.e));
      w->close(at, 2);
      break;
    }
    case VK::Range:
      w->range(v.i, v.j, int32_t(v.n));
      break;
    case VK::Undefined:
      return st.undefined_error(v);
    default:
      return st.fail("a %s cannot be stored in a list or dict (use |list)", type_name(v));
  }
  if (w->overflow())
    return st.fail("out of template scratch memory (%u bytes)", unsigned(st.caps.scratch));
  return true;
}

bool make_range(RenderState& st, const Value* args, int n, Value* out) {
  for (int i = 0; i < n; i++) {
    if (args[i].k == VK::Undefined) return st.undefined_error(args[i]);
    if (!int_like(args[i]))
      return st.fail("'%s' object cannot be interpreted as an integer", type_name(args[i]));
  }
  Value r;
  r.k = VK::Range;
  int64_t step = n == 3 ? args[2].i : 1;
  if (step == 0) return st.fail("range() arg 3 must not be zero");
  if (step > INT32_MAX || step < INT32_MIN) return st.fail("range step too large");
  r.i = n == 1 ? 0 : args[0].i;
  r.j = n == 1 ? args[0].i : args[1].i;
  r.n = uint32_t(int32_t(step));
  *out = r;
  return true;
}

}  // namespace viper::tmpl
