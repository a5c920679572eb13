#include "tmpl/lexer.h"

#include "tmpl/text.h"

namespace viper::tmpl {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// (\d+_)*\d+ at i: end, or i when there is none.
size_t digits_us(std::string_view s, size_t i) {
  size_t j = i;
  while (true) {
    size_t k = j;
    while (k < s.size() && is_digit(s[k]))
      k++;
    if (k == j) return j == i ? i : j - 1;  // a trailing '_' is not part of it
    if (k < s.size() && s[k] == '_' && k + 1 < s.size() && is_digit(s[k + 1])) {
      j = k + 1;
      continue;
    }
    return k;
  }
}

// Jinja's float_re at i (no '.' before i): end, or 0.
size_t match_float(std::string_view s, size_t i) {
  size_t j = digits_us(s, i);
  if (j == i) return 0;
  size_t frac = j;
  if (j < s.size() && s[j] == '.') {
    size_t k = digits_us(s, j + 1);
    if (k != j + 1) frac = k;
  }
  if (frac < s.size() && (s[frac] | 0x20) == 'e') {
    size_t k = frac + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) k++;
    size_t e = digits_us(s, k);
    if (e != k) return e;
  }
  return frac != j ? frac : 0;
}

// Jinja's integer_re at i: end, or 0.
size_t match_int(std::string_view s, size_t i) {
  if (s[i] == '0' && i + 1 < s.size()) {
    char p = char(s[i + 1] | 0x20);
    auto in_base = [p](char c) {
      char l = char(c | 0x20);
      return p == 'b'   ? (c == '0' || c == '1')
             : p == 'o' ? (c >= '0' && c <= '7')
                        : (is_digit(c) || (l >= 'a' && l <= 'f'));
    };
    if (p == 'b' || p == 'o' || p == 'x') {
      size_t j = i + 2, end = 0;
      while (true) {  // (_?digit)+
        size_t k = j < s.size() && s[j] == '_' ? j + 1 : j;
        if (k < s.size() && in_base(s[k])) {
          j = k + 1;
          end = j;
        } else {
          break;
        }
      }
      if (end) return end;
    }
  }
  if (!is_digit(s[i])) return 0;
  char first = s[i];
  size_t j = i + 1;
  while (true) {  // [1-9](_?\d)*  |  0(_?0)*
    size_t k = j < s.size() && s[j] == '_' ? j + 1 : j;
    if (k < s.size() && (first == '0' ? s[k] == '0' : is_digit(s[k])))
      j = k + 1;
    else
      break;
  }
  return j;
}

}  // namespace

size_t normalize_source(std::string_view src, char* out) {
  size_t n = 0;
  for (size_t i = 0; i < src.size(); i++) {
    char c = src[i];
    if (c == '\r') {
      if (i + 1 < src.size() && src[i + 1] == '\n') i++;
      c = '\n';
    }
    out[n++] = c;
  }
  if (n > 0 && out[n - 1] == '\n') n--;
  return n;
}

void Lexer::position(uint32_t offset, uint32_t* line, uint32_t* column) const {
  uint32_t l = 1, c = 1;
  for (size_t i = 0; i < offset && i < src_.size(); i++) {
    if (src_[i] == '\n') {
      l++;
      c = 1;
    } else if ((uint8_t(src_[i]) & 0xc0) != 0x80) {
      c++;
    }
  }
  *line = l;
  *column = c;
}

size_t Lexer::skip_space(size_t i) const {
  while (i < src_.size()) {
    size_t j = i;
    if (!is_space(utf8_next(src_, &j))) break;
    i = j;
  }
  return i;
}

size_t Lexer::match_raw_tag(size_t i, std::string_view word, bool* strip_before,
                            bool* strip_after) const {
  if (!at(i, "{%")) return 0;
  size_t j = i + 2;
  *strip_before = j < src_.size() && src_[j] == '-';
  if (j < src_.size() && (src_[j] == '-' || src_[j] == '+')) j++;
  j = skip_space(j);
  if (!at(j, word)) return 0;
  j = skip_space(j + word.size());
  *strip_after = false;
  if (at(j, "-%}")) {
    *strip_after = true;
    return skip_space(j + 3);
  }
  if (word == "endraw" && at(j, "+%}")) return j + 3;
  if (at(j, "%}")) return j + 2;
  return 0;
}

Token Lexer::next() {
  if (state_ == State::Raw) return raw_body();
  if (state_ != State::Data) return in_tag();
  return data();
}

