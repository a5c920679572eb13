// Internals of the template compiler, shared by compiler.cpp (statements, units, linking) and
// expression.cpp (expressions).  Not part of the engine's API.
//
// The compiler is a recursive-descent parser over the lexer's tokens that emits byte code as
// it goes (one pass).  Jumps are patched when their targets are known; calls to blocks and
// included templates are recorded and patched once the whole unit is compiled.  The first
// error stops everything: `bad_` is set and every parse function returns at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "tmpl/compiler.h"
#include "tmpl/encoded.h"
#include "tmpl/lexer.h"
#include "tmpl/program.h"
#include "tmpl/vec.h"

namespace viper::tmpl::detail {

// What the parser knows about an expression it has just emitted.
struct ExprInfo {
  bool is_const = false;  // Jinja's optimiser could fold it (no names, no calls)
  bool is_str = false;    // a plain string literal; `str` is its decoded value (in data)
  bool is_name = false;   // a bare name (assignment targets)
  uint16_t name = 0;
  std::string_view str;
};

struct NameRec {
  uint32_t off;
  uint16_t len;
  uint8_t flags;
};
struct DepRec {
  uint32_t name_off;
  uint16_t name_len;
  uint8_t present;
  uint64_t size;
  int64_t mtime_ns;
};
struct BlockDef {
  uint16_t chain, level;
  uint32_t name_off;
  uint16_t name_len;
  uint32_t body;
};
struct BlockRef {
  uint16_t chain, level;
  uint32_t name_off;
  uint16_t name_len;
  uint32_t patch;  // code offset of the u32 to fill
  bool is_super;
  uint16_t dep;
  uint32_t line, column;  // of the super() call, for its error
};
struct IncludeRef {
  uint32_t name_off;
  uint16_t name_len;
  uint32_t patch;
  bool ignore_missing;
  uint16_t dep;
  uint32_t line, column;  // of the include tag, for a missing template
};
struct UnitEntry {  // an included template, compiled once per unit
  uint32_t name_off;
  uint16_t name_len;
  uint32_t entry;  // kNoEntry: missing (ignore missing)
};
inline constexpr uint32_t kNoEntry = 0xffffffffu;

class Compiler {
 public:
  Compiler(SourceLoader* loader, const CompileLimits& limits, CompileError* err)
      : loader_(loader), lim_(limits), err_(err) {}
  // The unit rooted at `name`; `text` overrides loading it (from_string).
  void* run(std::string_view name, const std::string_view* text);

  // --- used by expression.cpp ---------------------------------------------------------------
  ExprInfo expression(bool with_condexpr = true);
  // parse_tuple of Jinja: expressions separated by commas (a tuple when there is a comma).
  // `stop_at_in`: a bare `in` ends it (for-loop targets).
  ExprInfo tuple(bool with_condexpr, bool explicit_parens);

 private:
  // expressions (expression.cpp)
  ExprInfo condexpr();
  ExprInfo or_expr();
  ExprInfo and_expr();
  ExprInfo not_expr();
  ExprInfo compare();
  ExprInfo math1();
  ExprInfo concat();
  ExprInfo math2();
  ExprInfo power();
  ExprInfo unary(bool with_filter);
  ExprInfo primary();
  ExprInfo postfix(ExprInfo e);
  ExprInfo filter_expr(ExprInfo e);
  ExprInfo filter(ExprInfo e);
  ExprInfo test(ExprInfo e);
  ExprInfo subscript(ExprInfo e);
  ExprInfo call(ExprInfo callee, uint32_t callee_pc);
  ExprInfo list_literal();
  ExprInfo dict_literal();
  // Arguments of a call: positional and keyword.  `names` (nullptr-terminated) are the
  // parameter names; each pushed argument's slot goes to slots[].  Returns the count, or -1.
  int call_args(const char* const* names, size_t max, uint8_t* slots, bool* all_const);
  bool string_literal(std::string_view raw, uint32_t at, std::string_view* out);
  void number(const Token& t, ExprInfo* e);
  bool enter_expr();
  void leave_expr() { expr_depth_--; }

