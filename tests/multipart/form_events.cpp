// viper_form_events: runs the engine's form parsers (engine/http/multipart.h,
// engine/http/urlencoded.h) over a body in a file and prints what they found as one JSON
// object, for tests/multipart/test_differential.py to compare with python-multipart.
//
//   viper_form_events [options] CONTENT_TYPE BODY_FILE
//     --piece N        feed the body in pieces of N bytes (default: whole), each in a buffer of
//                      its own that is freed once consumed (so ASan sees stale views)
//     --split SEED     feed it in pieces of random sizes (1..64) from SEED
//     --schedules      print one line per way of feeding: whole, --piece 1, --piece 7,
//                      --split 1, --split 2 (one process instead of five: sanitizer builds
//                      start slowly)
//     --limit K=V      a limit: parts, header_bytes, headers, field_bytes, body_bytes
//                      (urlencoded: fields, field_bytes, body_bytes)
//
// Multipart (any Content-Type but application/x-www-form-urlencoded):
//   {"ok": bool, "error": name|null, "status": n, "detail": str,
//    "parts": [{"name": hex, "filename": hex|null, "content_type": hex|null,
//               "headers": [[hex, hex], ...], "data": hex, "ended": bool}, ...]}
// Urlencoded: {"ok": ..., "fields": [[hex name, hex value], ...]}.
// Byte strings are hex so that any bytes survive JSON.  Exit status 0 unless the arguments or
// the file are wrong.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/form_error.h"
#include "http/multipart.h"
#include "http/urlencoded.h"

using namespace viper::http;

