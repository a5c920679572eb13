// Where static files come from (SPEC §2.7): a directory on a POSIX filesystem (PC; ESP-IDF VFS
// mounts such as an SD card), an asset pack mapped into memory, or one exact file.  A source
// turns a request path into a `Found`: the bytes (an open descriptor, or memory) and what the
// HTTP layer needs to answer about them (size, mtime, type, ETag, gzip variant).
//
// Paths are checked here, once, for every source: a relative path with a NUL, a backslash, an
// empty, "." or ".." segment never reaches the filesystem, and directory lookups cannot leave
// the root through a symlink (port::open_beneath).  The caller gets 404 in every such case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "static/asset_pack.h"

namespace viper::fs {

enum class SourceKind : uint8_t { Directory, Pack, File };

// A mount as configured (strings copied into the mount's own storage by Server::add_static).
struct Mount {
  SourceKind kind = SourceKind::Directory;
  bool html = false;           // "dir/" -> dir/index.html; missing -> 404.html with 404
  uint32_t id = 0;             // index, for the file cache's keys
  int root_fd = -1;            // Directory: the root, opened once
  const char* root = nullptr;  // Directory: its path; File: the file's path
  AssetPack pack;              // Pack: the validated mapping
  const void* map = nullptr;   // Pack: what port::map_file returned
  size_t map_size = 0;
  std::string_view cache_control;  // sent with every 200/206/304 when not empty
};

// One representation of a file, ready to be sent.
struct Found {
  uint64_t size = 0;
  int64_t mtime = 0;     // Unix seconds (Last-Modified, the ETag)
  int64_t mtime_ns = 0;  // POSIX: nanoseconds, to notice a change within a second
  std::string_view content_type;
  std::string_view etag;       // a view into etag_buf, or into the pack
  const char* data = nullptr;  // memory source (pack); nullptr when `fd` holds the bytes
  int fd = -1;                 // open file (POSIX); the caller owns and closes it
  bool gzip = false;           // this is the gzip variant: Content-Encoding: gzip
  bool vary = false;           // a gzip variant exists: Vary: Accept-Encoding
  int32_t cache_entry = -1;    // `data` is this file cache entry's (pinned while sent)
  char etag_buf[48] = {};
};

enum class Lookup : uint8_t {
  Found,
  NotFound,
  Directory,  // the path names a directory (html mounts redirect "dir" to "dir/")
};

// True when `rel` (decoded, without the leading '/') is safe to look up: no NUL, no backslash,
// no empty, "." or ".." segment.  The empty path is safe (the mount's root).
bool safe_relative_path(std::string_view rel);

// Looks `rel` up in `m`.  `want_gzip`: the client accepts gzip, so a gzip variant may be chosen
// (the pack's, or "<rel>.gz" next to the file).  `scratch` (cap bytes) builds file names.
Lookup find_file(const Mount& m, std::string_view rel, bool want_gzip, char* scratch, size_t cap,
                 Found* out);

// Size and nanosecond mtime of what find_file would open for `rel` (its ".gz" sibling with
// `gz`), without opening it: one stat, to revalidate a cached copy.  Directory and file mounts.
bool stat_file(const Mount& m, std::string_view rel, bool gz, char* scratch, size_t cap,
               uint64_t* size, int64_t* mtime_ns);

// Opens `path` (an absolute or working-directory-relative file chosen by the application, as
// FileResponse does) and describes it.  False if it is missing or not a regular file.
bool open_path(const char* path, Found* out);

// Formats the ETag of a POSIX file as nginx does: "<mtime hex>-<size hex>".
std::string_view format_file_etag(int64_t mtime, uint64_t size, char* buf, size_t cap);

}  // namespace viper::fs
