// Query-string tokenizing (application/x-www-form-urlencoded, as in URLs).  Views only; values
// are decoded into the caller's buffer on demand.
#pragma once

#include <cstddef>
#include <string_view>

namespace viper::http {

// Walks "a=1&b=2&a=3": call with pos = 0, then with the returned pos until it returns false.
// Empty pairs ("a=1&&b") are skipped; a key without '=' has an empty value.
bool query_next(std::string_view query, size_t* pos, std::string_view* key,
                std::string_view* value);

// First raw (still encoded) value for `key` (compared after decoding), or false.
bool query_find(std::string_view query, std::string_view key, std::string_view* value);

// Decodes '+' to space and %XX escapes into `out` (cap >= in.size()).  Returns the length, or
// -1 for a malformed escape.
int form_decode(std::string_view in, char* out, size_t cap);

}  // namespace viper::http
