// The compiled form of a template: one contiguous, position-independent block made by the
// compiler (engine/tmpl/compiler.h) and run by the renderer (engine/tmpl/render.h).
//
// A program holds a template together with everything it includes and extends (a "unit"):
// blocks are resolved to their most derived definition at compile time, so `extends` costs
// nothing at render time, and one name table serves the whole unit (the bindings intern the
// context's keys against it).
//
//   header | code | data | names | name hash table | lines | deps
//
// code:  a byte code for a stack machine (Op below, operands little-endian, unaligned).
//        Jump operands ("rel") are i32 offsets from the end of the operand, so a piece of
//        expression code can be moved (the compiler reorders `a if t else b`);
// data:  template text, string constants and encoded constants (engine/tmpl/encoded.h);
// names: every identifier the unit reads or writes (variables, attributes, dict keys);
// lines: code offset -> (template, line), for render errors;
// deps:  every template file the unit was built from, with the size and mtime it had, so the
//        cache can notice a change (an `include ... ignore missing` that was absent too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace viper::tmpl {

enum Op : uint8_t {
  kOpHalt = 0,
  kOpText,          // u32 off, u32 len: emit data bytes as they are
  kOpMark,          // start of an output expression: remember the scratch mark
  kOpPrint,         // pop and emit (HTML-escaped unless safe), then release scratch
  kOpConst,         // u32 off: push the encoded constant at data[off]
  kOpStr,           // u32 off, u32 len: push a str constant
  kOpNone,          //
  kOpTrue,          //
  kOpFalse,         //
  kOpInt,           // i64
  kOpUndefined,     // push a lenient undefined (inline `if` without `else`)
  kOpLoad,          // u16 name
  kOpStore,         // u16 name: pop into the current frame
  kOpUnpack,        // u8 n, n * u16 names: pop a sequence of exactly n items into names
  kOpGetAttr,       // u16 name
  kOpGetItem,       // pop key, pop object
  kOpSlice,         // u8 mask (1 start, 2 stop, 4 step present, pushed in that order)
  kOpBinary,        // u8 BinOp
  kOpConcat,        // u8 n, u8 folded (1: every operand is a constant: plain str, as Jinja's
                    // optimiser folds it)
  kOpCompare,       // u8 CmpOp
  kOpCompareChain,  // u8 CmpOp, i32 rel: pop a, b; false: push False, jump; else push b
  kOpNot,
  kOpNeg,
  kOpPos,
  kOpJump,         // i32 rel
  kOpJumpIfFalse,  // i32 rel (pops)
  kOpAndJump,      // i32 rel: falsy: keep and jump; else pop
  kOpOrJump,       // i32 rel: truthy: keep and jump; else pop
  kOpPop,
  kOpFilter,        // u8 Filter, u8 argc, argc * u8 parameter slot of each pushed argument
                    // (keyword arguments land in their slot): pop args and value, push result
  kOpTest,          // u8 Test, u8 argc, u8 negate
  kOpRange,         // u8 argc
  kOpDictMethod,    // u8 0 items, 1 keys, 2 values
  kOpCycle,         // u8 argc: pop args, pop loop: push args[index0 % argc]
  kOpBuild,         // u8 tag (kList, kTuple, kDict), u16 n (items; pairs for a dict)
  kOpForInit,       // u8 filtered: pop the iterable, push a loop and a loop frame
  kOpForScan,       // u8 n, n * u16 names, i32 rel done: bind the next candidate or jump
  kOpForMark,       // pop the filter's result for the candidate just bound
  kOpForRewind,     // end of the filter pass: iterate the selected items
  kOpForNext,       // u8 n, n * u16 names, u16 loop name (0xffff: none), i32 rel exit
  kOpForEnd,        // i32 rel after_else: pop the loop; it ran: jump after_else
  kOpInclude,       // u32 entry, u8 with_context: call a template (a new frame)
  kOpCallBlock,     // u32 entry, u8 scoped: call a block (a new frame)
  kOpReturn,        // end of a block or included template
  kOpCaptureBegin,  // start `{% set x %}...{% endset %}`
  kOpCaptureEnd,    // u16 name: store the captured text (safe) into name
  kOpCount
};

enum BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

