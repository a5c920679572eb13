// Statements (expressions: expression.cpp; units and linking: unit.cpp), with the compiler's
// errors, tokens and emission helpers.
//
// Statements of the subset: if/elif/else, for (targets, `if` filter, else), set (expression
// and block form), block (with super()), extends, include (ignore missing, with/without
// context), raw and comments (in the lexer).  Everything else Jinja2 has is refused by name.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "mem/allocator.h"
#include "tmpl/compiler_impl.h"

namespace viper::tmpl {

using detail::Compiler;

namespace detail {

namespace {

// Jinja tags outside the subset, refused by name.
const char* const kUnsupportedTags[] = {
    "macro",     "call",     "filter",        "with",     "import",    "from",     "do",
    "break",     "continue", "autoescape",    "trans",    "pluralize", "endmacro", "endcall",
    "endfilter", "endwith",  "endautoescape", "endtrans", nullptr};

}  // namespace

// --- errors and tokens --------------------------------------------------------------------------

static void fill_error(CompileError* err, std::string_view tmpl, uint32_t line, uint32_t col,
                       const char* fmt, va_list ap) {
  std::vsnprintf(err->message, sizeof err->message, fmt, ap);
  size_t n = std::min(tmpl.size(), sizeof err->template_name - 1);
  if (n) std::memcpy(err->template_name, tmpl.data(), n);
  err->template_name[n] = 0;
  err->line = line;
  err->column = col;
}

bool Compiler::fail(uint32_t offset, const char* fmt, ...) {
  if (bad_) return false;
  bad_ = true;
  uint32_t line = 0, col = 0;
  if (lex_ != nullptr) lex_->position(offset, &line, &col);
  std::string_view tmpl;
  if (dep_ < deps_.size())
    tmpl = std::string_view(reinterpret_cast<const char*>(data_.data()) + deps_[dep_].name_off,
                            deps_[dep_].name_len);
  va_list ap;
  va_start(ap, fmt);
  fill_error(err_, tmpl, line, col, fmt, ap);
  va_end(ap);
  tok_ = Token{Tok::End, {}, 0};
  has_peek_ = false;
  return false;
}

bool Compiler::fail_here(const char* fmt, ...) {
  if (bad_) return false;
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fail(tok_.offset, "%s", msg);
}

void Compiler::advance() {
  if (bad_) return;
  if (has_peek_) {
    tok_ = peek_;
    has_peek_ = false;
  } else {
    tok_ = lex_->next();
  }
  if (tok_.kind == Tok::Error) fail(tok_.offset, "%.*s", int(tok_.text.size()), tok_.text.data());
}

const Token& Compiler::peek() {
  if (!has_peek_ && !bad_) {
    peek_ = lex_->next();
    has_peek_ = true;
  }
  return peek_;
}

bool Compiler::expect_op(const char* s) {
  if (is_op(s)) {
    advance();
    return !bad_;
  }
  if (tok_.kind == Tok::Error)
    return fail(tok_.offset, "%.*s", int(tok_.text.size()), tok_.text.data());
  return fail_here("expected '%s'", s);
}

bool Compiler::expect_name(std::string_view* out) {
  if (tok_.kind != Tok::Name) return fail_here("expected a name");
  *out = tok_.text;
  advance();
  return !bad_;
}

void Compiler::end_of_tag() {
  if (bad_) return;
  if (tok_.kind != Tok::BlockEnd) {
    fail_here("expected the end of the tag ('%%}'), got '%.*s'", int(tok_.text.size()),
              tok_.text.data());
    return;
  }
  advance();
}

// --- emission ----------------------------------------------------------------------------------

void Compiler::op(uint8_t o, int stack_delta) {
  text_op_ = kNoEntry;
  code_.push(o);
  sp_ += stack_delta;
  if (sp_ > max_sp_) max_sp_ = sp_;
}

void Compiler::patch(uint32_t at, uint32_t v) {
  if (at + 4 <= code_.size()) std::memcpy(code_.data() + at, &v, 4);
}

uint32_t Compiler::add_data(std::string_view s) {
  auto off = uint32_t(data_.size());
  const auto* base = reinterpret_cast<const char*>(data_.data());
  if (base != nullptr && s.data() >= base && s.data() < base + data_.size()) {
    // `s` lives in data itself: copy by index, the buffer may move while it grows.
    size_t from = size_t(s.data() - base);
    for (size_t i = 0; i < s.size(); i++)
      data_.push(data_[from + i]);
  } else {
    data_.append(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  return off;
}

uint16_t Compiler::name_id(std::string_view s, uint8_t flags) {
  for (size_t i = 0; i < names_.size(); i++) {
    NameRec& n = names_[i];
    if (n.len == s.size() && std::memcmp(data_.data() + n.off, s.data(), s.size()) == 0) {
      n.flags |= flags;
      return uint16_t(i);
    }
  }
  if (names_.size() >= 0xfff0 || s.size() > 0xffff) {
    fail_here("too many names");
    return 0;
  }
  NameRec r{add_data(s), uint16_t(s.size()), flags};
  names_.push(r);
  return uint16_t(names_.size() - 1);
}

void Compiler::text(std::string_view s) {
  if (s.empty()) return;
  if (text_op_ != kNoEntry) {
    uint32_t off, len;
    std::memcpy(&off, code_.data() + text_op_ + 1, 4);
    std::memcpy(&len, code_.data() + text_op_ + 5, 4);
    if (off + len == data_.size()) {  // the previous text is last in data: extend it
      add_data(s);
      len += uint32_t(s.size());
      std::memcpy(code_.data() + text_op_ + 5, &len, 4);
      return;
    }
  }
  uint32_t off = add_data(s);
  op(kOpText, 0);
  text_op_ = pc() - 1;
  u32(off);
  u32(uint32_t(s.size()));
}

void Compiler::line_at(uint32_t src_offset) {
  if (lex_ == nullptr) return;
  std::string_view src = lex_->source();
  for (uint32_t i = line_offset_; i < src_offset && i < src.size(); i++)
    if (src[i] == '\n') line_++;
  if (src_offset > line_offset_) line_offset_ = src_offset;
  if (lines_.size() > 0) {
    LineEntry& last = lines_[lines_.size() - 1];
    if (last.dep == dep_ && last.line == line_) return;
    if (last.pc == pc()) {
      last.dep = dep_;
      last.line = line_;
      return;
    }
  }
  lines_.push(LineEntry{pc(), dep_, 0, line_});
}

// --- statements ----------------------------------------------------------------------------------

int Compiler::body(const char* const* ends) {
  while (!bad_) {
    switch (tok_.kind) {
      case Tok::Data:
        if (!(after_extends_ && nesting_ == 0)) text(tok_.text);
        advance();
        break;
      case Tok::VarBegin:
        output();
        break;
      case Tok::BlockBegin: {
        uint32_t at = tok_.offset;
        advance();
        if (tok_.kind == Tok::Name) {
          for (int i = 0; ends[i] != nullptr; i++)
            if (tok_.text == ends[i]) return i;
        }
        line_at(at);
        statement();
        break;
      }
      case Tok::End: {
        if (ends[0] == nullptr) return -1;
        int last = 0;  // the tag that closes the statement (endif, endfor...)
        while (ends[last + 1] != nullptr)
          last++;
        fail(tok_.offset, "unexpected end of template: expected '{%% %s %%}'", ends[last]);
        return -1;
      }
      default:
        fail_here("unexpected '%.*s'", int(tok_.text.size()), tok_.text.data());
        return -1;
    }
  }
  return -1;
}

void Compiler::statement() {
  if (tok_.kind != Tok::Name) {
    fail_here("expected a tag name");
    return;
  }
  std::string_view t = tok_.text;
  if (after_extends_ && nesting_ == 0 && t != "set" && t != "block") {
    fail_here("only {%% block %%} and {%% set %%} may follow {%% extends %%} at the top level");
    return;
  }
  if (nesting_ + 1 > lim_.max_nesting) {
    fail_here("statements nested deeper than %u levels", unsigned(lim_.max_nesting));
    return;
  }
  if (t == "if") return stmt_if();
  if (t == "for") return stmt_for();
  if (t == "set") return stmt_set();
  if (t == "block") return stmt_block();
  if (t == "include") return stmt_include();
  if (t == "extends") return stmt_extends();
  for (const char* const* u = kUnsupportedTags; *u; u++) {
    if (t == *u) {
      fail_here("tag '%.*s' is not supported in the ViperHTTP template subset", int(t.size()),
                t.data());
      return;
    }
  }
  fail_here("unexpected tag '%.*s'", int(t.size()), t.data());
}

void Compiler::output() {
  uint32_t at = tok_.offset;
  advance();  // {{
  line_at(at);
  if (is_name("super") && peek().kind == Tok::Op && peek().text == "(") {
    Token s = tok_;
    advance();
    advance();
    if (!expect_op(")")) return;
    if (tok_.kind != Tok::VarEnd) {
      fail(s.offset, "super() is supported only as {{ super() }}");
      return;
    }
    if (cur_block_len_ == 0) {
      fail(s.offset, "super() outside a block");
      return;
    }
    op(kOpCallBlock, 0);
    BlockRef r{chain_, level_, cur_block_off_, cur_block_len_, pc(), true, dep_, 0, 0};
    lex_->position(s.offset, &r.line, &r.column);
    block_refs_.push(r);
    u32(0);
    u8(0);
    advance();
    return;
  }
  bool suppressed = after_extends_ && nesting_ == 0;
  uint32_t p0 = pc();
  int sp0 = sp_;
  op(kOpMark, 0);
  tuple(true, false);
  op(kOpPrint, -1);
  if (bad_) return;
  if (tok_.kind != Tok::VarEnd) {
    fail_here("expected '}}', got '%.*s'", int(tok_.text.size()), tok_.text.data());
    return;
  }
  if (suppressed) retract(p0, sp0);  // Jinja never evaluates output after extends
  advance();
}

void Compiler::stmt_if() {
  advance();
  nesting_++;
  tuple(false, false);
  end_of_tag();
  uint32_t jf = jump(kOpJumpIfFalse, -1);
  bool jf_open = true;
  Vec<uint32_t> exits;
  static const char* const kIfEnds[] = {"elif", "else", "endif", nullptr};
  static const char* const kElseEnds[] = {"endif", nullptr};
  int idx = body(kIfEnds);
  while (!bad_) {
    if (idx == 0) {  // elif
      exits.push(jump(kOpJump, 0));
      patch_rel(jf, pc());
      advance();
      line_at(tok_.offset);
      tuple(false, false);
      end_of_tag();
      jf = jump(kOpJumpIfFalse, -1);
      idx = body(kIfEnds);
    } else if (idx == 1) {  // else
      exits.push(jump(kOpJump, 0));
      patch_rel(jf, pc());
      jf_open = false;
      advance();
      end_of_tag();
      idx = body(kElseEnds) == 0 ? 2 : -1;
    } else if (idx == 2) {
      advance();
      end_of_tag();
      break;
    } else {
      return;
    }
  }
  if (jf_open) patch_rel(jf, pc());
  for (size_t i = 0; i < exits.size(); i++)
    patch_rel(exits[i], pc());
  nesting_--;
}

void Compiler::stmt_for() {
  advance();
  nesting_++;
  loops_++;
  if (loops_ > max_loop_depth_) max_loop_depth_ = loops_;
  uint16_t targets[8];
  uint8_t nt = 0;
  bool paren = is_op("(");
  if (paren) advance();
  while (!bad_) {
    if (tok_.kind != Tok::Name || tok_.text == "in") {
      fail_here("expected a loop variable name");
      return;
    }
    if (tok_.text.size() > 1 && tok_.text.substr(0, 2) == "__") {
      fail_here("names starting with '__' are not allowed");
      return;
    }
    if (nt == 8) {
      fail_here("at most 8 loop variables");
      return;
    }
    targets[nt++] = name_id(tok_.text, 0);
    advance();
    if (!is_op(",")) break;
    advance();
    if (paren && is_op(")")) break;
  }
  if (paren && !expect_op(")")) return;
  if (!is_name("in")) {
    fail_here("expected 'in' after the loop variables");
    return;
  }
  advance();
  // Jinja: parse_tuple(with_condexpr=False): the `if` that may follow filters the items.
  tuple(false, false);
  bool filtered = is_name("if");
  op(kOpForInit, -1);
  u8(filtered ? 1 : 0);
  if (filtered) {
    advance();
    uint32_t scan = pc();
    op(kOpForScan, 0);
    u8(nt);
    for (uint8_t i = 0; i < nt; i++)
      u16(targets[i]);
    uint32_t done = pc();
    u32(0);
    expression();
    op(kOpForMark, -1);
    uint32_t back = jump(kOpJump, 0);
    patch_rel(back, scan);
    patch_rel(done, pc());
    op(kOpForRewind, 0);
  }
  if (is_name("recursive")) {
    fail_here("recursive loops are not supported");
    return;
  }
  end_of_tag();
  uint32_t top = pc();
  op(kOpForNext, 0);
  u8(nt);
  for (uint8_t i = 0; i < nt; i++)
    u16(targets[i]);
  uint32_t loop_slot = pc();
  u16(0xffff);
  uint32_t exit = pc();
  u32(0);
  bool used = false;
  bool* saved = loop_used_;
  loop_used_ = &used;
  static const char* const kForEnds[] = {"else", "endfor", nullptr};
  static const char* const kEndFor[] = {"endfor", nullptr};
  int idx = body(kForEnds);
  loop_used_ = saved;
  if (bad_) return;
  uint32_t back = jump(kOpJump, 0);
  patch_rel(back, top);
  patch_rel(exit, pc());
  uint32_t after_else = jump(kOpForEnd, 0);
  loops_--;
  if (idx == 0) {
    advance();
    end_of_tag();
    if (body(kEndFor) != 0) return;
  }
  patch_rel(after_else, pc());
  advance();
  end_of_tag();
  if (used) {
    uint16_t id = name_id("loop", kNameContext);
    std::memcpy(code_.data() + loop_slot, &id, 2);
  }
  nesting_--;
}

void Compiler::stmt_set() {
  advance();
  uint16_t targets[8];
  uint8_t nt = 0;
  while (!bad_) {
    if (tok_.kind != Tok::Name) {
      fail_here("expected a variable name");
      return;
    }
    if (tok_.text.size() > 1 && tok_.text.substr(0, 2) == "__") {
      fail_here("names starting with '__' are not allowed");
      return;
    }
    if (peek().kind == Tok::Op && peek().text == ".") {
      fail_here("assigning attributes (namespace objects) is not supported");
      return;
    }
    if (nt == 8) {
      fail_here("at most 8 names in one set");
      return;
    }
    targets[nt++] = name_id(tok_.text, 0);
    advance();
    if (!is_op(",")) break;
    advance();
  }
  if (bad_) return;
  if (is_op("=")) {
    advance();
    tuple(true, false);
    end_of_tag();
    if (nt == 1) {
      op(kOpStore, -1);
      u16(targets[0]);
    } else {
      op(kOpUnpack, -1);
      u8(nt);
      for (uint8_t i = 0; i < nt; i++)
        u16(targets[i]);
    }
    return;
  }
  if (nt != 1) {
    fail_here("expected '=' after the names");
    return;
  }
  if (is_op("|")) {
    fail_here("filter blocks on {%% set %%} are not supported");
    return;
  }
  if (capturing_) {
    fail_here("{%% set %%} blocks cannot be nested");
    return;
  }
  end_of_tag();
  nesting_++;
  capturing_ = true;
  op(kOpCaptureBegin, 0);
  static const char* const kEndSet[] = {"endset", nullptr};
  if (body(kEndSet) != 0) return;
  advance();
  end_of_tag();
  op(kOpCaptureEnd, 0);
  u16(targets[0]);
  capturing_ = false;
  nesting_--;
}

void Compiler::stmt_block() {
  if (loops_ > 0) {
    fail_here("{%% block %%} inside a for loop is not supported");
    return;
  }
  if (capturing_) {
    fail_here("{%% block %%} inside {%% set %%} is not supported");
    return;
  }
  advance();
  std::string_view name;
  if (!expect_name(&name)) return;
  bool scoped = false;
  while (tok_.kind == Tok::Name) {
    if (is_name("scoped")) {
      scoped = true;
      advance();
    } else if (is_name("required")) {
      fail_here("required blocks are not supported");
      return;
    } else {
      fail_here("unexpected '%.*s' in {%% block %%}", int(tok_.text.size()), tok_.text.data());
      return;
    }
  }
  end_of_tag();
  if (bad_) return;
  const char* d = reinterpret_cast<const char*>(data_.data());
  for (size_t i = tmpl_blocks_start_; i < blocks_.size(); i++) {
    if (std::string_view(d + blocks_[i].name_off, blocks_[i].name_len) == name) {
      fail_here("block '%.*s' defined twice", int(name.size()), name.data());
      return;
    }
  }
  uint32_t noff = add_data(name);
  auto nlen = uint16_t(name.size());
  bool call = !(after_extends_ && nesting_ == 0);
  if (call) {
    op(kOpCallBlock, 0);
    BlockRef r{chain_, level_, noff, nlen, pc(), false, dep_, 0, 0};
    block_refs_.push(r);
    u32(0);
    u8(scoped ? 1 : 0);
  }
  uint32_t over = jump(kOpJump, 0);
  blocks_.push(BlockDef{chain_, level_, noff, nlen, pc()});
  uint32_t saved_off = cur_block_off_;
  uint16_t saved_len = cur_block_len_;
  cur_block_off_ = noff;
  cur_block_len_ = nlen;
  nesting_++;
  blocks_open_++;
  static const char* const kEndBlock[] = {"endblock", nullptr};
  int idx = body(kEndBlock);
  nesting_--;
  blocks_open_--;
  cur_block_off_ = saved_off;
  cur_block_len_ = saved_len;
  if (idx != 0) return;
  advance();
  if (tok_.kind == Tok::Name) {
    if (tok_.text != name) {
      fail_here("mismatched {%% endblock %.*s %%} for block '%.*s'", int(tok_.text.size()),
                tok_.text.data(), int(name.size()), name.data());
      return;
    }
    advance();
  }
  end_of_tag();
  op(kOpReturn, 0);
  patch_rel(over, pc());
}

void Compiler::stmt_include() {
  Token at = tok_;
  advance();
  uint32_t p0 = pc();
  int sp0 = sp_;
  ExprInfo e = expression();
  if (bad_) return;
  if (!e.is_str) {
    fail(at.offset, "include needs a string literal (dynamic includes are not supported)");
    return;
  }
  uint32_t noff = uint32_t(e.str.data() - reinterpret_cast<const char*>(data_.data()));
  auto nlen = uint16_t(e.str.size());
  bool ok = template_name_ok(e.str);
  retract(p0, sp0);
  bool ignore = false, with_context = true;
  if (is_name("ignore")) {
    advance();
    if (!is_name("missing")) {
      fail_here("expected 'missing' after 'ignore'");
      return;
    }
    advance();
    ignore = true;
  }
  if (is_name("with") || is_name("without")) {
    with_context = is_name("with");
    advance();
    if (!is_name("context")) {
      fail_here("expected 'context'");
      return;
    }
    advance();
  }
  end_of_tag();
  if (!ok) {
    fail(at.offset, "invalid template name in include (absolute, '..' or empty segments)");
    return;
  }
  op(kOpInclude, 0);
  IncludeRef r{noff, nlen, pc(), ignore, dep_, 0, 0};
  lex_->position(at.offset, &r.line, &r.column);
  includes_.push(r);
  u32(0);
  u8(with_context ? 1 : 0);
}

void Compiler::stmt_extends() {
  Token at = tok_;
  if (nesting_ > 0) {
    fail_here("{%% extends %%} must be at the top level of the template");
    return;
  }
  if (after_extends_) {
    fail_here("extended multiple times");
    return;
  }
  advance();
  uint32_t p0 = pc();
  int sp0 = sp_;
  ExprInfo e = expression();
  if (bad_) return;
  if (!e.is_str) {
    fail(at.offset, "extends needs a string literal (dynamic parents are not supported)");
    return;
  }
  extends_off_ = uint32_t(e.str.data() - reinterpret_cast<const char*>(data_.data()));
  extends_len_ = uint16_t(e.str.size());
  bool ok = template_name_ok(e.str);
  retract(p0, sp0);
  end_of_tag();
  if (!ok) {
    fail(at.offset, "invalid template name in extends (absolute, '..' or empty segments)");
    return;
  }
  lex_->position(at.offset, &extends_line_, &extends_col_);
  *parent_ = std::string_view("x", 1);  // non-empty: the chain goes on (name in extends_off_)
  after_extends_ = true;
}

}  // namespace detail
}  // namespace viper::tmpl
