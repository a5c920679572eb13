// Tests of the path router (engine/router/router.h, SPEC §3.1).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "mem/allocator.h"
#include "router/router.h"
#include "viper/config.h"

// ---- Allocation accounting ------------------------------------------------------------------
// The router takes its memory from the engine's counting allocator (viper::mem), which the
// tests read and whose budget they tighten to run the out-of-memory paths.  The test binary
// also replaces the global operator new (and, on glibc without a sanitizer, malloc) to count
// allocations while `g_counting` is set: match() must make none, and add() none outside
// viper::mem.

namespace {
size_t g_allocs = 0;
bool g_counting = false;

void note_alloc() {
  if (g_counting) g_allocs++;
}

void* checked_malloc(size_t n) {
  note_alloc();
  void* p = std::malloc(n ? n : 1);
  if (!p) std::abort();  // a test binary out of memory cannot go on anyway
  return p;
}

void* nothrow_malloc(size_t n) {
  note_alloc();
  return std::malloc(n ? n : 1);
}
}  // namespace

void* operator new(size_t n) {
  return checked_malloc(n);
}
void* operator new[](size_t n) {
  return checked_malloc(n);
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return nothrow_malloc(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return nothrow_malloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define VIPER_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VIPER_TEST_SANITIZED 1
#endif

// Also catch a direct malloc (say, inside the standard library's from_chars).  glibc lets a
// program interpose malloc; the sanitizers interpose it themselves, so not under them.
#if defined(__GLIBC__) && !defined(VIPER_TEST_SANITIZED)
extern "C" void* __libc_malloc(size_t);
extern "C" void* malloc(size_t n) noexcept {
  note_alloc();
  return __libc_malloc(n);
}
#endif

namespace viper {

// Reads the number of trie nodes a lookup visited (router.h befriends this struct).
struct RouterTestPeer {
  static size_t visits(const Router& r, http::Method m, std::string_view path) {
    MatchResult out;
    return r.lookup(m, path, out, false);
  }
};

namespace {

using http::Method;

RouteTarget T(uint32_t id) {
  return RouteTarget{nullptr, nullptr, id};
}

MatchResult Match(const Router& r, Method m, std::string_view path) {
  MatchResult out;
  r.match(m, path, out);
  return out;
}

// Id of the route found for `path`, 0 for 404, -405 for 405.
long Id(const Router& r, std::string_view path, Method m = Method::Get) {
  MatchResult out = Match(r, m, path);
  if (out.kind == MatchKind::NotFound) return 0;
  if (out.kind == MatchKind::MethodNotAllowed) return -405;
  return long(out.target.id);
}

std::string Allow(uint16_t allow) {
  char buf[128];
  return std::string(buf, format_allow(allow, buf, sizeof buf));
}

uint16_t Bits(std::initializer_list<Method> ms) {
  uint16_t b = 0;
  for (Method m : ms)
    b |= http::method_bit(m);
  return b;
}

TEST(Router, EmptyRouterFindsNothing) {
  Router r;
  EXPECT_EQ(Id(r, "/"), 0);
  EXPECT_FALSE(r.path_exists("/"));
  EXPECT_EQ(r.route_count(), 0u);
}

TEST(Router, StaticRoutes) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/items", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/items/", T(3)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/b/c", T(4)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/bb", T(5)), AddResult::Ok);
  EXPECT_EQ(r.route_count(), 5u);
  EXPECT_EQ(Id(r, "/"), 1);
  EXPECT_EQ(Id(r, "/items"), 2);
  EXPECT_EQ(Id(r, "/items/"), 3);
  EXPECT_EQ(Id(r, "/a/b/c"), 4);
  EXPECT_EQ(Id(r, "/a/bb"), 5);
  for (const char* p : {"", "*", "items", "/item", "/itemsx", "/items//", "/a/b", "/a/b/c/",
                        "/a/b/c/d", "//", "/A/b/c", "/a/bb/"}) {
    EXPECT_EQ(Id(r, p), 0) << p;
  }
  MatchResult out = Match(r, Method::Get, "/items");
  EXPECT_EQ(out.num_params, 0);
}

TEST(Router, TrailingSlashIsADifferentPath) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/items", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/users/", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/items/"), 0);
  EXPECT_EQ(Id(r, "/users"), 0);
  EXPECT_TRUE(r.path_exists("/items"));
  EXPECT_FALSE(r.path_exists("/items/"));
  EXPECT_TRUE(r.path_exists("/users/"));
  EXPECT_FALSE(r.path_exists("/users"));
}

TEST(Router, StrCapture) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/users/{name}", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/tags/{tag:str}/list", T(2)), AddResult::Ok);
  const char* path = "/users/ada lovelace";
  MatchResult out = Match(r, Method::Get, path);
  ASSERT_EQ(out.kind, MatchKind::Found);
  ASSERT_EQ(out.num_params, 1);
  EXPECT_EQ(out.params[0].name, "name");
  EXPECT_EQ(out.params[0].value, "ada lovelace");
  EXPECT_EQ(out.params[0].type, ParamType::Str);
  EXPECT_EQ(out.params[0].value.data(), path + 7);  // a view into the path, not a copy
  EXPECT_EQ(Id(r, "/tags/x/list"), 2);
  EXPECT_EQ(Id(r, "/users/"), 0);  // str needs a non-empty segment
  EXPECT_EQ(Id(r, "/users/a/b"), 0);
  EXPECT_EQ(Id(r, "/tags//list"), 0);
}

