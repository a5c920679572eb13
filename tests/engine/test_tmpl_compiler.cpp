// The template lexer and compiler (engine/tmpl/lexer.h, compiler.h): tokens and whitespace
// control, newline normalisation, compile errors naming template/line/column, the subset's
// refusals, limits at the limit and one past, template names (no traversal), units with
// includes and extends, and the name table the bindings intern against.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tmpl/lexer.h"
#include "tmpl_support.h"

using namespace viper::tmpl;
using namespace tmpltest;

namespace {

std::vector<std::string> tokens(const std::string& src) {
  std::vector<char> norm(src.size() + 1);
  size_t n = normalize_source(src, norm.data());
  Lexer lex(std::string_view(norm.data(), n));
  std::vector<std::string> out;
  while (true) {
    Token t = lex.next();
    static const char* const kinds[] = {"D", "{{", "}}", "{%", "%}",  "N",
                                        "I", "F",  "S",  "O",  "END", "ERR"};
    std::string s = kinds[int(t.kind)];
    if (t.kind == Tok::Data || t.kind == Tok::Name || t.kind == Tok::Int || t.kind == Tok::Float ||
        t.kind == Tok::String || t.kind == Tok::Op || t.kind == Tok::Error)
      s += ":" + std::string(t.text);
    out.push_back(s);
    if (t.kind == Tok::End || t.kind == Tok::Error) break;
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& t : v)
    s += t + " ";
  return s;
}

CompileError compile_error(const std::string& src, MapLoader* loader = nullptr,
                           const CompileLimits& lim = CompileLimits()) {
  Compiled c;
  compile_into(&c, src, loader, lim);
  EXPECT_FALSE(c) << src;
  return c.err;
}

}  // namespace

TEST(TmplLexer, TokensAndWhitespaceControl) {
  EXPECT_EQ(joined(tokens("a {{ x.y|f(1, 'b') }} c")),
            "D:a  {{ N:x O:. N:y O:| N:f O:( I:1 O:, S:'b' O:) }} D: c END ");
  EXPECT_EQ(joined(tokens("a  \n {{- x -}} \n b")), "D:a {{ N:x }} D:b END ");
  EXPECT_EQ(joined(tokens("a {%- if x -%} b")), "D:a {% N:if N:x %} D:b END ");
  EXPECT_EQ(joined(tokens("a {%+ if x +%} b")), "D:a  {% N:if N:x %} D: b END ");
  EXPECT_EQ(joined(tokens("a {# c #} b {#- c -#} d")), "D:a  D: b D:d END ");
  EXPECT_EQ(joined(tokens("{% raw %}{{ x }}{% endraw %}")), "D:{{ x }} END ");
  EXPECT_EQ(joined(tokens("x {%- raw -%}  {{ y }}  {%- endraw -%} z")), "D:x D:{{ y }} D:z END ");
  // "}}" inside brackets is two operators, not the end of the tag (Jinja balances them)
  EXPECT_EQ(joined(tokens("{{ {'a':{'b':1}} }}")),
            "{{ O:{ S:'a' O:: O:{ S:'b' O:: I:1 O:} O:} }} END ");
  // strings may hold the delimiters
  EXPECT_EQ(joined(tokens("{{ '}}' }}")), "{{ S:'}}' }} END ");
  // numbers as Jinja's regexes: floats before ints, prefixes, underscores
  EXPECT_EQ(joined(tokens("{{ 1.5 1e3 0x1F 1_000 1. 01 }}")),
            "{{ F:1.5 F:1e3 I:0x1F I:1_000 I:1 O:. I:0 I:1 }} END ");
  EXPECT_EQ(joined(tokens("{{ a // b ** c != d }}")), "{{ N:a O:// N:b O:** N:c O:!= N:d }} END ");
}

TEST(TmplLexer, NewlinesNormalisedAndOneTrailingNewlineDropped) {
  EXPECT_EQ(joined(tokens("a\r\nb\rc\n")), "D:a\nb\nc END ");
  EXPECT_EQ(joined(tokens("a\n\n")), "D:a\n END ");
}

TEST(TmplLexer, Errors) {
  EXPECT_EQ(tokens("{# open").back(), "ERR:missing end of comment tag");
  EXPECT_EQ(tokens("{% raw %}x").back(), "ERR:missing end of raw directive");
  EXPECT_EQ(tokens("{{ 'abc }}").back(), "ERR:unterminated string");
  EXPECT_EQ(tokens("{{ ) }}").back(), "ERR:unexpected closing bracket");
  EXPECT_EQ(tokens("{{ (] }}").back(), "ERR:mismatched closing bracket");
  EXPECT_EQ(tokens("{{ @ }}").back(), "ERR:unexpected character");
  EXPECT_EQ(tokens("{{ x").back(), "ERR:unexpected end of template, expected '}}'");
}