namespace {

const char* error_name(FormError e) {
  switch (e) {
    case FormError::None:
      return "None";
    case FormError::NotMultipart:
      return "NotMultipart";
    case FormError::NoBoundary:
      return "NoBoundary";
    case FormError::BadBoundary:
      return "BadBoundary";
    case FormError::BadDelimiter:
      return "BadDelimiter";
    case FormError::BadPartHeader:
      return "BadPartHeader";
    case FormError::RepeatedPartHeader:
      return "RepeatedPartHeader";
    case FormError::NoContentDisposition:
      return "NoContentDisposition";
    case FormError::BadContentDisposition:
      return "BadContentDisposition";
    case FormError::NoPartName:
      return "NoPartName";
    case FormError::BadFilename:
      return "BadFilename";
    case FormError::Truncated:
      return "Truncated";
    case FormError::TooManyParts:
      return "TooManyParts";
    case FormError::PartHeaderTooLarge:
      return "PartHeaderTooLarge";
    case FormError::TooManyPartHeaders:
      return "TooManyPartHeaders";
    case FormError::FieldTooLarge:
      return "FieldTooLarge";
    case FormError::TooManyFields:
      return "TooManyFields";
    case FormError::BodyTooLarge:
      return "BodyTooLarge";
  }
  return "?";
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2 + 2);
  out += '"';
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  out += '"';
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Piecer {
  size_t fixed = 0;  // 0: whole
  bool random = false;
  std::mt19937 rng;
  size_t next(size_t left) {
    if (random) return std::min<size_t>(left, 1 + rng() % 64);
    return fixed ? std::min(fixed, left) : left;
  }
};

struct Part {
  std::string name, filename, content_type, data;
  bool is_file = false, has_type = false, ended = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

void print_result(FormError e, const std::string& items) {
  std::printf("{\"ok\": %s, \"error\": %s, \"status\": %u, \"detail\": %s, %s}\n",
              e == FormError::None ? "true" : "false",
              e == FormError::None ? "null" : json_string(error_name(e)).c_str(), status_of(e),
              json_string(detail_of(e)).c_str(), items.c_str());
}

void run_multipart(std::string_view ct, const std::string& body, Piecer& piecer,
                   const MultipartLimits& limits) {
  auto parser = std::make_unique<MultipartParser>();
  std::vector<Part> parts;
  FormError err = parser->start(ct, limits);
  size_t off = 0;
  bool done = err != FormError::None;
  while (!done) {
    size_t n = piecer.next(body.size() - off);
    std::unique_ptr<char[]> buf(new char[n ? n : 1]);
    std::memcpy(buf.get(), body.data() + off, n);
    off += n;
    std::string_view in(buf.get(), n), data;
    for (;;) {
      MultipartEvent ev = parser->next(&in, &data);
      if (ev == MultipartEvent::NeedMore) break;
      if (ev == MultipartEvent::PartBegin) {
        const MultipartPart& p = parser->part();
        Part q;
        q.name = p.name;
        q.filename = p.filename;
        q.is_file = p.is_file;
        q.content_type = p.content_type;
        q.has_type = p.content_type.data() != nullptr;
        size_t pos = 0;
        std::string_view hn, hv;
        while (part_header_next(p.headers, &pos, &hn, &hv))
          q.headers.emplace_back(hn, hv);
        parts.push_back(std::move(q));
      } else if (ev == MultipartEvent::PartData) {
        parts.back().data.append(data);
      } else if (ev == MultipartEvent::PartEnd) {
        parts.back().ended = true;
      } else if (ev == MultipartEvent::Error) {
        err = parser->error();
        done = true;
        break;
      }
    }
    if (!done && off == body.size()) {
      err = parser->finish();
      done = true;
    }
  }
  std::string items = "\"parts\": [";
  for (size_t i = 0; i < parts.size(); i++) {
    const Part& p = parts[i];
    if (i) items += ", ";
    items +=
        "{\"name\": " + hex(p.name) + ", \"filename\": " + (p.is_file ? hex(p.filename) : "null") +
        ", \"content_type\": " + (p.has_type ? hex(p.content_type) : "null") + ", \"headers\": [";
    for (size_t k = 0; k < p.headers.size(); k++) {
      if (k) items += ", ";
      items += "[" + hex(p.headers[k].first) + ", " + hex(p.headers[k].second) + "]";
    }
    items += "], \"data\": " + hex(p.data) + ", \"ended\": " + (p.ended ? "true" : "false") + "}";
  }
  items += "]";
  print_result(err, items);
}

void run_urlencoded(const std::string& body, Piecer& piecer, const UrlencodedLimits& limits) {
  UrlencodedParser parser;
  parser.start(limits);
  std::vector<std::pair<std::string, std::string>> fields;
  bool open = false;
  FormError err = FormError::None;
  size_t off = 0;
  for (bool done = false; !done;) {
    size_t n = piecer.next(body.size() - off);
    std::unique_ptr<char[]> buf(new char[n ? n : 1]);
    std::memcpy(buf.get(), body.data() + off, n);
    off += n;
    if (off == body.size()) parser.finish();
    char* p = buf.get();
    size_t left = n;
    for (;;) {
      size_t used;
      std::string_view piece;
      UrlencodedEvent ev = parser.next(p, left, &used, &piece);
      p += used;
      left -= used;
      if (ev == UrlencodedEvent::NeedMore) break;
      if (ev == UrlencodedEvent::Name || ev == UrlencodedEvent::Value) {
        if (!open) fields.emplace_back();
        open = true;
        (ev == UrlencodedEvent::Name ? fields.back().first : fields.back().second).append(piece);
      } else if (ev == UrlencodedEvent::FieldEnd) {
        if (!open) fields.emplace_back();
        open = false;
      } else {
        if (ev == UrlencodedEvent::Error) err = parser.error();
        done = true;
        break;
      }
    }
  }
  std::string items = "\"fields\": [";
  for (size_t i = 0; i < fields.size(); i++) {
    if (i) items += ", ";
    items += "[" + hex(fields[i].first) + ", " + hex(fields[i].second) + "]";
  }
  print_result(err, items + "]");
}

int usage() {
  std::fprintf(stderr,
               "usage: viper_form_events [--piece N | --split SEED] [--limit K=V]... "
               "CONTENT_TYPE BODY_FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Piecer piecer;
  bool schedules = false;
  MultipartLimits mp;
  UrlencodedLimits ue;
  int i = 1;
  for (; i + 1 < argc && std::strncmp(argv[i], "--", 2) == 0; i += 2) {
    std::string opt = argv[i], val = argv[i + 1];
    if (opt == "--schedules") {
      schedules = true;
      i--;  // takes no value
    } else if (opt == "--piece") {
      piecer.fixed = std::strtoull(val.c_str(), nullptr, 10);
    } else if (opt == "--split") {
      piecer.random = true;
      piecer.rng.seed(unsigned(std::strtoul(val.c_str(), nullptr, 10)));
    } else if (opt == "--limit") {
      size_t eq = val.find('=');
      if (eq == std::string::npos) return usage();
      std::string k = val.substr(0, eq);
      unsigned long long v = std::strtoull(val.c_str() + eq + 1, nullptr, 10);
      if (k == "parts")
        mp.max_parts = uint32_t(v);
      else if (k == "header_bytes")
        mp.max_part_header_bytes = uint32_t(v);
      else if (k == "headers")
        mp.max_part_headers = uint32_t(v);
      else if (k == "field_bytes")
        mp.max_field_bytes = ue.max_field_bytes = v;
      else if (k == "body_bytes")
        mp.max_body_bytes = ue.max_body_bytes = v;
      else if (k == "fields")
        ue.max_fields = uint32_t(v);
      else
        return usage();
    } else {
      return usage();
    }
  }
  if (argc - i != 2) return usage();
  std::string_view ct = argv[i];
  FILE* f = std::fopen(argv[i + 1], "rb");
  if (!f) {
    std::perror(argv[i + 1]);
    return 2;
  }
  std::string body;
  char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    body.append(chunk, n);
  std::fclose(f);
  std::string_view type = ct.substr(0, ct.find(';'));
  while (!type.empty() && type.back() == ' ')
    type.remove_suffix(1);
  std::vector<Piecer> ways(1, piecer);
  if (schedules) {
    ways.assign(5, Piecer());
    ways[1].fixed = 1;
    ways[2].fixed = 7;
    for (unsigned seed : {1u, 2u}) {
      ways[2 + seed].random = true;
      ways[2 + seed].rng.seed(seed);
    }
  }
  for (Piecer& way : ways) {
    if (type == "application/x-www-form-urlencoded") {
      run_urlencoded(body, way, ue);
    } else {
      run_multipart(ct, body, way, mp);
    }
  }
  return 0;
}
