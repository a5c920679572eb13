// The template renderer (engine/tmpl/render.h): resumable output (every piece size gives the
// same page, pieces end on UTF-8 boundaries), contexts as the bindings encode them, limits at
// the limit and one past (loop iterations, output size, include depth, scratch, capture),
// render errors naming the template and line, strict and lenient undefined values, and no
// allocation while rendering.
#include <gtest/gtest.h>

#include <string>

#include "tmpl/text.h"
#include "tmpl_support.h"

using namespace viper::tmpl;
using namespace tmpltest;

namespace {

void user(EncodedWriter& w, const char* name, int64_t age, const Program& p) {
  size_t at = w.open_object(true, std::string("User(") + name + ")");
  w.key_id(uint16_t(p.find_name("name")));
  w.bytes(kStr, name);
  w.key_id(uint16_t(p.find_name("age")));
  w.integer(age);
  w.close(at, 2);
}

}  // namespace

TEST(TmplRender, EveryPieceSizeGivesTheSamePage) {
  const std::string src =
      "<h1>{{ title }}</h1>\n{% for i in range(40) %}<li class=\"{{ loop.cycle('a', 'b') }}\">"
      "{{ i }} {{ word }} &amp; {{ '<esc>' }} \xc5\xbc\xc3\xb3\xc5\x82w \xf0\x9f\x90\x8d</li>\n"
      "{% endfor %}{{ long }}";
  Compiled c;
  compile_into(&c, src);
  ASSERT_TRUE(c) << c.err.message;
  Context ctx(c.prog());
  ctx.str("title", "Caf\xc3\xa9 <&> \"q\"")
      .str("word", "\xe2\x82\xac\xe2\x82\xac<>")
      .str("long", std::string(3000, 'x') + "\xe2\x82\xac" + std::string(10, '<'));
  const uint8_t* data = ctx.data();
  Rendered whole = render(c.prog(), data, ctx.size());
  ASSERT_TRUE(whole.ok) << whole.err.message;
  EXPECT_GT(whole.out.size(), 3000u);
  for (size_t piece = 16; piece < 200; piece += 7) {
    std::vector<uint64_t> mem(render_memory(RenderCaps()) / 8 + 1);
    Render* r = render_start(mem.data(), RenderCaps(), c.p, data, ctx.size(), RenderLimits());
    std::string out;
    std::vector<char> buf(piece);
    RenderStatus st;
    do {
      size_t n = 0;
      st = render_next(r, buf.data(), buf.size(), &n);
      std::string_view got(buf.data(), n);
      EXPECT_TRUE(utf8_valid(got)) << "piece " << piece << " split a character";
      out.append(got);
    } while (st == RenderStatus::More);
    ASSERT_EQ(st, RenderStatus::Done);
    EXPECT_EQ(out, whole.out) << "piece size " << piece;
  }
}

TEST(TmplRender, ContextAsTheBindingsEncodeIt) {
  Compiled c;
  compile_into(&c,
               "{{ user.name }}/{{ user.age }}/{{ user }}|{% for u in users %}{{ u.name }},"
               "{% endfor %}|{{ cfg.port }} {{ cfg[key] }} {{ cfg.hosts|join('+') }}"
               "|{{ missing is defined }}|{% for k in cfg %}{{ k }};{% endfor %}");
  ASSERT_TRUE(c) << c.err.message;
  Program p = c.prog();
  Context ctx(p);
  ctx.var("user", [&](EncodedWriter& w) { user(w, "ann", 31, p); })
      .var("users",
           [&](EncodedWriter& w) {
             size_t at = w.open(kList);
             user(w, "bob", 17, p);
             user(w, "<cy>", 45, p);
             w.close(at, 2);
           })
      .str("key", "not interned")
      .var("cfg", [&](EncodedWriter& w) {
        size_t at = w.open(kDict);
        w.key_id(uint16_t(p.find_name("port")));
        w.integer(8080);
        w.bytes(kStr, "not interned");
        w.bytes(kStr, "v");
        w.key_id(uint16_t(p.find_name("hosts")));
        size_t l = w.open(kTuple);
        w.bytes(kStr, "a");
        w.bytes(kStr, "b");
        w.close(l, 2);
        w.close(at, 3);
      });
  Rendered r = render(p, ctx.data(), ctx.size());
  ASSERT_TRUE(r.ok) << r.err.message;
  EXPECT_EQ(r.out, "ann/31/User(ann)|bob,&lt;cy&gt;,|8080 v a+b|False|port;not interned;hosts;");
}