TEST(TmplLexer, PositionsInCodePoints) {
  std::string src = "ab\ncd\xc3\xa9{{";
  Lexer lex(src);
  uint32_t line, col;
  lex.position(uint32_t(src.find("{{")), &line, &col);
  EXPECT_EQ(line, 2u);
  EXPECT_EQ(col, 4u);  // c, d, é, then the tag
}

TEST(TmplCompiler, ErrorsNameTemplateLineAndColumn) {
  CompileError e = compile_error("line one\n  {{ 1 + }}");
  EXPECT_STREQ(e.template_name, "page.html");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 10u);
  EXPECT_STREQ(e.message, "expected an expression");

  e = compile_error("{% if x %}\n{% for y in z %}\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(std::string(e.message).find("endfor"), std::string::npos);

  e = compile_error("x\n\n{% macro m() %}{% endmacro %}");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 4u);
  EXPECT_NE(std::string(e.message).find("not supported"), std::string::npos);
}

TEST(TmplCompiler, RefusesWhatIsOutsideTheSubset) {
  for (const char* src : {"{% macro m() %}{% endmacro %}",
                          "{% call x() %}{% endcall %}",
                          "{% with a = 1 %}{% endwith %}",
                          "{% filter upper %}{% endfilter %}",
                          "{% import 'a' as b %}",
                          "{% from 'a' import b %}",
                          "{{ foo() }}",
                          "{{ x.y() }}",
                          "{{ url_for('a') }}",
                          "{{ x|nosuchfilter }}",
                          "{{ x is nosuchtest }}",
                          "{% include x %}",
                          "{% extends x %}",
                          "{{ x.__class__ }}",
                          "{{ __import__ }}",
                          "{% set ns.a = 1 %}",
                          "{% for x in y recursive %}{% endfor %}",
                          "{% for x in y %}{% block b %}{% endblock %}{% endfor %}",
                          "{{ super() }}",
                          "{% block a %}{{ super()|e }}{% endblock %}",
                          "{{ '\\N{BULLET}' }}",
                          "{{ f(*a) }}",
                          "{% block a required %}{% endblock %}",
                          "{% set x %}{% set y %}{% endset %}{% endset %}",
                          "{% break %}",
                          "{{ x[1, 2] }}",
                          "{{ range(1, 2, 3, 4) }}",
                          "{{ x|replace('a') }}",
                          "{{ x|round(foo=1) }}",
                          "{% extends 'a' %}{% if x %}{% endif %}"}) {
    Compiled c;
    MapLoader l;
    l.files["a"] = "a";
    compile_into(&c, src, &l);
    EXPECT_FALSE(c) << src;
  }
}

TEST(TmplCompiler, ExpressionDepthAtTheLimitAndOnePast) {
  CompileLimits lim;
  lim.max_expression_depth = 20;
  auto nested = [](int n) {
    return "{{ " + std::string(size_t(n), '(') + "1" + std::string(size_t(n), ')') + " }}";
  };
  // Each parenthesis costs two levels (the tuple's expression and the unary); find the limit.
  int ok = 0;
  for (int n = 1; n < 40; n++) {
    Compiled c;
    compile_into(&c, nested(n), nullptr, lim);
    if (!c) {
      EXPECT_NE(std::string(c.err.message).find("nested deeper than 20"), std::string::npos);
      break;
    }
    ok = n;
  }
  EXPECT_GT(ok, 3);
  Compiled at, past;
  compile_into(&at, nested(ok), nullptr, lim);
  compile_into(&past, nested(ok + 1), nullptr, lim);
  EXPECT_TRUE(at);
  EXPECT_FALSE(past);
  // Deep unary chains and filters count as well: nothing recurses without bound.
  Compiled deep;
  compile_into(&deep, "{{ " + std::string(100000, '-') + "1 }}");
  EXPECT_FALSE(deep);
}

TEST(TmplCompiler, StatementNestingLimit) {
  CompileLimits lim;
  lim.max_nesting = 5;
  std::string at, past;
  for (int i = 0; i < 5; i++)
    at += "{% if 1 %}";
  for (int i = 0; i < 5; i++)
    at += "{% endif %}";
  past = "{% if 1 %}" + at + "{% endif %}";
  Compiled a, b;
  compile_into(&a, at, nullptr, lim);
  compile_into(&b, past, nullptr, lim);
  EXPECT_TRUE(a);
  EXPECT_FALSE(b);
}

TEST(TmplCompiler, StackLimitFromTheRenderCaps) {
  CompileLimits lim;
  lim.max_stack = 16;
  std::string at = "{{ [", past = "{{ [";
  for (int i = 0; i < 16; i++)
    at += std::to_string(i) + ",";
  for (int i = 0; i < 17; i++)
    past += std::to_string(i) + ",";
  at += "] }}";
  past += "] }}";
  Compiled a, b;
  compile_into(&a, at, nullptr, lim);
  compile_into(&b, past, nullptr, lim);
  EXPECT_TRUE(a) << a.err.message;
  EXPECT_FALSE(b);
}

