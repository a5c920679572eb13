// The filters and tests of the subset, each following jinja2/filters.py and jinja2/tests.py
// 3.1 with autoescape on (MarkupSafe's rules for what stays safe: upper/lower/capitalize/trim/
// replace keep a safe string safe, title returns plain text, join escapes when one item is
// safe).  Where CPython would need tables the engine does not carry (Unicode digits in int(),
// Unicode case classes in `is lower`), the result is an error, never a guess.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

namespace {

const uint8_t kEmptyDict[9] = {kDict, 0, 0, 0, 0, 0, 0, 0, 0};

bool keep(RenderState& st, const Buf& b, bool safe, Value* out) {
  std::string_view s;
  if (!st.commit(b, &s)) return false;
  *out = v_str(s, safe);
  return true;
}

// Maps every code point of s: the first with `first`, the rest with `rest`.
bool casemap(RenderState& st, Buf* b, std::string_view s, Case first, Case rest) {
  size_t i = 0;
  bool at_first = true;
  while (i < s.size()) {
    uint32_t cp = utf8_next(s, &i);
    if (!map_case(b, cp, at_first ? first : rest))
      return st.fail("lower-casing U+03A3 (capital sigma) depends on context: not supported");
    at_first = false;
  }
  return true;
}

bool non_ascii(std::string_view s) {
  for (char c : s)
    if (uint8_t(c) >= 0x80) return true;
  return false;
}

// Python's str.strip(chars) (chars: code points; nullptr: whitespace).
std::string_view strip(std::string_view s, const std::string_view* chars) {
  auto hit = [&](uint32_t cp) {
    if (chars == nullptr) return is_space(cp);
    size_t k = 0;
    while (k < chars->size())
      if (utf8_next(*chars, &k) == cp) return true;
    return false;
  };
  return strip_code_points(s, hit);
}

bool escaped_text(RenderState& st, const Value& v, Value* out) {  // markupsafe.escape
  std::string_view html;
  if (html_of(v, &html)) {
    *out = v_str(html, true);
    return true;
  }
  Value s;
  if (!to_str(st, v, &s)) return false;
  if (s.safe) {
    *out = s;
    return true;
  }
  Buf b = st.scratch_buf();
  html_escape(&b, s.sv());
  return keep(st, b, true, out);
}

bool f_int(RenderState& st, const Value& v, const Value* args, Value* out) {
  if (v.k == VK::Undefined) return st.undefined_error(v);  // Undefined.__int__ fails, always
  Value def = given(args[0]) ? args[0] : v_int(0);
  int base = 10;
  if (given(args[1])) {
    if (!int_like(args[1])) return st.fail("int: base must be an integer");
    base = int(args[1].i);
  }
  auto from_float = [&](double f) {
    if (std::isnan(f)) {
      *out = def;
      return true;
    }
    if (std::isinf(f)) return st.fail("cannot convert float infinity to integer");
    double t = std::trunc(f);
    if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
      *out = v_int(int64_t(t));
      return true;
    }
    // the exact integer: to_chars (Ryu), not printf (ports may bring a printf of their own)
    char tmp[400];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, t, std::chars_format::fixed, 0);
    Buf b = st.scratch_buf();
    b.put(std::string_view(tmp, size_t(r.ptr - tmp)));
    std::string_view s;
    if (!st.commit(b, &s)) return false;
    *out = v_str(s);
    out->k = VK::BigInt;
    return true;
  };
  switch (v.k) {
    case VK::Bool:
    case VK::Int:
      *out = v_int(v.i);
      return true;
    case VK::BigInt:
      *out = v;
      return true;
    case VK::Float:
      return from_float(v.f);
    case VK::Str:
    case VK::Bytes: {
      if (non_ascii(strip(v.sv(), nullptr)))
        return st.fail("int: non-ASCII digits are not supported");
      if (v.k == VK::Bytes) base = 10;  // int(value) for anything but str
      int64_t x;
      bool big = false;
      char digits[4100];
      Buf db{digits, 0, sizeof digits};
      if ((base == 0 || (base >= 2 && base <= 36)) && parse_int(v.sv(), base, &x, &big, &db)) {
        if (!big) {
          *out = v_int(x);
          return true;
        }
        if (db.overflow) return st.fail("int: too many digits");
        Buf b = st.scratch_buf();
        b.put(db.view());
        std::string_view s;
        if (!st.commit(b, &s)) return false;
        *out = v_str(s);
        out->k = VK::BigInt;
        return true;
      }
      double f;
      if (parse_float(v.sv(), &f)) return from_float(f);
      *out = def;
      return true;
    }
    default:
      *out = def;  // TypeError in int() and float(): the default
      return true;
  }
}

