// Path router: a trie of path segments with typed captures.  The rules are in router.h.
//
// Memory: nodes (each with its label), the sorted arrays of static children and the route
// records are allocated in add() from viper::mem, so that the engine's memory budget counts
// them, and freed when the Router is destroyed.  Nothing is freed or moved while routes are
// added except a node's child array when it grows and a route record when a method is added to
// its pattern; in both cases the new block is made before the old one is freed, so a refused
// allocation (add() returns OutOfMemory) leaves every route that was there.  match() and
// path_exists() only read the trie; their state lives on the stack and in the caller's
// MatchResult.
//
// Paths and patterns are split the same way: drop the leading '/', split the rest at '/'.  So
// "/" is one empty segment, "/items/" is "items" then an empty segment, and "/a//b" has an empty
// middle segment.  An empty segment is stored as a static child with an empty label; patterns
// may only end with one (a trailing slash), never contain one in the middle.
#include "router/router.h"

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <new>
#include <system_error>
#include <type_traits>

#include "mem/allocator.h"

namespace viper {
namespace {

constexpr size_t kEnd = ~size_t(0);  // segment position meaning "the path has ended"
constexpr int kParamTypes = 4;       // capture children per node, indexed by ParamType

// Capture children are tried in this order: the stricter converter first, path last because it
// swallows the rest of the path.
constexpr ParamType kCaptureOrder[kParamTypes] = {ParamType::Int, ParamType::Float, ParamType::Str,
                                                  ParamType::Path};

// Returns the segment that starts at `pos` (just after a '/') and sets `next` to the start of
// the following one, or kEnd when this segment is the last.
std::string_view segment_at(std::string_view path, size_t pos, size_t& next) {
  size_t slash = path.find('/', pos);
  if (slash == std::string_view::npos) {
    next = kEnd;
    return path.substr(pos);
  }
  next = slash + 1;
  return path.substr(pos, slash - pos);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

size_t count_digits(std::string_view s, size_t from) {
  size_t n = 0;
  while (from + n < s.size() && is_digit(s[from + n]))
    n++;
  return n;
}

// Capture names become Python keyword arguments, so they must be identifiers.
bool is_name(std::string_view s) {
  if (s.empty() || is_digit(s[0])) return false;
  for (char c : s) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !is_digit(c) && c != '_') return false;
  }
  return true;
}

bool parse_converter(std::string_view s, ParamType& type) {
  if (s == "str")
    type = ParamType::Str;
  else if (s == "int")
    type = ParamType::Int;
  else if (s == "float")
    type = ParamType::Float;
  else if (s == "path")
    type = ParamType::Path;
  else
    return false;
  return true;
}

struct PatternSegment {
  bool capture = false;
  ParamType type = ParamType::Str;
  std::string_view name;  // view into the pattern
};

// A pattern segment is static text without braces, or exactly one "{name}" / "{name:conv}"
// filling the whole segment ("file.{ext}" is refused rather than half supported).
bool parse_segment(std::string_view seg, PatternSegment& out) {
  out = PatternSegment{};
  if (seg.find_first_of("{}") == std::string_view::npos) return true;
  if (seg.size() < 2 || seg.front() != '{' || seg.back() != '}') return false;
  std::string_view body = seg.substr(1, seg.size() - 2);
  if (body.find_first_of("{}") != std::string_view::npos) return false;
  size_t colon = body.find(':');
  out.capture = true;
  out.name = body.substr(0, colon);
  if (colon != std::string_view::npos && !parse_converter(body.substr(colon + 1), out.type)) {
    return false;
  }
  return is_name(out.name);
}

// Validates the whole pattern before the trie is touched, so that a bad pattern leaves no node
// behind, and collects the capture names in order.
bool check_pattern(std::string_view pattern, std::string_view* names, uint8_t& count) {
  count = 0;
  if (pattern.empty() || pattern[0] != '/') return false;
  for (size_t pos = 1, next = 0; pos != kEnd; pos = next) {
    std::string_view seg = segment_at(pattern, pos, next);
    PatternSegment ps;
    if (!parse_segment(seg, ps)) return false;
    if (seg.empty() && next != kEnd) return false;  // "//" could never match anything
    if (!ps.capture) continue;
    if (ps.type == ParamType::Path && next != kEnd) return false;
    if (count == VIPER_MAX_PATH_PARAMS) return false;
    for (uint8_t i = 0; i < count; i++) {
      if (names[i] == ps.name) return false;
    }
    names[count++] = ps.name;
  }
  return true;
}

bool to_int(std::string_view s, int64_t& v) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, v);  // no '+', no spaces; overflow is an error
  return r.ec == std::errc() && r.ptr == end;
}

