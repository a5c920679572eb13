// Expressions: Jinja2's grammar (jinja2/parser.py 3.1), precedence from loosest to tightest:
//   condexpr (a if b else c) < or < and < not < comparisons (chained, in, not in)
//   < + - < ~ < * / // % < ** (left-associative, as Jinja) < unary - + < postfix (. [] ())
//   with filters (|f) and tests (is t) applied to the unary expression they follow.
// Calls are limited to range(), loop.cycle(), dict.items()/keys()/values() and super().
#include <cstdio>
#include <cstring>

#include "tmpl/compiler_impl.h"
#include "tmpl/text.h"

namespace viper::tmpl::detail {

namespace {

struct FilterSpec {
  const char* name;
  Filter id;
  const char* params[3];  // parameter names, nullptr-terminated
  uint8_t required;       // leading parameters that must be given
};

const FilterSpec kFilters[] = {
    {"abs", kFAbs, {nullptr}, 0},
    {"capitalize", kFCapitalize, {nullptr}, 0},
    {"count", kFLength, {nullptr}, 0},
    {"d", kFDefault, {"default_value", "boolean", nullptr}, 0},
    {"default", kFDefault, {"default_value", "boolean", nullptr}, 0},
    {"e", kFEscape, {nullptr}, 0},
    {"escape", kFEscape, {nullptr}, 0},
    {"first", kFFirst, {nullptr}, 0},
    {"float", kFFloat, {"default", nullptr}, 0},
    {"int", kFInt, {"default", "base", nullptr}, 0},
    {"items", kFItems, {nullptr}, 0},
    {"join", kFJoin, {"d", "attribute", nullptr}, 0},
    {"last", kFLast, {nullptr}, 0},
    {"length", kFLength, {nullptr}, 0},
    {"list", kFList, {nullptr}, 0},
    {"lower", kFLower, {nullptr}, 0},
    {"replace", kFReplace, {"old", "new", "count"}, 2},
    {"round", kFRound, {"precision", "method", nullptr}, 0},
    {"safe", kFSafe, {nullptr}, 0},
    {"string", kFString, {nullptr}, 0},
    {"title", kFTitle, {nullptr}, 0},
    {"tojson", kFTojson, {"indent", nullptr}, 0},
    {"trim", kFTrim, {"chars", nullptr}, 0},
    {"upper", kFUpper, {nullptr}, 0},
};

struct TestSpec {
  const char* name;
  Test id;
  uint8_t args;
};

const TestSpec kTests[] = {
    {"boolean", kTBoolean, 0},
    {"defined", kTDefined, 0},
    {"divisibleby", kTDivisibleBy, 1},
    {"eq", kTEq, 1},
    {"equalto", kTEq, 1},
    {"escaped", kTEscaped, 0},
    {"even", kTEven, 0},
    {"false", kTFalse, 0},
    {"float", kTFloat, 0},
    {"ge", kTGe, 1},
    {"greaterthan", kTGt, 1},
    {"gt", kTGt, 1},
    {"in", kTIn, 1},
    {"integer", kTInteger, 0},
    {"iterable", kTIterable, 0},
    {"le", kTLe, 1},
    {"lessthan", kTLt, 1},
    {"lower", kTLower, 0},
    {"lt", kTLt, 1},
    {"mapping", kTMapping, 0},
    {"ne", kTNe, 1},
    {"none", kTNone, 0},
    {"number", kTNumber, 0},
    {"odd", kTOdd, 0},
    {"sequence", kTSequence, 0},
    {"string", kTString, 0},
    {"true", kTTrue, 0},
    {"undefined", kTUndefined, 0},
    {"upper", kTUpper, 0},
};

// Jinja globals and functions that exist there but not in the subset: named in the error.
const char* const kUnsupportedCalls[] = {"caller",  "cycler",    "dict", "joiner",
                                         "lipsum",  "namespace", "self", "url_for",
                                         "varargs", "kwargs",    nullptr};

bool is_keyword_value(std::string_view s) {
  return s == "true" || s == "false" || s == "none" || s == "True" || s == "False" || s == "None";
}

}  // namespace

bool Compiler::enter_expr() {
  if (++expr_depth_ > lim_.max_expression_depth) {
    fail_here("expression nested deeper than %u levels", unsigned(lim_.max_expression_depth));
    return false;
  }
  return true;
}

ExprInfo Compiler::expression(bool with_condexpr) {
  if (!enter_expr()) return {};
  ExprInfo e = with_condexpr ? condexpr() : or_expr();
  leave_expr();
  return e;
}

ExprInfo Compiler::tuple(bool with_condexpr, bool explicit_parens) {
  int n = 0;
  bool is_tuple = false, all_const = true;
  ExprInfo first;
  while (!bad()) {
    if (n > 0 && !expect_op(",")) return {};
    // Jinja's is_tuple_end: the end of the tag or a closing parenthesis.
    if (tok_.kind == Tok::VarEnd || tok_.kind == Tok::BlockEnd || is_op(")")) break;
    ExprInfo e = expression(with_condexpr);
    if (n == 0) first = e;
    all_const = all_const && e.is_const;
    n++;
    if (is_op(","))
      is_tuple = true;
    else
      break;
  }
  if (bad()) return {};
  if (!is_tuple) {
    if (n == 1) return first;
    if (!explicit_parens) {
      fail_here("expected an expression");
      return {};
    }
  }
  if (n > 0xffff) {
    fail_here("tuple too long");
    return {};
  }
  op(kOpBuild, 1 - n);
  u8(kTuple);
  u16(uint16_t(n));
  ExprInfo r;
  r.is_const = all_const;
  return r;
}

ExprInfo Compiler::condexpr() {
  uint32_t start = pc();
  int sp0 = sp_;
  ExprInfo e = or_expr();
  while (!bad() && is_name("if")) {
    // `a if t else b` is emitted as: t; JUMP_IF_FALSE else; a; JUMP end; else: b; end.
    // `a` was emitted first: its code moves behind the test (jumps are relative, so it may).
    advance();
    Vec<uint8_t> a;
    if (!a.append(code_.data() + start, pc() - start)) {
      fail_here("out of memory");
      return {};
    }
    retract(start, sp0);
    ExprInfo t = or_expr();
    uint32_t jf = jump(kOpJumpIfFalse, -1);
    code_.append(a.data(), a.size());
    sp_ = sp0 + 1;
    if (sp_ > max_sp_) max_sp_ = sp_;
    uint32_t je = jump(kOpJump, 0);
    patch_rel(jf, pc());
    sp_ = sp0;
    bool else_const = false;
    if (is_name("else")) {
      advance();
      if (!enter_expr()) return {};
      else_const = condexpr().is_const;
      leave_expr();
    } else {
      op(kOpUndefined, 1);
    }
    patch_rel(je, pc());
    sp_ = sp0 + 1;
    ExprInfo r;
    r.is_const = e.is_const && t.is_const && else_const;
    e = r;
  }
  return e;
}

ExprInfo Compiler::or_expr() {
  ExprInfo e = and_expr();
  while (!bad() && is_name("or")) {
    advance();
    uint32_t j = jump(kOpOrJump, -1);
    ExprInfo r = and_expr();
    patch_rel(j, pc());
    e.is_const = e.is_const && r.is_const;
    e.is_str = e.is_name = false;
  }
  return e;
}

ExprInfo Compiler::and_expr() {
  ExprInfo e = not_expr();
  while (!bad() && is_name("and")) {
    advance();
    uint32_t j = jump(kOpAndJump, -1);
    ExprInfo r = not_expr();
    patch_rel(j, pc());
    e.is_const = e.is_const && r.is_const;
    e.is_str = e.is_name = false;
  }
  return e;
}

ExprInfo Compiler::not_expr() {
  if (is_name("not")) {
    advance();
    if (!enter_expr()) return {};
    ExprInfo e = not_expr();
    leave_expr();
    op(kOpNot, 0);
    ExprInfo r;
    r.is_const = e.is_const;
    return r;
  }
  return compare();
}

ExprInfo Compiler::compare() {
  ExprInfo e = math1();
  Vec<uint32_t> exits;
  bool any = false;
  while (!bad()) {
    CmpOp c;
    if (is_op("=="))
      c = kEq;
    else if (is_op("!="))
      c = kNe;
    else if (is_op("<"))
      c = kLt;
    else if (is_op("<="))
      c = kLe;
    else if (is_op(">"))
      c = kGt;
    else if (is_op(">="))
      c = kGe;
    else if (is_name("in"))
      c = kIn;
    else if (is_name("not") && peek().kind == Tok::Name && peek().text == "in")
      c = kNotIn;
    else
      break;
    if (c == kNotIn) advance();
    advance();
    ExprInfo r = math1();
    e.is_const = e.is_const && r.is_const;
    any = true;
    bool more = is_op("==") || is_op("!=") || is_op("<") || is_op("<=") || is_op(">") ||
                is_op(">=") || is_name("in") ||
                (is_name("not") && peek().kind == Tok::Name && peek().text == "in");
    if (more) {
      op(kOpCompareChain, -1);
      u8(c);
      exits.push(pc());
      u32(0);
    } else {
      op(kOpCompare, -1);
      u8(c);
    }
  }
  for (size_t i = 0; i < exits.size(); i++)
    patch_rel(exits[i], pc());
  if (any) e.is_str = e.is_name = false;
  return e;
}

ExprInfo Compiler::math1() {
  ExprInfo e = concat();
  while (!bad() && (is_op("+") || is_op("-"))) {
    BinOp b = is_op("+") ? kAdd : kSub;
    advance();
    ExprInfo r = concat();
    op(kOpBinary, -1);
    u8(b);
    e.is_const = e.is_const && r.is_const;
    e.is_str = e.is_name = false;
  }
  return e;
}

ExprInfo Compiler::concat() {
  ExprInfo e = math2();
  int n = 1;
  bool all_const = e.is_const;
  while (!bad() && is_op("~")) {
    advance();
    all_const = math2().is_const && all_const;
    if (++n > 255) {
      fail_here("too many '~' operands");
      return {};
    }
  }
  if (n == 1) return e;
  op(kOpConcat, 1 - n);
  u8(uint8_t(n));
  u8(all_const ? 1 : 0);
  ExprInfo r;
  r.is_const = all_const;
  return r;
}

ExprInfo Compiler::math2() {
  ExprInfo e = power();
  while (!bad()) {
    BinOp b;
    if (is_op("*"))
      b = kMul;
    else if (is_op("/"))
      b = kDiv;
    else if (is_op("//"))
      b = kFloorDiv;
    else if (is_op("%"))
      b = kMod;
    else
      break;
    advance();
    ExprInfo r = power();
    op(kOpBinary, -1);
    u8(b);
    e.is_const = e.is_const && r.is_const;
    e.is_str = e.is_name = false;
  }
  return e;
}

ExprInfo Compiler::power() {
  ExprInfo e = unary(true);
  while (!bad() && is_op("**")) {
    advance();
    ExprInfo r = unary(true);
    op(kOpBinary, -1);
    u8(kPow);
    e.is_const = e.is_const && r.is_const;
    e.is_str = e.is_name = false;
  }
  return e;
}

ExprInfo Compiler::unary(bool with_filter) {
  if (!enter_expr()) return {};
  ExprInfo e;
  if (is_op("-") || is_op("+")) {
    bool neg = is_op("-");
    advance();
    ExprInfo inner = unary(false);
    op(neg ? kOpNeg : kOpPos, 0);
    e.is_const = inner.is_const;
  } else {
    e = primary();
  }
  e = postfix(e);
  if (with_filter) e = filter_expr(e);
  leave_expr();
  return e;
}

ExprInfo Compiler::primary() {
  ExprInfo e;
  if (bad()) return e;
  const Token t = tok_;
  switch (t.kind) {
    case Tok::Name: {
      if (is_keyword_value(t.text)) {
        advance();
        char c = t.text[0] | 0x20;
        op(c == 't' ? kOpTrue : c == 'f' ? kOpFalse : kOpNone, 1);
        e.is_const = true;
        return e;
      }
      advance();
      if (is_op("(")) {
        if (t.text == "range") {
          uint8_t slots[8];
          bool all_const = false;
          static const char* const kNone[] = {nullptr};
          int n = call_args(kNone, 3, slots, &all_const);
          if (n < 0) return {};
          if (n == 0) {
            fail(t.offset, "range expected at least 1 argument");
            return {};
          }
          op(kOpRange, 1 - n);
          u8(uint8_t(n));
          return e;  // a call: never constant
        }
        if (t.text == "super") {
          fail(t.offset, "super() is supported only as {{ super() }}");
          return {};
        }
        for (const char* const* u = kUnsupportedCalls; *u; u++) {
          if (t.text == *u) {
            fail(t.offset, "'%.*s' is not supported in the ViperHTTP template subset",
                 int(t.text.size()), t.text.data());
            return {};
          }
        }
        fail(t.offset, "calls are not supported: '%.*s(...)' (the subset runs no code)",
             int(t.text.size()), t.text.data());
        return {};
      }
      if (t.text.size() > 1 && t.text.substr(0, 2) == "__") {
        fail(t.offset, "names starting with '__' are not allowed");
        return {};
      }
      uint16_t id = name_id(t.text, kNameContext);
      if (t.text == "loop" && loop_used_ != nullptr) *loop_used_ = true;
      op(kOpLoad, 1);
      u16(id);
      e.is_name = true;
      e.name = id;
      return e;
    }
    case Tok::String: {
      // Adjacent literals are one string ("a" "b"), as in Python.
      std::string_view first;
      if (!string_literal(t.text, t.offset, &first)) return {};
      advance();
      uint32_t off = uint32_t(first.data() - reinterpret_cast<const char*>(data_.data()));
      size_t len = first.size();
      while (tok_.kind == Tok::String) {
        std::string_view more;
        // string_literal appends to data right after `first`, so the pieces stay contiguous
        if (!string_literal(tok_.text, tok_.offset, &more)) return {};
        len += more.size();
        advance();
      }
      op(kOpStr, 1);
      u32(off);
      u32(uint32_t(len));
      e.is_const = e.is_str = true;
      e.str = std::string_view(reinterpret_cast<const char*>(data_.data()) + off, len);
      return e;
    }
    case Tok::Int:
    case Tok::Float:
      number(t, &e);
      advance();
      return e;
    case Tok::Op:
      if (t.text == "(") {
        advance();
        e = tuple(true, true);
        if (!expect_op(")")) return {};
        e.is_name = false;
        return e;
      }
      if (t.text == "[") return list_literal();
      if (t.text == "{") return dict_literal();
      break;
    default:
      break;
  }
  if (t.kind == Tok::Error) {
    fail(t.offset, "%.*s", int(t.text.size()), t.text.data());
  } else if (t.kind == Tok::VarEnd || t.kind == Tok::BlockEnd || t.kind == Tok::End) {
    fail(t.offset, "expected an expression");
  } else {
    fail(t.offset, "unexpected '%.*s'", int(t.text.size()), t.text.data());
  }
  return {};
}

ExprInfo Compiler::list_literal() {
  advance();  // [
  int n = 0;
  bool all_const = true;
  while (!bad() && !is_op("]")) {
    if (n > 0 && !expect_op(",")) return {};
    if (is_op("]")) break;
    all_const = expression().is_const && all_const;
    n++;
  }
  if (!expect_op("]")) return {};
  op(kOpBuild, 1 - n);
  u8(kList);
  u16(uint16_t(n));
  ExprInfo e;
  e.is_const = all_const;
  return e;
}

ExprInfo Compiler::dict_literal() {
  advance();  // {
  int n = 0;
  bool all_const = true;
  while (!bad() && !is_op("}")) {
    if (n > 0 && !expect_op(",")) return {};
    if (is_op("}")) break;
    ExprInfo k = expression();
    if (k.is_str) name_id(k.str, 0);  // interned: lookups by this key compare ids
    if (!expect_op(":")) return {};
    ExprInfo v = expression();
    all_const = all_const && k.is_const && v.is_const;
    n++;
  }
  if (!expect_op("}")) return {};
  op(kOpBuild, 1 - 2 * n);
  u8(kDict);
  u16(uint16_t(n));
  ExprInfo e;
  e.is_const = all_const;
  return e;
}

ExprInfo Compiler::postfix(ExprInfo e) {
  while (!bad()) {
    if (is_op(".")) {
      advance();
      Token a = tok_;
      if (a.kind == Tok::Int) {  // x.0 is x[0]
        ExprInfo k;
        number(a, &k);
        advance();
        op(kOpGetItem, -1);
        e.is_name = e.is_str = false;
        continue;
      }
      if (a.kind != Tok::Name) {
        fail(a.offset, "expected a name or a number after '.'");
        return {};
      }
      if (a.text.size() > 1 && a.text.substr(0, 2) == "__") {
        fail(a.offset, "attributes starting with '__' are not allowed");
        return {};
      }
      advance();
      if (is_op("(")) {
        bool items = a.text == "items", keys = a.text == "keys", values = a.text == "values";
        if (items || keys || values) {
          advance();
          if (!expect_op(")")) {
            fail(a.offset, "%.*s() takes no arguments", int(a.text.size()), a.text.data());
            return {};
          }
          op(kOpDictMethod, 0);
          u8(items ? 0 : keys ? 1 : 2);
          e = ExprInfo();
          continue;
        }
        if (a.text == "cycle" && e.is_name && e.name == name_id("loop", kNameContext)) {
          uint8_t slots[16];
          bool all_const = false;
          static const char* const kNone[] = {nullptr};
          int n = call_args(kNone, 16, slots, &all_const);
          if (n < 0) return {};
          if (n == 0) {
            fail(a.offset, "no items for cycling given");
            return {};
          }
          op(kOpCycle, -n);
          u8(uint8_t(n));
          e = ExprInfo();
          continue;
        }
        fail(a.offset, "calls are not supported: '.%.*s(...)' (the subset runs no code)",
             int(a.text.size()), a.text.data());
        return {};
      }
      uint16_t id = name_id(a.text, kNameAttr);
      op(kOpGetAttr, 0);
      u16(id);
      e = ExprInfo();
      continue;
    }
    if (is_op("[")) {
      e = subscript(e);
      continue;
    }
    if (is_op("(")) {
      fail_here("calls are not supported (the subset runs no code)");
      return {};
    }
    break;
  }
  return e;
}

ExprInfo Compiler::subscript(ExprInfo e) {
  advance();  // [
  // Jinja's parse_subscribed: an expression, or a slice [start]:[stop][:[step]].
  uint8_t mask = 0;
  bool slice = false;
  if (!is_op(":")) {
    ExprInfo k = expression();
    if (k.is_str) name_id(k.str, kNameAttr);  // objects answer x["a"] with attribute a
    mask |= 1;
  }
  if (is_op(":")) {
    slice = true;
    advance();
    if (!is_op("]") && !is_op(",") && !is_op(":")) {
      expression();
      mask |= 2;
    }
    if (is_op(":")) {
      advance();
      if (!is_op("]") && !is_op(",")) {
        expression();
        mask |= 4;
      }
    }
  }
  if (is_op(",")) {
    fail_here("subscripts with several items are not supported");
    return {};
  }
  if (!expect_op("]")) return {};
  if (slice) {
    int n = (mask & 1) + ((mask >> 1) & 1) + ((mask >> 2) & 1);
    op(kOpSlice, -n);
    u8(mask);
  } else {
    op(kOpGetItem, -1);
  }
  ExprInfo r;
  r.is_const = false;
  (void)e;
  return r;
}

ExprInfo Compiler::filter_expr(ExprInfo e) {
  while (!bad()) {
    if (is_op("|")) {
      e = filter(e);
    } else if (is_name("is")) {
      e = test(e);
    } else if (is_op("(")) {
      fail_here("calls are not supported (the subset runs no code)");
      return {};
    } else {
      break;
    }
  }
  return e;
}

ExprInfo Compiler::filter(ExprInfo e) {
  advance();  // |
  Token n = tok_;
  if (n.kind != Tok::Name) {
    fail(n.offset, "expected a filter name after '|'");
    return {};
  }
  advance();
  if (is_op(".")) {
    fail(n.offset, "dotted filter names are not supported");
    return {};
  }
  const FilterSpec* spec = nullptr;
  for (const FilterSpec& f : kFilters)
    if (n.text == f.name) spec = &f;
  if (spec == nullptr) {
    fail(n.offset, "no filter named '%.*s' in the ViperHTTP template subset", int(n.text.size()),
         n.text.data());
    return {};
  }
  size_t nparams = 0;
  while (nparams < 3 && spec->params[nparams] != nullptr)
    nparams++;
  uint8_t slots[8] = {};
  int argc = 0;
  bool args_const = true;
  if (is_op("(")) {
    argc = call_args(spec->params, nparams, slots, &args_const);
    if (argc < 0) return {};
  }
  for (uint8_t req = 0; req < spec->required; req++) {
    bool given = false;
    for (int i = 0; i < argc; i++)
      given = given || slots[i] == req;
    if (!given) {
      fail(n.offset, "filter '%s' needs its '%s' argument", spec->name, spec->params[req]);
      return {};
    }
  }
  op(kOpFilter, -argc);
  u8(spec->id);
  u8(uint8_t(argc));
  for (int i = 0; i < argc; i++)
    u8(slots[i]);
  ExprInfo r;
  r.is_const = e.is_const && args_const;
  return r;
}

ExprInfo Compiler::test(ExprInfo e) {
  advance();  // is
  bool negate = false;
  if (is_name("not")) {
    negate = true;
    advance();
  }
  Token n = tok_;
  if (n.kind != Tok::Name) {
    fail(n.offset, "expected a test name after 'is'");
    return {};
  }
  advance();
  if (is_op(".")) {
    fail(n.offset, "dotted test names are not supported");
    return {};
  }
  const TestSpec* spec = nullptr;
  for (const TestSpec& t : kTests)
    if (n.text == t.name) spec = &t;
  if (spec == nullptr) {
    fail(n.offset, "no test named '%.*s' in the ViperHTTP template subset", int(n.text.size()),
         n.text.data());
    return {};
  }
  int argc = 0;
  bool args_const = true;
  if (is_op("(")) {
    uint8_t slots[8];
    static const char* const kNone[] = {nullptr};
    argc = call_args(kNone, 4, slots, &args_const);
    if (argc < 0) return {};
  } else if ((tok_.kind == Tok::Name || tok_.kind == Tok::String || tok_.kind == Tok::Int ||
              tok_.kind == Tok::Float || is_op("(") || is_op("[") || is_op("{")) &&
             !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) {
      fail_here("you cannot chain multiple tests with 'is'");
      return {};
    }
    if (!enter_expr()) return {};
    ExprInfo a = postfix(primary());
    leave_expr();
    args_const = a.is_const;
    argc = 1;
  }
  if (argc != spec->args) {
    fail(n.offset, "test '%s' takes %u argument%s", spec->name, unsigned(spec->args),
         spec->args == 1 ? "" : "s");
    return {};
  }
  op(kOpTest, -argc);
  u8(spec->id);
  u8(uint8_t(argc));
  u8(negate ? 1 : 0);
  ExprInfo r;
  r.is_const = e.is_const && args_const && spec->id != kTDefined && spec->id != kTUndefined;
  return r;
}