bool f_float(RenderState& st, const Value& v, const Value* args, Value* out) {
  if (v.k == VK::Undefined) return st.undefined_error(v);  // Undefined.__float__ fails, always
  Value def = given(args[0]) ? args[0] : v_float(0.0);
  switch (v.k) {
    case VK::Bool:
    case VK::Int:
      *out = v_float(double(v.i));
      return true;
    case VK::Float:
      *out = v;
      return true;
    case VK::BigInt: {
      double f;
      if (!parse_float(v.sv(), &f) || std::isinf(f))
        return st.fail("int too large to convert to float");
      *out = v_float(f);
      return true;
    }
    case VK::Str:
    case VK::Bytes: {
      if (non_ascii(strip(v.sv(), nullptr)))
        return st.fail("float: non-ASCII digits are not supported");
      double f;
      *out = parse_float(v.sv(), &f) ? v_float(f) : def;
      return true;
    }
    default:
      *out = def;
      return true;
  }
}

bool f_round(RenderState& st, const Value& v, const Value* args, Value* out) {
  int64_t p = 0;
  if (given(args[0])) {
    if (!int_like(args[0])) return st.fail("round: precision must be an integer");
    p = args[0].i;
  }
  std::string_view method = "common";
  if (given(args[1])) {
    if (args[1].k != VK::Str) return st.fail("method must be common, ceil or floor");
    method = args[1].sv();
  }
  if (method != "common" && method != "ceil" && method != "floor")
    return st.fail("method must be common, ceil or floor");
  if (v.k == VK::Undefined) return st.undefined_error(v);
  if (!v.is_num())
    return st.fail("type %s doesn't define __round__", v.k == VK::Str ? "str" : "this value");
  if (method == "common") {
    if (int_like(v)) {
      if (p < 0) return st.fail("round: a negative precision is not supported");
      *out = v_int(v.i);
      return true;
    }
    if (p < 0) return st.fail("round: a negative precision is not supported");
    if (!std::isfinite(v.f) || p > 340) {
      *out = v;
      return true;
    }
    // to_chars rounds the exact binary value half-even, as CPython's dtoa does (printf would
    // too on glibc, but a port may link a printf of its own)
    char tmp[720];
    auto tc = std::to_chars(tmp, tmp + sizeof tmp, v.f, std::chars_format::fixed, int(p));
    double r;
    parse_float(std::string_view(tmp, size_t(tc.ptr - tmp)), &r);
    *out = v_float(r);
    return true;
  }
  if (p > 22) return st.fail("round: precision above 22 is not supported with ceil/floor");
  double scale = p >= 0 ? 0 : std::pow(10.0, double(p));
  int64_t iscale = 1;
  for (int64_t i = 0; i < p; i++)
    iscale *= 10;
  bool ceil = method == "ceil";
  if (int_like(v) && p >= 0) {
    int64_t m;
    if (__builtin_mul_overflow(v.i, iscale, &m))
      return st.fail("integer overflow (beyond 64 bits)");
    const int64_t lim = int64_t(1) << 53;
    if (m > lim || m < -lim || iscale > lim)
      return st.fail("integer too large for exact true division");
    *out = v_float(double(m) / double(iscale));
    return true;
  }
  double x = v.k == VK::Float ? v.f : double(v.i);
  double m = p >= 0 ? x * double(iscale) : x * scale;
  if (std::isinf(m)) return st.fail("cannot convert float infinity to integer");
  if (std::isnan(m)) return st.fail("cannot convert float NaN to integer");
  double f = ceil ? std::ceil(m) : std::floor(m);
  if (std::fabs(f) >= 9007199254740992.0 && p >= 0 && iscale > 1)
    return st.fail("integer too large for exact true division");
  *out = v_float(p >= 0 ? f / double(iscale) : f / scale);
  return true;
}

