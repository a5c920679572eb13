// libFuzzer target for the streaming application/x-www-form-urlencoded tokenizer
// (engine/http/urlencoded.h).
//
// Input: byte 0 picks the limits (bit 0: small ones) and seeds the random split; the rest is
// the body.  Checked (a violation traps):
//   - fed whole, a byte at a time and in random pieces (whole and random pieces each in a heap
//     buffer of its own size; the bytes as views into one copy), the fields are the same,
//     adjacent pieces joined, up to and including the error;
//   - with no error, the fields equal a one-piece reference: split at '&', skip empty fields,
//     the first '=' splits, '+' is a space, %XX a byte, any other '%' kept (query_next's and
//     unquote_plus's rules);
//   - `used` never exceeds what was offered, NeedMore consumed everything, pieces are never
//     empty and lie in the piece's buffer or the tokenizer; the limits hold.
// Dictionary: tests/fuzz/urlencoded.dict.
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/query.h"
#include "http/urlencoded.h"

namespace {

using namespace viper::http;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Run {
  Fields fields;
  FormError error = FormError::None;
  bool operator==(const Run& o) const { return fields == o.fields && error == o.error; }
};

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lenient_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Run parse(std::string_view body, const UrlencodedLimits& limits, const std::vector<size_t>& cuts,
          bool own_buffers = true) {
  Run run;
  UrlencodedParser p;
  p.start(limits);
  bool open = false, done = false;
  // Each piece in a heap buffer of its own size (ASan sees an over-read past a piece), or, for
  // the byte-at-a-time pass, all pieces as views into one copy (no allocation per byte).
  std::unique_ptr<char[]> all;
  if (!own_buffers) {
    all.reset(new char[body.size()]);
    if (!body.empty()) std::memcpy(all.get(), body.data(), body.size());
  }
  size_t from = 0;
  for (size_t k = 0; k <= cuts.size() && !done; k++) {
    size_t to = k < cuts.size() ? cuts[k] : body.size();
    size_t n = to - from;
    std::unique_ptr<char[]> own;
    char* buf;
    if (own_buffers) {
      own.reset(new char[n]);
      if (n) std::memcpy(own.get(), body.data() + from, n);
      buf = own.get();
    } else {
      buf = all.get() + from;
    }
    from = to;
    if (k == cuts.size()) p.finish();
    char* b = buf;
    size_t len = n;
    while (!done) {
      size_t used = 12345;
      std::string_view piece;
      UrlencodedEvent ev = p.next(b, len, &used, &piece);
      CHECK(used <= len);
      b += used;
      len -= used;
      if (ev == UrlencodedEvent::NeedMore) {
        CHECK(len == 0);
        break;
      }
      if (ev == UrlencodedEvent::Name || ev == UrlencodedEvent::Value) {
        const char* lo = buf;
        const char* plo = reinterpret_cast<const char*>(&p);
        CHECK(!piece.empty());
        CHECK((piece.data() >= lo && piece.data() + piece.size() <= lo + n) ||
              (piece.data() >= plo && piece.data() + piece.size() <= plo + sizeof p));
        if (!open) run.fields.emplace_back();
        CHECK(ev == UrlencodedEvent::Value || run.fields.back().second.empty());
        open = true;
        (ev == UrlencodedEvent::Name ? run.fields.back().first : run.fields.back().second)
            .append(piece);
        CHECK(run.fields.back().first.size() + run.fields.back().second.size() <=
              limits.max_field_bytes);
      } else if (ev == UrlencodedEvent::FieldEnd) {
        if (!open) run.fields.emplace_back();
        open = false;
        CHECK(run.fields.size() <= limits.max_fields);
      } else if (ev == UrlencodedEvent::End) {
        CHECK(!open && k == cuts.size() && len == 0);
        done = true;
      } else {
        CHECK(ev == UrlencodedEvent::Error && p.error() != FormError::None);
        run.error = p.error();
        done = true;
      }
    }
    CHECK(p.body_bytes() <= limits.max_body_bytes);
  }
  CHECK(done);
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  UrlencodedLimits limits;
  if (flags & 1) {
    limits.max_fields = 3;
    limits.max_field_bytes = 8;
    limits.max_body_bytes = 40;
  }
  Run whole = parse(body, limits, {});

  std::vector<size_t> bytes;
  for (size_t i = 1; i < body.size(); i++)
    bytes.push_back(i);
  CHECK(parse(body, limits, bytes, false) == whole);

  std::vector<size_t> random;
  uint32_t x = flags * 2654435761u + uint32_t(body.size());
  for (size_t at = 0;;) {
    x = x * 1103515245u + 12345u;
    at += 1 + (x >> 16) % 13;
    if (at >= body.size()) break;
    random.push_back(at);
  }
  CHECK(parse(body, limits, random) == whole);

  if (whole.error == FormError::None) {
    Fields ref;
    size_t pos = 0;
    std::string_view k, v;
    while (query_next(body, &pos, &k, &v)) {
      // query_next gives no value for "k" and for "k=": both are an empty value.
      ref.emplace_back(lenient_decode(k), lenient_decode(v));
    }
    CHECK(ref == whole.fields);
  }
  return 0;
}

#include "replay_main.h"
