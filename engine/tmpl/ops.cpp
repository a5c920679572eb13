// Python's semantics for the values a template handles, as Jinja2 applies them: truth,
// equality and ordering (int/float compared exactly), `in`, and arithmetic with Python's floor
// division and modulo (lookups and iteration: values.cpp).  Where Python would produce
// something the engine cannot represent (an int beyond 64 bits, a complex number), the result
// is an error, never a different value.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

namespace {

double as_double(const Value& v) {
  return v.k == VK::Float ? v.f : double(v.i);
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

}  // namespace

// --- shared by ops.cpp and values.cpp
// -------------------------------------------------------------

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

}  // namespace viper::tmpl