bool f_join(RenderState& st, const Value& v, const Value* args, Value* out) {
  Value d = given(args[0]) ? args[0] : v_str("");
  Iter it;
  if (!iter_init(st, v, &it)) return false;
  // Items (mapped through `attribute`), first pass: is any safe?
  auto item_of = [&](Value x, Value* r) {
    if (!given(args[1]) || args[1].k == VK::None) {
      *r = x;
      return true;
    }
    // make_attrgetter: "a.b.0" -> getitem per part (digits as ints)
    if (int_like(args[1])) return get_item(st, x, args[1], r);
    if (args[1].k != VK::Str) return st.fail("join: attribute must be a string or an int");
    std::string_view a = args[1].sv();
    size_t start = 0;
    while (true) {
      size_t dot = a.find('.', start);
      std::string_view part = a.substr(start, dot == std::string_view::npos ? a.npos : dot - start);
      bool digits = !part.empty();
      int64_t n = 0;
      for (char c : part) {
        if (c < '0' || c > '9')
          digits = false;
        else if (n < 1000000000)
          n = n * 10 + (c - '0');
      }
      Value key = digits ? v_int(n) : v_str(part);
      if (!get_item(st, x, key, &x)) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    *r = x;
    return true;
  };
  // str() of every item first (pieces in scratch, their views in a temporary array), then
  // the joined text after them.
  Buf none{reinterpret_cast<char*>(st.scratch + st.scratch_top), 0, 0};
  size_t tbytes = (size_t(it.count) * sizeof(Value) + 7) & ~size_t(7);
  auto* pieces = static_cast<Value*>(st.talloc(tbytes ? tbytes : 8, &none));
  if (pieces == nullptr) return false;
  bool any_safe = false;
  uint32_t n = 0;
  Value x, y;
  while (iter_next(st, &it, &x)) {
    if (!item_of(x, &y)) return false;
    std::string_view html;
    if (html_of(y, &html)) {
      pieces[n] = v_str(html, true);
    } else if (!to_str(st, y, &pieces[n])) {
      return false;
    }
    any_safe = any_safe || pieces[n].safe;
    n++;
  }
  if (st.status == RenderStatus::Error) return false;
  bool d_safe = d.k == VK::Str && d.safe;
  bool safe = d_safe || any_safe;
  Value ds;
  if (!to_str(st, d, &ds)) return false;
  Buf b = st.scratch_buf();
  for (uint32_t i = 0; i < n; i++) {
    if (i) {
      if (safe && !ds.safe)
        html_escape(&b, ds.sv());
      else
        b.put(ds.sv());
    }
    if (safe && !pieces[i].safe)
      html_escape(&b, pieces[i].sv());
    else
      b.put(pieces[i].sv());
  }
  st.tfree(tbytes ? tbytes : 8);
  return keep(st, b, safe, out);
}

bool f_replace(RenderState& st, const Value& v, const Value* args, Value* out) {
  Value s, old_v, new_v;
  if (!to_str(st, args[0], &old_v) || !to_str(st, args[1], &new_v)) return false;
  int64_t count = -1;
  if (given(args[2]) && args[2].k != VK::None) {
    if (!int_like(args[2])) return st.fail("replace: count must be an integer");
    count = args[2].i;
  }
  bool old_safe = args[0].k == VK::Str && args[0].safe;
  bool new_safe = args[1].k == VK::Str && args[1].safe;
  bool v_safe = v.k == VK::Str && v.safe;
  if (old_safe || (new_safe && !v_safe)) {
    if (!escaped_text(st, v, &s)) return false;  // s = escape(s)
  } else if (!to_str(st, v, &s)) {
    return false;
  }
  Value o = old_v, nw = new_v;
  if (s.safe) {  // Markup.replace escapes its arguments
    if (!escaped_text(st, old_v, &o) || !escaped_text(st, new_v, &nw)) return false;
  }
  std::string_view text = s.sv(), from = o.sv(), to = nw.sv();
  Buf b = st.scratch_buf();
  int64_t done = 0;
  if (from.empty()) {
    size_t i = 0;
    while (true) {
      if (count < 0 || done < count) {
        b.put(to);
        done++;
      }
      if (i >= text.size()) break;
      size_t n = utf8_len(uint8_t(text[i]));
      b.put(text.substr(i, n));
      i += n;
    }
  } else {
    size_t i = 0;
    while (i <= text.size()) {
      size_t at = (count >= 0 && done >= count) ? std::string_view::npos : text.find(from, i);
      if (at == std::string_view::npos) {
        b.put(text.substr(i));
        break;
      }
      b.put(text.substr(i, at - i));
      b.put(to);
      done++;
      i = at + from.size();
    }
  }
  return keep(st, b, s.safe, out);
}

bool f_title(RenderState& st, const Value& v, Value* out) {
  Value s;
  if (!to_str(st, v, &s)) return false;
  auto sep = [](uint32_t cp) {
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || is_space(cp);
  };
  Buf b = st.scratch_buf();
  std::string_view t = s.sv();
  size_t i = 0;
  bool word_start = true;
  while (i < t.size()) {
    uint32_t cp = utf8_next(t, &i);
    if (sep(cp)) {
      utf8_put(&b, cp);
      word_start = true;
      continue;
    }
    if (!map_case(&b, cp, word_start ? Case::Upper : Case::Lower))
      return st.fail("lower-casing U+03A3 (capital sigma) depends on context: not supported");
    word_start = false;
  }
  return keep(st, b, false, out);  // "".join(...) of str pieces: never safe
}

bool f_list(RenderState& st, const Value& v, Value* out) {
  Iter it;
  if (!iter_init(st, v, &it)) return false;
  EncodedWriter w = st.scratch_writer();
  size_t at = w.open(kList);
  Value x;
  uint32_t n = 0;
  while (iter_next(st, &it, &x)) {
    if (!encode_value(st, &w, x)) return false;
    n++;
  }
  w.close(at, n);
  const uint8_t* p;
  if (!st.commit(w, &p)) return false;
  *out = decode(p);
  return true;
}

bool f_case(RenderState& st, const Value& v, Case first, Case rest, Value* out) {
  Value s;
  if (!to_str(st, v, &s)) return false;
  Buf b = st.scratch_buf();
  if (!casemap(st, &b, s.sv(), first, rest)) return false;
  return keep(st, b, s.safe, out);
}

// Python's str.islower()/isupper() over ASCII and the letters the case tables know.
bool case_test(RenderState& st, const Value& v, bool lower, bool* out) {
  Value s;
  if (!to_str(st, v, &s)) return false;
  bool cased = false;
  std::string_view t = s.sv();
  size_t i = 0;
  while (i < t.size()) {
    uint32_t cp = utf8_next(t, &i);
    char u[16], l[16];
    Buf bu{u, 0, sizeof u}, bl{l, 0, sizeof l};
    map_case(&bu, cp, Case::Upper);
    if (cp == 0x3a3) {
      bl.put("\xcf\x83");
    } else {
      map_case(&bl, cp, Case::Lower);
    }
    char self[4];
    Buf bs{self, 0, sizeof self};
    utf8_put(&bs, cp);
    bool has_upper = bu.view() != bs.view(), has_lower = bl.view() != bs.view();
    if (has_upper && has_lower)
      return st.fail("is %s: U+%04X is a titlecase letter", lower ? "lower" : "upper",
                     unsigned(cp));
    if (!has_upper && !has_lower) {
      if (cp >= 0x80)
        return st.fail("is %s: cannot classify U+%04X without Unicode tables",
                       lower ? "lower" : "upper", unsigned(cp));
      continue;
    }
    bool is_lower = has_upper;  // it has an upper-case form: it is lower-case
    if (is_lower != lower) {
      *out = false;
      return true;
    }
    cased = true;
  }
  *out = cased;
  return true;
}

bool mod_is_zero(RenderState& st, const Value& v, const Value& m, bool* zero, int64_t* rem) {
  Value r;
  if (!binary(st, kMod, v, m, &r)) return false;
  if (r.k == VK::Float) {
    *zero = r.f == 0;
    *rem = r.f == 1.0 ? 1 : r.f == 0 ? 0 : 2;
  } else {
    *zero = r.i == 0;
    *rem = r.i;
  }
  return true;
}

}  // namespace