// Filters and tests of the subset (Jinja2 3.1 semantics).
enum Filter : uint8_t {
  kFAbs,
  kFCapitalize,
  kFDefault,  // (default_value='', boolean=False)
  kFEscape,
  kFFirst,
  kFFloat,  // (default=0.0)
  kFInt,    // (default=0, base=10)
  kFItems,
  kFJoin,  // (d='', attribute=None)
  kFLast,
  kFLength,
  kFList,
  kFLower,
  kFReplace,  // (old, new, count=None)
  kFRound,    // (precision=0, method='common')
  kFSafe,
  kFString,
  kFTitle,
  kFTojson,  // (indent=None)
  kFTrim,    // (chars=None)
  kFUpper,
  kFilterCount
};
enum Test : uint8_t {
  kTDefined,
  kTUndefined,
  kTNone,
  kTBoolean,
  kTTrue,
  kTFalse,
  kTInteger,
  kTFloat,
  kTNumber,
  kTString,
  kTMapping,
  kTSequence,
  kTIterable,
  kTEven,
  kTOdd,
  kTDivisibleBy,
  kTLower,
  kTUpper,
  kTEscaped,
  kTEq,
  kTNe,
  kTLt,
  kTLe,
  kTGt,
  kTGe,
  kTIn,
  kTestCount
};

// Name flags: how the bindings treat a name when they encode a context.
enum : uint8_t {
  kNameContext = 1,  // loaded as a variable: taken from the context when it has it
  kNameAttr = 2,     // read as an attribute or constant key: fetched from objects
};

struct ProgramHeader {
  uint32_t magic;  // kProgramMagic
  uint32_t total;  // bytes of the whole program
  uint32_t code_off, code_len;
  uint32_t data_off, data_len;
  uint32_t names_off, hash_off, lines_off, deps_off;
  uint32_t num_lines;
  uint16_t num_names, num_deps;
  uint16_t max_stack;  // value stack slots the code needs
  uint16_t loop_name;  // id of "loop", 0xffff when unused
  uint32_t hash_mask;  // the name hash table has hash_mask + 1 u16 slots (0xffff: empty)
  uint32_t serial;     // set by whoever caches the program (TemplateStore), 0 otherwise
};
inline constexpr uint32_t kProgramMagic = 0x4c505456;  // "VTPL"

struct NameEntry {
  uint32_t off;  // into data
  uint16_t len;
  uint8_t flags;
  uint8_t pad;
};
struct LineEntry {
  uint32_t pc;
  uint16_t dep;  // the template (index into deps)
  uint16_t pad;
  uint32_t line;
};
struct DepEntry {
  uint32_t name_off;  // into data
  uint16_t name_len;
  uint8_t present;  // 0: an `ignore missing` include that was not there
  uint8_t pad;
  uint64_t size;
  int64_t mtime_ns;
};

// A read-only view of a program.
class Program {
 public:
  explicit Program(const void* p) : b_(static_cast<const uint8_t*>(p)) {}
  const ProgramHeader& h() const { return *reinterpret_cast<const ProgramHeader*>(b_); }
  size_t bytes() const { return h().total; }
  const uint8_t* code() const { return b_ + h().code_off; }
  const uint8_t* data() const { return b_ + h().data_off; }
  size_t num_names() const { return h().num_names; }
  const NameEntry& name_entry(size_t id) const {
    return reinterpret_cast<const NameEntry*>(b_ + h().names_off)[id];
  }
  std::string_view name(size_t id) const {
    const NameEntry& e = name_entry(id);
    return {reinterpret_cast<const char*>(data() + e.off), e.len};
  }
  // The id of `s`, or -1 (an open-addressing hash table: the bindings intern every dict key
  // of a context through it).
  int find_name(std::string_view s) const;
  uint32_t serial() const { return h().serial; }
  size_t num_deps() const { return h().num_deps; }
  const DepEntry& dep(size_t i) const {
    return reinterpret_cast<const DepEntry*>(b_ + h().deps_off)[i];
  }
  std::string_view dep_name(size_t i) const {
    const DepEntry& d = dep(i);
    return {reinterpret_cast<const char*>(data() + d.name_off), d.name_len};
  }
  // Template and line of the code at `pc`.
  void locate(uint32_t pc, size_t* dep_index, uint32_t* line) const;
  const void* base() const { return b_; }

 private:
  const uint8_t* b_;
};

// FNV-1a, the name table's hash.
inline uint32_t name_hash(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s)
    h = (h ^ uint8_t(c)) * 16777619u;
  return h;
}

}  // namespace viper::tmpl
