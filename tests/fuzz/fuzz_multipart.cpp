// libFuzzer target for the streaming multipart/form-data parser (engine/http/multipart.h, with
// engine/http/multipart_part.h and engine/http/header_params.h under it).
//
// Input: byte 0 picks the limits (bit 0: small ones, so that every limit is reached) and seeds
// the random split (the other bits); then the Content-Type value up to the first '\n'; the rest
// is the body.  Checked (a violation traps):
//   - start() agrees with multipart_boundary();
//   - the body fed whole, a byte at a time and in random pieces gives the same events, adjacent
//     PartData joined, up to and including the error and finish()'s answer.  Whole and random
//     pieces each sit in a heap buffer of their own size, freed once their events are taken, so
//     ASan sees an over-read or a stale view; the byte-at-a-time pass uses views into one copy
//     (an allocation per byte would slow the fuzzer tenfold);
//   - `next` consumes a prefix, NeedMore leaves nothing; PartData is never empty and points into
//     the piece or the parser; part views point into the parser;
//   - PartBegin/PartEnd alternate, End comes once after the last PartEnd, nothing after Error;
//     the limits hold (parts, field bytes, body bytes) and the data is never more than the body.
//
// Seeds: tests/fuzz/seeds/fuzz_multipart/ (bodies from tests/multipart/corpus: hand-written,
// Python requests, curl and Chromium); dictionary: tests/fuzz/multipart.dict.
// With -DVIPER_FUZZ_MAIN and no -fsanitize=fuzzer it builds a replayer: pass crash files.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.h"

namespace {

using namespace viper::http;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Event {
  MultipartEvent kind;
  std::string text;  // data, or the part's fields
  bool operator==(const Event& o) const { return kind == o.kind && text == o.text; }
};

bool inside(std::string_view v, const void* base, size_t size) {
  const char* lo = static_cast<const char*>(base);
  return v.empty() || (v.data() >= lo && v.data() + v.size() <= lo + size);
}

struct Run {
  std::vector<Event> events;
  FormError end = FormError::None;
};

Run parse(std::string_view ct, std::string_view body, const MultipartLimits& limits,
          const std::vector<size_t>& cuts, bool own_buffers = true) {
  Run run;
  auto p = std::make_unique<MultipartParser>();
  FormError started = p->start(ct, limits);
  std::string_view boundary;
  CHECK(started == multipart_boundary(ct, &boundary));
  if (started != FormError::None) {
    run.end = started;
    return run;
  }
  bool in_part = false, ended = false, failed = false;
  uint64_t data_total = 0, field = 0;
  // Each piece in a heap buffer of its own size (ASan sees an over-read past a piece), or, for
  // the byte-at-a-time pass, all pieces as views into one copy (no allocation per byte).
  std::unique_ptr<char[]> all;
  if (!own_buffers) {
    all.reset(new char[body.size()]);
    if (!body.empty()) std::memcpy(all.get(), body.data(), body.size());
  }
  size_t from = 0;
  for (size_t k = 0; k <= cuts.size() && !failed; k++) {
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
    std::string_view in(buf, n), d;
    for (;;) {
      size_t before = in.size();
      const char* start = in.data();
      MultipartEvent ev = p->next(&in, &d);
      CHECK(in.size() <= before && in.data() == start + (before - in.size()));
      if (ev == MultipartEvent::NeedMore) {
        CHECK(in.empty());
        break;
      }
      CHECK(!ended || ev == MultipartEvent::Error);
      if (ev == MultipartEvent::PartData) {
        CHECK(in_part && !d.empty());
        CHECK(inside(d, buf, n) || inside(d, p.get(), sizeof(MultipartParser)));
        data_total += d.size();
        field += d.size();
        CHECK(data_total <= body.size());
        if (!p->part().is_file) CHECK(field <= limits.max_field_bytes);
        if (!run.events.empty() && run.events.back().kind == MultipartEvent::PartData) {
          run.events.back().text.append(d);
        } else {
          run.events.push_back({ev, std::string(d)});
        }
        continue;
      }
      if (ev == MultipartEvent::PartBegin) {
        CHECK(!in_part);
        in_part = true;
        field = 0;
        const MultipartPart& part = p->part();
        for (std::string_view v :
             {part.name, part.filename, part.content_type, part.disposition, part.headers})
          CHECK(inside(v, p.get(), sizeof(MultipartParser)));
        CHECK(part.index + 1 == p->parts() && p->parts() <= limits.max_parts);
        CHECK(part.headers.size() + 2 <= limits.max_part_header_bytes);
        CHECK(part.is_file || part.filename.empty());
        run.events.push_back({ev, std::string(part.name) + '\0' + std::string(part.filename) +
                                      '\0' + std::string(part.content_type) + '\0' +
                                      std::string(part.headers) + (part.is_file ? "F" : "-")});
      } else if (ev == MultipartEvent::PartEnd) {
        CHECK(in_part);
        in_part = false;
        run.events.push_back({ev, ""});
      } else if (ev == MultipartEvent::End) {
        CHECK(!in_part);
        ended = true;
        run.events.push_back({ev, ""});
      } else {
        CHECK(ev == MultipartEvent::Error && p->error() != FormError::None);
        CHECK(p->next(&in, &d) == MultipartEvent::Error);  // sticky
        run.events.push_back({ev, std::string(1, char(p->error()))});
        failed = true;
        break;
      }
    }
    CHECK(p->body_bytes() <= limits.max_body_bytes);
  }
  run.end = p->finish();
  CHECK((run.end == FormError::None) == (ended && !failed));  // the epilogue may pass a limit
  CHECK(!failed || run.end == p->error());
  return run;
}

bool same(const Run& a, const Run& b) {
  return a.end == b.end && a.events == b.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view ct = text.substr(0, nl), body = text.substr(nl + 1);

  MultipartLimits limits;
  if (flags & 1) {
    limits.max_parts = 3;
    limits.max_part_header_bytes = 96;
    limits.max_part_headers = 2;
    limits.max_field_bytes = 8;
    limits.max_body_bytes = 300;
  }
  Run whole = parse(ct, body, limits, {});

  std::vector<size_t> bytes;
  for (size_t i = 1; i < body.size(); i++)
    bytes.push_back(i);
  CHECK(same(parse(ct, body, limits, bytes, false), whole));

  std::vector<size_t> random;
  uint32_t x = flags * 2654435761u + uint32_t(body.size());
  for (size_t at = 0;;) {
    x = x * 1103515245u + 12345u;
    at += 1 + (x >> 16) % 97;
    if (at >= body.size()) break;
    random.push_back(at);
  }
  CHECK(same(parse(ct, body, limits, random), whole));
  return 0;
}

#include "replay_main.h"