bool apply_filter(RenderState& st, uint8_t filter, const Value& v, const Value* args, Value* out) {
  switch (filter) {
    case kFAbs:
      if (v.k == VK::Undefined) return st.undefined_error(v);
      if (int_like(v)) {
        if (v.i == INT64_MIN) return st.fail("integer overflow (beyond 64 bits)");
        *out = v_int(v.i < 0 ? -v.i : v.i);
        return true;
      }
      if (v.k == VK::Float) {
        *out = v_float(std::fabs(v.f));
        return true;
      }
      if (v.k == VK::BigInt) {
        *out = v;
        if (v.sv()[0] == '-') {
          out->s++;
          out->n--;
        }
        return true;
      }
      return st.fail("bad operand type for abs()");
    case kFCapitalize:
      return f_case(st, v, Case::Title, Case::Lower, out);
    case kFDefault: {
      bool use = v.k == VK::Undefined;
      if (!use && given(args[1])) {
        bool boolean, t;
        if (!truthy(st, args[1], &boolean)) return false;
        if (boolean) {
          if (!truthy(st, v, &t)) return false;
          use = !t;
        }
      }
      *out = use ? (given(args[0]) ? args[0] : v_str("")) : v;
      return true;
    }
    case kFEscape:
      return escaped_text(st, v, out);
    case kFFirst: {
      Iter it;
      if (!iter_init(st, v, &it)) return false;
      if (!iter_next(st, &it, out)) *out = v_undef(kUndefEmpty);
      return st.status != RenderStatus::Error;
    }
    case kFLast: {
      if (v.k == VK::Enc && (v.e[0] == kObject || v.e[0] == kCallable))
        return st.fail("argument to reversed() must be a sequence");
      Iter it;
      if (!iter_init(st, v, &it)) return false;
      Value x;
      bool any = false;
      while (iter_next(st, &it, &x)) {
        *out = x;
        any = true;
      }
      if (!any) *out = v_undef(kUndefEmpty);
      return st.status != RenderStatus::Error;
    }
    case kFFloat:
      return f_float(st, v, args, out);
    case kFInt:
      return f_int(st, v, args, out);
    case kFItems:
      if (v.k == VK::Undefined) {
        out->k = VK::View;
        out->aux = 4;  // an iterator (do_items), not a dict view
        out->e = kEmptyDict;
        return true;
      }
      if (!(v.k == VK::Enc && v.e[0] == kDict))
        return st.fail("can only get item pairs from a mapping");
      *out = Value();
      out->k = VK::View;
      out->aux = 4;
      out->e = v.e;
      return true;
    case kFJoin:
      return f_join(st, v, args, out);
    case kFLength: {
      int64_t n;
      if (!length(st, v, &n)) return false;
      *out = v_int(n);
      return true;
    }
    case kFList:
      return f_list(st, v, out);
    case kFLower:
      return f_case(st, v, Case::Lower, Case::Lower, out);
    case kFUpper:
      return f_case(st, v, Case::Upper, Case::Upper, out);
    case kFReplace:
      return f_replace(st, v, args, out);
    case kFRound:
      return f_round(st, v, args, out);
    case kFSafe: {
      std::string_view html;
      if (html_of(v, &html)) {  // Markup(obj) takes obj.__html__()
        *out = v_str(html, true);
        return true;
      }
      Value s;
      if (!to_str(st, v, &s)) return false;
      s.safe = 1;
      *out = s;
      return true;
    }
    case kFString:
      return to_str(st, v, out);
    case kFTitle:
      return f_title(st, v, out);
    case kFTojson: {
      int indent = -1;
      if (given(args[0]) && args[0].k != VK::None) {
        if (!int_like(args[0])) return st.fail("tojson: indent must be an integer");
        indent = args[0].i < 0 ? 0 : args[0].i > 32 ? 32 : int(args[0].i);
      }
      Buf b = st.scratch_buf();
      if (!json_of(st, &b, v, indent)) return false;
      return keep(st, b, true, out);
    }
    case kFTrim: {
      Value s;
      if (!to_str(st, v, &s)) return false;
      if (given(args[0]) && args[0].k != VK::None) {
        if (args[0].k != VK::Str) return st.fail("strip arg must be None or str");
        Value chars = args[0];
        if (s.safe && !chars.safe && !escaped_text(st, chars, &chars)) return false;
        std::string_view c = chars.sv();
        *out = v_str(strip(s.sv(), &c), s.safe);
        return true;
      }
      *out = v_str(strip(s.sv(), nullptr), s.safe);
      return true;
    }
  }
  return st.fail("internal: unknown filter");
}

