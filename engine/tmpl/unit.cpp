// Units: compiling a template with the chain of templates it extends and the templates it
// includes, resolving block calls and super() to their definitions, and laying the result out
// as one Program (names hashed, lines, dependencies).  Also the public entry points of
// compiler.h.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "mem/allocator.h"
#include "tmpl/compiler_impl.h"

namespace viper::tmpl {

using detail::Compiler;

bool template_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  size_t seg = 0;
  for (size_t i = 0; i <= name.size(); i++) {
    if (i == name.size() || name[i] == '/') {
      std::string_view s = name.substr(seg, i - seg);
      if (s.empty() || s == "." || s == "..") return false;
      seg = i + 1;
      continue;
    }
    auto c = uint8_t(name[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  return true;
}

void* compile(std::string_view name, SourceLoader* loader, const CompileLimits& limits,
              CompileError* err) {
  Compiler c(loader, limits, err);
  return c.run(name, nullptr);
}

void* compile_source(std::string_view name, std::string_view text, SourceLoader* loader,
                     const CompileLimits& limits, CompileError* err) {
  Compiler c(loader, limits, err);
  return c.run(name, &text);
}

namespace detail {

// --- units ------------------------------------------------------------------------------------

void* Compiler::run(std::string_view name, const std::string_view* text) {
  if (text == nullptr && !template_name_ok(name)) {
    CompileError* e = err_;
    e->not_found = true;
    std::snprintf(e->message, sizeof e->message, "invalid template name");
    std::snprintf(e->template_name, sizeof e->template_name, "%.*s",
                  int(std::min<size_t>(name.size(), 100)), name.data());
    return nullptr;
  }
  compile_chain(name, text, false);
  compile_includes();
  if (code_.failed() || data_.failed() || names_.failed() || lines_.failed() || deps_.failed() ||
      blocks_.failed() || block_refs_.failed() || includes_.failed() || units_.failed()) {
    lex_ = nullptr;
    fail(0, "out of memory while compiling");
  }
  if (bad_) return nullptr;
  return finish();
}

uint32_t Compiler::compile_chain(std::string_view name, const std::string_view* text,
                                 bool is_include) {
  uint16_t chain = num_chains_++;
  uint32_t entry = pc();
  // The chain's templates, most derived first; their names live in data.
  uint32_t cur_off = add_data(name);
  uint16_t cur_len = uint16_t(name.size());
  uint16_t first_dep = uint16_t(deps_.size());
  uint16_t from_dep = dep_;
  uint32_t from_line = 0, from_col = 0;
  bool has_from = false;
  for (uint16_t level = 0; !bad_; level++) {
    std::string_view cur(reinterpret_cast<const char*>(data_.data()) + cur_off, cur_len);
    for (size_t d = first_dep; d < deps_.size(); d++) {
      std::string_view dn(reinterpret_cast<const char*>(data_.data()) + deps_[d].name_off,
                          deps_[d].name_len);
      if (dn == cur) {
        lex_ = nullptr;
        dep_ = uint16_t(d);
        fail(0, "'%.*s' extends itself (through its parents)", int(cur.size()), cur.data());
        err_->line = from_line;
        err_->column = from_col;
        return kNoEntry;
      }
    }
    if (deps_.size() >= lim_.max_templates) {
      fail_here("more than %u templates in one unit", unsigned(lim_.max_templates));
      return kNoEntry;
    }
    Source src;
    LoadStatus st = LoadStatus::Ok;
    if (text != nullptr && level == 0) {
      src.text = *text;
      src.size = text->size();
    } else if (loader_ == nullptr) {
      st = LoadStatus::NotFound;
    } else {
      st = loader_->load(cur, &src);
    }
    if (st != LoadStatus::Ok) {
      const char* why = st == LoadStatus::NotFound   ? "template not found"
                        : st == LoadStatus::BadName  ? "invalid template name"
                        : st == LoadStatus::TooLarge ? "template file too large"
                                                     : "template file could not be read";
      lex_ = nullptr;
      if (has_from) dep_ = from_dep;
      bad_ = false;
      fail(0, "%s: '%.*s'", why, int(cur.size()), cur.data());
      err_->not_found = st == LoadStatus::NotFound;
      if (has_from) {
        err_->line = from_line;
        err_->column = from_col;
      } else if (level == 0 && !is_include) {
        std::snprintf(err_->template_name, sizeof err_->template_name, "%.*s",
                      int(std::min<size_t>(cur.size(), 100)), cur.data());
      }
      return kNoEntry;
    }
    DepRec d{cur_off, cur_len, 1, src.size, src.mtime_ns};
    deps_.push(d);
    dep_ = uint16_t(deps_.size() - 1);
    char* norm = static_cast<char*>(mem::alloc(src.text.size() + 1));
    if (norm == nullptr) {
      if (text == nullptr || level > 0) loader_->release(&src);
      fail(0, "out of memory while compiling");
      return kNoEntry;
    }
    size_t n = normalize_source(src.text, norm);
    std::string_view parent;
    compile_template(std::string_view(norm, n), chain, level, &parent);
    // Where the extends tag was, for errors about the parent.
    from_dep = dep_;
    has_from = !parent.empty();
    from_line = extends_line_;
    from_col = extends_col_;
    mem::release(norm);
    if (text == nullptr || level > 0) loader_->release(&src);
    if (bad_ || parent.empty()) break;
    cur_off = extends_off_;
    cur_len = extends_len_;
  }
  if (bad_) return kNoEntry;
  op(is_include ? kOpReturn : kOpHalt, 0);
  link_blocks(chain);
  return entry;
}

void Compiler::compile_template(std::string_view text, uint16_t chain, uint16_t level,
                                std::string_view* parent) {
  Lexer lex(text);
  lex_ = &lex;
  has_peek_ = false;
  chain_ = chain;
  level_ = level;
  parent_ = parent;
  after_extends_ = false;
  nesting_ = loops_ = blocks_open_ = 0;
  capturing_ = false;
  loop_used_ = nullptr;
  line_ = 1;
  line_offset_ = 0;
  text_op_ = kNoEntry;
  tmpl_blocks_start_ = uint32_t(blocks_.size());
  advance();
  static const char* const kNoEnds[] = {nullptr};  // the whole template
  body(kNoEnds);
  text_op_ = kNoEntry;
  lex_ = nullptr;
}

void Compiler::link_blocks(uint16_t chain) {
  for (size_t i = 0; i < block_refs_.size() && !bad_; i++) {
    const BlockRef& r = block_refs_[i];
    if (r.chain != chain) continue;
    std::string_view rn(reinterpret_cast<const char*>(data_.data()) + r.name_off, r.name_len);
    const BlockDef* best = nullptr;
    for (size_t k = 0; k < blocks_.size(); k++) {
      const BlockDef& d = blocks_[k];
      if (d.chain != chain) continue;
      if (std::string_view(reinterpret_cast<const char*>(data_.data()) + d.name_off, d.name_len) !=
          rn)
        continue;
      if (r.is_super && d.level <= r.level) continue;
      if (best == nullptr || d.level < best->level) best = &d;
    }
    if (best == nullptr) {
      lex_ = nullptr;
      dep_ = r.dep;
      fail(0, "super(): no parent block '%.*s'", int(rn.size()), rn.data());
      err_->line = r.line;
      err_->column = r.column;
      return;
    }
    patch(r.patch, best->body);
  }
}

void Compiler::compile_includes() {
  for (size_t i = 0; i < includes_.size() && !bad_; i++) {
    IncludeRef r = includes_[i];
    std::string_view name(reinterpret_cast<const char*>(data_.data()) + r.name_off, r.name_len);
    uint32_t entry = kNoEntry;
    bool known = false;
    for (size_t k = 0; k < units_.size(); k++) {
      const UnitEntry& u = units_[k];
      if (std::string_view(reinterpret_cast<const char*>(data_.data()) + u.name_off, u.name_len) ==
          name) {
        entry = u.entry;
        known = true;
        break;
      }
    }
    if (!known) {
      Source probe;
      LoadStatus st = loader_ != nullptr ? loader_->load(name, &probe) : LoadStatus::NotFound;
      if (st == LoadStatus::Ok) loader_->release(&probe);
      if (st == LoadStatus::NotFound && r.ignore_missing) {
        deps_.push(DepRec{r.name_off, r.name_len, 0, 0, 0});
      } else {
        dep_ = r.dep;
        uint16_t saved_dep = dep_;
        entry = compile_chain(name, nullptr, true);
        if (bad_ && entry == kNoEntry && err_->line == 0) {
          // the include statement is the better place to report a missing template
          dep_ = saved_dep;
          std::string_view tn(
              reinterpret_cast<const char*>(data_.data()) + deps_[saved_dep].name_off,
              deps_[saved_dep].name_len);
          std::snprintf(err_->template_name, sizeof err_->template_name, "%.*s",
                        int(std::min<size_t>(tn.size(), 100)), tn.data());
          err_->line = r.line;
          err_->column = r.column;
        }
      }
      units_.push(UnitEntry{r.name_off, r.name_len, entry});
    } else if (entry == kNoEntry && !r.ignore_missing) {
      lex_ = nullptr;
      dep_ = r.dep;
      fail(0, "template not found: '%.*s'", int(name.size()), name.data());
      err_->not_found = true;
      err_->line = r.line;
      err_->column = r.column;
    }
    patch(r.patch, entry);
  }
}

void* Compiler::finish() {
  if (uint32_t(max_sp_) > lim_.max_stack) {
    fail(0, "expressions need %d value stack slots; the limit is %u", max_sp_,
         unsigned(lim_.max_stack));
    return nullptr;
  }
  if (max_loop_depth_ > lim_.max_loop_nesting) {
    fail(0, "for loops nested deeper than %u", unsigned(lim_.max_loop_nesting));
    return nullptr;
  }
  auto align = [](size_t v) { return (v + 7) & ~size_t(7); };
  size_t nn = names_.size(), nl = lines_.size(), nd = deps_.size();
  size_t off = align(sizeof(ProgramHeader));
  size_t code_off = off;
  off = align(off + code_.size());
  size_t data_off = off;
  off = align(off + data_.size());
  size_t names_off = off;
  off = align(off + nn * sizeof(NameEntry));
  uint32_t hsize = 4;
  while (hsize < nn * 2)
    hsize *= 2;  // at most half full: probes stay short
  size_t hash_off = off;
  off = align(off + hsize * 2);
  size_t lines_off = off;
  off = align(off + nl * sizeof(LineEntry));
  size_t deps_off = off;
  off = align(off + nd * sizeof(DepEntry));
  if (off > lim_.max_program_bytes) {
    fail(0, "compiled template of %u bytes exceeds the limit of %u", unsigned(off),
         unsigned(lim_.max_program_bytes));
    return nullptr;
  }
  auto* b = static_cast<uint8_t*>(mem::alloc(off));
  if (b == nullptr) {
    fail(0, "out of memory for the compiled template (%u bytes)", unsigned(off));
    return nullptr;
  }
  ProgramHeader h{};
  h.magic = kProgramMagic;
  h.total = uint32_t(off);
  h.code_off = uint32_t(code_off);
  h.code_len = uint32_t(code_.size());
  h.data_off = uint32_t(data_off);
  h.data_len = uint32_t(data_.size());
  h.names_off = uint32_t(names_off);
  h.hash_off = uint32_t(hash_off);
  h.hash_mask = hsize - 1;
  h.lines_off = uint32_t(lines_off);
  h.deps_off = uint32_t(deps_off);
  h.num_lines = uint32_t(nl);
  h.num_names = uint16_t(nn);
  h.num_deps = uint16_t(nd);
  h.max_stack = uint16_t(max_sp_);
  h.loop_name = 0xffff;
  std::memcpy(b, &h, sizeof h);
  if (code_.size()) std::memcpy(b + code_off, code_.data(), code_.size());
  if (data_.size()) std::memcpy(b + data_off, data_.data(), data_.size());
  auto* ne = reinterpret_cast<NameEntry*>(b + names_off);
  auto* table = reinterpret_cast<uint16_t*>(b + hash_off);
  std::memset(table, 0xff, hsize * 2);
  const char* d = reinterpret_cast<const char*>(data_.data());
  for (size_t i = 0; i < nn; i++) {
    ne[i] = NameEntry{names_[i].off, names_[i].len, names_[i].flags, 0};
    std::string_view n(d + names_[i].off, names_[i].len);
    if (n == "loop") reinterpret_cast<ProgramHeader*>(b)->loop_name = uint16_t(i);
    uint32_t k = name_hash(n) & (hsize - 1);
    while (table[k] != 0xffff)
      k = (k + 1) & (hsize - 1);
    table[k] = uint16_t(i);
  }
  if (nl) std::memcpy(b + lines_off, lines_.data(), nl * sizeof(LineEntry));
  auto* de = reinterpret_cast<DepEntry*>(b + deps_off);
  for (size_t i = 0; i < nd; i++)
    de[i] = DepEntry{deps_[i].name_off, deps_[i].name_len, deps_[i].present, 0,
                     deps_[i].size,     deps_[i].mtime_ns};
  return b;
}

}  // namespace detail
}  // namespace viper::tmpl
