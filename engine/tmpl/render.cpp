// The machine that runs a program: a value stack, variables in frames (the template root,
// included templates, blocks, loop bodies), a loop stack, scratch for strings made while
// rendering, and an output that stops when the caller's piece is full and resumes later.
//
// Scoping follows Jinja2: a loop body is a frame reset at every iteration (a `set` there does
// not leave the loop); an included template sees its includer's variables (without context:
// only the context); a block sees the variables of the template being rendered, not those of
// the place it is called from (unless `scoped`).
#include <cstring>
#include <new>

#include "tmpl/render_impl.h"

namespace viper::tmpl {

struct Render : RenderState {};

namespace {

size_t align8(size_t v) {
  return (v + 7) & ~size_t(7);
}

class Machine {
 public:
  explicit Machine(RenderState& s) : st(s), code(s.prog.code()), data(s.prog.data()) {}
  void run();
  bool drain();

 private:
  uint8_t rd8() { return code[st.pc++]; }
  uint16_t rd16() {
    uint16_t v = tmpl::rd16(code + st.pc);
    st.pc += 2;
    return v;
  }
  uint32_t rd32() {
    uint32_t v = tmpl::rd32(code + st.pc);
    st.pc += 4;
    return v;
  }
  void jump_rel() {
    auto rel = int32_t(rd32());
    st.pc = uint32_t(int64_t(st.pc) + rel);
  }
  void skip_rel() { st.pc += 4; }
  Value pop() { return st.stack[--st.sp]; }
  Value& top() { return st.stack[st.sp - 1]; }
  void push(const Value& v) { st.stack[st.sp++] = v; }

  Value lookup(uint16_t id);
  bool set_var(uint16_t id, const Value& v);
  bool bind(const uint16_t* ids, uint8_t n, const Value& v);
  bool emit(const char* p, size_t n, bool escape);
  bool emit_value(const Value& v);
  bool push_frame(FrameKind k, uint32_t ret_pc);
  bool op_build(uint8_t tag, uint16_t n);
  bool op_concat(uint8_t n, bool folded);
  void locate_error(uint32_t at);