TEST(TmplRender, RendersWithoutAllocating) {
  Compiled c;
  compile_into(&c,
               "{% for i in range(100) %}{{ i|string|upper ~ 'x' }}{{ [i, i]|join }}"
               "{% endfor %}");
  ASSERT_TRUE(c);
  std::vector<uint64_t> mem(render_memory(RenderCaps()) / 8 + 1);
  uint64_t before = viper::mem::stats().allocations;
  Render* r = render_start(mem.data(), RenderCaps(), c.p, nullptr, 0, RenderLimits());
  char buf[64];
  size_t n;
  while (render_next(r, buf, sizeof buf, &n) == RenderStatus::More) {
  }
  EXPECT_EQ(viper::mem::stats().allocations, before);
}

TEST(TmplRender, LoopIterationsAtTheLimitAndOnePast) {
  RenderLimits lim;
  lim.max_loop_iterations = 50;
  Compiled at, past, nested, filtered;
  compile_into(&at, "{% for i in range(50) %}.{% endfor %}");
  compile_into(&past, "{% for i in range(51) %}.{% endfor %}");
  compile_into(&nested, "{% for i in range(10) %}{% for j in range(5) %}.{% endfor %}{% endfor %}");
  compile_into(&filtered, "{% for i in range(40) if i < 5 %}.{% endfor %}");  // 40 + 5
  Rendered a = render(at.prog(), nullptr, 0, 0, lim);
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.out.size(), 50u);
  Rendered b = render(past.prog(), nullptr, 0, 0, lim);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.err.kind, RenderError::kLimit);
  EXPECT_EQ(b.out.size(), 50u);
  EXPECT_FALSE(render(nested.prog(), nullptr, 0, 0, lim).ok);  // 10 + 50 iterations in all
  EXPECT_TRUE(render(filtered.prog(), nullptr, 0, 0, lim).ok);
  lim.max_loop_iterations = 44;
  EXPECT_FALSE(render(filtered.prog(), nullptr, 0, 0, lim).ok);
}

TEST(TmplRender, OutputSizeAtTheLimitAndOnePast) {
  RenderLimits lim;
  lim.max_output_bytes = 1000;
  Compiled at, past;
  compile_into(&at, "{{ 'x' * 1000 }}");
  compile_into(&past, "{{ 'x' * 1000 }}y");
  EXPECT_TRUE(render(at.prog(), nullptr, 0, 0, lim).ok);
  EXPECT_TRUE(render(at.prog(), nullptr, 0, 64, lim).ok);
  Rendered r = render(past.prog(), nullptr, 0, 64, lim);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err.kind, RenderError::kLimit);
  EXPECT_LE(r.out.size(), 1000u);
}

TEST(TmplRender, ScratchIsReleasedAfterEachOutput) {
  RenderCaps caps;
  caps.scratch = 256;
  Compiled c;
  compile_into(&c, "{% for i in range(5000) %}{{ ('x' ~ i)|upper }}{% endfor %}");
  Rendered r = render(c.prog(), nullptr, 0, 0, RenderLimits(), caps);
  EXPECT_TRUE(r.ok) << r.err.message;
  EXPECT_LT(r.scratch_peak, 64u);
  Compiled big;
  compile_into(&big, "{{ 'x' * 300 }}");
  Rendered e = render(big.prog(), nullptr, 0, 0, RenderLimits(), caps);
  EXPECT_FALSE(e.ok);
  EXPECT_NE(std::string(e.err.message).find("scratch"), std::string::npos);
}

