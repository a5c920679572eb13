// Path router: a trie of path segments with typed captures (SPEC §3.1).
//
// Patterns are split at '/'.  A segment is either static text or one capture:
//   {name} / {name:str}  one non-empty segment
//   {name:int}           optional '-' then decimal digits, fits int64 (overflow: no match)
//   {name:float}         optional '-', digits, optional '.' digits (no exponent, inf or nan)
//   {name:path}          the rest of the path, may contain '/', may be empty; last segment only
// Lookup walks one trie level per path segment.  At each level it tries the static child first
// (binary search over sorted children), then the capture children in order int, float, str,
// path; if the rest of the path fails below a child, it backtracks to the next candidate.  So a
// value that does not fit a converter means "this route does not match, try the others", as
// in Starlette, and the cost of a lookup depends on the path, not on the number of routes.
//
// Routes are added at start-up (allocation allowed, from viper::mem, so the memory budget counts
// them; a refused allocation makes add() return OutOfMemory and keeps every earlier route);
// `match` never allocates and returns captures as views into the path it was given plus
// converted numbers.
//
// Precedence differs from Starlette's registration order in one respect, documented in
// docs/routing.md: a static segment beats a capture at the same level whatever the order of
// registration ("/users/me" wins over "/users/{id}").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/method.h"
#include "viper/config.h"
#include "viper/types.h"

namespace viper {

// ParamType, PathParam and AddResult: viper/types.h.

// What a route leads to: opaque to the router.  The server stores a handler pointer and its
// user data (C routes); the bridge later stores a Python route id.
struct RouteTarget {
  void* fn = nullptr;
  void* user = nullptr;
  uint32_t id = 0;
};

enum class MatchKind : uint8_t {
  Found,             // route and method matched: `target` and `params` are valid
  MethodNotAllowed,  // some route matches the path, none for this method: `allow` is valid
  NotFound,          // no route matches the path
};

struct MatchResult {
  MatchKind kind = MatchKind::NotFound;
  RouteTarget target;
  uint16_t allow = 0;  // method_bit() set of the path's methods (HEAD included with GET)
  uint8_t num_params = 0;
  PathParam params[VIPER_MAX_PATH_PARAMS];
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `target` for `method` on `pattern`.  Registering GET also answers HEAD unless a
  // HEAD route is registered for the same pattern explicitly.
  AddResult add(http::Method method, std::string_view pattern, RouteTarget target);

  // Matches a percent-decoded path.  Never allocates.  For MethodNotAllowed, `allow` holds the
  // methods of the first route (in lookup order) whose pattern matches the path.
  void match(http::Method method, std::string_view path, MatchResult& out) const;

  // True when some route's pattern matches `path` (any method): used for redirect_slashes.
  bool path_exists(std::string_view path) const;

  size_t route_count() const { return routes_; }

 private:
  struct Node;    // trie node, defined in router.cpp
  struct Lookup;  // state of one match() walk, defined in router.cpp
  // tests/engine/test_router.cpp reads how many nodes a lookup visited through lookup().
  friend struct RouterTestPeer;

  // One walk for match() (any_method false) or path_exists() (any_method true: stop at the first
  // route whose pattern matches).  Returns the number of trie nodes visited.
  size_t lookup(http::Method method, std::string_view path, MatchResult& out,
                bool any_method) const;

  Node* root_ = nullptr;  // owns the trie; created by the first add()
  size_t routes_ = 0;     // successful add() calls, i.e. (pattern, method) pairs
};

// Writes the Allow header value for a method set ("GET, HEAD, POST") into `out` (capacity
// `cap`); returns the length.  Methods appear in the order of http::Method.
size_t format_allow(uint16_t allow, char* out, size_t cap);

}  // namespace viper
