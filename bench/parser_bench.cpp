// viper_parser_bench <viper|http_parser> <iterations>
//
// Parses the same browser-like GET request (8 headers) `iterations` times, with our parser or
// with Debian's http-parser 2.9.4 (callbacks that record views, as a server would use it).
// Meant for instruction counts: run it under `valgrind --tool=callgrind` with 1 and with N+1
// iterations; the difference divided by N is the cost of one parse (bench/parser_instructions.sh).
#include <http_parser.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "http/request_parser.h"

namespace {

constexpr char kRequest[] =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/"
    "|utmcmd=referral\r\n"
    "Referer: http://www.kittyhell.com/\r\n"
    "\r\n";
constexpr size_t kLen = sizeof kRequest - 1;

// What a server keeps from http-parser's callbacks: views into the buffer.
struct View {
  const char* p;
  size_t n;
};
struct HpRequest {
  View url;
  View names[64], values[64];
  int num_headers;
  bool in_value;
  bool complete;
};

HpRequest& req_of(http_parser* p) {
  return *static_cast<HpRequest*>(p->data);
}

// A callback may deliver a piece of an element; consecutive pieces extend the same view.
void extend(View& v, const char* at, size_t n) {
  if (!v.p) v.p = at;
  v.n += n;
}

int on_url(http_parser* p, const char* at, size_t n) {
  extend(req_of(p).url, at, n);
  return 0;
}

int on_header_field(http_parser* p, const char* at, size_t n) {
  HpRequest& r = req_of(p);
  if (r.in_value || r.num_headers == 0) {
    if (r.num_headers == 64) return 1;
    r.names[r.num_headers] = r.values[r.num_headers] = View{nullptr, 0};
    r.num_headers++;
    r.in_value = false;
  }
  extend(r.names[r.num_headers - 1], at, n);
  return 0;
}

int on_header_value(http_parser* p, const char* at, size_t n) {
  HpRequest& r = req_of(p);
  r.in_value = true;
  extend(r.values[r.num_headers - 1], at, n);
  return 0;
}

int on_message_complete(http_parser* p) {
  req_of(p).complete = true;
  return 0;
}

http_parser_settings hp_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_url = on_url;
  s.on_header_field = on_header_field;
  s.on_header_value = on_header_value;
  s.on_message_complete = on_message_complete;
  return s;
}

unsigned long run_http_parser(long iterations) {
  const http_parser_settings settings = hp_settings();
  static HpRequest req;
  http_parser parser;
  unsigned long sum = 0;
  for (long i = 0; i < iterations; i++) {
    req.url = View{nullptr, 0};
    req.num_headers = 0;
    req.in_value = false;
    req.complete = false;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &req;
    const size_t n = http_parser_execute(&parser, &settings, kRequest, kLen);
    if (n != kLen || !req.complete) return 0;
    sum += unsigned(req.num_headers) + req.url.n + http_should_keep_alive(&parser);
  }
  return sum;
}

unsigned long run_viper(long iterations) {
  static viper::http::Request req;
  viper::http::RequestParser parser;
  const viper::http::ParseLimits limits;
  unsigned long sum = 0;
  for (long i = 0; i < iterations; i++) {
    parser.reset();
    if (parser.parse(kRequest, kLen, limits, req) != int(kLen)) return 0;
    sum += req.num_headers + req.target.size() + req.keep_alive;
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 ||
      (std::strcmp(argv[1], "viper") != 0 && std::strcmp(argv[1], "http_parser") != 0)) {
    std::fprintf(stderr, "usage: %s <viper|http_parser> <iterations>\n", argv[0]);
    return 2;
  }
  const long iterations = std::atol(argv[2]);
  const bool viper = argv[1][0] == 'v';
  const unsigned long sum = viper ? run_viper(iterations) : run_http_parser(iterations);
  if (iterations > 0 && sum == 0) {
    std::fprintf(stderr, "%s failed to parse the request\n", argv[1]);
    return 1;
  }
  std::printf("%s: %ld parses of %zu bytes (checksum %lu)\n", argv[1], iterations, kLen, sum);
  return 0;
}