bool apply_test(RenderState& st, uint8_t test, const Value& v, const Value* args, int argc,
                bool* out) {
  (void)argc;
  bool undef = v.k == VK::Undefined;
  switch (test) {
    case kTDefined:
      *out = !undef;
      return true;
    case kTUndefined:
      *out = undef;
      return true;
    case kTNone:
      *out = v.k == VK::None;
      return true;
    case kTBoolean:
      *out = v.k == VK::Bool;
      return true;
    case kTTrue:
      *out = v.k == VK::Bool && v.i == 1;
      return true;
    case kTFalse:
      *out = v.k == VK::Bool && v.i == 0;
      return true;
    case kTInteger:
      *out = v.k == VK::Int || v.k == VK::BigInt;
      return true;
    case kTFloat:
      *out = v.k == VK::Float;
      return true;
    case kTNumber:
      *out = v.is_num() || v.k == VK::BigInt;
      return true;
    case kTString:
      *out = v.k == VK::Str;
      return true;
    case kTMapping:
      *out = v.k == VK::Enc && v.e[0] == kDict;
      return true;
    case kTEscaped: {
      std::string_view html;
      *out = (v.k == VK::Str && v.safe) || html_of(v, &html);
      return true;
    }
    case kTSequence:
      if (undef) {
        *out = !(st.lim.strict && v.aux != kUndefInlineIf);
        return true;
      }
      *out = v.k == VK::Str || v.k == VK::Bytes || v.k == VK::Pair || v.k == VK::Range ||
             (v.k == VK::Enc && (v.e[0] == kList || v.e[0] == kTuple || v.e[0] == kDict));
      return true;
    case kTIterable:
      if (undef) {
        if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
        *out = true;
        return true;
      }
      *out = v.k == VK::Str || v.k == VK::Bytes || v.k == VK::Pair || v.k == VK::Range ||
             v.k == VK::View || v.k == VK::Loop ||
             (v.k == VK::Enc && (v.e[0] == kList || v.e[0] == kTuple || v.e[0] == kDict));
      return true;
    case kTEven:
    case kTOdd: {
      bool zero;
      int64_t rem;
      if (!mod_is_zero(st, v, v_int(2), &zero, &rem)) return false;
      *out = test == kTEven ? zero : rem == 1;
      return true;
    }
    case kTDivisibleBy: {
      bool zero;
      int64_t rem;
      if (!mod_is_zero(st, v, args[0], &zero, &rem)) return false;
      *out = zero;
      return true;
    }
    case kTLower:
      return case_test(st, v, true, out);
    case kTUpper:
      return case_test(st, v, false, out);
    case kTEq:
      return equal(st, v, args[0], out);
    case kTNe:
      if (!equal(st, v, args[0], out)) return false;
      *out = !*out;
      return true;
    case kTLt:
    case kTLe:
    case kTGt:
    case kTGe: {
      int c;
      if (!order(st, v, args[0], &c)) return false;
      *out = c == 2         ? false
             : test == kTLt ? c < 0
             : test == kTLe ? c <= 0
             : test == kTGt ? c > 0
                            : c >= 0;
      return true;
    }
    case kTIn:
      return contains(st, args[0], v, out);
  }
  return st.fail("internal: unknown test");
}

}  // namespace viper::tmpl