  RenderState& st;
  const uint8_t* code;
  const uint8_t* data;
};

Value Machine::lookup(uint16_t id) {
  int fi = int(st.nframes) - 1;
  uint32_t end = st.nvars;
  // An included template sees its includer's variables but not its `loop` (Jinja passes the
  // loop's targets to the include, not the loop object).
  bool below_include = false;
  uint16_t loop_id = st.prog.h().loop_name;
  while (fi >= 0) {
    const Frame& f = st.frames[fi];
    if (!(below_include && id == loop_id)) {
      for (uint32_t i = end; i > f.var_base; i--)
        if (st.vars[i - 1].id == id) return st.vars[i - 1].v;
    }
    if (f.kind == FrameKind::IncludeIsolated) return v_undef(kUndefName, id);  // no context
    if (f.kind == FrameKind::Root) break;
    if (f.kind == FrameKind::Include) below_include = true;
    if (f.kind == FrameKind::Block) {
      // a block sees the template's variables: skip to the frame of the template rendering it
      int fj = fi - 1;
      while (fj >= 0 && st.frames[fj].kind != FrameKind::Root &&
             st.frames[fj].kind != FrameKind::Include &&
             st.frames[fj].kind != FrameKind::IncludeIsolated)
        fj--;
      if (fj < 0) break;
      end = st.frames[fj + 1].var_base;
      fi = fj;
      continue;
    }
    end = f.var_base;
    fi--;
  }
  if (st.context != nullptr) {
    if (const uint8_t* v = dict_find_id(st.context, id)) return decode(v);
  }
  return v_undef(kUndefName, id);
}

bool Machine::set_var(uint16_t id, const Value& v) {
  const Frame& f = st.frames[st.nframes - 1];
  for (uint32_t i = f.var_base; i < st.nvars; i++) {
    if (st.vars[i].id == id) {
      st.vars[i].v = v;
      return true;
    }
  }
  if (st.nvars >= st.caps.vars)
    return st.fail("more than %u variables alive at once", unsigned(st.caps.vars));
  st.vars[st.nvars++] = Var{id, v};
  return true;
}

bool Machine::bind(const uint16_t* ids, uint8_t n, const Value& v) {
  if (n == 1) return set_var(ids[0], v);
  Iter it;
  if (!iter_init(st, v, &it)) return false;
  Value items[8];
  uint8_t got = 0;
  Value x;
  while (iter_next(st, &it, &x)) {
    if (got == n) return st.fail("too many values to unpack (expected %u)", unsigned(n));
    items[got++] = x;
  }
  if (st.status == RenderStatus::Error) return false;
  if (got < n)
    return st.fail("not enough values to unpack (expected %u, got %u)", unsigned(n), unsigned(got));
  for (uint8_t i = 0; i < n; i++)
    if (!set_var(ids[i], items[i])) return false;
  return true;
}

bool Machine::emit(const char* p, size_t n, bool escape) {
  if (st.capturing) {
    Buf b{st.capture + st.capture_n, 0, st.caps.capture - st.capture_n};
    if (escape)
      html_escape(&b, std::string_view(p, n));
    else
      b.put(std::string_view(p, n));
    if (b.overflow)
      return st.fail("{%% set %%} block text exceeds %u bytes", unsigned(st.caps.capture));
    st.capture_n += uint32_t(b.n);
    return true;
  }
  size_t pos = 0;
  size_t start_n = st.out_n;
  // The page may not grow past max_output_bytes: the piece ends there at the latest.
  uint64_t left = st.lim.max_output_bytes - st.output_total;
  size_t cap = st.out_cap - st.out_n <= left ? st.out_cap : st.out_n + size_t(left);
  while (pos < n && st.out_n < cap) {
    size_t room = cap - st.out_n;
    if (escape) {
      std::string_view ent = html_entity(p[pos]);
      if (!ent.empty()) {
        if (ent.size() > room) break;
        std::memcpy(st.out + st.out_n, ent.data(), ent.size());
        st.out_n += ent.size();
        pos++;
        continue;
      }
    }
    // a run of bytes that need no escaping
    size_t run = pos;
    size_t lim = n - pos < room ? n : pos + room;
    if (escape) {
      while (run < lim && html_entity(p[run]).empty())
        run++;
    } else {
      run = lim;
    }
    if (run < n) {  // never split a UTF-8 sequence between two pieces
      size_t full = run;
      while (run > pos && full - run < 4 && (uint8_t(p[run]) & 0xc0) == 0x80)
        run--;
      if (run == pos || (uint8_t(p[run]) & 0xc0) == 0x80) {
        // no boundary within a sequence's length: invalid UTF-8 (in template text); split
        // there rather than stall, unless the piece already holds something
        if (st.out_n > 0 && run == pos) break;
        run = full;
      }
    }
    if (run == pos) break;
    std::memcpy(st.out + st.out_n, p + pos, run - pos);
    st.out_n += run - pos;
    pos = run;
  }
  st.output_total += st.out_n - start_n;
  if (pos < n && cap < st.out_cap)  // stopped by the limit, not by the piece
    return st.limit_fail("the page exceeds max_output_bytes (%u)",
                         unsigned(st.lim.max_output_bytes));
  st.pend = p + pos;
  st.pend_n = n - pos;
  st.pend_escape = escape;
  return true;
}

bool Machine::drain() {
  bool release = st.pend_release;
  if (!emit(st.pend, st.pend_n, st.pend_escape)) return false;
  if (st.pend_n == 0 && release) {
    st.scratch_top = st.print_mark;
    st.pend_release = false;
  }
  return st.pend_n == 0;
}

bool Machine::emit_value(const Value& v) {
  switch (v.k) {
    case VK::Str:
      return emit(v.s, v.n, !v.safe);
    case VK::BigInt:
      return emit(v.s, v.n, false);
    case VK::Undefined:
      if (st.lim.strict && v.aux != kUndefInlineIf) return st.undefined_error(v);
      return true;
    case VK::None:
    case VK::Bool:
    case VK::Int:
    case VK::Float: {
      Buf b{st.numbuf, 0, sizeof st.numbuf};
      str_of(st, &b, v);
      return emit(st.numbuf, b.n, false);
    }
    default: {
      std::string_view html;
      if (html_of(v, &html)) return emit(html.data(), html.size(), false);
      Value s;
      if (!to_str(st, v, &s)) return false;
      return emit(s.s, s.n, true);
    }
  }
}

bool Machine::push_frame(FrameKind k, uint32_t ret_pc) {
  if (st.nframes >= st.caps.frames)
    return st.fail("more than %u nested includes, blocks and loops", unsigned(st.caps.frames));
  st.frames[st.nframes++] = Frame{k, uint16_t(st.nvars), ret_pc, st.scratch_top};
  return true;
}

bool Machine::op_build(uint8_t tag, uint16_t n) {
  uint32_t items = tag == kDict ? uint32_t(n) * 2 : n;
  Value* base = st.stack + st.sp - items;
  EncodedWriter w = st.scratch_writer();
  size_t at = w.open(tag);
  uint32_t count = n;
  if (tag == kDict) {
    // {k: 1, k: 2} keeps the first position and the last value, as Python
    count = 0;
    for (uint32_t i = 0; i < n; i++) {
      const Value& k = base[2 * i];
      bool dup = false;
      for (uint32_t j = 0; j < i && !dup; j++) {
        bool e;
        if (!equal(st, base[2 * j], k, &e)) return false;
        dup = e;
      }
      if (dup) continue;
      uint32_t last = i;
      for (uint32_t j = i + 1; j < n; j++) {
        bool e;
        if (!equal(st, base[2 * j], k, &e)) return false;
        if (e) last = j;
      }
      if (k.k == VK::Str) {
        int id = st.prog.find_name(k.sv());
        if (id >= 0)
          w.key_id(uint16_t(id));
        else
          w.bytes(kStr, k.sv());
      } else if (k.k == VK::Int) {
        w.integer(k.i);
      } else if (k.k == VK::Undefined) {
        return st.undefined_error(k);
      } else {
        return st.fail("dict keys in templates must be strings or ints");
      }
      if (!encode_value(st, &w, base[2 * last + 1])) return false;
      count++;
    }
  } else {
    for (uint32_t i = 0; i < n; i++)
      if (!encode_value(st, &w, base[i])) return false;
  }
  w.close(at, count);
  const uint8_t* p;
  if (!st.commit(w, &p)) return false;
  st.sp -= items;
  push(decode(p));
  return true;
}

bool Machine::op_concat(uint8_t n, bool folded) {
  Value* base = st.stack + st.sp - n;
  bool any_safe = false;
  for (uint8_t i = 0; i < n; i++) {
    if (!to_str(st, base[i], &base[i])) return false;
    any_safe = any_safe || base[i].safe;
  }
  // Jinja: markup_join at run time (a safe operand makes the result safe, the others
  // escaped); str_join when the optimiser folded constants (plain text).
  bool safe = any_safe && !folded;
  Buf b = st.scratch_buf();
  for (uint8_t i = 0; i < n; i++) {
    if (safe && !base[i].safe)
      html_escape(&b, base[i].sv());
    else
      b.put(base[i].sv());
  }
  std::string_view s;
  if (!st.commit(b, &s)) return false;
  st.sp -= n;
  push(v_str(s, safe));
  return true;
}

void Machine::locate_error(uint32_t at) {
  size_t dep;
  uint32_t line;
  st.prog.locate(at, &dep, &line);
  if (dep < st.prog.num_deps()) {
    std::string_view n = st.prog.dep_name(dep);
    size_t k =
        n.size() < sizeof st.err.template_name - 1 ? n.size() : sizeof st.err.template_name - 1;
    std::memcpy(st.err.template_name, n.data(), k);
    st.err.template_name[k] = 0;
  }
  st.err.line = line;
}

void Machine::run() {
  while (true) {
    uint32_t at = st.pc;
    uint8_t op = rd8();
    bool ok = true;
    switch (op) {
      case kOpHalt:
        st.status = RenderStatus::Done;
        return;
      case kOpText: {
        uint32_t off = rd32(), len = rd32();
        ok = emit(reinterpret_cast<const char*>(data + off), len, false);
        break;
      }
      case kOpMark:
        st.print_mark = st.scratch_top;
        break;
      case kOpPrint: {
        Value v = pop();
        ok = emit_value(v);
        if (ok) {
          if (st.pend_n > 0)
            st.pend_release = true;
          else
            st.scratch_top = st.print_mark;
        }
        break;
      }
      case kOpConst:
        push(decode(data + rd32()));
        break;
      case kOpStr: {
        uint32_t off = rd32(), len = rd32();
        push(v_str(std::string_view(reinterpret_cast<const char*>(data + off), len)));
        break;
      }
      case kOpNone:
        push(v_none());
        break;
      case kOpTrue:
        push(v_bool(true));
        break;
      case kOpFalse:
        push(v_bool(false));
        break;
      case kOpInt:
        push(v_int(rd64(code + st.pc)));
        st.pc += 8;
        break;
      case kOpUndefined:
        push(v_undef(kUndefInlineIf));
        break;
      case kOpLoad:
        push(lookup(rd16()));
        break;
      case kOpStore: {
        uint16_t id = rd16();
        ok = set_var(id, pop());
        break;
      }
      case kOpUnpack: {
        uint8_t n = rd8();
        uint16_t ids[8];
        for (uint8_t i = 0; i < n; i++)
          ids[i] = rd16();
        ok = bind(ids, n, pop());
        break;
      }
      case kOpGetAttr: {
        uint16_t id = rd16();
        Value r;
        ok = get_attr(st, top(), id, &r);
        if (ok) top() = r;
        break;
      }
      case kOpGetItem: {
        Value k = pop(), r;
        ok = get_item(st, top(), k, &r);
        if (ok) top() = r;
        break;
      }
      case kOpSlice: {
        uint8_t mask = rd8();
        Value a, b, c, r;
        if (mask & 4) c = pop();
        if (mask & 2) b = pop();
        if (mask & 1) a = pop();
        ok = slice(st, top(), mask & 1 ? &a : nullptr, mask & 2 ? &b : nullptr,
                   mask & 4 ? &c : nullptr, &r);
        if (ok) top() = r;
        break;
      }
      case kOpBinary: {
        uint8_t bop = rd8();
        Value b = pop(), r;
        ok = binary(st, bop, top(), b, &r);
        if (ok) top() = r;
        break;
      }
      case kOpConcat: {
        uint8_t n = rd8(), folded = rd8();
        ok = op_concat(n, folded != 0);
        break;
      }
      case kOpCompare:
      case kOpCompareChain: {
        uint8_t c = rd8();
        Value b = pop(), a = pop();
        bool r = false;
        if (c == kEq || c == kNe) {
          ok = equal(st, a, b, &r);
          if (c == kNe) r = !r;
        } else if (c == kIn || c == kNotIn) {
          ok = contains(st, b, a, &r);
          if (c == kNotIn) r = !r;
        } else {
          int o = 0;
          ok = order(st, a, b, &o);
          r = o == 2 ? false : c == kLt ? o < 0 : c == kLe ? o <= 0 : c == kGt ? o > 0 : o >= 0;
        }
        if (!ok) break;
        if (op == kOpCompare) {
          push(v_bool(r));
        } else if (!r) {
          push(v_bool(false));
          jump_rel();
        } else {
          push(b);
          skip_rel();
        }
        break;
      }
      case kOpNot: {
        bool t;
        ok = truthy(st, top(), &t);
        if (ok) top() = v_bool(!t);
        break;
      }
      case kOpNeg:
      case kOpPos: {
        Value r;
        ok = negate(st, top(), op == kOpNeg, &r);
        if (ok) top() = r;
        break;
      }
      case kOpJump:
        jump_rel();
        break;
      case kOpJumpIfFalse: {
        bool t;
        ok = truthy(st, pop(), &t);
        if (!ok) break;
        if (t)
          skip_rel();
        else
          jump_rel();
        break;
      }
      case kOpAndJump:
      case kOpOrJump: {
        bool t;
        ok = truthy(st, top(), &t);
        if (!ok) break;
        if (t == (op == kOpOrJump)) {
          jump_rel();
        } else {
          st.sp--;
          skip_rel();
        }
        break;
      }
      case kOpPop:
        st.sp--;
        break;
      case kOpFilter: {
        uint8_t f = rd8(), argc = rd8();
        Value args[3] = {absent(), absent(), absent()};
        for (uint8_t i = 0; i < argc; i++)
          args[code[st.pc + i]] = st.stack[st.sp - argc + i];
        st.pc += argc;
        st.sp -= argc;
        Value r;
        ok = apply_filter(st, f, top(), args, &r);
        if (ok) top() = r;
        break;
      }
      case kOpTest: {
        uint8_t t = rd8(), argc = rd8(), neg = rd8();
        Value args[4];
        for (uint8_t i = 0; i < argc; i++)
          args[i] = st.stack[st.sp - argc + i];
        st.sp -= argc;
        bool r = false;
        ok = apply_test(st, t, top(), args, argc, &r);
        if (ok) top() = v_bool(neg ? !r : r);
        break;
      }
      case kOpRange: {
        uint8_t argc = rd8();
        Value r;
        ok = make_range(st, st.stack + st.sp - argc, argc, &r);
        st.sp -= argc;
        if (ok) push(r);
        break;
      }
      case kOpDictMethod: {
        uint8_t which = rd8();
        Value& v = top();
        if (v.k == VK::Undefined) {
          ok = st.undefined_error(v);
        } else if (!(v.k == VK::Enc && v.e[0] == kDict)) {
          ok = st.fail("%s() is supported on dicts only", which == 0   ? "items"
                                                          : which == 1 ? "keys"
                                                                       : "values");
        } else {
          Value r;
          r.k = VK::View;
          r.aux = which;
          r.e = v.e;
          v = r;
        }
        break;
      }
      case kOpCycle: {
        uint8_t argc = rd8();
        Value l = st.stack[st.sp - argc - 1];
        if (l.k != VK::Loop) {
          ok = l.k == VK::Undefined ? st.undefined_error(l)
                                    : st.fail("cycle() needs the loop variable");
          break;
        }
        uint32_t index0 = st.loops[l.i].done - 1;
        Value r = st.stack[st.sp - argc + index0 % argc];
        st.sp -= argc;
        top() = r;
        break;
      }
      case kOpBuild: {
        uint8_t tag = rd8();
        uint16_t n = rd16();
        ok = op_build(tag, n);
        break;
      }
      case kOpForInit: {
        uint8_t filtered = rd8();
        Value it = pop();
        if (st.nloops >= st.caps.loops) {
          ok = st.fail("for loops nested deeper than %u", unsigned(st.caps.loops));
          break;
        }
        Loop& l = st.loops[st.nloops];
        l = Loop();
        ok = iter_init(st, it, &l.it);
        if (!ok) break;
        l.start = l.it;
        l.filtered = filtered;
        l.length = filtered ? 0 : l.it.count;
        uint32_t base = st.scratch_top;
        if (filtered) {
          l.bits = st.salloc((l.it.count + 7) / 8);
          if (l.bits == nullptr) {
            ok = false;
            break;
          }
          std::memset(l.bits, 0, (l.it.count + 7) / 8);
        }
        ok = push_frame(FrameKind::Loop, base);  // ret_pc holds the scratch to release
        if (!ok) break;
        l.scratch_mark = st.scratch_top;
        st.nloops++;
        break;
      }
      case kOpForScan: {
        uint8_t n = rd8();
        uint16_t ids[8];
        for (uint8_t i = 0; i < n; i++)
          ids[i] = rd16();
        Loop& l = st.loops[st.nloops - 1];
        st.nvars = st.frames[st.nframes - 1].var_base;
        st.scratch_top = l.scratch_mark;
        Value x;
        if (!iter_next(st, &l.it, &x)) {
          if (st.status == RenderStatus::Error) {
            ok = false;
            break;
          }
          jump_rel();
          break;
        }
        skip_rel();
        if (++st.iterations > st.lim.max_loop_iterations) {
          ok = st.limit_fail("more than max_loop_iterations (%u) loop iterations",
                             unsigned(st.lim.max_loop_iterations));
          break;
        }
        ok = bind(ids, n, x);
        break;
      }
      case kOpForMark: {
        Loop& l = st.loops[st.nloops - 1];
        bool t;
        ok = truthy(st, pop(), &t);
        if (!ok) break;
        if (t) {
          l.bits[l.scanned / 8] |= uint8_t(1u << (l.scanned % 8));
          l.length++;
        }
        l.scanned++;
        break;
      }
      case kOpForRewind: {
        Loop& l = st.loops[st.nloops - 1];
        l.it = l.start;
        l.scanned = 0;
        break;
      }
      case kOpForNext: {
        uint8_t n = rd8();
        uint16_t ids[8];
        for (uint8_t i = 0; i < n; i++)
          ids[i] = rd16();
        uint16_t loop_id = rd16();
        Loop& l = st.loops[st.nloops - 1];
        st.nvars = st.frames[st.nframes - 1].var_base;
        st.scratch_top = l.scratch_mark;
        Value x;
        bool found = false;
        while (iter_next(st, &l.it, &x)) {
          uint32_t idx = l.scanned++;
          if (!l.filtered || (l.bits[idx / 8] >> (idx % 8)) & 1) {
            found = true;
            break;
          }
        }
        if (st.status == RenderStatus::Error) {
          ok = false;
          break;
        }
        if (!found) {
          jump_rel();
          break;
        }
        skip_rel();
        if (++st.iterations > st.lim.max_loop_iterations) {
          ok = st.limit_fail("more than max_loop_iterations (%u) loop iterations",
                             unsigned(st.lim.max_loop_iterations));
          break;
        }
        if (l.done > 0) {
          l.prev = l.cur;
          l.had_prev = 1;
        }
        l.cur = x;
        l.done++;
        ok = bind(ids, n, x);
        if (ok && loop_id != 0xffff) {
          Value lv;
          lv.k = VK::Loop;
          lv.i = int64_t(st.nloops - 1);
          ok = set_var(loop_id, lv);
        }
        break;
      }
      case kOpForEnd: {
        Loop& l = st.loops[st.nloops - 1];
        bool ran = l.done > 0;
        const Frame& f = st.frames[st.nframes - 1];
        st.nvars = f.var_base;
        st.scratch_top = f.ret_pc;
        st.nframes--;
        st.nloops--;
        if (ran)
          jump_rel();
        else
          skip_rel();
        break;
      }
      case kOpInclude:
      case kOpCallBlock: {
        uint32_t entry = rd32();
        uint8_t flag = rd8();
        if (entry == 0xffffffffu) break;  // include ... ignore missing, and it was
        if (st.include_depth >= st.lim.max_include_depth) {
          ok = st.limit_fail("includes and blocks nested deeper than max_include_depth (%u)",
                             unsigned(st.lim.max_include_depth));
          break;
        }
        FrameKind k = op == kOpInclude ? (flag ? FrameKind::Include : FrameKind::IncludeIsolated)
                                       : (flag ? FrameKind::BlockScoped : FrameKind::Block);
        ok = push_frame(k, st.pc);
        if (!ok) break;
        st.include_depth++;
        st.pc = entry;
        break;
      }
      case kOpReturn: {
        const Frame& f = st.frames[st.nframes - 1];
        st.nvars = f.var_base;
        st.scratch_top = f.scratch_mark;
        st.pc = f.ret_pc;
        st.nframes--;
        st.include_depth--;
        break;
      }
      case kOpCaptureBegin:
        st.capturing = true;
        st.capture_n = 0;
        break;
      case kOpCaptureEnd: {
        uint16_t id = rd16();
        st.capturing = false;
        Buf b = st.scratch_buf();
        b.put(std::string_view(st.capture, st.capture_n));
        std::string_view s;
        ok = st.commit(b, &s) && set_var(id, v_str(s, true));
        break;
      }
      default:
        ok = st.fail("internal: bad op %u", unsigned(op));
    }
    if (!ok || st.status == RenderStatus::Error) {
      st.status = RenderStatus::Error;
      locate_error(at);
      return;
    }
    if (st.pend_n > 0) return;  // the piece is full
  }
}

}  // namespace

size_t render_memory(const RenderCaps& c) {
  return align8(sizeof(Render)) + align8(c.stack * sizeof(Value)) + align8(c.vars * sizeof(Var)) +
         align8(c.frames * sizeof(Frame)) + align8(c.loops * sizeof(Loop)) + align8(c.scratch) +
         align8(c.capture);
}

Render* render_start(void* mem, const RenderCaps& caps, const void* program, const uint8_t* context,
                     size_t context_len, const RenderLimits& limits) {
  auto* r = new (mem) Render();
  auto* p = static_cast<uint8_t*>(mem) + align8(sizeof(Render));
  r->stack = reinterpret_cast<Value*>(p);
  p += align8(caps.stack * sizeof(Value));
  r->vars = reinterpret_cast<Var*>(p);
  p += align8(caps.vars * sizeof(Var));
  r->frames = reinterpret_cast<Frame*>(p);
  p += align8(caps.frames * sizeof(Frame));
  r->loops = reinterpret_cast<Loop*>(p);
  p += align8(caps.loops * sizeof(Loop));
  r->scratch = p;
  p += align8(caps.scratch);
  r->capture = reinterpret_cast<char*>(p);
  r->caps = caps;
  r->lim = limits;
  r->prog = Program(program);
  r->scratch_hi = caps.scratch;
  if (context != nullptr && context_len >= 9 && context[0] == kDict) r->context = context;
  r->context_len = context_len;
  r->frames[0] = Frame{FrameKind::Root, 0, 0, 0};
  r->nframes = 1;
  if (r->prog.h().max_stack > caps.stack)
    r->fail("the template needs %u value stack slots; the render has %u",
            unsigned(r->prog.h().max_stack), unsigned(caps.stack));
  return r;
}

RenderStatus render_next(Render* r, char* dst, size_t cap, size_t* written) {
  *written = 0;
  if (r->status != RenderStatus::More) return r->status;
  r->out = dst;
  r->out_cap = cap;
  r->out_n = 0;
  Machine m(*r);
  if (r->pend_n > 0 && !m.drain()) {
    *written = r->out_n;
    return r->status;
  }
  if (r->status == RenderStatus::More) m.run();
  *written = r->out_n;
  return r->status == RenderStatus::Done && r->pend_n > 0 ? RenderStatus::More : r->status;
}

const RenderError& render_error(const Render* r) {
  return r->err;
}
uint64_t render_output_bytes(const Render* r) {
  return r->output_total;
}
size_t render_context_bytes(const Render* r) {
  return r->context_len;
}
RenderStatus render_status(const Render* r) {
  return r->status;
}
size_t render_scratch_peak(const Render* r) {
  return r->scratch_peak;
}

}  // namespace viper::tmpl
