// The template lexer: Jinja2's default syntax ({{ }}, {% %}, {# #}, {% raw %}, whitespace
// control with '-' and '+'), tokenised on demand over the source (views, no copies).
//
// The source must already have its newlines normalised to "\n" and one trailing newline
// removed, as Jinja2's lexer does first (normalize_source).  Token views point into it.
// Rules follow jinja2/lexer.py 3.1: the earliest "{{", "{%" or "{#" starts a tag; "{%-" (and
// "{{-", "{#-") strips the whitespace before it, "-%}" / "-}}" / "-#}" the whitespace after
// it; "+" is accepted and changes nothing (no lstrip_blocks / trim_blocks here); "}}" and
// "%}" end a tag only outside brackets; string literals may hold anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::tmpl {

enum class Tok : uint8_t {
  Data,        // template text (already stripped by whitespace control)
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  Int,
  Float,
  String,  // text is the literal with its quotes, escapes undecoded
  Op,      // text is the operator ("+", "//", "==", "(", ...)
  End,     // end of source
  Error,   // text is the message
};

struct Token {
  Tok kind = Tok::End;
  std::string_view text;
  uint32_t offset = 0;  // into the source, for line/column
};

// Copies `src` into `out` (capacity >= src.size()) with "\r\n" and "\r" turned into "\n" and
// one final newline removed; returns the new length.
size_t normalize_source(std::string_view src, char* out);

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {}
  Token next();
  // Line (1-based) and column (1-based, in code points) of a source offset.
  void position(uint32_t offset, uint32_t* line, uint32_t* column) const;
  std::string_view source() const { return src_; }

 private:
  Token data();
  Token in_tag();
  Token raw_body();
  Token error(const char* msg, size_t at) {
    pos_ = src_.size();
    state_ = State::Data;
    return {Tok::Error, msg, uint32_t(at)};
  }
  bool at(size_t i, std::string_view s) const { return src_.substr(i, s.size()) == s; }
  size_t skip_space(size_t i) const;
  // If a raw tag ("{% raw %}", with '-' or '+') starts at i, its end; else 0.
  size_t match_raw_tag(size_t i, std::string_view word, bool* strip_before,
                       bool* strip_after) const;

  enum class State : uint8_t { Data, Var, Block, Raw };
  std::string_view src_;
  size_t pos_ = 0;
  State state_ = State::Data;
  uint8_t depth_ = 0;       // open brackets inside the current tag
  char brackets_[64] = {};  // expected closers
};

}  // namespace viper::tmpl