// from_chars alone would also take "inf", "nan", "1." and ".5"; the converter only takes
// -?[0-9]+(\.[0-9]+)?, like Starlette's regex plus the sign.
bool to_float(std::string_view s, double& v) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  size_t whole = count_digits(s, i);
  if (whole == 0) return false;
  i += whole;
  if (i < s.size()) {
    if (s[i] != '.') return false;
    size_t frac = count_digits(s, i + 1);
    if (frac == 0 || i + 1 + frac != s.size()) return false;
  }
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, v, std::chars_format::fixed);
  return r.ec == std::errc() && r.ptr == end;  // out of double's range: no match
}

// Fills `p` from a captured value; false when the value does not fit the converter.
bool convert(ParamType type, std::string_view value, PathParam& p) {
  p.type = type;
  p.value = value;
  p.i = 0;
  p.f = 0.0;
  switch (type) {
    case ParamType::Int:
      return to_int(value, p.i);
    case ParamType::Float:
      return to_float(value, p.f);
    case ParamType::Str:
      return !value.empty();
    case ParamType::Path:
      return true;
  }
  return false;
}

}  // namespace

struct Router::Node {
  // What a pattern ending at this node leads to.  The capture names live here, not in the trie,
  // so "/a/{x}" and "/a/{y}/b" share the capture node below "a".  One block from mem::alloc:
  //   [Route][RouteTarget x num_targets][string_view x num_names][the names' bytes]
  // with one target per method registered explicitly, in method order.  A new method for the
  // pattern makes a new block (the old one is freed once the new one exists).
  struct alignas(alignof(RouteTarget)) alignas(alignof(std::string_view)) Route {
    uint16_t mask = 0;  // methods registered explicitly, one target each
    uint8_t num_names = 0;
    uint8_t num_targets = 0;

    static Route* make(const std::string_view* names, uint8_t count, uint16_t mask);
    static void destroy(Route* r);
    RouteTarget* targets() { return reinterpret_cast<RouteTarget*>(this + 1); }
    const RouteTarget* targets() const { return reinterpret_cast<const RouteTarget*>(this + 1); }
    const std::string_view* names() const {
      return reinterpret_cast<const std::string_view*>(targets() + num_targets);
    }
    // Index in targets() of a method whose bit is in `mask`.
    unsigned slot(http::Method m) const {
      return unsigned(std::popcount(unsigned(mask & (http::method_bit(m) - 1u))));
    }
    bool same_names(const std::string_view* names, uint8_t count) const;
    const RouteTarget* target_for(http::Method m) const;
    uint16_t allow() const;
  };

  Node** statics = nullptr;  // owned array (mem::alloc) of owned children, sorted by label
  uint32_t num_statics = 0;
  uint32_t cap_statics = 0;
  uint32_t label_len = 0;            // the static segment's bytes follow the node in its block
  Node* captures[kParamTypes] = {};  // owned, indexed by ParamType
  Route* route = nullptr;            // owned; set when some pattern ends here

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  std::string_view text() const { return {reinterpret_cast<const char*>(this + 1), label_len}; }
  uint32_t lower_bound(std::string_view seg) const;
  const Node* find_static(std::string_view seg) const;
  static Node* make(std::string_view label);
  static void destroy(Node* n);
  bool grow();
  Node* static_child(std::string_view seg);
  Node* capture_child(ParamType type);
  Node* insert(std::string_view pattern);
};