TEST(TmplRender, CaptureLimit) {
  RenderCaps caps;
  caps.capture = 100;
  Compiled at, past;
  compile_into(&at, "{% set s %}{{ 'x' * 100 }}{% endset %}{{ s|length }}");
  compile_into(&past, "{% set s %}{{ 'x' * 101 }}{% endset %}{{ s|length }}");
  Rendered a = render(at.prog(), nullptr, 0, 0, RenderLimits(), caps);
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.out, "100");
  EXPECT_FALSE(render(past.prog(), nullptr, 0, 0, RenderLimits(), caps).ok);
}

TEST(TmplRender, VariableAndFrameCapacities) {
  RenderCaps caps;
  caps.vars = 10;
  caps.loops = 4;
  Compiled ten, eleven, deep;
  std::string s10, s11 = "{% set v10 = 1 %}";
  for (int i = 0; i < 10; i++)
    s10 += "{% set v" + std::to_string(i) + " = 1 %}";
  s11 = s10 + s11;
  compile_into(&ten, s10);
  compile_into(&eleven, s11);
  EXPECT_TRUE(render(ten.prog(), nullptr, 0, 0, RenderLimits(), caps).ok);
  EXPECT_FALSE(render(eleven.prog(), nullptr, 0, 0, RenderLimits(), caps).ok);
  std::string loops5;
  for (int i = 0; i < 5; i++)
    loops5 += "{% for a" + std::to_string(i) + " in [1] %}";
  for (int i = 0; i < 5; i++)
    loops5 += "{% endfor %}";
  compile_into(&deep, loops5);
  Rendered r = render(deep.prog(), nullptr, 0, 0, RenderLimits(), caps);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(std::string(r.err.message).find("deeper"), std::string::npos);
}

TEST(TmplRender, ErrorsNameTheTemplateAndLine) {
  MapLoader l;
  l.files["part.html"] = "ok\nok\n{{ 1 / zero }}";
  Compiled c;
  compile_into(&c, "a\n{% include 'part.html' %}", &l);
  ASSERT_TRUE(c);
  Context ctx(c.prog());
  ctx.integer("zero", 0);
  Rendered r = render(c.prog(), ctx.data(), ctx.size());
  EXPECT_FALSE(r.ok);
  EXPECT_STREQ(r.err.template_name, "part.html");
  EXPECT_EQ(r.err.line, 3u);
  EXPECT_NE(std::string(r.err.message).find("division by zero"), std::string::npos);
  EXPECT_EQ(r.out, "a\nok\nok\n");
}

TEST(TmplRender, StrictAndLenientUndefined) {
  EXPECT_EQ(run("[{{ nothing }}]", false), "[]");
  EXPECT_EQ(run("[{{ nothing }}]", true), "ERROR: 'nothing' is undefined");
  EXPECT_EQ(run("{{ nothing is defined }} {{ nothing|default('d') }}", true), "False d");
  EXPECT_EQ(run("[{{ 'a' if false }}]", true), "[]");  // Jinja: the else is never strict
  EXPECT_EQ(run("{{ nothing.attr }}", false), "ERROR: 'nothing' is undefined");
}

TEST(TmplRender, LoopVariablesAndScopes) {
  EXPECT_EQ(run("{% for x in 'abc' %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}"
                "{{ loop.last }}{{ loop.length }} {% endfor %}"),
            "12TrueFalse3 21FalseFalse3 30FalseTrue3 ");
  EXPECT_EQ(run("{% for x in [1, 2, 3] if x != 2 %}{{ loop.index }}/{{ loop.length }}:{{ x }}"
                "{{ loop.nextitem }} {% endfor %}",
                false),
            "1/2:13 2/2:3 ");
  EXPECT_EQ(
      run("{% set x = 0 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}"),
      "120");
  EXPECT_EQ(run("{% for a, b in [[1, 2], [3, 4]] %}{{ a * b }}{% else %}none{% endfor %}"), "212");
  EXPECT_EQ(run("{% for a in [] %}x{% else %}none{% endfor %}"), "none");
}
