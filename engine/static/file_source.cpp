// Sources of static files: path checks, directory lookups, asset pack lookups.
#include "static/file_source.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/response_writer.h"
#include "port/port.h"
#include "static/mime.h"

namespace viper::fs {

bool safe_relative_path(std::string_view rel) {
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view seg = rel.substr(start, end - start);
    bool last = end == rel.size();
    // An empty last segment is a trailing slash ("dir/"): fine.  Elsewhere it is "//".
    if ((seg.empty() && !last && !rel.empty()) || seg == "." || seg == "..") return false;
    for (char ch : seg) {
      if (ch == '\0' || ch == '\\') return false;
    }
    start = end + 1;
  }
  return true;
}

std::string_view format_file_etag(int64_t mtime, uint64_t size, char* buf, size_t cap) {
  http::Appender a(buf, cap);
  a.put("\"");
  a.put_hex(uint64_t(mtime));
  a.put("-");
  a.put_hex(size);
  a.put("\"");
  return a.ok() ? std::string_view(buf, a.size()) : std::string_view();
}

// Describes an open descriptor; false (and closes it) unless it is a regular file.
static Lookup describe(int fd, Found* out) {
  bool dir = false;
  if (!port::stat_fd(fd, &out->size, &out->mtime_ns, &dir)) {
    close(fd);
    return dir ? Lookup::Directory : Lookup::NotFound;
  }
  out->fd = fd;
  out->data = nullptr;
  out->mtime = out->mtime_ns >= 0 ? out->mtime_ns / 1000000000
                                  : -((-out->mtime_ns + 999999999) / 1000000000);
  out->etag = format_file_etag(out->mtime, out->size, out->etag_buf, sizeof out->etag_buf);
  return Lookup::Found;
}

bool open_path(const char* path, Found* out) {
  int fd = port::open_path(path);
  if (fd < 0) return false;
  if (describe(fd, out) != Lookup::Found) return false;
  out->content_type = mime_for_path(path);
  return true;
}

// "<rel>" or "<rel>.gz" as a C string in scratch; nullptr when it does not fit.
static const char* disk_name(std::string_view rel, bool gz, char* scratch, size_t cap) {
  if (rel.size() + 4 > cap) return nullptr;
  std::memcpy(scratch, rel.data(), rel.size());
  std::memcpy(scratch + rel.size(), gz ? ".gz" : "", gz ? 4 : 1);
  return scratch;
}

static Lookup find_in_directory(const Mount& m, std::string_view rel, bool want_gzip, char* scratch,
                                size_t cap, Found* out) {
  // The root itself: "" names the directory.
  if (rel.empty()) return Lookup::Directory;
  const char* name = disk_name(rel, want_gzip, scratch, cap);
  if (name == nullptr) return Lookup::NotFound;
  if (want_gzip) {
    int gz = port::open_beneath(m.root_fd, m.root, name);
    if (gz >= 0 && describe(gz, out) == Lookup::Found) {
      out->gzip = true;
      out->vary = true;
      out->content_type = mime_for_path(rel);
      return Lookup::Found;
    }
    name = disk_name(rel, false, scratch, cap);
  }
  int fd = port::open_beneath(m.root_fd, m.root, name);
  if (fd < 0) return Lookup::NotFound;
  Lookup r = describe(fd, out);
  if (r == Lookup::Found) {
    out->gzip = false;
    out->vary = false;  // only the gzip variant says Vary: no extra lookup per request
    out->content_type = mime_for_path(rel);
  }
  return r;
}

bool stat_file(const Mount& m, std::string_view rel, bool gz, char* scratch, size_t cap,
               uint64_t* size, int64_t* mtime_ns) {
  if (m.kind == SourceKind::File) return port::stat_path(m.root, size, mtime_ns);
  const char* name = disk_name(rel, gz, scratch, cap);
  return m.kind == SourceKind::Directory && name != nullptr &&
         port::stat_beneath(m.root_fd, m.root, name, size, mtime_ns);
}

static Lookup find_in_pack(const Mount& m, std::string_view rel, bool want_gzip, Found* out) {
  PackEntry e;
  if (!m.pack.find(rel, &e)) {
    // A directory in a pack is any prefix of an entry's path followed by '/'.
    if (rel.empty()) return Lookup::Directory;
    return Lookup::NotFound;
  }
  out->fd = -1;
  out->mtime = e.mtime;
  out->content_type = e.content_type;
  out->vary = !e.gzip.empty();
  out->gzip = want_gzip && !e.gzip.empty();
  std::string_view body = out->gzip ? e.gzip : e.data;
  out->data = body.data();
  out->size = body.size();
  out->etag = e.etag;
  if (out->gzip && e.etag.size() >= 2 && e.etag.size() + 3 <= sizeof out->etag_buf) {
    // The gzip variant is another representation: another strong tag ("<tag>-gz").
    size_t n = e.etag.size() - 1;
    std::memcpy(out->etag_buf, e.etag.data(), n);
    std::memcpy(out->etag_buf + n, "-gz\"", 4);
    out->etag = std::string_view(out->etag_buf, n + 4);
  }
  return Lookup::Found;
}

Lookup find_file(const Mount& m, std::string_view rel, bool want_gzip, char* scratch, size_t cap,
                 Found* out) {
  if (!safe_relative_path(rel)) return Lookup::NotFound;
  switch (m.kind) {
    case SourceKind::Directory:
      return find_in_directory(m, rel, want_gzip, scratch, cap, out);
    case SourceKind::Pack:
      return find_in_pack(m, rel, want_gzip, out);
    case SourceKind::File:
      return open_path(m.root, out) ? Lookup::Found : Lookup::NotFound;
  }
  return Lookup::NotFound;
}

}  // namespace viper::fs
