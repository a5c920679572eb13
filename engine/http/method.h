// HTTP methods the engine knows by name.  Anything else parses (it is a valid token) but is
// answered 501 by the server, as nginx does for methods it does not implement.
#pragma once

#include <cstdint>
#include <string_view>

#include "viper/types.h"  // enum class Method

namespace viper::http {

inline constexpr int kMethodCount = 9;  // known methods; Unknown is not counted

// Bit for a method in a method set (used by the router's per-node method mask).
constexpr uint16_t method_bit(Method m) {
  return uint16_t(1u << unsigned(m));
}

// Case-sensitive, as RFC 9110 §9.1 requires ("get" is not GET).
Method method_from(std::string_view token);
std::string_view method_name(Method m);

}  // namespace viper::http
