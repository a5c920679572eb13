// Throughput of the engine's form parsers (engine/http/multipart.h, engine/http/urlencoded.h)
// on a body held in memory and fed in pieces, as the connection code will feed socket reads.
//
//   viper_form_bench KIND MEGABYTES PIECE_BYTES REPETITIONS [BODY_FILE]
//     KIND: binary       one file part of random bytes (a CR every 256 bytes on average)
//           text         one file part of 40-byte CRLF lines (a CR every 40 bytes)
//           adversarial  one file part of "\r\n--" + 20 bytes of the boundary, over and over:
//                        every CR starts a partial delimiter match
//           cr           one file part of CR bytes only: every byte is a candidate
//           urlencoded   fields of 1 KB values, a '%XX' escape every 16 bytes and '+'s
//
// Prints the best and the median MB/s (1 MB = 10^6 bytes) of the repetitions, counting the
// whole body; the body is built before the clock starts.  With BODY_FILE the body is also
// written there (for bench/form_reference.py: python-multipart on the same bytes).  bench/form.sh
// runs it (and callgrind on it: parse_body is the function it counts).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "http/multipart.h"
#include "http/urlencoded.h"

using namespace viper::http;

namespace {

constexpr const char* kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string make_body(const std::string& kind, size_t bytes) {
  std::string body;
  body.reserve(bytes + 512);
  std::mt19937_64 rng(15);
  if (kind == "urlencoded") {
    static const char* hex = "0123456789ABCDEF";
    for (int field = 0; body.size() < bytes; field++) {
      body += "field" + std::to_string(field) + "=";
      for (int i = 0; i < 1024; i++) {
        uint64_t r = rng();
        if (i % 16 == 0) {
          body += '%';
          body += hex[r & 15];
          body += hex[(r >> 4) & 15];
        } else {
          body += (r & 7) == 0 ? '+' : char('a' + r % 26);
        }
      }
      body += '&';
    }
    return body;
  }
  body += "--" + std::string(kBoundary) +
          "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nfirmware\r\n--" + kBoundary +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw.bin\"\r\n"
          "Content-Type: application/octet-stream\r\n\r\n";
  size_t end = body.size() + bytes;
  if (kind == "binary") {
    while (body.size() < end) {
      uint64_t r = rng();
      body.append(reinterpret_cast<const char*>(&r), 8);
    }
  } else if (kind == "text") {
    while (body.size() < end)
      body += "2026-01-01T00:00:00 sensor=42 ok\r\n";  // 34 bytes, then a CRLF line end
  } else if (kind == "cr") {
    body.append(bytes, '\r');
  } else if (kind == "adversarial") {
    std::string almost = "\r\n--" + std::string(kBoundary).substr(0, 20);
    while (body.size() < end)
      body += almost;
  } else {
    std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
    std::exit(2);
  }
  body.resize(end);
  size_t at;  // random bytes may spell the delimiter: spoil it
  while ((at = body.find("\r\n--" + std::string(kBoundary), body.size() - bytes)) !=
         std::string::npos)
    body[at + 2] = 'x';
  body += "\r\n--" + std::string(kBoundary) + "--\r\n";
  return body;
}

// Parses the whole body in pieces; returns the data bytes seen (so nothing is optimised away).
__attribute__((noinline)) uint64_t parse_body(const std::string& kind, std::string& body,
                                              size_t piece) {
  uint64_t seen = 0;
  if (kind == "urlencoded") {
    UrlencodedParser p;
    p.start({UINT32_MAX, UINT64_MAX, UINT64_MAX});
    for (size_t off = 0; off < body.size(); off += piece) {
      char* b = &body[off];
      size_t len = std::min(piece, body.size() - off);
      if (off + len == body.size()) p.finish();
      for (;;) {
        size_t used;
        std::string_view out;
        UrlencodedEvent ev = p.next(b, len, &used, &out);
        b += used;
        len -= used;
        if (ev == UrlencodedEvent::NeedMore || ev == UrlencodedEvent::End) break;
        if (ev == UrlencodedEvent::Error) std::abort();
        seen += out.size();
      }
    }
    return seen;
  }
  static MultipartParser p;
  std::string ct = "multipart/form-data; boundary=" + std::string(kBoundary);
  if (p.start(ct) != FormError::None) std::abort();
  for (size_t off = 0; off < body.size(); off += piece) {
    std::string_view in(body.data() + off, std::min(piece, body.size() - off)), d;
    for (MultipartEvent ev; (ev = p.next(&in, &d)) != MultipartEvent::NeedMore;) {
      if (ev == MultipartEvent::Error) std::abort();
      if (ev == MultipartEvent::PartData) seen += d.size();
    }
  }
  if (p.finish() != FormError::None) std::abort();
  return seen;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr,
                 "usage: viper_form_bench KIND MEGABYTES PIECE_BYTES REPETITIONS [BODY_FILE]\n");
    return 2;
  }
  std::string kind = argv[1];
  size_t bytes = size_t(std::atof(argv[2]) * 1e6);
  size_t piece = std::strtoul(argv[3], nullptr, 10);
  int reps = std::atoi(argv[4]);
  std::string pristine = make_body(kind, bytes);
  if (argc == 6) {
    FILE* f = std::fopen(argv[5], "wb");
    if (!f || std::fwrite(pristine.data(), 1, pristine.size(), f) != pristine.size()) return 1;
    std::fclose(f);
  }
  std::vector<double> rates;
  uint64_t seen = 0;
  for (int i = 0; i < reps; i++) {
    std::string body = pristine;  // urlencoded decodes in place
    auto t0 = std::chrono::steady_clock::now();
    seen = parse_body(kind, body, piece);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(double(pristine.size()) / s / 1e6);
  }
  std::sort(rates.begin(), rates.end());
  std::printf(
      "%s: %zu bytes in %zu-byte pieces, %llu data bytes out: best %.0f MB/s, median %.0f MB/s\n",
      kind.c_str(), pristine.size(), piece, static_cast<unsigned long long>(seen), rates.back(),
      rates[rates.size() / 2]);
  return 0;
}