// Nodes and routes live in mem::alloc'd blocks: constructed in place, destroyed explicitly.
void Router::Node::destroy(Node* n) {
  if (n == nullptr) return;
  n->~Node();
  mem::release(n);
}

Router::Node::~Node() {
  for (uint32_t i = 0; i < num_statics; i++)
    destroy(statics[i]);
  for (Node* c : captures)
    destroy(c);
  mem::release(statics);
  Route::destroy(route);
}

void Router::Node::Route::destroy(Route* r) {
  if (r == nullptr) return;
  // RouteTarget and string_view are trivially destructible: nothing to run but ~Route.
  r->~Route();
  mem::release(r);
}

Router::Node::Route* Router::Node::Route::make(const std::string_view* names, uint8_t count,
                                               uint16_t mask) {
  static_assert(std::is_trivially_destructible_v<RouteTarget> &&
                std::is_trivially_destructible_v<std::string_view>);
  static_assert(sizeof(Route) % alignof(RouteTarget) == 0 &&
                sizeof(RouteTarget) % alignof(std::string_view) == 0);
  const unsigned targets = unsigned(std::popcount(unsigned(mask)));
  size_t chars = 0;
  for (uint8_t i = 0; i < count; i++)
    chars += names[i].size();
  const size_t bytes =
      sizeof(Route) + targets * sizeof(RouteTarget) + count * sizeof(std::string_view) + chars;
  void* block = mem::alloc(bytes);
  if (block == nullptr) return nullptr;
  Route* r = new (block) Route;
  r->mask = mask;
  r->num_targets = uint8_t(targets);
  r->num_names = count;
  for (unsigned i = 0; i < targets; i++)
    new (r->targets() + i) RouteTarget{};
  auto* views = reinterpret_cast<std::string_view*>(r->targets() + targets);
  char* at = reinterpret_cast<char*>(views + count);
  for (uint8_t i = 0; i < count; i++) {
    if (!names[i].empty()) std::memcpy(at, names[i].data(), names[i].size());
    new (views + i) std::string_view(at, names[i].size());
    at += names[i].size();
  }
  return r;
}

bool Router::Node::Route::same_names(const std::string_view* names, uint8_t count) const {
  if (count != num_names) return false;
  const std::string_view* mine = this->names();
  for (uint8_t i = 0; i < count; i++) {
    if (names[i] != mine[i]) return false;
  }
  return true;
}

// A GET route answers HEAD unless HEAD was registered for the pattern itself.
const RouteTarget* Router::Node::Route::target_for(http::Method m) const {
  if (unsigned(m) >= unsigned(http::kMethodCount)) return nullptr;
  if (mask & http::method_bit(m)) return &targets()[slot(m)];
  if (m == http::Method::Head && (mask & http::method_bit(http::Method::Get))) {
    return &targets()[slot(http::Method::Get)];
  }
  return nullptr;
}

uint16_t Router::Node::Route::allow() const {
  bool get = mask & http::method_bit(http::Method::Get);
  return uint16_t(mask | (get ? http::method_bit(http::Method::Head) : 0));
}

