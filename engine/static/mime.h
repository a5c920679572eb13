// Content-Type for static files, chosen by file name extension.
#pragma once

#include <string_view>

namespace viper::fs {

// The media type for `path` by its extension, compared case-insensitively, as Python's
// mimetypes table (CPython 3.13+) gives it for common web files, with "; charset=utf-8" added to
// text/* types as Starlette's FileResponse does ("text/javascript; charset=utf-8" for .js and
// .mjs).  The extension is what follows the last '.' of the last path segment, leading dots
// excepted (".bashrc" has none), as os.path.splitext.  Unknown or no extension ->
// "application/octet-stream".  The returned view points at static storage.
std::string_view mime_for_path(std::string_view path);

}  // namespace viper::fs
