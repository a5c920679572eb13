// Compiled with only engine/include on the include path (tests/engine/CMakeLists.txt): the
// public API, viper/server.h, stands alone, and a C route can be written against it.
#include "viper/server.h"

namespace {

void hello(const viper::RouteRequest& req, viper::Responder& res, void*) {
  const viper::PathParam* name = req.param("name");
  viper::http::Header h{"X-Name", name != nullptr ? name->value : std::string_view("world")};
  res.send(200, "text/plain", "hello", &h, 1);
}

}  // namespace

viper::AddResult add_hello(viper::Server& s) {
  return s.add_route(viper::http::Method::Get, "/hello/{name}", hello, nullptr);
}
