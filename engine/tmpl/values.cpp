// Values as containers: attribute and item lookup with Jinja's fallbacks (x.a tries x["a"],
// x["a"] tries x.a), dict lookups by interned name or runtime key, slices, iteration without
// allocating, len(), and the encoding of values into lists made at run time.  A Python
// attribute that would be a method or a property Jinja prints as such is an error here.
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