TEST(Router, IntCapture) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/n/{v:int}", T(1)), AddResult::Ok);
  struct {
    const char* path;
    int64_t value;
  } ok[] = {{"/n/0", 0},
            {"/n/42", 42},
            {"/n/-7", -7},
            {"/n/007", 7},
            {"/n/9223372036854775807", INT64_MAX},
            {"/n/-9223372036854775808", INT64_MIN}};
  for (auto& c : ok) {
    MatchResult out = Match(r, Method::Get, c.path);
    ASSERT_EQ(out.kind, MatchKind::Found) << c.path;
    ASSERT_EQ(out.num_params, 1);
    EXPECT_EQ(out.params[0].type, ParamType::Int);
    EXPECT_EQ(out.params[0].i, c.value) << c.path;
    EXPECT_EQ(out.params[0].name, "v");
  }
  for (const char* p :
       {"/n/9223372036854775808", "/n/-9223372036854775809", "/n/99999999999999999999999", "/n/",
        "/n/-", "/n/+5", "/n/5x", "/n/x5", "/n/ 5", "/n/1.5", "/n/0x10", "/n/--1"}) {
    EXPECT_EQ(Id(r, p), 0) << p;
  }
}

TEST(Router, IntOverflowFallsToStrAtTheSameLevel) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/n/{v:int}", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/n/{s}", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/n/9223372036854775807"), 1);
  EXPECT_EQ(Id(r, "/n/9223372036854775808"), 2);
  EXPECT_EQ(Id(r, "/n/-9223372036854775809"), 2);
  MatchResult out = Match(r, Method::Get, "/n/9223372036854775808");
  ASSERT_EQ(out.num_params, 1);
  EXPECT_EQ(out.params[0].type, ParamType::Str);
  EXPECT_EQ(out.params[0].name, "s");
  EXPECT_EQ(out.params[0].value, "9223372036854775808");
}

TEST(Router, FloatCapture) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/f/{x:float}", T(1)), AddResult::Ok);
  struct {
    const char* path;
    double value;
  } ok[] = {
      {"/f/1", 1.0}, {"/f/1.5", 1.5}, {"/f/-2.25", -2.25}, {"/f/0.0", 0.0}, {"/f/007.50", 7.5}};
  for (auto& c : ok) {
    MatchResult out = Match(r, Method::Get, c.path);
    ASSERT_EQ(out.kind, MatchKind::Found) << c.path;
    EXPECT_EQ(out.params[0].type, ParamType::Float);
    EXPECT_DOUBLE_EQ(out.params[0].f, c.value) << c.path;
  }
  for (const char* p :
       {"/f/1.", "/f/.5", "/f/1e5", "/f/1E5", "/f/nan", "/f/inf", "/f/-inf", "/f/NaN", "/f/",
        "/f/-", "/f/-.5", "/f/+1.5", "/f/1.5.2", "/f/1,5", "/f/0x1p3", "/f/1.5x"}) {
    EXPECT_EQ(Id(r, p), 0) << p;
  }
}

TEST(Router, IntIsTriedBeforeFloatBeforeStr) {
  Router r;  // registered in the opposite order of lookup
  ASSERT_EQ(r.add(Method::Get, "/v/{p:path}", T(4)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/v/{s}", T(3)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/v/{f:float}", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/v/{i:int}", T(1)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/v/5"), 1);
  EXPECT_EQ(Id(r, "/v/5.5"), 2);
  EXPECT_EQ(Id(r, "/v/abc"), 3);
  EXPECT_EQ(Id(r, "/v/a/b"), 4);
  EXPECT_EQ(Id(r, "/v/"), 4);
}

TEST(Router, PathCapture) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/files/{p:path}", T(1)), AddResult::Ok);
  const char* path = "/files/a/b/c.txt";
  MatchResult out = Match(r, Method::Get, path);
  ASSERT_EQ(out.kind, MatchKind::Found);
  ASSERT_EQ(out.num_params, 1);
  EXPECT_EQ(out.params[0].type, ParamType::Path);
  EXPECT_EQ(out.params[0].name, "p");
  EXPECT_EQ(out.params[0].value, "a/b/c.txt");
  EXPECT_EQ(out.params[0].value.data(), path + 7);

  out = Match(r, Method::Get, "/files/");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.params[0].value, "");
  out = Match(r, Method::Get, "/files/a/");
  EXPECT_EQ(out.params[0].value, "a/");
  out = Match(r, Method::Get, "/files//x");
  EXPECT_EQ(out.params[0].value, "/x");
  EXPECT_EQ(Id(r, "/files"), 0);  // no '/' after "files": nothing for the capture to start at
  EXPECT_EQ(Id(r, "/filesx/a"), 0);
}

