// The template store (engine/tmpl/store.h): templates from a directory (changes seen through
// size and mtime, also for included files and for an `ignore missing` include that appears)
// and from an asset pack built by tools/pack_assets.py; the cache's byte budget (least recently
// used out, never a pinned unit; one unit larger than the budget refused); traversal refused
// (names with "..", absolute names, a symlink out of the root); render slots; memory returned.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "mem/allocator.h"
#include "tmpl/program.h"
#include "tmpl/store.h"
#include "tmpl_support.h"

using namespace viper::tmpl;
using tmpltest::Rendered;

namespace {

const std::string kPacker = std::string(VIPER_CORPUS_DIR) + "/../../../../tools/pack_assets.py";

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/viper_tmpl_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  void write(const std::string& rel, const std::string& content) const {
    std::string full = path + "/" + rel;
    std::system(("mkdir -p \"$(dirname '" + full + "')\"").c_str());
    std::ofstream(full, std::ios::binary) << content;
  }
  void remove(const std::string& rel) const { ::unlink((path + "/" + rel).c_str()); }
};

struct Store {
  TemplateStore* s = nullptr;
  explicit Store(StoreOptions o) {
    const char* err = nullptr;
    s = TemplateStore::create(o, &err);
    EXPECT_NE(s, nullptr) << (err ? err : "");
  }
  ~Store() { TemplateStore::destroy(s); }
  TemplateStore* operator->() { return s; }

  // Renders `name` with no context; "COMPILE: ..." / "ERROR: ..." on failure.
  std::string render(const std::string& name) {
    CompileError err;
    const void* p = s->acquire(name, &err);
    if (p == nullptr) return std::string("COMPILE: ") + err.message;
    TemplateStore::Slot* slot = s->take_slot();
    EXPECT_NE(slot, nullptr);
    Render* r =
        render_start(slot->render_mem, s->options().caps, p, nullptr, 0, s->options().render);
    std::string out;
    char buf[512];
    size_t n;
    RenderStatus st;
    do {
      st = render_next(r, buf, sizeof buf, &n);
      out.append(buf, n);
    } while (st == RenderStatus::More);
    if (st == RenderStatus::Error) out = std::string("ERROR: ") + render_error(r).message;
    s->give_slot(slot);
    s->unpin(p);
    return out;
  }
};

StoreOptions dir_options(const TempDir& d) {
  StoreOptions o;
  o.kind = StoreOptions::Kind::Directory;
  o.source = d.path.c_str();
  o.render_slots = 1;
  o.context_bytes = 1024;
  return o;
}

// Makes the next write visible to a size+mtime check even within the same clock tick.
void touch_later() {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

TEST(TmplStore, DirectoryCompileOnceThenHit) {
  TempDir d;
  d.write("page.html", "Hello {% include 'parts/name.html' %}");
  d.write("parts/name.html", "world");
  Store s(dir_options(d));
  EXPECT_EQ(s.render("page.html"), "Hello world");
  EXPECT_EQ(s.render("page.html"), "Hello world");
  StoreStats st = s->stats();
  EXPECT_EQ(st.compiles, 1u);
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.cached, 1u);
}

TEST(TmplStore, ChangesSeenThroughSizeAndMtime) {
  TempDir d;
  d.write("page.html", "v1 {% include 'part.html' %}{% include 'opt.html' ignore missing %}");
  d.write("part.html", "p1");
  Store s(dir_options(d));
  EXPECT_EQ(s.render("page.html"), "v1 p1");
  touch_later();
  d.write("part.html", "p2");  // same size: the mtime tells
  EXPECT_EQ(s.render("page.html"), "v1 p2");
  touch_later();
  d.write("opt.html", "+opt");  // an ignored missing include appears
  EXPECT_EQ(s.render("page.html"), "v1 p2+opt");
  d.remove("opt.html");
  EXPECT_EQ(s.render("page.html"), "v1 p2");
  d.remove("part.html");
  EXPECT_NE(s.render("page.html").find("COMPILE: template not found"), std::string::npos);
  EXPECT_EQ(s->stats().reloads, 4u);
}

TEST(TmplStore, AutoReloadOffKeepsTheCompiledUnit) {
  TempDir d;
  d.write("page.html", "one");
  StoreOptions o = dir_options(d);
  o.auto_reload = false;
  Store s(o);
  EXPECT_EQ(s.render("page.html"), "one");
  touch_later();
  d.write("page.html", "two");
  EXPECT_EQ(s.render("page.html"), "one");
  s->clear("page.html");
  EXPECT_EQ(s.render("page.html"), "two");
}

