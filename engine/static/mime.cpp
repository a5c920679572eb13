#include "static/mime.h"

#include <cstddef>

namespace viper::fs {

namespace {

struct MimeEntry {
  std::string_view ext;  // lower case, without the dot
  std::string_view type;
};

// Sorted by extension (checked below) for binary search.  Types follow CPython's mimetypes
// table; the few it lacks (apng, atom, ics, map, rss) use their usual registrations.  .wav says
// "audio/wav" rather than Python's newer "audio/vnd.wave", which not every browser recognises.
constexpr MimeEntry kTable[] = {
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avi", "video/vnd.avi"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"eot", "application/vnd.ms-fontobject"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"glb", "model/gltf-binary"},
    {"gltf", "model/gltf+json"},
    {"gz", "application/gzip"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/vnd.microsoft.icon"},
    {"ics", "text/calendar; charset=utf-8"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"m4a", "audio/mp4"},
    {"map", "application/json"},  // source maps
    {"markdown", "text/markdown; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mkv", "video/matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/opus"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"tsv", "text/tab-separated-values; charset=utf-8"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xml", "text/xml; charset=utf-8"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
};

constexpr bool table_sorted() {
  for (size_t i = 1; i < sizeof kTable / sizeof kTable[0]; i++)
    if (!(kTable[i - 1].ext < kTable[i].ext)) return false;
  return true;
}
static_assert(table_sorted(), "kTable must be sorted by extension, without duplicates");

constexpr size_t kMaxExt = 11;  // "webmanifest"

constexpr std::string_view kDefault = "application/octet-stream";

}  // namespace

std::string_view mime_for_path(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t lead = name.find_first_not_of('.');  // leading dots belong to the name (".bashrc")
  if (lead == std::string_view::npos) return kDefault;
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot < lead) return kDefault;
  std::string_view ext = name.substr(dot + 1);
  if (ext.empty() || ext.size() > kMaxExt) return kDefault;
  char buf[kMaxExt];
  for (size_t i = 0; i < ext.size(); i++) {
    char c = ext[i];
    buf[i] = c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
  }
  std::string_view key(buf, ext.size());
  size_t lo = 0, hi = sizeof kTable / sizeof kTable[0];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (kTable[mid].ext < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < sizeof kTable / sizeof kTable[0] && kTable[lo].ext == key ? kTable[lo].type
                                                                        : kDefault;
}

}  // namespace viper::fs
