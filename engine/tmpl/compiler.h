// The template compiler: Jinja2 syntax in, a Program (engine/tmpl/program.h) out.
//
// It compiles a whole unit at once: the template, what it extends (blocks resolved to their
// most derived definition) and what it includes, loading each file through a SourceLoader.
// Anything outside the subset (docs/guide/templates.md) is a compile error naming the
// template, line and column — never a silent difference from Jinja2.  The compiler allocates
// its scratch and the program through the counting allocator; it never runs at render time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace viper::tmpl {

// Where template files come from (a directory, an asset pack, a test's map).
struct Source {
  std::string_view text;  // valid until release()
  uint64_t size = 0;      // for the cache's change check
  int64_t mtime_ns = 0;
  void* handle = nullptr;  // the loader's own
};
enum class LoadStatus : uint8_t { Ok, NotFound, BadName, TooLarge, Error };
class SourceLoader {
 public:
  virtual LoadStatus load(std::string_view name, Source* out) = 0;
  virtual void release(Source* s) = 0;

 protected:
  ~SourceLoader() = default;
};

struct CompileLimits {
  uint32_t max_expression_depth = 32;  // nesting of sub-expressions
  uint32_t max_nesting = 32;           // nesting of statements (if/for/block...)
  uint32_t max_templates = 64;         // files in one unit
  uint32_t max_stack = 128;            // value stack slots a unit may need (the renderer's)
  uint32_t max_loop_nesting = 16;      // the renderer's loop stack
  uint32_t max_program_bytes = 1u << 20;
};

struct CompileError {
  bool not_found = false;  // a template (the root, a parent, an include) does not exist
  char message[200] = {};
  char template_name[128] = {};
  uint32_t line = 0;
  uint32_t column = 0;
};

// True for a name a loader may be asked for: relative, '/'-separated, no empty, "." or ".."
// segment, no backslash, NUL or control character (Jinja's split_template_path refuses "..";
// this refuses more).
bool template_name_ok(std::string_view name);

// Compiles the unit whose root is `name`.  Returns the program (free it with mem::release),
// or nullptr with *err filled.
void* compile(std::string_view name, SourceLoader* loader, const CompileLimits& limits,
              CompileError* err);

// Compiles `text` as a template named `name` (Jinja's Environment.from_string); includes and
// extends go to `loader`, which may be null (then they are errors).
void* compile_source(std::string_view name, std::string_view text, SourceLoader* loader,
                     const CompileLimits& limits, CompileError* err);

}  // namespace viper::tmpl