int Compiler::call_args(const char* const* names, size_t max, uint8_t* slots, bool* all_const) {
  advance();  // (
  int argc = 0;
  size_t positional = 0;
  bool keywords = false;
  *all_const = true;
  while (!bad() && !is_op(")")) {
    if (argc > 0 && !expect_op(",")) return -1;
    if (is_op(")")) break;
    if (is_op("*") || is_op("**")) {
      fail_here("*args and **kwargs are not supported");
      return -1;
    }
    size_t slot;
    if (tok_.kind == Tok::Name && peek().kind == Tok::Op && peek().text == "=") {
      Token k = tok_;
      slot = max;
      for (size_t i = 0; i < max && names[i] != nullptr; i++)
        if (k.text == names[i]) slot = i;
      if (slot == max) {
        fail(k.offset, "unexpected keyword argument '%.*s'", int(k.text.size()), k.text.data());
        return -1;
      }
      for (int i = 0; i < argc; i++) {
        if (slots[i] == slot) {
          fail(k.offset, "argument '%.*s' given twice", int(k.text.size()), k.text.data());
          return -1;
        }
      }
      advance();
      advance();
      keywords = true;
      ExprInfo v = expression();
      if (v.is_str && k.text == "attribute") name_id(v.str, kNameAttr);
      *all_const = *all_const && v.is_const;
    } else {
      if (keywords) {
        fail_here("positional argument after a keyword argument");
        return -1;
      }
      slot = positional++;
      if (slot >= max) {
        fail_here("too many arguments");
        return -1;
      }
      ExprInfo v = expression();
      if (v.is_str && names[0] != nullptr && slot < max &&
          std::strcmp(names[slot], "attribute") == 0)
        name_id(v.str, kNameAttr);
      *all_const = *all_const && v.is_const;
    }
    slots[argc++] = uint8_t(slot);
  }
  if (!expect_op(")")) return -1;
  return argc;
}

}  // namespace viper::tmpl::detail
