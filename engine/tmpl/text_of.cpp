// Values as text: Python's str() and repr() (what {{ x }} prints for lists, dicts, tuples,
// ranges and dict views), and json.dumps as Jinja's tojson filter calls it (sort_keys=True,
// ASCII only, then <, >, & and ' as \u escapes so the result is safe inside HTML).
#include <algorithm>
#include <cmath>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

namespace {

constexpr int kMaxDepth = 64;

bool repr_depth(RenderState& st, Buf* b, const Value& v, int depth);

bool repr_seq(RenderState& st, Buf* b, const Value& v, char open, char close, int depth) {
  Iter it;
  if (!iter_init(st, v, &it)) return false;
  b->put(open);
  Value x;
  uint32_t n = 0;
  while (iter_next(st, &it, &x)) {
    if (n++) b->put(", ");
    if (!repr_depth(st, b, x, depth + 1)) return false;
  }
  if (open == '(' && n == 1) b->put(',');
  b->put(close);
  return st.status != RenderStatus::Error;
}

bool repr_dict(RenderState& st, Buf* b, const uint8_t* d, int depth) {
  b->put('{');
  const uint8_t* p = enc_first(d);
  for (uint32_t i = 0, n = enc_count(d); i < n; i++) {
    if (i) b->put(", ");
    if (!repr_depth(st, b, key_value(st, p), depth + 1)) return false;
    b->put(": ");
    p += enc_size(p);
    if (!repr_depth(st, b, decode(p), depth + 1)) return false;
    p += enc_size(p);
  }
  b->put('}');
  return true;
}

bool str_depth(RenderState& st, Buf* b, const Value& v, int depth) {
  if (depth > kMaxDepth) return st.fail("value nested too deeply to print");
  switch (v.k) {
    case VK::Undefined:
      if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
      return true;
    case VK::None:
      b->put("None");
      return true;
    case VK::Bool:
      b->put(v.i ? "True" : "False");
      return true;
    case VK::Int:
      format_int(b, v.i);
      return true;
    case VK::Float:
      format_float(b, v.f);
      return true;
    case VK::Str:
    case VK::BigInt:
      b->put(v.sv());
      return true;
    case VK::Bytes:
      repr_bytes(b, v.sv());
      return true;
    case VK::Range:
      b->put("range(");
      format_int(b, v.i);
      b->put(", ");
      format_int(b, v.j);
      if (int32_t(v.n) != 1) {
        b->put(", ");
        format_int(b, int32_t(v.n));
      }
      b->put(')');
      return true;
    case VK::Pair:
      return repr_seq(st, b, v, '(', ')', depth);
    case VK::View: {
      if (v.aux & 4) return st.fail("cannot print an iterator (use |list)");
      b->put(v.aux == 0 ? "dict_items([" : v.aux == 1 ? "dict_keys([" : "dict_values([");
      Iter it;
      if (!iter_init(st, v, &it)) return false;
      Value x;
      for (uint32_t n = 0; iter_next(st, &it, &x); n++) {
        if (n) b->put(", ");
        if (!repr_depth(st, b, x, depth + 1)) return false;
      }
      b->put("])");
      return true;
    }
    case VK::Loop:
      return st.fail("cannot print the loop variable");
    case VK::Enc:
      switch (v.e[0]) {
        case kList:
          return repr_seq(st, b, v, '[', ']', depth);
        case kTuple:
          return repr_seq(st, b, v, '(', ')', depth);
        case kDict:
          return repr_dict(st, b, v.e, depth);
        case kObject:
          b->put(enc_object_repr(v.e));
          return true;
        default: {
          std::string_view r = enc_bytes(v.e);
          return st.fail("cannot use %.*s in a template (functions are not called)",
                         int(std::min<size_t>(r.size(), 80)), r.data());
        }
      }
  }
  return true;
}

bool repr_depth(RenderState& st, Buf* b, const Value& v, int depth) {
  if (v.k == VK::Str) {
    if (v.safe) b->put("Markup(");
    if (!repr_str(b, v.sv()))
      return st.fail("cannot print a container holding text beyond U+00FF (use join or a loop)");
    if (v.safe) b->put(')');
    return true;
  }
  if (v.k == VK::Enc && v.e[0] == kObject) {
    // repr() of an object is not its str(); the binding keeps only str()
    return st.fail("cannot print a container holding objects (print their attributes)");
  }
  return str_depth(st, b, v, depth);
}

void json_string(Buf* b, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  auto u4 = [&](uint32_t c) {
    b->put("\\u");
    b->put(hex[(c >> 12) & 15]);
    b->put(hex[(c >> 8) & 15]);
    b->put(hex[(c >> 4) & 15]);
    b->put(hex[c & 15]);
  };
  b->put('"');
  size_t i = 0;
  while (i < s.size()) {
    uint32_t c = utf8_next(s, &i);
    switch (c) {
      case '"':
        b->put("\\\"");
        break;
      case '\\':
        b->put("\\\\");
        break;
      case '\n':
        b->put("\\n");
        break;
      case '\r':
        b->put("\\r");
        break;
      case '\t':
        b->put("\\t");
        break;
      case '\b':
        b->put("\\b");
        break;
      case '\f':
        b->put("\\f");
        break;
      case '<':
      case '>':
      case '&':
      case '\'':
        u4(c);  // htmlsafe_json_dumps
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          if (c >= 0x10000) {
            c -= 0x10000;
            u4(0xd800 | (c >> 10));
            u4(0xdc00 | (c & 0x3ff));
          } else {
            u4(c);
          }
        } else {
          b->put(char(c));
        }
    }
  }
  b->put('"');
}

