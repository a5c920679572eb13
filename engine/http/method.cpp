#include "http/method.h"

namespace viper::http {

static constexpr std::string_view kNames[kMethodCount] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"};

Method method_from(std::string_view token) {
  for (int i = 0; i < kMethodCount; i++) {
    if (token == kNames[i]) return Method(i);
  }
  return Method::Unknown;
}

std::string_view method_name(Method m) {
  return unsigned(m) < unsigned(kMethodCount) ? kNames[unsigned(m)] : std::string_view("?");
}

}  // namespace viper::http