TEST(Router, PathCaptureAtRoot) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/{p:path}", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/api/status", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/"), 1);
  EXPECT_EQ(Id(r, "/index.html"), 1);
  EXPECT_EQ(Id(r, "/api/status"), 2);
  EXPECT_EQ(Id(r, "/api/other"), 1);
  MatchResult out = Match(r, Method::Get, "/api/other");
  EXPECT_EQ(out.params[0].value, "api/other");
  EXPECT_EQ(Id(r, ""), 0);
}

TEST(Router, EmptySegmentsMatchOnlyThroughPath) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/a/{x}/b", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/b", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/a//b"), 0);
  EXPECT_EQ(Id(r, "//a/b"), 0);
  ASSERT_EQ(r.add(Method::Get, "/a/{rest:path}", T(3)), AddResult::Ok);
  MatchResult out = Match(r, Method::Get, "/a//b");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.target.id, 3u);
  EXPECT_EQ(out.params[0].value, "/b");
}

TEST(Router, StaticBeatsCaptureWhateverTheOrder) {
  Router a, b;
  ASSERT_EQ(a.add(Method::Get, "/users/{id}", T(1)), AddResult::Ok);
  ASSERT_EQ(a.add(Method::Get, "/users/me", T(2)), AddResult::Ok);
  ASSERT_EQ(b.add(Method::Get, "/users/me", T(2)), AddResult::Ok);
  ASSERT_EQ(b.add(Method::Get, "/users/{id}", T(1)), AddResult::Ok);
  for (Router* r : {&a, &b}) {
    EXPECT_EQ(Id(*r, "/users/me"), 2);
    EXPECT_EQ(Id(*r, "/users/you"), 1);
    EXPECT_EQ(Match(*r, Method::Get, "/users/me").num_params, 0);
  }
}

TEST(Router, Backtracking) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/a/{x:int}/b", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/{y}/c", T(2)), AddResult::Ok);
  MatchResult out = Match(r, Method::Get, "/a/5/c");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.target.id, 2u);
  ASSERT_EQ(out.num_params, 1);
  EXPECT_EQ(out.params[0].name, "y");
  EXPECT_EQ(out.params[0].type, ParamType::Str);
  EXPECT_EQ(out.params[0].value, "5");
  out = Match(r, Method::Get, "/a/5/b");
  EXPECT_EQ(out.target.id, 1u);
  EXPECT_EQ(out.params[0].name, "x");
  EXPECT_EQ(out.params[0].i, 5);
}

TEST(Router, BacktrackingFromAStaticChildAndAcrossLevels) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/a/b/c", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/{x}/d", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/{p}/{q:int}/{r:int}/e", T(3)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/{p}/{q}/{r}/f", T(4)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/a/b/c"), 1);
  EXPECT_EQ(Id(r, "/a/b/d"), 2);
  EXPECT_EQ(Id(r, "/a/1/2/e"), 3);
  MatchResult out = Match(r, Method::Get, "/a/1/2/f");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.target.id, 4u);
  ASSERT_EQ(out.num_params, 3);
  EXPECT_EQ(out.params[0].name, "p");
  EXPECT_EQ(out.params[1].name, "q");
  EXPECT_EQ(out.params[2].name, "r");
  EXPECT_EQ(out.params[1].type, ParamType::Str);  // not the Int left by the failed branch
  EXPECT_EQ(out.params[2].value, "2");
}

TEST(Router, CaptureNamesBelongToTheRoute) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/a/{x}", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/a/{y}/b", T(2)), AddResult::Ok);
  MatchResult out = Match(r, Method::Get, "/a/1");
  EXPECT_EQ(out.target.id, 1u);
  EXPECT_EQ(out.params[0].name, "x");
  out = Match(r, Method::Get, "/a/1/b");
  EXPECT_EQ(out.target.id, 2u);
  EXPECT_EQ(out.params[0].name, "y");
}