// Index of the first static child whose label is not less than `seg`.
uint32_t Router::Node::lower_bound(std::string_view seg) const {
  uint32_t lo = 0, hi = num_statics;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (statics[mid]->text() < seg)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const Router::Node* Router::Node::find_static(std::string_view seg) const {
  uint32_t i = lower_bound(seg);
  return (i < num_statics && statics[i]->text() == seg) ? statics[i] : nullptr;
}

// One block: the node, then its label's bytes.
Router::Node* Router::Node::make(std::string_view label) {
  // label_len is 32 bits, and the block size must not wrap where size_t is 32 bits too (the
  // device): one bound that is in range for size_t of either width (no "always false").
  if (label.size() > UINT32_MAX - sizeof(Node)) return nullptr;
  void* block = mem::alloc(sizeof(Node) + label.size());
  if (block == nullptr) return nullptr;
  Node* n = new (block) Node;
  if (!label.empty())
    std::memcpy(static_cast<char*>(block) + sizeof(Node), label.data(), label.size());
  n->label_len = uint32_t(label.size());
  return n;
}

// Doubles the child array.  The old array is freed only once the new one exists, so a failed
// growth leaves the node as it was.
bool Router::Node::grow() {
  uint32_t cap = cap_statics ? cap_statics * 2 : 2;
  if (cap < cap_statics) return false;  // 2^32 children: treat as out of memory
  Node** a = mem::alloc_array<Node*>(cap);
  if (!a) return false;
  if (num_statics > 0) std::memcpy(a, statics, num_statics * sizeof(Node*));
  mem::release(statics);
  statics = a;
  cap_statics = cap;
  return true;
}

// Finds or adds the static child for `seg`; null when out of memory.
Router::Node* Router::Node::static_child(std::string_view seg) {
  uint32_t i = lower_bound(seg);
  if (i < num_statics && statics[i]->text() == seg) return statics[i];
  if (num_statics == cap_statics && !grow()) return nullptr;
  Node* child = make(seg);
  if (!child) return nullptr;
  std::memmove(statics + i + 1, statics + i, (num_statics - i) * sizeof(Node*));
  statics[i] = child;
  num_statics++;
  return child;
}

Router::Node* Router::Node::capture_child(ParamType type) {
  Node*& c = captures[unsigned(type)];
  if (!c) c = make({});
  return c;
}

// Walks a checked pattern down from this node, adding the nodes that are missing; returns the
// node where the pattern ends, or null when out of memory.  Nodes added before a failure stay:
// they carry no route, so they never match, and a later add() reuses them.
Router::Node* Router::Node::insert(std::string_view pattern) {
  Node* n = this;
  for (size_t pos = 1, next = 0; n && pos != kEnd; pos = next) {
    std::string_view seg = segment_at(pattern, pos, next);
    PatternSegment ps;
    parse_segment(seg, ps);
    n = ps.capture ? n->capture_child(ps.type) : n->static_child(seg);
  }
  return n;
}

// Depth-first walk over the candidates, one trie level per path segment.  A node is entered
// at most once per lookup (its position in the path is fixed by its depth), so the recursion is
// no deeper than the path's segments or the longest pattern.
struct Router::Lookup {
  http::Method method;
  std::string_view path;
  MatchResult& out;
  bool any_method;            // path_exists(): the first route matching the path is enough
  bool path_matched = false;  // some route matched the path, perhaps not for `method`
  uint16_t first_allow = 0;   // allow set of that first route, for the 405
  uint8_t depth = 0;          // captures currently held in out.params
  size_t visits = 0;          // nodes entered

  bool walk(const Node* n, size_t pos);
  bool try_captures(const Node* n, size_t pos, std::string_view seg, size_t next);
  bool at_end(const Node* n);
};

// True stops the walk: found (or, for path_exists, the path matched).
bool Router::Lookup::walk(const Node* n, size_t pos) {
  visits++;
  if (pos == kEnd) return at_end(n);
  size_t next = 0;
  std::string_view seg = segment_at(path, pos, next);
  const Node* s = n->find_static(seg);
  if (s && walk(s, next)) return true;
  return try_captures(n, pos, seg, next);
}

bool Router::Lookup::try_captures(const Node* n, size_t pos, std::string_view seg, size_t next) {
  for (ParamType type : kCaptureOrder) {
    const Node* c = n->captures[unsigned(type)];
    if (!c || depth == VIPER_MAX_PATH_PARAMS) continue;
    bool rest = type == ParamType::Path;  // takes the remainder, '/' included
    if (!convert(type, rest ? path.substr(pos) : seg, out.params[depth])) continue;
    depth++;
    if (walk(c, rest ? kEnd : next)) return true;
    depth--;
  }
  return false;
}

bool Router::Lookup::at_end(const Node* n) {
  const Node::Route* r = n->route;
  if (!r) return false;
  const RouteTarget* t = any_method ? nullptr : r->target_for(method);
  if (!t) {
    // Keep looking: a later candidate may have the method.  The 405 reports the first one.
    if (!path_matched) first_allow = r->allow();
    path_matched = true;
    return any_method;
  }
  out.kind = MatchKind::Found;
  out.target = *t;
  out.allow = r->allow();
  out.num_params = depth;
  const std::string_view* names = r->names();
  for (uint8_t i = 0; i < depth && i < r->num_names; i++)
    out.params[i].name = names[i];
  return true;
}

Router::Router() = default;

Router::~Router() {
  Node::destroy(root_);
}

AddResult Router::add(http::Method method, std::string_view pattern, RouteTarget target) {
  // There is no code for a bad method; an unknown one is refused like a bad pattern.
  if (unsigned(method) >= unsigned(http::kMethodCount)) return AddResult::BadPattern;
  std::string_view names[VIPER_MAX_PATH_PARAMS];
  uint8_t num_names = 0;
  if (!check_pattern(pattern, names, num_names)) return AddResult::BadPattern;
  if (!root_) root_ = Node::make({});
  Node* n = root_ ? root_->insert(pattern) : nullptr;
  if (!n) return AddResult::OutOfMemory;
  const uint16_t bit = http::method_bit(method);
  const Node::Route* old = n->route;
  if (old) {
    // One name list per pattern: "/a/{x}" and "/a/{y}" collide.
    if (!old->same_names(names, num_names) || (old->mask & bit)) return AddResult::Conflict;
  }
  // A block with room for one more target; the old one goes only once the new one exists.
  Node::Route* r = old ? Node::Route::make(old->names(), old->num_names, uint16_t(old->mask | bit))
                       : Node::Route::make(names, num_names, bit);
  if (!r) return AddResult::OutOfMemory;
  for (int i = 0; old && i < http::kMethodCount; i++) {
    http::Method m = http::Method(i);
    if (old->mask & http::method_bit(m)) r->targets()[r->slot(m)] = old->targets()[old->slot(m)];
  }
  r->targets()[r->slot(method)] = target;
  Node::Route::destroy(n->route);
  n->route = r;
  routes_++;
  return AddResult::Ok;
}

size_t Router::lookup(http::Method method, std::string_view path, MatchResult& out,
                      bool any_method) const {
  out.kind = MatchKind::NotFound;
  out.target = RouteTarget{};
  out.allow = 0;
  out.num_params = 0;
  Lookup lk{method, path, out, any_method};
  if (root_ && !path.empty() && path[0] == '/') lk.walk(root_, 1);
  if (out.kind != MatchKind::Found) {
    out.num_params = 0;  // params[] holds leftovers of failed candidates
    if (lk.path_matched) {
      out.kind = MatchKind::MethodNotAllowed;
      out.allow = lk.first_allow;
    }
  }
  return lk.visits;
}

void Router::match(http::Method method, std::string_view path, MatchResult& out) const {
  lookup(method, path, out, false);
}

bool Router::path_exists(std::string_view path) const {
  MatchResult out;  // scratch for the converters (~0.5 KB of stack)
  lookup(http::Method::Unknown, path, out, true);
  return out.kind != MatchKind::NotFound;
}

size_t format_allow(uint16_t allow, char* out, size_t cap) {
  size_t len = 0;
  for (int i = 0; i < http::kMethodCount; i++) {
    http::Method m = http::Method(i);
    if (!(allow & http::method_bit(m))) continue;
    std::string_view name = http::method_name(m);
    size_t sep = len > 0 ? 2 : 0;
    if (len + sep + name.size() > cap) break;  // whole names only; never past `cap`
    std::memcpy(out + len, ", ", sep);
    std::memcpy(out + len + sep, name.data(), name.size());
    len += sep + name.size();
  }
  return len;
}

}  // namespace viper
