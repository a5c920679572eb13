// FileServer (see file_server.h).
#include "net/file_server.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "http/file_headers.h"
#include "mem/allocator.h"
#include "net/server_impl.h"
#include "net/transport.h"
#include "port/port.h"
#include "static/mime.h"

namespace viper {

using namespace detail;
using http::Framing;
using net::Conn;

namespace {

// Bytes one connection may send per writable event before the loop serves the others.
constexpr size_t kTurnBytes = 256 * 1024;

void take_header(FileQuery& q, std::string_view name, std::string_view value) {
  using http::ascii_iequal;
  if (ascii_iequal(name, "range"))
    q.range = value;
  else if (ascii_iequal(name, "if-range"))
    q.if_range = value;
  else if (ascii_iequal(name, "if-none-match"))
    q.if_none_match = value;
  else if (ascii_iequal(name, "if-modified-since"))
    q.if_modified_since = value;
  else if (ascii_iequal(name, "accept-encoding"))
    q.gzip = http::accepts_gzip(value);
}

}  // namespace

FileQuery FileQuery::from_request(const http::Request& r) {
  FileQuery q;
  for (uint16_t i = 0; i < r.num_headers; i++)
    take_header(q, r.headers[i].name, r.headers[i].value);
  return q;
}

FileQuery FileQuery::from_lines(std::string_view lines) {
  FileQuery q;
  http::for_each_header_line(lines, [&](std::string_view name, std::string_view value) {
    take_header(q, name, value);
    return true;
  });
  return q;
}

// ---------------------------------------------------------------------------------------------
// Set-up

const char* FileServer::init(uint32_t slots, uint32_t static_cache_bytes) {
  transfers_ = mem::alloc_array<net::Transfer>(slots);
  free_ = mem::alloc_array<net::Transfer*>(slots);
  scratch_ = static_cast<char*>(mem::alloc(scratch_cap()));
  index_scratch_ = static_cast<char*>(mem::alloc(scratch_cap()));
  if (transfers_ == nullptr || free_ == nullptr || scratch_ == nullptr || index_scratch_ == nullptr)
    return "out of memory (pools exceed the memory budget)";
  for (uint32_t i = 0; i < slots; i++) {
    new (&transfers_[i]) net::Transfer();
    free_[i] = &transfers_[i];
  }
  free_top_ = slots;
  choose_boundary();
  // About one entry per 2 KB of budget: small files are what the cache is for.
  if (static_cache_bytes > 0 && !cache_.init(static_cache_bytes, static_cache_bytes / 2048 + 16))
    return "out of memory (static_cache_bytes)";
  return nullptr;
}

void FileServer::destroy() {
  cache_.destroy();
  mem::release(transfers_);
  mem::release(free_);
  mem::release(scratch_);
  mem::release(index_scratch_);
  transfers_ = nullptr;
  free_ = nullptr;
  scratch_ = index_scratch_ = nullptr;
  for (uint32_t i = 0; i < num_mounts_; i++) {
    fs::Mount* m = mounts_[i];
    if (m->root_fd >= 0) close(m->root_fd);
    port::unmap_file(m->map, m->map_size);
    mem::release(const_cast<char*>(m->root));  // both copied by add_mount
    mem::release(const_cast<char*>(m->cache_control.data()));
    m->~Mount();
    mem::release(m);
  }
  num_mounts_ = 0;
}

// Names built from a request path, and FileResponse paths chosen by the application.
size_t FileServer::scratch_cap() const {
  size_t n = srv_.opt.limits.max_uri_bytes + 32;
  return n > 1024 ? n : 1024;
}

// Mounts keep copies of their strings (the caller's may not live as long as the server).
namespace {
const char* copy_string(std::string_view s) {
  char* p = static_cast<char*>(mem::alloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.data(), s.size());
  return p;
}
}  // namespace

const char* FileServer::add_mount(const StaticMount& sm, Router& router) {
  if (num_mounts_ == kMaxMounts) return "too many mounts";
  std::string_view prefix = sm.prefix;
  if (prefix.empty() || prefix[0] != '/' || prefix.find('{') != std::string_view::npos)
    return "prefix";
  if (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  void* mem = mem::alloc(sizeof(fs::Mount));
  if (mem == nullptr) return "out of memory";
  fs::Mount* m = new (mem) fs::Mount();
  mounts_[num_mounts_++] = m;  // freed with the server, whatever happens below
  m->id = num_mounts_ - 1;
  m->html = sm.html;
  m->kind = sm.kind == StaticKind::Directory ? fs::SourceKind::Directory
            : sm.kind == StaticKind::Pack    ? fs::SourceKind::Pack
                                             : fs::SourceKind::File;
  const char* src = sm.source != nullptr ? sm.source : "";
  const char* cc = copy_string(sm.cache_control);
  if (cc != nullptr) m->cache_control = std::string_view(cc, sm.cache_control.size());
  m->root = copy_string(src);
  if (cc == nullptr || m->root == nullptr) return "out of memory";
  if (!http::header_value_ok(m->cache_control)) return "cache_control";
  if (m->kind == fs::SourceKind::Directory) {
    m->root_fd = port::open_root(src);
#ifdef __linux__
    if (m->root_fd < 0) return "source: not a readable directory";
#endif
  } else if (m->kind == fs::SourceKind::Pack) {
    m->map = port::map_file(src, &m->map_size);
    if (m->map == nullptr) return "source: cannot map the asset pack";
    if (const char* why = m->pack.open(m->map, m->map_size)) return why;
  }
  // Patterns for the router: the prefix itself and everything below it.
  char pattern[600];
  http::Appender a(pattern, sizeof pattern);
  a.put(prefix == "/" ? std::string_view() : prefix);
  if (m->kind != fs::SourceKind::File) a.put("/{path:path}");
  if (!a.ok()) return "prefix";
  RouteTarget t{nullptr, m, 0};
  AddResult r = router.add(http::Method::Get, std::string_view(pattern, a.size()), t);
  if (r != AddResult::Ok) return r == AddResult::Conflict ? "route conflict" : "prefix";
  return nullptr;
}

void FileServer::choose_boundary() {
  // Unique enough per server: the boundary only has to be absent from the parts' bytes, and a
  // 20-character random-looking token is (RFC 2046 §5.1.1).
  uint64_t x = uint64_t(port::unix_time()) * 0x9E3779B97F4A7C15ull ^ port::now_ms() ^
               uint64_t(reinterpret_cast<uintptr_t>(this));
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (size_t i = 0; i < 20; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    boundary_[i] = kAlphabet[(x * 0x2545F4914F6CDD1Dull >> 58) % 36];
  }
  boundary_[20] = '\0';
}

// ---------------------------------------------------------------------------------------------
// Mounts

void FileServer::serve(Conn& c, fs::Mount& m, std::string_view rel) {
  srv_.counters.static_requests.inc();
  FileQuery q = FileQuery::from_request(srv_.req);
  bool dir = m.kind != fs::SourceKind::File && (rel.empty() || rel.back() == '/');
  fs::Found f;
  fs::Lookup r = fs::Lookup::NotFound;
  if (dir) {
    if (m.html) r = find_index(m, rel, q.gzip, &f);
  } else {
    r = find_cached(m, rel, q.gzip, &f);
    if (r != fs::Lookup::Found && m.html && m.kind != fs::SourceKind::File) {
      // "docs" names a directory with an index: send the browser to "docs/" (as Starlette).
      fs::Found index;
      if (find_index(m, rel, false, &index) == fs::Lookup::Found) {
        close_found(index);
        redirect_to_directory(c);
        return;
      }
    }
  }
  if (r == fs::Lookup::Found) {
    send_found(c, f, q, FileReply{200, m.cache_control, {}});
    return;
  }
  if (m.html &&
      fs::find_file(m, "404.html", q.gzip, scratch_, scratch_cap(), &f) == fs::Lookup::Found) {
    send_found(c, f, FileQuery{}, FileReply{404, {}, {}});
    return;
  }
  static constexpr std::string_view kNotFound = "Not Found";
  if (!srv_.respond(c, 404, "text/plain; charset=utf-8", kNotFound, kNotFound.data(), nullptr, 0))
    srv_.respond_error(c, 500, "Internal Server Error", true);
}

// "<dir>index.html" (rel is "" or ends with '/'; a missing slash is added).
fs::Lookup FileServer::find_index(fs::Mount& m, std::string_view rel, bool gzip, fs::Found* f) {
  static constexpr std::string_view kIndex = "index.html";
  char* name = index_scratch_;
  size_t cap = scratch_cap();
  bool slash = !rel.empty() && rel.back() != '/';
  if (rel.size() + 1 + kIndex.size() >= cap) return fs::Lookup::NotFound;
  std::memcpy(name, rel.data(), rel.size());
  size_t n = rel.size();
  if (slash) name[n++] = '/';
  std::memcpy(name + n, kIndex.data(), kIndex.size());
  n += kIndex.size();
  return find_cached(m, std::string_view(name, n), gzip, f);
}

// ---------------------------------------------------------------------------------------------
// The hot-file cache (directory and file mounts; a pack is in memory already)
//
// A cached file is checked on disk at every request with one stat (size and nanosecond mtime),
// so a change is seen at once; what the cache saves is the open, the read and the close, and
// the separate send of the head.  With gzip accepted, the cache also remembers that a file has
// no ".gz" sibling (an empty entry), so a site without variants costs one more stat, not an
// open per request.

namespace {
constexpr int64_t kNoVariant = INT64_MIN;  // mtime of an entry saying "no .gz here"
uint32_t cache_key(const fs::Mount& m, bool gzip) {
  return m.id * 2 + (gzip ? 1 : 0);
}
}  // namespace

// Is cache entry i still what is on disk?  One stat.
bool FileServer::still_valid(int32_t i, const fs::Mount& m, std::string_view name, bool gz) {
  const fs::CachedFile& e = cache_.get(i);
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool exists = fs::stat_file(m, name, gz, scratch_, scratch_cap(), &size, &mtime_ns);
  if (e.mtime == kNoVariant) return !exists;
  return exists && size == e.data.size() && mtime_ns == e.mtime;
}

fs::Lookup FileServer::find_cached(fs::Mount& m, std::string_view name, bool gzip, fs::Found* f) {
  if (!cache_.enabled() || m.kind == fs::SourceKind::Pack || !fs::safe_relative_path(name))
    return fs::find_file(m, name, gzip, scratch_, scratch_cap(), f);
  bool try_identity = true;
  if (gzip && m.kind == fs::SourceKind::Directory) {
    int32_t g = cache_.find(cache_key(m, true), name);
    if (g < 0 || !still_valid(g, m, name, true)) {
      if (g >= 0) cache_.erase(g);
      try_identity = false;  // the disk decides which variant there is
    } else if (cache_.get(g).mtime != kNoVariant) {
      return from_cache(g, m, name, true, f);
    }
  }
  if (try_identity) {
    int32_t i = cache_.find(cache_key(m, false), name);
    if (i >= 0 && still_valid(i, m, name, false)) return from_cache(i, m, name, false, f);
    if (i >= 0) cache_.erase(i);
  }
  fs::Lookup r = fs::find_file(m, name, gzip, scratch_, scratch_cap(), f);
  if (r == fs::Lookup::Found) cache_file(m, name, gzip, f);
  return r;
}

// Fills `f` from cache entry i, as find_file would have.  No system call.
fs::Lookup FileServer::from_cache(int32_t i, const fs::Mount& m, std::string_view name, bool gz,
                                  fs::Found* f) {
  const fs::CachedFile& e = cache_.get(i);
  f->fd = -1;
  f->data = e.data.data();
  f->size = e.data.size();
  f->mtime_ns = e.mtime;
  f->mtime = e.mtime >= 0 ? e.mtime / 1000000000 : -((-e.mtime + 999999999) / 1000000000);
  f->gzip = gz;
  f->vary = gz;
  f->cache_entry = i;
  f->content_type = fs::mime_for_path(m.kind == fs::SourceKind::File ? m.root : name);
  f->etag = fs::format_file_etag(f->mtime, f->size, f->etag_buf, sizeof f->etag_buf);
  srv_.counters.static_cache_hits.inc();
  return fs::Lookup::Found;
}

// After a lookup on disk: reads the file into the cache (then `f` points at the cached bytes
// and the file is closed), and remembers a missing gzip variant.
void FileServer::cache_file(const fs::Mount& m, std::string_view name, bool gzip, fs::Found* f) {
  int32_t i = -1;
  if (gzip && !f->gzip && m.kind == fs::SourceKind::Directory &&
      cache_.reserve(cache_key(m, true), name, 0, &i) != nullptr)
    cache_.commit(i, kNoVariant, srv_.now);
  if (f->fd < 0 || f->size > cache_.max_file()) return;
  char* dst = cache_.reserve(cache_key(m, f->gzip), name, size_t(f->size), &i);
  if (dst == nullptr) return;
  size_t got = 0;
  while (got < f->size) {
    ssize_t n = pread(f->fd, dst + got, size_t(f->size) - got, off_t(got));
    if (n <= 0) break;
    got += size_t(n);
  }
  if (got != f->size) {
    cache_.abort(i);
    return;
  }
  cache_.commit(i, f->mtime_ns, srv_.now);
  close_found(*f);
  from_cache(i, m, name, f->gzip, f);
  srv_.counters.static_cache_hits.dec();  // read from disk this time: not a hit
}

// Absolute when the client sent Host, as Starlette's StaticFiles and the slash redirect.
void FileServer::redirect_to_directory(Conn& c) {
  http::Appender a(srv_.location_scratch, srv_.location_capacity());
  if (!srv_.req.host.empty()) {
    a.put(c.tls != nullptr ? "https://" : "http://");
    a.put(srv_.req.host);
  }
  a.put(srv_.req.path);  // still percent-encoded, as the client sent it
  a.put("/");
  if (!srv_.req.query.empty()) {
    a.put("?");
    a.put(srv_.req.query);
  }
  http::Header h{"Location", std::string_view(srv_.location_scratch, a.size())};
  if (!a.ok() || !srv_.respond(c, 307, {}, {}, nullptr, &h, 1))
    srv_.respond_error(c, 500, "Internal Server Error", true);
}

void FileServer::close_found(fs::Found& f) {
  if (f.fd >= 0) close(f.fd);
  f.fd = -1;
}

// ---------------------------------------------------------------------------------------------
// Answering with a file

// Validators first (304), then ranges (206/416), then the whole representation (status).
void FileServer::send_found(Conn& c, fs::Found& f, const FileQuery& q, const FileReply& r) {
  char last_modified[29];
  http::format_http_date(f.mtime, last_modified);
  http::Header hs[8];
  uint16_t n = 0;
  if (!f.etag.empty()) hs[n++] = {"ETag", f.etag};
  hs[n++] = {"Last-Modified", std::string_view(last_modified, 29)};
  if (!r.cache_control.empty()) hs[n++] = {"Cache-Control", r.cache_control};
  if (f.vary) hs[n++] = {"Vary", "Accept-Encoding"};
  uint16_t validators = n;
  if (r.status == 200 && not_modified(f, q)) {
    srv_.counters.static_not_modified.inc();
    close_found(f);
    queue_head(c, 304, {}, 0, hs, validators, r.raw_headers);
    return;
  }
  if (f.gzip) hs[n++] = {"Content-Encoding", "gzip"};
  std::string_view type = http::find_header_line(r.raw_headers, "content-type").data() != nullptr
                              ? std::string_view()
                              : f.content_type;
  size_t num_ranges = 0;
  http::ByteRange ranges[net::kMaxRanges];
  http::RangeResult rr = http::RangeResult::Ignore;
  if (r.status == 200) {
    hs[n++] = {"Accept-Ranges", "bytes"};
    if (!q.range.empty() &&
        (q.if_range.empty() || http::if_range_matches(q.if_range, f.etag, f.mtime)))
      rr = http::parse_range(q.range, f.size, ranges, net::kMaxRanges, &num_ranges);
  }
  if (rr == http::RangeResult::Unsatisfiable) {
    close_found(f);
    char cr[40];
    http::Appender a(cr, sizeof cr);
    a.put("bytes */");
    a.put_uint(f.size);
    hs[n++] = {"Content-Range", std::string_view(cr, a.size())};
    static constexpr std::string_view kBody = "Range Not Satisfiable";
    if (!srv_.respond(c, 416, "text/plain; charset=utf-8", kBody, kBody.data(), hs, n))
      srv_.respond_error(c, 500, "Internal Server Error", true);
    return;
  }
  if (rr == http::RangeResult::Ok && num_ranges == 1) {
    char cr[64];
    http::Appender a(cr, sizeof cr);
    a.put("bytes ");
    a.put_uint(ranges[0].first);
    a.put("-");
    a.put_uint(ranges[0].last);
    a.put("/");
    a.put_uint(f.size);
    hs[n++] = {"Content-Range", std::string_view(cr, a.size())};
    uint64_t len = ranges[0].last - ranges[0].first + 1;
    if (queue_head(c, 206, type, len, hs, n, r.raw_headers))
      start_transfer(c, f, ranges[0].first, len);
    else
      close_found(f);
    return;
  }
  // Several ranges need a part type the engine knows in full: not one the application set in
  // its own headers (it would appear twice), nor one longer than a part header holds.  Then the
  // Range is ignored (RFC 9110 allows it) and the whole file sent.
  if (rr == http::RangeResult::Ok && type.size() < sizeof(net::Transfer::content_type) &&
      !type.empty()) {
    send_multipart(c, f, ranges, num_ranges, hs, n, r.raw_headers);
    return;
  }
  bool no_body = r.status < 200 || r.status == 204 || r.status == 304;
  if (queue_head(c, r.status, type, no_body ? 0 : f.size, hs, n, r.raw_headers) && !no_body)
    start_transfer(c, f, 0, f.size);
  else
    close_found(f);
}

bool FileServer::not_modified(const fs::Found& f, const FileQuery& q) {
  // If-None-Match wins over If-Modified-Since when both are present (RFC 9110 §13.1.3).
  if (!q.if_none_match.empty()) return http::etag_list_matches(q.if_none_match, f.etag);
  int64_t since = 0;
  if (q.if_modified_since.empty() || !http::parse_http_date(q.if_modified_since, &since))
    return false;
  return f.mtime <= since;
}

// The head of a file response: Content-Length is the body that follows (0 for 304 / HEAD's
// would-be length).  False when it could not be queued (the caller closes the file).
bool FileServer::queue_head(Conn& c, uint16_t status, std::string_view type, uint64_t length,
                            const http::Header* hs, uint16_t n, std::string_view raw) {
  if (!srv_.lend_out(c)) {  // cannot happen (two I/O buffers per slot): give up on the connection
    c.close_after = true;
    return false;
  }
  http::ResponseHead h;
  h.status = status;
  h.content_type = type;
  h.framing = status < 200 || status == 204 || status == 304 ? Framing::NoBody : Framing::Length;
  h.content_length = length;
  h.close = c.close_after;
  h.keep_alive_10 = !c.close_after && c.minor0;
  h.extra = hs;
  h.num_extra = n;
  h.raw_headers = raw;
  size_t w = http::write_head(c.out + c.out_len, srv_.io.size() - c.out_len, h, srv_.date);
  if (w == 0) {
    srv_.respond_error(c, 500, "Response head too large", true);
    return false;
  }
  c.out_len += uint32_t(w);
  srv_.count_status(status);
  return true;
}

// multipart/byteranges (RFC 9110 §14.6): every part has its own Content-Type and
// Content-Range; the total length is known up front, so the response keeps its Content-Length.
void FileServer::send_multipart(Conn& c, fs::Found& f, const http::ByteRange* ranges, size_t num,
                                const http::Header* hs, uint16_t n, std::string_view raw) {
  uint64_t total = 0;
  char part[320];  // fits the longest part header: type < 96 bytes, three 20-digit numbers
  for (size_t i = 0; i < num; i++) {
    total += part_header(part, sizeof part, f.content_type, ranges[i], f.size);
    total += ranges[i].last - ranges[i].first + 1;
  }
  total += part_trailer(part, sizeof part);
  char ct[96];
  http::Appender a(ct, sizeof ct);
  a.put("multipart/byteranges; boundary=");
  a.put(boundary_);
  if (!queue_head(c, 206, std::string_view(ct, a.size()), total, hs, n, raw)) {
    close_found(f);
    return;
  }
  if (c.is_head) {
    close_found(f);
    return;
  }
  net::Transfer* t = take_transfer(c, f);
  if (t == nullptr) return;
  t->multipart = true;
  t->num_ranges = uint8_t(num);
  std::memcpy(t->ranges, ranges, num * sizeof ranges[0]);
  size_t tl = f.content_type.size() < sizeof t->content_type ? f.content_type.size()
                                                             : sizeof t->content_type;
  std::memcpy(t->content_type, f.content_type.data(), tl);
  t->content_type_len = uint8_t(tl);
}

size_t FileServer::part_header(char* out, size_t cap, std::string_view type,
                               const http::ByteRange& r, uint64_t size) const {
  http::Appender a(out, cap);
  a.put("\r\n--");
  a.put(boundary_);
  a.put("\r\nContent-Type: ");
  a.put(type);
  a.put("\r\nContent-Range: bytes ");
  a.put_uint(r.first);
  a.put("-");
  a.put_uint(r.last);
  a.put("/");
  a.put_uint(size);
  a.put("\r\n\r\n");
  return a.ok() ? a.size() : 0;
}

size_t FileServer::part_trailer(char* out, size_t cap) const {
  http::Appender a(out, cap);
  a.put("\r\n--");
  a.put(boundary_);
  a.put("--\r\n");
  return a.ok() ? a.size() : 0;
}

// ---------------------------------------------------------------------------------------------
// Transfers

net::Transfer* FileServer::take_transfer(Conn& c, fs::Found& f) {
  if (free_top_ == 0) {  // cannot happen: one per slot
    close_found(f);
    c.close_after = true;
    srv_.counters.io_errors.inc();
    return nullptr;
  }
  net::Transfer* t = free_[--free_top_];
  new (t) net::Transfer();
  t->fd = f.fd;
  t->mem = f.data;
  t->size = f.size;
  t->cache_entry = f.cache_entry;
  if (t->cache_entry >= 0) cache_.pin(t->cache_entry);  // its bytes are borrowed until the end
  f.fd = -1;
  c.xfer = t;
  srv_.counters.transfers_active.inc();
  return t;
}

void FileServer::start_transfer(Conn& c, fs::Found& f, uint64_t off, uint64_t len) {
  if (c.is_head || len == 0) {
    close_found(f);
    return;
  }
  net::Transfer* t = take_transfer(c, f);
  if (t == nullptr) return;
  t->off = off;
  t->left = len;
  if (t->mem != nullptr && c.extra_body == nullptr) {
    // Bytes in memory ride behind the head just queued: one sendmsg sends both.
    size_t want = len < kTurnBytes ? size_t(len) : kTurnBytes;
    c.extra_body = t->mem + off;
    c.extra_len = uint32_t(want);
    c.extra_sent = 0;
    t->off += want;
    t->left -= want;
    srv_.counters.file_bytes.inc(want);
  }
}

void FileServer::end(Conn& c) {
  net::Transfer* t = c.xfer;
  if (t == nullptr) return;
  if (t->fd >= 0) close(t->fd);
  if (t->cache_entry >= 0) cache_.unpin(t->cache_entry);
  if (c.extra_body != nullptr && !c.out_big) c.extra_body = nullptr;  // borrowed from `mem`
  c.xfer = nullptr;
  free_[free_top_++] = t;
  srv_.counters.transfers_active.dec();
}

// Sends the next piece of the file.  Returns Closed when the connection was closed, Wait when
// the socket is full or this turn is over (the poller reports writable again), Done when the
// whole body has gone out.
FileServer::Pump FileServer::pump(Conn& c) {
  net::Transfer& t = *c.xfer;
  size_t budget = kTurnBytes;
  for (;;) {
    // Bytes in memory ride behind whatever head is queued: one sendmsg for both.
    if (c.extra_body == nullptr && t.mem != nullptr && t.left > 0 && budget > 0) {
      size_t want = t.left < budget ? size_t(t.left) : budget;
      c.extra_body = t.mem + t.off;  // sent from the mapping or the cache: no copy
      c.extra_len = uint32_t(want);
      c.extra_sent = 0;
      t.off += want;
      t.left -= want;
      budget -= want;
      srv_.counters.file_bytes.inc(want);
    }
    if (c.out_len != 0 || c.extra_body != nullptr) {
      if (!srv_.flush(c)) return Pump::Closed;
      if (c.out_len != 0 || c.extra_body != nullptr) return Pump::Wait;
      continue;
    }
    if (t.left == 0) {  // everything so far is out
      if (!next_part(c, t)) {
        end(c);
        return Pump::Done;
      }
      continue;  // a part header or the closing boundary was queued
    }
    if (budget == 0 || t.mem != nullptr) return Pump::Wait;
    size_t want = t.left < budget ? size_t(t.left) : budget;
    long sent = -1;
    errno = ENOSYS;
    if (srv_.opt.use_sendfile && net::can_sendfile(c))
      sent = port::send_file(c.fd, t.fd, &t.off, want);
    bool copied = false;
    // ENOSYS: no sendfile here; EINVAL/EOPNOTSUPP: not for this file (a filesystem without
    // splice support): read and send it instead.
    if (sent < 0 && (errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      sent = read_into_output(c, t, want);  // queued in the output buffer: flushed above
      copied = true;
    }
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Pump::Wait;
      if (errno == EINTR) continue;
      srv_.counters.peer_resets.inc();
      srv_.close_conn(c);
      return Pump::Closed;
    }
    if (sent == 0) {  // the file shrank under us: the promised length cannot be kept
      srv_.counters.io_errors.inc();
      srv_.close_conn(c);
      return Pump::Closed;
    }
    if (c.list == net::kListSend && !copied) srv_.set_list(c, net::kListSend);  // progress
    t.left -= uint64_t(sent);
    budget -= size_t(sent) < budget ? size_t(sent) : budget;
    srv_.counters.file_bytes.inc(uint64_t(sent));
  }
}

// Without sendfile (ESP-IDF): reads the next piece into the (empty) output buffer, which the
// pump flushes next.  Memory per transfer stays one I/O buffer whatever the file size.
long FileServer::read_into_output(Conn& c, net::Transfer& t, size_t want) {
  if (!srv_.lend_out(c)) {
    errno = ENOMEM;
    return -1;
  }
  size_t room = srv_.io.size() - c.out_len;
  if (want > room) want = room;
  ssize_t n = pread(t.fd, c.out + c.out_len, want, off_t(t.off));
  if (n <= 0) return n == 0 ? 0 : -1;
  c.out_len += uint32_t(n);
  t.off += uint64_t(n);
  return long(n);
}

// multipart: queues the next part's header (or the closing boundary) into the output buffer.
// False when nothing is left to send.
bool FileServer::next_part(Conn& c, net::Transfer& t) {
  if (!t.multipart || t.trailer_sent) return false;
  if (!srv_.lend_out(c)) return false;
  size_t room = srv_.io.size() - c.out_len;
  if (t.next_range < t.num_ranges) {
    const http::ByteRange& r = t.ranges[t.next_range++];
    size_t w = part_header(c.out + c.out_len, room,
                           std::string_view(t.content_type, t.content_type_len), r, t.size);
    c.out_len += uint32_t(w);
    t.off = r.first;
    t.left = r.last - r.first + 1;
    return true;
  }
  c.out_len += uint32_t(part_trailer(c.out + c.out_len, room));
  t.trailer_sent = true;
  return true;
}

// ---------------------------------------------------------------------------------------------
// FileResponse: a deferred response completed with a file

void FileServer::complete(Conn& c, uint16_t status, std::string_view raw_headers,
                          std::string_view path, std::string_view request_headers) {
  srv_.counters.file_responses.inc();
  fs::Found f;
  bool ok = path.size() < scratch_cap() && path.find('\0') == std::string_view::npos;
  if (ok) {
    std::memcpy(scratch_, path.data(), path.size());
    scratch_[path.size()] = '\0';
    ok = fs::open_path(scratch_, &f);
  }
  if (!ok) {
    srv_.respond_error(c, 404, "File not found", false);
  } else {
    send_found(c, f, FileQuery::from_lines(request_headers), FileReply{status, {}, raw_headers});
  }
}

}  // namespace viper