TEST(Router, MethodNotAllowedWithAllow) {
  Router r;
  ASSERT_EQ(r.add(Method::Post, "/r", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/r", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Delete, "/d", T(3)), AddResult::Ok);
  MatchResult out = Match(r, Method::Put, "/r");
  EXPECT_EQ(out.kind, MatchKind::MethodNotAllowed);
  EXPECT_EQ(out.allow, Bits({Method::Get, Method::Head, Method::Post}));
  EXPECT_EQ(Allow(out.allow), "GET, HEAD, POST");
  EXPECT_EQ(out.num_params, 0);
  out = Match(r, Method::Get, "/d");
  EXPECT_EQ(out.kind, MatchKind::MethodNotAllowed);
  EXPECT_EQ(Allow(out.allow), "DELETE");  // no GET, so no HEAD
  EXPECT_EQ(Id(r, "/d", Method::Head), -405);
  EXPECT_EQ(Id(r, "/r", Method::Unknown), -405);
  out = Match(r, Method::Get, "/r");
  EXPECT_EQ(out.allow, Bits({Method::Get, Method::Head, Method::Post}));  // set on Found too
}

TEST(Router, MethodNotAllowedReportsTheFirstRouteInLookupOrder) {
  Router r;
  ASSERT_EQ(r.add(Method::Patch, "/m/{x}", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Put, "/m/me", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Options, "/m/{x:int}", T(3)), AddResult::Ok);
  MatchResult out = Match(r, Method::Delete, "/m/me");
  EXPECT_EQ(out.kind, MatchKind::MethodNotAllowed);
  EXPECT_EQ(Allow(out.allow), "PUT");  // static before captures
  out = Match(r, Method::Delete, "/m/5");
  EXPECT_EQ(Allow(out.allow), "OPTIONS");  // int before str
}

TEST(Router, AnyRouteWithTheMethodWinsOverAnEarlier405) {
  Router r;
  ASSERT_EQ(r.add(Method::Put, "/m/me", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/m/{x}", T(2)), AddResult::Ok);
  MatchResult out = Match(r, Method::Get, "/m/me");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.target.id, 2u);
  EXPECT_EQ(out.params[0].value, "me");
  EXPECT_EQ(Id(r, "/m/me", Method::Head), 2);
  EXPECT_EQ(Id(r, "/m/me", Method::Put), 1);
}

TEST(Router, HeadIsAnsweredByGet) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/g/{id:int}", T(1)), AddResult::Ok);
  MatchResult out = Match(r, Method::Head, "/g/3");
  ASSERT_EQ(out.kind, MatchKind::Found);
  EXPECT_EQ(out.target.id, 1u);
  EXPECT_EQ(out.params[0].i, 3);
  EXPECT_EQ(Allow(out.allow), "GET, HEAD");
}

TEST(Router, ExplicitHeadWinsInEitherOrder) {
  Router a, b;
  ASSERT_EQ(a.add(Method::Get, "/x", T(1)), AddResult::Ok);
  ASSERT_EQ(a.add(Method::Head, "/x", T(2)), AddResult::Ok);
  ASSERT_EQ(b.add(Method::Head, "/x", T(2)), AddResult::Ok);
  ASSERT_EQ(b.add(Method::Get, "/x", T(1)), AddResult::Ok);
  for (Router* r : {&a, &b}) {
    EXPECT_EQ(Id(*r, "/x", Method::Head), 2);
    EXPECT_EQ(Id(*r, "/x", Method::Get), 1);
    EXPECT_EQ(Allow(Match(*r, Method::Post, "/x").allow), "GET, HEAD");
  }
  Router c;  // HEAD alone does not answer GET
  ASSERT_EQ(c.add(Method::Head, "/x", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(c, "/x", Method::Get), -405);
  EXPECT_EQ(Allow(Match(c, Method::Get, "/x").allow), "HEAD");
}

TEST(Router, Conflicts) {
  Router r;
  ASSERT_EQ(r.add(Method::Get, "/a/{x}", T(1)), AddResult::Ok);
  EXPECT_EQ(r.add(Method::Get, "/a/{x}", T(2)), AddResult::Conflict);
  EXPECT_EQ(r.add(Method::Get, "/a/{x:str}", T(2)), AddResult::Conflict);  // same converter
  EXPECT_EQ(r.add(Method::Get, "/a/{y}", T(2)), AddResult::Conflict);
  EXPECT_EQ(r.add(Method::Post, "/a/{y}", T(2)), AddResult::Conflict);  // one name list
  EXPECT_EQ(r.add(Method::Post, "/a/{x}", T(3)), AddResult::Ok);
  EXPECT_EQ(r.add(Method::Get, "/a/{x:int}", T(4)), AddResult::Ok);  // another converter
  EXPECT_EQ(r.add(Method::Get, "/a/{y:int}/b", T(5)), AddResult::Ok);
  EXPECT_EQ(r.add(Method::Get, "/s", T(6)), AddResult::Ok);
  EXPECT_EQ(r.add(Method::Get, "/s", T(7)), AddResult::Conflict);
  EXPECT_EQ(r.add(Method::Head, "/s", T(8)), AddResult::Ok);
  EXPECT_EQ(r.add(Method::Head, "/s", T(9)), AddResult::Conflict);
  EXPECT_EQ(r.route_count(), 6u);
  EXPECT_EQ(Id(r, "/a/k"), 1);  // the conflicting adds changed nothing
  EXPECT_EQ(Id(r, "/a/k", Method::Post), 3);
  EXPECT_EQ(Match(r, Method::Get, "/a/k").params[0].name, "x");
  EXPECT_EQ(Id(r, "/s"), 6);
  EXPECT_EQ(Id(r, "/s", Method::Head), 8);
}

TEST(Router, BadPatterns) {
  Router r;
  const char* bad[] = {
      "",             // empty
      "a",            // no leading '/'
      "a/{x}",        //
      "/a/{",         // unbalanced
      "/a/}",         //
      "/a/{x",        //
      "/a/x}",        //
      "/a/{{x}}",     //
      "/a/{x}}",      //
      "/a/{}",        // empty name
      "/a/{:int}",    //
      "/a/{1x}",      // not an identifier
      "/a/{x-y}",     //
      "/a/{ x }",     //
      "/a/{x:}",      // empty converter
      "/a/{x:uuid}",  // unknown converter
      "/a/{x:Int}",   //
      "/a/{x:int:str}",
      "/a/pre{x}",    // a capture must fill its segment
      "/a/{x}.json",  //
      "/a/{x}{y}",    //
      "/{p:path}/b",  // path not last
      "/{p:path}/",   //
      "/a/{x}/{x}",   // duplicate name
      "/a/{x}/{x:int}",
      "/a//b",  // empty middle segment
      "//",     //
      "//a",    //
  };
  for (const char* p : bad)
    EXPECT_EQ(r.add(Method::Get, p, T(1)), AddResult::BadPattern) << p;
  EXPECT_EQ(r.add(Method::Unknown, "/ok", T(1)), AddResult::BadPattern);
  EXPECT_EQ(r.add(Method(200), "/ok", T(1)), AddResult::BadPattern);
  EXPECT_EQ(r.route_count(), 0u);
  EXPECT_FALSE(r.path_exists("/a/x"));
  EXPECT_FALSE(r.path_exists("/ok"));
  // Still fine after all that.
  EXPECT_EQ(r.add(Method::Get, "/a/{x_1}/{_y:float}/", T(2)), AddResult::Ok);
  EXPECT_EQ(Id(r, "/a/k/1.5/"), 2);
}

TEST(Router, PathExists) {
  Router r;
  ASSERT_EQ(r.add(Method::Post, "/only-post", T(1)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/items/{id:int}", T(2)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/static/{p:path}", T(3)), AddResult::Ok);
  EXPECT_TRUE(r.path_exists("/only-post"));  // any method counts
  EXPECT_TRUE(r.path_exists("/items/5"));
  EXPECT_FALSE(r.path_exists("/items/x"));
  EXPECT_FALSE(r.path_exists("/items/5/"));
  EXPECT_FALSE(r.path_exists("/items"));
  EXPECT_TRUE(r.path_exists("/static/"));
  EXPECT_TRUE(r.path_exists("/static/a/b/"));
  EXPECT_FALSE(r.path_exists("/static"));
  EXPECT_FALSE(r.path_exists(""));
}

TEST(Router, MaxPathParams) {
  std::string pattern, path;
  for (int i = 0; i < VIPER_MAX_PATH_PARAMS; i++) {
    pattern += "/{p" + std::to_string(i) + ":int}";
    path += "/" + std::to_string(i * 10);
  }
  Router r;
  ASSERT_EQ(r.add(Method::Get, pattern, T(1)), AddResult::Ok);
  MatchResult out = Match(r, Method::Get, path);
  ASSERT_EQ(out.kind, MatchKind::Found);
  ASSERT_EQ(out.num_params, VIPER_MAX_PATH_PARAMS);
  for (int i = 0; i < VIPER_MAX_PATH_PARAMS; i++) {
    EXPECT_EQ(out.params[i].name, "p" + std::to_string(i));
    EXPECT_EQ(out.params[i].i, i * 10);
  }
  EXPECT_EQ(r.add(Method::Get, pattern + "/{one_more}", T(2)), AddResult::BadPattern);
  EXPECT_EQ(r.add(Method::Get, pattern + "/static", T(3)), AddResult::Ok);
  EXPECT_EQ(Id(r, path + "/static"), 3);
}

// Registers `/api/v1/resource{i}/{id:int}`, `/api/v1/resource{i}/static` and
// `/api/v1/resource{i}/{name}/items` for i < n (3n routes).
void AddResources(Router& r, int n) {
  for (int i = 0; i < n; i++) {
    std::string base = "/api/v1/resource" + std::to_string(i);
    ASSERT_EQ(r.add(Method::Get, base + "/{id:int}", T(3 * i + 1)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Post, base + "/static", T(3 * i + 2)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, base + "/{name}/items", T(3 * i + 3)), AddResult::Ok);
  }
}

// AddResources until the allocator's budget refuses a route (the esp32 profile's budget), at
// most `n` groups; returns the number of complete groups.
int AddResourcesWhileTheyFit(Router& r, int n) {
  for (int i = 0; i < n; i++) {
    std::string base = "/api/v1/resource" + std::to_string(i);
    for (AddResult a : {r.add(Method::Get, base + "/{id:int}", T(3 * i + 1)),
                        r.add(Method::Post, base + "/static", T(3 * i + 2)),
                        r.add(Method::Get, base + "/{name}/items", T(3 * i + 3))}) {
      if (a == AddResult::OutOfMemory) return i;
      EXPECT_EQ(a, AddResult::Ok) << base;
    }
  }
  return n;
}

TEST(Router, ThousandsOfRoutesAreAllFound) {
  Router r;
#if defined(VIPER_PROFILE_ESP32)
  {
    // Check that they do not fit the device's budget before skipping.
    const uint64_t base = mem::stats().bytes_in_use;
    const int groups = AddResourcesWhileTheyFit(r, 1000);
    const uint64_t held = mem::stats().bytes_in_use - base;
    ASSERT_LT(groups, 1000);
    ASSERT_GT(groups, 0);
    GTEST_SKIP() << "esp32 profile: 3,000 routes need about " << held / uint64_t(groups) * 1000
                 << " bytes, more than the " << VIPER_MEMORY_BUDGET_BYTES << "-byte memory budget ("
                 << 3 * groups << " routes fit; RoutesUpToTheBudgetAreAllFound checks those)";
  }
#endif
  AddResources(r, 1000);
  ASSERT_EQ(r.route_count(), 3000u);
  for (int i = 0; i < 1000; i++) {
    std::string base = "/api/v1/resource" + std::to_string(i);
    MatchResult out = Match(r, Method::Get, base + "/" + std::to_string(i * 7));
    ASSERT_EQ(out.kind, MatchKind::Found) << i;
    ASSERT_EQ(out.target.id, uint32_t(3 * i + 1));
    ASSERT_EQ(out.params[0].i, i * 7);
    ASSERT_EQ(Id(r, base + "/static", Method::Post), 3 * i + 2);
    ASSERT_EQ(Id(r, base + "/static"), -405);
    ASSERT_EQ(Id(r, base + "/n" + std::to_string(i) + "/items"), 3 * i + 3);
  }
  EXPECT_EQ(Id(r, "/api/v1/resource1000/1"), 0);
  EXPECT_EQ(Id(r, "/api/v1/resource/1"), 0);
}

TEST(Router, LookupCostDoesNotGrowWithRoutes) {
  Router small, big;
  AddResources(small, 10);
  // 1,000 groups (3,000 routes) on the host; under the esp32 profile, as many as its memory
  // budget holds.
  const int groups = AddResourcesWhileTheyFit(big, 1000);
  if (VIPER_MEMORY_BUDGET_BYTES == 0) {
    ASSERT_EQ(groups, 1000);
  }
  ASSERT_GE(groups, 100);
  const char* paths[] = {"/api/v1/resource5/42",        "/api/v1/resource5/static",
                         "/api/v1/resource5/abc/items", "/api/v1/resource5/abc/none",
                         "/api/v1/resource9999/1",      "/nothing"};
  for (const char* p : paths) {
    size_t a = RouterTestPeer::visits(small, Method::Get, p);
    size_t b = RouterTestPeer::visits(big, Method::Get, p);
    EXPECT_EQ(a, b) << p;
    EXPECT_LE(a, 8u) << p;
  }
  // root, api, v1, resource5, {id:int}
  EXPECT_EQ(RouterTestPeer::visits(big, Method::Get, "/api/v1/resource5/42"), 5u);
}

// The counter the next test relies on does see allocations.
TEST(Router, AllocationCounterWorks) {
  g_allocs = 0;
  g_counting = true;
  int* volatile p = new int(1);
  g_counting = false;
  delete p;
  EXPECT_GE(g_allocs, 1u);  // 2 when malloc is counted too
#if defined(__GLIBC__) && !defined(VIPER_TEST_SANITIZED)
  g_allocs = 0;
  g_counting = true;
  void* volatile m = std::malloc(16);
  g_counting = false;
  std::free(m);
  EXPECT_EQ(g_allocs, 1u);
#endif
}

TEST(Router, MatchDoesNotAllocate) {
  Router r;
  AddResources(r, 50);
  ASSERT_EQ(r.add(Method::Get, "/f/{x:float}", T(9001)), AddResult::Ok);
  ASSERT_EQ(r.add(Method::Get, "/p/{rest:path}", T(9002)), AddResult::Ok);
  const char* paths[] = {"/api/v1/resource7/123",
                         "/api/v1/resource7/static",
                         "/api/v1/resource7/abc/items",
                         "/api/v1/resource7/99999999999999999999999/items",
                         "/f/-12345.678901234567890123456789",
                         "/f/1"
                         "00000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000.5",
                         "/p/a/b/c",
                         "/missing"};
  MatchResult out;
  size_t found = 0;
  const uint64_t engine_allocs = mem::stats().allocations;
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 10000; i++) {
    const char* p = paths[i % (sizeof paths / sizeof paths[0])];
    r.match(i % 3 ? Method::Get : Method::Post, p, out);
    found += out.kind == MatchKind::Found;
    found += r.path_exists(p);
  }
  g_counting = false;
  EXPECT_EQ(g_allocs, 0u);
  EXPECT_EQ(mem::stats().allocations, engine_allocs);
  EXPECT_GT(found, 0u);
}

// Sets the allocator's budget to what is in use now plus `room` bytes for the scope, and puts
// the previous budget back at its end (budget 0 means unlimited, hence room >= 1).
class BudgetRoom {
 public:
  explicit BudgetRoom(uint64_t room) : saved_(mem::stats().budget) {
    mem::set_budget(mem::stats().bytes_in_use + room);
  }
  ~BudgetRoom() { mem::set_budget(saved_); }
  BudgetRoom(const BudgetRoom&) = delete;
  BudgetRoom& operator=(const BudgetRoom&) = delete;

 private:
  uint64_t saved_;
};

TEST(Router, OutOfMemoryAtEveryAllocationLeavesTheRouterUsable) {
  // Give one add() 1, 2, 3... bytes of room until it succeeds: every allocation it makes is
  // refused in turn (the nodes, each with its label, the child arrays, the route record).
  std::vector<uint64_t> failed_after;  // allocations made before the refusal, per attempt
  for (uint64_t room = 1;; room++) {
    Router r;
    ASSERT_EQ(r.add(Method::Get, "/a/one", T(1)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, "/a/two", T(2)), AddResult::Ok);  // the child array is full
    uint64_t in_use = mem::stats().bytes_in_use;
    uint64_t allocs = mem::stats().allocations;
    AddResult res;
    {
      BudgetRoom b(room);
      res = r.add(Method::Get, "/a/three/{id:int}/{more:path}", T(3));
    }
    EXPECT_EQ(Id(r, "/a/one"), 1);
    EXPECT_EQ(Id(r, "/a/two"), 2);
    if (res == AddResult::Ok) {
      EXPECT_EQ(r.route_count(), 3u);
      EXPECT_EQ(Id(r, "/a/three/5/x"), 3);
      break;
    }
    ASSERT_EQ(res, AddResult::OutOfMemory) << room;
    EXPECT_LE(mem::stats().bytes_in_use, in_use + room);
    if (failed_after.empty() || failed_after.back() != mem::stats().allocations - allocs) {
      failed_after.push_back(mem::stats().allocations - allocs);
    }
    EXPECT_EQ(r.route_count(), 2u);
    EXPECT_EQ(Id(r, "/a/three/5/x"), 0);
    EXPECT_FALSE(r.path_exists("/a/three/5/x"));
    ASSERT_EQ(r.add(Method::Get, "/a/three/{id:int}/{more:path}", T(3)), AddResult::Ok);
    EXPECT_EQ(Id(r, "/a/three/5/x"), 3);
  }
  // grow "a"'s children, "three", {id:int}, {more:path}, the route record: each refused once.
  EXPECT_EQ(failed_after, (std::vector<uint64_t>{0, 1, 2, 3, 4})) << failed_after.size();

  uint64_t base = mem::stats().bytes_in_use;
  {
    Router fresh;  // the very first add() also creates the root
    {
      BudgetRoom b(1);
      EXPECT_EQ(fresh.add(Method::Get, "/", T(1)), AddResult::OutOfMemory);
    }
    EXPECT_EQ(Id(fresh, "/"), 0);
    EXPECT_EQ(fresh.add(Method::Get, "/", T(1)), AddResult::Ok);
    EXPECT_EQ(Id(fresh, "/"), 1);
  }
  EXPECT_EQ(mem::stats().bytes_in_use, base);
}

// Every byte of the trie is counted by viper::mem (so the esp32 profile's budget covers the
// routes), and destroying the router gives all of it back.
TEST(Router, MemoryIsCountedAndGivenBack) {
  const uint64_t base = mem::stats().bytes_in_use;
  uint64_t one = 0, two_methods = 0;
  {
    Router r;
    EXPECT_EQ(mem::stats().bytes_in_use, base);  // an empty router holds nothing
    g_allocs = 0;
    g_counting = true;
    AddResult a = r.add(Method::Get, "/api/items/{id:int}", T(1));
    g_counting = false;
    ASSERT_EQ(a, AddResult::Ok);
    EXPECT_EQ(g_allocs, 0u);  // nothing from operator new or malloc: all through viper::mem
    one = mem::stats().bytes_in_use - base;
    EXPECT_GT(one, 0u);
    ASSERT_EQ(r.add(Method::Post, "/api/items/{id:int}", T(2)), AddResult::Ok);
    two_methods = mem::stats().bytes_in_use - base;
    EXPECT_EQ(two_methods - one, sizeof(RouteTarget));  // one more target in the record
    uint64_t before = mem::stats().bytes_in_use;
    ASSERT_EQ(r.add(Method::Get, "/api/items/{id:int}/tags", T(3)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, "/api/users/{name}", T(4)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, "/health", T(5)), AddResult::Ok);
    EXPECT_GT(mem::stats().bytes_in_use, before);
    // Refused adds leave nothing behind.
    before = mem::stats().bytes_in_use;
    EXPECT_EQ(r.add(Method::Get, "/api/items/{x:int}", T(6)), AddResult::Conflict);
    EXPECT_EQ(r.add(Method::Get, "/api/{", T(7)), AddResult::BadPattern);
    EXPECT_EQ(mem::stats().bytes_in_use, before);
    EXPECT_EQ(Id(r, "/api/items/7"), 1);
    EXPECT_EQ(Id(r, "/api/items/7", Method::Post), 2);
    EXPECT_EQ(Id(r, "/api/items/7/tags"), 3);
    std::printf(
        "router memory: \"/api/items/{id:int}\" alone: %llu bytes (with POST too: %llu); "
        "5 routes: %llu bytes\n",
        (unsigned long long)one, (unsigned long long)two_methods,
        (unsigned long long)(mem::stats().bytes_in_use - base));
  }
  EXPECT_EQ(mem::stats().bytes_in_use, base);
}

TEST(Router, TightBudgetRefusesAddsAndKeepsEarlierRoutes) {
  const mem::Stats start = mem::stats();
  {
    Router r;
    ASSERT_EQ(r.add(Method::Get, "/items/{id:int}", T(1)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, "/users/me", T(2)), AddResult::Ok);
    ASSERT_EQ(r.add(Method::Get, "/files/{p:path}", T(3)), AddResult::Ok);
    const uint64_t held = mem::stats().bytes_in_use;
    {
      BudgetRoom b(1);
      EXPECT_EQ(r.add(Method::Get, "/orders/{id:int}", T(4)), AddResult::OutOfMemory);
      EXPECT_EQ(r.add(Method::Get, "/users/you", T(5)), AddResult::OutOfMemory);
      // A new method on an existing pattern needs a larger route record: refused too, and the
      // old record stays.
      EXPECT_EQ(r.add(Method::Post, "/items/{id:int}", T(6)), AddResult::OutOfMemory);
      EXPECT_EQ(mem::stats().bytes_in_use, held);
      EXPECT_GT(mem::stats().refused, start.refused);
    }
    EXPECT_EQ(r.route_count(), 3u);
    EXPECT_EQ(Id(r, "/items/42"), 1);
    EXPECT_EQ(Match(r, Method::Get, "/items/42").params[0].name, "id");
    EXPECT_EQ(Id(r, "/items/42", Method::Post), -405);
    EXPECT_EQ(Id(r, "/users/me"), 2);
    EXPECT_EQ(Id(r, "/files/a/b"), 3);
    EXPECT_EQ(Id(r, "/orders/1"), 0);
    EXPECT_EQ(Id(r, "/users/you"), 0);
    // With room again, the same adds succeed.
    EXPECT_EQ(r.add(Method::Get, "/orders/{id:int}", T(4)), AddResult::Ok);
    EXPECT_EQ(r.add(Method::Post, "/items/{id:int}", T(6)), AddResult::Ok);
    EXPECT_EQ(Id(r, "/orders/1"), 4);
    EXPECT_EQ(Id(r, "/items/42", Method::Post), 6);
    EXPECT_EQ(Id(r, "/items/42"), 1);
  }
  EXPECT_EQ(mem::stats().bytes_in_use, start.bytes_in_use);
  EXPECT_EQ(mem::stats().budget, start.budget);
}

// Routes are added until the budget refuses one; every route added before is still found.
// Under the esp32 profile this is the device's own budget (VIPER_MEMORY_BUDGET_BYTES).
TEST(Router, RoutesUpToTheBudgetAreAllFound) {
  const uint64_t budget = VIPER_MEMORY_BUDGET_BYTES > 0 ? VIPER_MEMORY_BUDGET_BYTES : 64 * 1024;
  const uint64_t base = mem::stats().bytes_in_use;
  {
    Router r;
    BudgetRoom b(budget);
    int n = 0;
    for (;; n++) {
      std::string p = "/api/v1/resource" + std::to_string(n) + "/{id:int}";
      AddResult res = r.add(Method::Get, p, T(uint32_t(n + 1)));
      if (res == AddResult::OutOfMemory) break;
      ASSERT_EQ(res, AddResult::Ok) << n;
    }
    EXPECT_EQ(r.route_count(), size_t(n));
    EXPECT_LE(mem::stats().bytes_in_use - base, budget);
    std::printf("routes in %llu bytes: %d (about %llu bytes each)\n", (unsigned long long)budget, n,
                (unsigned long long)(budget / uint64_t(n)));
    EXPECT_GT(n, 100);
    for (int i = 0; i < n; i++) {
      std::string p = "/api/v1/resource" + std::to_string(i) + "/" + std::to_string(i * 3);
      MatchResult out = Match(r, Method::Get, p);
      ASSERT_EQ(out.kind, MatchKind::Found) << i;
      ASSERT_EQ(out.target.id, uint32_t(i + 1));
      ASSERT_EQ(out.params[0].i, i * 3);
    }
    EXPECT_EQ(Id(r, "/api/v1/resource" + std::to_string(n) + "/1"), 0);
  }
  EXPECT_EQ(mem::stats().bytes_in_use, base);
}

TEST(Router, FormatAllow) {
  char buf[128];
  uint16_t all = 0;
  for (int i = 0; i < http::kMethodCount; i++)
    all |= http::method_bit(Method(i));
  EXPECT_EQ(Allow(all), "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT");
  EXPECT_EQ(Allow(0), "");
  EXPECT_EQ(Allow(Bits({Method::Delete, Method::Get})), "GET, DELETE");
  EXPECT_EQ(Allow(uint16_t(all | http::method_bit(Method::Unknown))), Allow(all));
  // Only whole names, never past the capacity.
  std::memset(buf, '#', sizeof buf);
  size_t n = format_allow(Bits({Method::Get, Method::Head, Method::Post}), buf, 10);
  EXPECT_EQ(std::string(buf, n), "GET, HEAD");
  EXPECT_EQ(buf[10], '#');
  EXPECT_EQ(format_allow(all, buf, 2), 0u);
  EXPECT_EQ(format_allow(all, nullptr, 0), 0u);
}

}  // namespace
}  // namespace viper