Token Lexer::data() {
  while (pos_ < src_.size()) {
    size_t start = pos_;
    // The next tag start.
    size_t t = start;
    while (t + 1 < src_.size() &&
           !(src_[t] == '{' && (src_[t + 1] == '{' || src_[t + 1] == '%' || src_[t + 1] == '#')))
      t++;
    if (t + 1 >= src_.size()) t = src_.size();
    if (t > start) {
      std::string_view text = src_.substr(start, t - start);
      bool strip = t + 2 < src_.size() && src_[t + 2] == '-';  // {{- {%- {#-
      if (strip) {  // Python's str.rstrip(): trailing Unicode whitespace
        size_t e = text.size();
        while (e > 0) {
          size_t b = e - 1;
          while (b > 0 && (uint8_t(text[b]) & 0xc0) == 0x80)
            b--;
          size_t k = b;
          if (!is_space(utf8_next(text, &k))) break;
          e = b;
        }
        text = text.substr(0, e);
      }
      pos_ = t;
      if (!text.empty()) return {Tok::Data, text, uint32_t(start)};
      continue;
    }
    // A tag starts here.
    char kind = src_[pos_ + 1];
    if (kind == '#') {
      size_t i = pos_ + 2;
      if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) i++;  // part of the opener
      while (true) {
        if (i + 1 >= src_.size()) return error("missing end of comment tag", pos_);
        if (at(i, "+#}")) {
          pos_ = i + 3;
          break;
        }
        if (at(i, "-#}")) {
          pos_ = skip_space(i + 3);
          break;
        }
        if (at(i, "#}")) {
          pos_ = i + 2;
          break;
        }
        i++;
      }
      continue;
    }
    bool sb = false, sa = false;
    if (size_t end = match_raw_tag(pos_, "raw", &sb, &sa)) {
      uint32_t at_tag = uint32_t(pos_);
      pos_ = end;
      state_ = State::Raw;
      Token t2 = raw_body();
      if (t2.kind == Tok::Data && t2.text.empty()) continue;
      if (t2.kind == Tok::Error) t2.offset = at_tag;
      return t2;
    }
    Token tok{kind == '{' ? Tok::VarBegin : Tok::BlockBegin, src_.substr(pos_, 2), uint32_t(pos_)};
    pos_ += 2;
    if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) pos_++;
    state_ = kind == '{' ? State::Var : State::Block;
    depth_ = 0;
    return tok;
  }
  return {Tok::End, {}, uint32_t(src_.size())};
}

Token Lexer::raw_body() {
  size_t start = pos_;
  for (size_t i = start; i < src_.size(); i++) {
    bool sb = false, sa = false;
    if (src_[i] != '{') continue;
    size_t end = match_raw_tag(i, "endraw", &sb, &sa);
    if (!end) continue;
    std::string_view text = src_.substr(start, i - start);
    if (sb) {
      size_t e = text.size();
      while (e > 0) {
        size_t b = e - 1;
        while (b > 0 && (uint8_t(text[b]) & 0xc0) == 0x80)
          b--;
        size_t k = b;
        if (!is_space(utf8_next(text, &k))) break;
        e = b;
      }
      text = text.substr(0, e);
    }
    pos_ = end;
    state_ = State::Data;
    return {Tok::Data, text, uint32_t(start)};
  }
  return error("missing end of raw directive", start);
}

Token Lexer::in_tag() {
  size_t i = skip_space(pos_);
  if (i >= src_.size()) {
    pos_ = i;
    return error(state_ == State::Var ? "unexpected end of template, expected '}}'"
                                      : "unexpected end of template, expected '%}'",
                 i);
  }
  if (depth_ == 0) {
    if (state_ == State::Var) {
      if (at(i, "-}}")) {
        pos_ = skip_space(i + 3);
        state_ = State::Data;
        return {Tok::VarEnd, src_.substr(i, 3), uint32_t(i)};
      }
      if (at(i, "}}")) {
        pos_ = i + 2;
        state_ = State::Data;
        return {Tok::VarEnd, src_.substr(i, 2), uint32_t(i)};
      }
    } else {
      if (at(i, "+%}")) {
        pos_ = i + 3;
        state_ = State::Data;
        return {Tok::BlockEnd, src_.substr(i, 3), uint32_t(i)};
      }
      if (at(i, "-%}")) {
        pos_ = skip_space(i + 3);
        state_ = State::Data;
        return {Tok::BlockEnd, src_.substr(i, 3), uint32_t(i)};
      }
      if (at(i, "%}")) {
        pos_ = i + 2;
        state_ = State::Data;
        return {Tok::BlockEnd, src_.substr(i, 2), uint32_t(i)};
      }
    }
  }
  char c = src_[i];
  if (is_digit(c)) {
    size_t e = (i > 0 && src_[i - 1] == '.') ? 0 : match_float(src_, i);
    if (e) {
      pos_ = e;
      return {Tok::Float, src_.substr(i, e - i), uint32_t(i)};
    }
    e = match_int(src_, i);
    pos_ = e;
    return {Tok::Int, src_.substr(i, e - i), uint32_t(i)};
  }
  if (is_name_start(c)) {
    size_t e = i + 1;
    while (e < src_.size() && is_name_char(src_[e]))
      e++;
    pos_ = e;
    return {Tok::Name, src_.substr(i, e - i), uint32_t(i)};
  }
  if (c == '\'' || c == '"') {
    size_t e = i + 1;
    while (e < src_.size() && src_[e] != c)
      e += src_[e] == '\\' ? 2 : 1;
    if (e >= src_.size()) return error("unterminated string", i);
    pos_ = e + 1;
    return {Tok::String, src_.substr(i, e + 1 - i), uint32_t(i)};
  }
  static const char* const kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
  for (const char* op : kTwo) {
    if (at(i, op)) {
      pos_ = i + 2;
      return {Tok::Op, src_.substr(i, 2), uint32_t(i)};
    }
  }
  static const char kOne[] = "+-/*%~[](){}><=.:|,;";
  for (const char* p = kOne; *p; p++) {
    if (c != *p) continue;
    if (c == '(' || c == '[' || c == '{') {
      if (depth_ >= sizeof brackets_) return error("brackets nested too deeply", i);
      brackets_[depth_++] = c == '(' ? ')' : c == '[' ? ']' : '}';
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth_ == 0) return error("unexpected closing bracket", i);
      if (brackets_[--depth_] != c) return error("mismatched closing bracket", i);
    }
    pos_ = i + 1;
    return {Tok::Op, src_.substr(i, 1), uint32_t(i)};
  }
  return error("unexpected character", i);
}

}  // namespace viper::tmpl