struct JsonCtx {
  RenderState& st;
  Buf* b;
  int indent;  // -1: none
};

void newline(JsonCtx& j, int level) {
  j.b->put('\n');
  for (int i = 0; i < j.indent * level; i++)
    j.b->put(' ');
}

bool json_value(JsonCtx& j, const Value& v, int level) {
  RenderState& st = j.st;
  Buf* b = j.b;
  if (level > kMaxDepth) return st.fail("value nested too deeply for tojson");
  switch (v.k) {
    case VK::None:
      b->put("null");
      return true;
    case VK::Bool:
      b->put(v.i ? "true" : "false");
      return true;
    case VK::Int:
      format_int(b, v.i);
      return true;
    case VK::BigInt:
      b->put(v.sv());
      return true;
    case VK::Float:
      if (std::isnan(v.f))
        b->put("NaN");
      else if (std::isinf(v.f))
        b->put(v.f > 0 ? "Infinity" : "-Infinity");
      else
        format_float(b, v.f);
      return true;
    case VK::Str:
      json_string(b, v.sv());
      return true;
    case VK::Undefined:
      return st.undefined_error(v);
    case VK::Pair:
      break;
    case VK::Enc:
      if (v.e[0] == kList || v.e[0] == kTuple) break;
      if (v.e[0] == kDict) {
        uint32_t n = enc_count(v.e);
        if (n == 0) {
          b->put("{}");
          return true;
        }
        // sort_keys=True: the entries' key pointers, sorted (all str, or all int)
        size_t tbytes = (n * sizeof(uint8_t*) + 7) & ~size_t(7);
        auto** keys = static_cast<const uint8_t**>(st.talloc(tbytes, b));
        if (keys == nullptr) return false;
        const uint8_t* p = enc_first(v.e);
        bool any_int = false, any_str = false;
        for (uint32_t i = 0; i < n; i++) {
          keys[i] = p;
          (p[0] == kInt ? any_int : any_str) = true;
          p += enc_size(p);
          p += enc_size(p);
        }
        if (any_int && any_str) {
          st.tfree(tbytes);
          return st.fail("tojson: '<' not supported between instances of 'int' and 'str'");
        }
        std::sort(keys, keys + n, [&](const uint8_t* x, const uint8_t* y) {
          if (x[0] == kInt) return rd64(x + 1) < rd64(y + 1);
          return key_value(st, x).sv() < key_value(st, y).sv();
        });
        b->put('{');
        for (uint32_t i = 0; i < n; i++) {
          if (i) b->put(j.indent >= 0 ? "," : ", ");
          if (j.indent >= 0) newline(j, level + 1);
          Value k = key_value(st, keys[i]);
          if (k.k == VK::Int) {
            b->put('"');
            format_int(b, k.i);
            b->put('"');
          } else {
            json_string(b, k.sv());
          }
          b->put(": ");
          if (!json_value(j, decode(keys[i] + enc_size(keys[i])), level + 1)) return false;
        }
        if (j.indent >= 0) newline(j, level);
        b->put('}');
        st.tfree(tbytes);
        return true;
      }
      return st.fail("Object of type %s is not JSON serializable",
                     v.e[0] == kObject ? "object" : "function");
    default:
      return st.fail("tojson: this value is not JSON serializable");
  }
  Iter it;
  if (!iter_init(st, v, &it)) return false;
  if (it.count == 0) {
    b->put("[]");
    return true;
  }
  b->put('[');
  Value x;
  for (uint32_t n = 0; iter_next(st, &it, &x); n++) {
    if (n) b->put(j.indent >= 0 ? "," : ", ");
    if (j.indent >= 0) newline(j, level + 1);
    if (!json_value(j, x, level + 1)) return false;
  }
  if (j.indent >= 0) newline(j, level);
  b->put(']');
  return st.status != RenderStatus::Error;
}

}  // namespace

bool str_of(RenderState& st, Buf* b, const Value& v) {
  return str_depth(st, b, v, 0);
}

bool repr_of(RenderState& st, Buf* b, const Value& v) {
  return repr_depth(st, b, v, 0);
}

bool json_of(RenderState& st, Buf* b, const Value& v, int indent) {
  JsonCtx j{st, b, indent};
  return json_value(j, v, 0);
}

bool to_str(RenderState& st, const Value& v, Value* out) {
  if (v.k == VK::Str) {
    *out = v;
    return true;
  }
  if (v.k == VK::BigInt) {
    *out = v_str(v.sv());
    return true;
  }
  Buf b = st.scratch_buf();
  if (!str_of(st, &b, v)) return false;
  std::string_view s;
  if (!st.commit(b, &s)) return false;
  *out = v_str(s);
  return true;
}

}  // namespace viper::tmpl