TEST(TmplStore, ByteBudgetEvictsLeastRecentlyUsedButNeverPinned) {
  TempDir d;
  for (int i = 0; i < 6; i++)
    d.write("t" + std::to_string(i), std::string(200, 'a' + char(i)));
  StoreOptions o = dir_options(d);
  CompileError err;
  // one unit's size, to set a budget of three
  {
    Store probe(o);
    const void* p = probe->acquire("t0", &err);
    ASSERT_NE(p, nullptr);
    o.cache_bytes = uint32_t(Program(p).bytes() + 2) * 3;
    probe->unpin(p);
  }
  Store s(o);
  const void* pinned = s->acquire("t0", &err);
  ASSERT_NE(pinned, nullptr);
  for (int i = 1; i < 6; i++)
    EXPECT_EQ(s.render("t" + std::to_string(i)), std::string(200, 'a' + char(i)));
  StoreStats st = s->stats();
  EXPECT_LE(st.cache_bytes_used, o.cache_bytes);
  EXPECT_EQ(st.cached, 3u);
  EXPECT_EQ(st.evictions, 3u);
  // t0 is still there (pinned), t5 and t4 are the most recent
  EXPECT_EQ(Program(pinned).bytes() > 0, true);
  uint64_t compiles = st.compiles;
  s.render("t5");
  s.render("t4");
  EXPECT_EQ(s->stats().compiles, compiles);
  s->unpin(pinned);
  // A unit larger than the whole budget is refused with a clear error.
  d.write("huge", std::string(size_t(o.cache_bytes) * 2, 'h'));
  EXPECT_NE(s.render("huge").find("does not fit cache_bytes"), std::string::npos);
}

TEST(TmplStore, TraversalIsRefused) {
  TempDir d;
  TempDir outside;
  outside.write("secret.html", "SECRET");
  d.write("page.html", "page");
  d.write("inc.html", "{% include 'link.html' %}");
  ASSERT_EQ(::symlink((outside.path + "/secret.html").c_str(), (d.path + "/link.html").c_str()), 0);
  Store s(dir_options(d));
  for (const std::string& name :
       {std::string("../") + outside.path.substr(5) + "/secret.html", outside.path + "/secret.html",
        std::string("a/../../x"), std::string("")})
    EXPECT_EQ(s.render(name).find("SECRET"), std::string::npos) << name;
  EXPECT_NE(s.render("/etc/passwd").find("COMPILE: invalid template name"), std::string::npos);
  // a symlink that leaves the root is not followed (open_beneath)
  EXPECT_NE(s.render("link.html").find("COMPILE"), std::string::npos);
  EXPECT_NE(s.render("inc.html").find("COMPILE"), std::string::npos);
  EXPECT_EQ(s.render("page.html"), "page");
}

TEST(TmplStore, FromAnAssetPack) {
  TempDir site, out;
  site.write("index.html", "not a template");
  site.write("templates/page.html", "{% extends 'layout.html' %}{% block b %}P{% endblock %}");
  site.write("templates/layout.html", "<{% block b %}{% endblock %}>");
  std::string pack = out.path + "/site.vpak";
  ASSERT_EQ(std::system(
                ("/usr/bin/python3 '" + kPacker + "' '" + site.path + "' '" + pack + "' >/dev/null")
                    .c_str()),
            0);
  StoreOptions o;
  o.kind = StoreOptions::Kind::Pack;
  o.source = pack.c_str();
  o.prefix = "templates";
  o.render_slots = 1;
  o.context_bytes = 1024;
  Store s(o);
  EXPECT_EQ(s.render("page.html"), "<P>");
  EXPECT_NE(s.render("index.html").find("not found"), std::string::npos);  // outside the prefix
  std::set<std::string> names;
  s->for_each_name(
      [](void* u, std::string_view n) {
        static_cast<std::set<std::string>*>(u)->insert(std::string(n));
        return true;
      },
      &names);
  EXPECT_EQ(names, (std::set<std::string>{"layout.html", "page.html"}));
}

TEST(TmplStore, ListsDirectoryNames) {
  TempDir d;
  d.write("a.html", "a");
  d.write("sub/b.html", "b");
  d.write(".hidden", "h");
  Store s(dir_options(d));
  std::set<std::string> names;
  s->for_each_name(
      [](void* u, std::string_view n) {
        static_cast<std::set<std::string>*>(u)->insert(std::string(n));
        return true;
      },
      &names);
  EXPECT_EQ(names, (std::set<std::string>{"a.html", "sub/b.html"}));
}

TEST(TmplStore, RenderSlotsAndMemoryReturned) {
  uint64_t before = viper::mem::stats().bytes_in_use;
  {
    TempDir d;
    d.write("page.html", "x");
    StoreOptions o = dir_options(d);
    o.render_slots = 2;
    Store s(o);
    TemplateStore::Slot* a = s->take_slot();
    TemplateStore::Slot* b = s->take_slot();
    EXPECT_NE(a, nullptr);
    EXPECT_NE(b, nullptr);
    EXPECT_EQ(s->take_slot(), nullptr);
    s->give_slot(a);
    EXPECT_EQ(s->take_slot(), a);
    s->give_slot(a);
    s->give_slot(b);
    EXPECT_EQ(s.render("page.html"), "x");
    EXPECT_GE(s->stats().slot_bytes, 2 * render_memory(o.caps));
  }
  EXPECT_EQ(viper::mem::stats().bytes_in_use, before);
}

TEST(TmplStore, BadSourcesAreErrors) {
  StoreOptions o;
  o.kind = StoreOptions::Kind::Directory;
  o.source = "/nonexistent/templates";
  const char* err = nullptr;
  EXPECT_EQ(TemplateStore::create(o, &err), nullptr);
  EXPECT_NE(err, nullptr);
  o.kind = StoreOptions::Kind::Pack;
  o.source = "/nonexistent.vpak";
  err = nullptr;
  EXPECT_EQ(TemplateStore::create(o, &err), nullptr);
  EXPECT_NE(err, nullptr);
}