TEST(TmplCompiler, TemplateNames) {
  for (const char* ok : {"a.html", "dir/a.html", "a/b/c.j2", "x..y"})
    EXPECT_TRUE(template_name_ok(ok)) << ok;
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".", "..",
                          "a\\b", "a\nb", "a\x7f"})
    EXPECT_FALSE(template_name_ok(bad)) << bad;
  EXPECT_FALSE(template_name_ok(std::string("a\0b", 3)));
  MapLoader l;
  for (const char* src : {"{% include '../secret' %}", "{% include '/etc/passwd' %}",
                          "{% extends 'a/../../b' %}", "{% include 'a\\\\b' %}"}) {
    Compiled c;
    compile_into(&c, src, &l);
    EXPECT_FALSE(c) << src;
    EXPECT_EQ(l.loads, 0) << "a refused name never reaches the loader";
  }
}

TEST(TmplCompiler, UnitsIncludeEachTemplateOnceAndRecordDependencies) {
  MapLoader l;
  l.files["base.html"] = "<{% block a %}{% endblock %}>";
  l.files["part.html"] = "p";
  Compiled c;
  compile_into(&c,
               "{% extends 'base.html' %}{% block a %}{% include 'part.html' %}"
               "{% include 'part.html' %}{% include 'gone.html' ignore missing %}{% endblock %}",
               &l);
  ASSERT_TRUE(c) << c.err.message;
  Program p = c.prog();
  ASSERT_EQ(p.num_deps(), 4u);  // page, base, part, gone (absent)
  EXPECT_EQ(p.dep_name(0), "page.html");
  EXPECT_EQ(p.dep_name(1), "base.html");
  EXPECT_EQ(p.dep_name(2), "part.html");
  EXPECT_EQ(p.dep_name(3), "gone.html");
  EXPECT_EQ(p.dep(3).present, 0);
  Rendered r = render(p, nullptr, 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.out, "<pp>");
}

TEST(TmplCompiler, ExtendsLoopsAndMissingParents) {
  MapLoader l;
  l.files["a"] = "{% extends 'b' %}";
  l.files["b"] = "{% extends 'a' %}";
  CompileError e = compile_error("{% extends 'a' %}", &l);
  EXPECT_NE(std::string(e.message).find("extends itself"), std::string::npos);
  e = compile_error("\n{% extends 'missing' %}", &l);
  EXPECT_TRUE(e.not_found);
  EXPECT_EQ(e.line, 2u);
  e = compile_error("{% include 'missing' %}", &l);
  EXPECT_TRUE(e.not_found);
  EXPECT_EQ(e.line, 1u);
}

TEST(TmplCompiler, RecursiveIncludeCompilesOnceAndStopsAtTheDepthLimit) {
  MapLoader l;
  l.files["r"] = "x{% include 'r' %}";
  Compiled c;
  compile_into(&c, "{% include 'r' %}", &l);
  ASSERT_TRUE(c) << c.err.message;
  RenderLimits lim;
  lim.max_include_depth = 5;
  Rendered r = render(c.prog(), nullptr, 0, 0, lim);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.out, "xxxxx");  // five levels rendered, the sixth refused
  EXPECT_EQ(r.err.kind, RenderError::kLimit);
}

TEST(TmplCompiler, NameTableFlagsWhatTheBindingsEncode) {
  Compiled c;
  compile_into(&c,
               "{{ user.name }}{% for p in posts %}{{ p['title'] }}{% endfor %}"
               "{{ items|join(',', attribute='label') }}{{ {'k': 1} }}");
  ASSERT_TRUE(c);
  Program p = c.prog();
  auto flags = [&](const char* n) {
    int id = p.find_name(n);
    EXPECT_GE(id, 0) << n;
    return id < 0 ? 0 : p.name_entry(size_t(id)).flags;
  };
  EXPECT_TRUE(flags("user") & kNameContext);
  EXPECT_TRUE(flags("posts") & kNameContext);
  EXPECT_TRUE(flags("items") & kNameContext);
  EXPECT_TRUE(flags("name") & kNameAttr);
  EXPECT_TRUE(flags("title") & kNameAttr);
  EXPECT_TRUE(flags("label") & kNameAttr);
  EXPECT_EQ(flags("k"), 0);  // a dict literal's key: interned only
  EXPECT_EQ(p.find_name("nothing"), -1);
}

TEST(TmplCompiler, TextIsCoalescedButNotAcrossJumpTargets) {
  EXPECT_EQ(run("a{# c #}b{% if 1 %}c{% else %}d{% endif %} e"), "abc e");
  EXPECT_EQ(run("{% for i in [1, 2] %}{% if i == 1 %}x{% else %}y{% endif %} {% endfor %}"),
            "x y ");
}
