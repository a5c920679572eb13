// libFuzzer target for the incremental UTF-8 validator (engine/ws/utf8.h).
//
// Input: the bytes to validate.  Checked (a violation traps):
//   - the answer (first bad offset, or valid-complete, or valid-incomplete) equals that of an
//     independent reference: Unicode's Table 3-7 as rows of byte ranges;
//   - the same answer when the input is fed one byte at a time, and when it is cut in two at
//     eight positions taken from the input;
//   - utf8_valid agrees with it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ws/utf8.h"

namespace {

using viper::ws::Utf8Validator;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

long reference(const uint8_t* s, size_t n) {
  struct Row {
    uint8_t lo[4], hi[4];
    int len;
  };
  static const Row rows[] = {
      {{0x00}, {0x7F}, 1},
      {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
      {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
      {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
      {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
      {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
      {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
      {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
      {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
  };
  size_t i = 0;
  while (i < n) {
    const Row* row = nullptr;
    for (const Row& r : rows)
      if (s[i] >= r.lo[0] && s[i] <= r.hi[0]) row = &r;
    if (row == nullptr) return long(i);
    for (int k = 1; k < row->len; k++) {
      if (i + k == n) return -2;
      if (s[i + k] < row->lo[k] || s[i + k] > row->hi[k]) return long(i + k);
    }
    i += row->len;
  }
  return -1;
}

// The validator's answer for s fed as pieces cut at cuts[0..ncuts) (ascending).
long answer(std::string_view s, const size_t* cuts, size_t ncuts) {
  Utf8Validator v;
  size_t start = 0;
  for (size_t c = 0; c <= ncuts; c++) {
    size_t end = c < ncuts ? cuts[c] : s.size();
    size_t bad = 0;
    if (!v.feed(s.substr(start, end - start), &bad)) return long(start + bad);
    start = end;
  }
  return v.complete() ? -1 : -2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  long expect = reference(data, size);
  CHECK(answer(s, nullptr, 0) == expect);
  CHECK(viper::ws::utf8_valid(s) == (expect == -1));
  // One byte at a time.
  Utf8Validator v;
  long got = -3;
  for (size_t i = 0; i < size; i++) {
    size_t bad = 0;
    if (!v.feed(s.substr(i, 1), &bad)) {
      CHECK(bad == 0);
      got = long(i);
      break;
    }
  }
  if (got == -3) got = v.complete() ? -1 : -2;
  CHECK(got == expect);
  // Cut in two at positions taken from the input.
  for (size_t k = 0; k < 8 && k < size; k++) {
    size_t cut = data[k] % (size + 1);
    CHECK(answer(s, &cut, 1) == expect);
  }
  return 0;
}

#include "replay_main.h"