  // statements (compiler.cpp)
  uint32_t compile_chain(std::string_view name, const std::string_view* text, bool is_include);
  void compile_template(std::string_view text, uint16_t chain, uint16_t level,
                        std::string_view* parent);
  // Parses statements until an end tag in `ends` (nullptr-terminated); returns its index, or
  // -1 at the end of the template (an error unless `ends` is empty).
  int body(const char* const* ends);
  void statement();
  void stmt_if();
  void stmt_for();
  void stmt_set();
  void stmt_block();
  void stmt_include();
  void stmt_extends();
  void output();
  void end_of_tag();
  void link_blocks(uint16_t chain);
  void compile_includes();

  // tokens
  const Token& cur() const { return tok_; }
  void advance();
  const Token& peek();
  bool is_name(const char* s) const { return tok_.kind == Tok::Name && tok_.text == s; }
  bool is_op(const char* s) const { return tok_.kind == Tok::Op && tok_.text == s; }
  bool expect_op(const char* s);
  bool expect_name(std::string_view* out);

  // errors
  bool fail(uint32_t offset, const char* fmt, ...);
  bool fail_here(const char* fmt, ...);
  bool bad() const { return bad_; }

 public:
  // emission (compiler.cpp); public for expression.cpp's free helpers
  uint32_t pc() const { return uint32_t(code_.size()); }
  void op(uint8_t o, int stack_delta);
  void u8(uint8_t v) { code_.push(v); }
  void u16(uint16_t v) { code_.append(reinterpret_cast<const uint8_t*>(&v), 2); }
  void u32(uint32_t v) { code_.append(reinterpret_cast<const uint8_t*>(&v), 4); }
  void i64(int64_t v) { code_.append(reinterpret_cast<const uint8_t*>(&v), 8); }
  void patch(uint32_t at, uint32_t v);
  // Emits a jump op and a placeholder i32; returns the operand's offset for patch_rel().
  uint32_t jump(uint8_t o, int stack_delta) {
    op(o, stack_delta);
    uint32_t at = pc();
    u32(0);
    return at;
  }
  // Points the i32 operand at `at` to `target`.
  void patch_rel(uint32_t at, uint32_t target) {
    patch(at, uint32_t(int32_t(target - (at + 4))));
    if (target == pc()) text_op_ = kNoEntry;  // a jump lands here: text must not merge back
  }
  void retract(uint32_t to_pc, int to_sp) {
    code_.truncate(to_pc);
    sp_ = to_sp;
  }
  uint32_t add_data(std::string_view s);
  uint16_t name_id(std::string_view s, uint8_t flags);
  void text(std::string_view s);
  void line_at(uint32_t src_offset);
  int sp() const { return sp_; }
  void set_sp(int sp) { sp_ = sp; }

 private:
  void* finish();

  SourceLoader* loader_;
  CompileLimits lim_;
  CompileError* err_;
  bool bad_ = false;

  Vec<uint8_t> code_, data_;
  Vec<NameRec> names_;
  Vec<LineEntry> lines_;
  Vec<DepRec> deps_;
  Vec<BlockDef> blocks_;
  Vec<BlockRef> block_refs_;
  Vec<IncludeRef> includes_;
  Vec<UnitEntry> units_;
  int sp_ = 0, max_sp_ = 0;
  uint32_t text_op_ = kNoEntry;  // code offset of the last TEXT op, while it may grow

  // the template being parsed
  Lexer* lex_ = nullptr;
  Token tok_, peek_;
  bool has_peek_ = false;
  uint16_t dep_ = 0;
  uint16_t chain_ = 0, level_ = 0;
  uint16_t num_chains_ = 0;
  std::string_view* parent_ = nullptr;  // set by extends
  bool after_extends_ = false;
  uint32_t nesting_ = 0;  // statements open around the current one
  uint32_t loops_ = 0;    // for-loops open
  uint32_t blocks_open_ = 0;
  bool capturing_ = false;
  uint32_t expr_depth_ = 0;
  uint32_t max_loop_depth_ = 0;
  bool* loop_used_ = nullptr;  // the innermost loop's "binds loop" flag
  uint32_t line_ = 1, line_offset_ = 0;
  uint32_t tmpl_blocks_start_ = 0;  // blocks_ of the current template
  uint32_t cur_block_off_ = 0;      // the block being parsed (for super())
  uint16_t cur_block_len_ = 0;
  uint32_t extends_off_ = 0;  // the parent named by extends (in data)
  uint16_t extends_len_ = 0;
  uint32_t extends_line_ = 0, extends_col_ = 0;
};

}  // namespace viper::tmpl::detail
