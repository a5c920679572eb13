// libFuzzer target for the path router (engine/router/router.h).
//
// Input: byte 0 picks the method (low 4 bits) and the mode (bit 7).
//   mode 0: the rest is a path matched against a fixed route table;
//   mode 1: the rest is '\n'-separated patterns added to a fresh router (method = line index
//           mod 9), and the last line is also matched as a path.
// After each match the invariants below are checked; a violation traps.
//
// Build (the fuzz CMakeLists does the same):
//   clang++-14 -std=c++20 -fsanitize=fuzzer,address,undefined -I engine -I engine/include
//     tests/fuzz/fuzz_router.cpp engine/router/router.cpp engine/http/method.cpp
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "router/router.h"

namespace {

using viper::MatchKind;
using viper::MatchResult;
using viper::ParamType;
using viper::Router;
using viper::http::Method;
using viper::http::method_bit;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// Route ids are pattern index * 16 + method, so a Found can be checked against the method.
constexpr const char* kPatterns[] = {
    "/",
    "/items",
    "/items/",
    "/items/{id:int}",
    "/items/{id:int}/tags/{tag}",
    "/items/{name}",
    "/items/me",
    "/f/{x:float}",
    "/f/{x:float}/{y:float}",
    "/n/{a:int}/{b:int}/{c:int}/{d:int}/{e:int}/{f:int}/{g:int}/{h:int}",
    "/static/{p:path}",
    "/{first}/x",
    "/{first}/{second:int}/y",
    "/a/{x:int}/b",
    "/a/{y}/c",
    "/{rest:path}",
};

const Router& table() {
  static Router r;
  static bool built = [] {
    int i = 0;
    for (const char* p : kPatterns) {
      for (int m = 0; m < viper::http::kMethodCount; m++) {
        if ((i + m) % 3 == 0) continue;  // leave holes so that 405s happen
        if (r.add(Method(m), p, {nullptr, nullptr, uint32_t(i * 16 + m)}) != viper::AddResult::Ok) {
          __builtin_trap();
        }
      }
      i++;
    }
    return true;
  }();
  (void)built;
  return r;
}

bool inside(std::string_view v, std::string_view path) {
  return v.data() >= path.data() && v.data() + v.size() <= path.data() + path.size();
}

void check_param(const viper::PathParam& p, std::string_view path) {
  CHECK(inside(p.value, path));
  CHECK(!p.name.empty());
  switch (p.type) {
    case ParamType::Int: {
      int64_t v = 0;
      auto r = std::from_chars(p.value.data(), p.value.data() + p.value.size(), v);
      CHECK(r.ec == std::errc() && r.ptr == p.value.data() + p.value.size() && v == p.i);
      break;
    }
    case ParamType::Float:
      CHECK(!p.value.empty() && p.value.find_first_not_of("-.0123456789") == p.value.npos);
      break;
    case ParamType::Str:
      CHECK(!p.value.empty() && p.value.find('/') == p.value.npos);
      break;
    case ParamType::Path:  // the remainder of the path
      CHECK(p.value.data() + p.value.size() == path.data() + path.size());
      break;
  }
}

void check_allow(uint16_t allow) {
  char buf[80];
  std::memset(buf, '#', sizeof buf);
  size_t n = viper::format_allow(allow, buf, 64);
  CHECK(n <= 64 && buf[64] == '#');
  CHECK((allow == 0) == (n == 0));
}

void check_match(const Router& r, Method m, std::string_view path, bool fixed_table) {
  MatchResult out;
  r.match(m, path, out);
  CHECK(out.num_params <= VIPER_MAX_PATH_PARAMS);
  CHECK((out.kind != MatchKind::NotFound) == r.path_exists(path));
  check_allow(out.allow);
  if (out.allow & method_bit(Method::Get)) CHECK(out.allow & method_bit(Method::Head));
  switch (out.kind) {
    case MatchKind::Found: {
      CHECK(out.allow & method_bit(m));
      for (int i = 0; i < out.num_params; i++)
        check_param(out.params[i], path);
      unsigned routed = out.target.id % 16;  // the method the target was registered for
      if (fixed_table) CHECK(routed == unsigned(m) || (m == Method::Head && routed == 0));
      break;
    }
    case MatchKind::MethodNotAllowed:
      CHECK(out.allow != 0 && !(out.allow & method_bit(m)) && out.num_params == 0);
      break;
    case MatchKind::NotFound:
      CHECK(out.allow == 0 && out.num_params == 0);
      break;
  }
}

// Mode 1: fuzzed patterns.  Checks the route count and that a registered pattern's own text,
// read as a path, never crashes the lookup.
void fuzz_patterns(Method m, std::string_view rest) {
  Router r;
  size_t ok = 0, line = 0, pos = 0;
  std::string_view last;
  while (pos <= rest.size()) {
    size_t nl = rest.find('\n', pos);
    if (nl == rest.npos) nl = rest.size();
    last = rest.substr(pos, nl - pos);
    auto res = r.add(Method(line++ % viper::http::kMethodCount), last, {nullptr, nullptr, 0});
    ok += res == viper::AddResult::Ok;
    check_match(r, m, last, false);
    pos = nl + 1;
  }
  CHECK(r.route_count() == ok);
  check_match(r, m, last, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Method m = Method((data[0] & 0x0f) % (viper::http::kMethodCount + 1));  // Unknown included
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x80) {
    fuzz_patterns(m, rest);
  } else {
    check_match(table(), m, rest, true);
  }
  return 0;
}

#include "replay_main.h"
