// Differential test: our request parser and chunked decoder against Debian's http-parser 2.9.4
// over the corpus of valid requests in tests/engine/corpus/valid (also the fuzzer's seeds).
//
// For every message of every file (files may hold pipelined requests) both must agree on the
// method, the target (http-parser's URL), the header names and values, the body bytes and
// keep-alive.  One normalisation: http-parser keeps trailing whitespace in a header value,
// which RFC 9110 §5.5 excludes from the value; it is trimmed before comparing.
#include <gtest/gtest.h>
#include <http_parser.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/request_parser.h"

#ifndef VIPER_CORPUS_DIR
#error "VIPER_CORPUS_DIR must name tests/engine/corpus/valid (see tests/engine/CMakeLists.txt)"
#endif

namespace viper::http {
namespace {

struct Message {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
};

std::ostream& operator<<(std::ostream& os, const Message& m) {
  os << m.method << " " << m.target << " keep_alive=" << m.keep_alive << " body=" << m.body.size()
     << "B\n";
  for (const auto& [n, v] : m.headers)
    os << "  [" << n << "]: [" << v << "]\n";
  return os;
}

bool operator==(const Message& a, const Message& b) {
  return a.method == b.method && a.target == b.target && a.headers == b.headers &&
         a.body == b.body && a.keep_alive == b.keep_alive;
}

std::vector<std::pair<std::string, std::string>> load_corpus() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(VIPER_CORPUS_DIR)) {
    if (entry.path().extension() != ".http") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files.emplace_back(entry.path().filename().string(),
                       std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---- http-parser side ----------------------------------------------------------------------

struct HpState {
  std::vector<Message> messages;
  Message cur;
  bool in_value = false;
  bool in_trailer = false;  // fields after the body: our decoder skips them, so ignore them
};

HpState& state(http_parser* p) {
  return *static_cast<HpState*>(p->data);
}

int hp_begin(http_parser* p) {
  state(p).cur = Message{};
  state(p).in_value = false;
  state(p).in_trailer = false;
  return 0;
}

int hp_url(http_parser* p, const char* at, size_t n) {
  state(p).cur.target.append(at, n);
  return 0;
}

int hp_field(http_parser* p, const char* at, size_t n) {
  HpState& s = state(p);
  if (s.in_trailer) return 0;
  if (s.in_value || s.cur.headers.empty()) s.cur.headers.emplace_back();
  s.in_value = false;
  s.cur.headers.back().first.append(at, n);
  return 0;
}

int hp_value(http_parser* p, const char* at, size_t n) {
  HpState& s = state(p);
  if (s.in_trailer) return 0;
  s.in_value = true;
  s.cur.headers.back().second.append(at, n);
  return 0;
}

int hp_headers_complete(http_parser* p) {
  state(p).in_trailer = true;
  state(p).cur.method = http_method_str(http_method(p->method));
  for (auto& h : state(p).cur.headers) {
    std::string& v = h.second;
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
      v.pop_back();
  }
  return 0;
}

int hp_body(http_parser* p, const char* at, size_t n) {
  state(p).cur.body.append(at, n);
  return 0;
}

int hp_complete(http_parser* p) {
  state(p).cur.keep_alive = http_should_keep_alive(p) != 0;
  state(p).messages.push_back(std::move(state(p).cur));
  return 0;
}

std::vector<Message> parse_with_http_parser(const std::string& bytes) {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_begin = hp_begin;
  settings.on_url = hp_url;
  settings.on_header_field = hp_field;
  settings.on_header_value = hp_value;
  settings.on_headers_complete = hp_headers_complete;
  settings.on_body = hp_body;
  settings.on_message_complete = hp_complete;
  HpState s;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &s;
  const size_t n = http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
  EXPECT_EQ(n, bytes.size()) << http_errno_name(HTTP_PARSER_ERRNO(&parser));
  EXPECT_EQ(HTTP_PARSER_ERRNO(&parser), HPE_OK) << http_errno_name(HTTP_PARSER_ERRNO(&parser));
  return s.messages;
}

// ---- our side ------------------------------------------------------------------------------

// Parses one message at `pos`, advancing it past the head and the body.
bool parse_one(const std::string& bytes, size_t& pos, Message& m) {
  RequestParser parser;
  auto req = std::make_unique<Request>();
  const int rc = parser.parse(bytes.data() + pos, bytes.size() - pos, {}, *req);
  EXPECT_GT(rc, 0) << "at " << pos << ": " << detail_of(parser.error());
  if (rc <= 0) return false;
  m.method = std::string(req->method_token);
  m.target = std::string(req->target);
  for (int i = 0; i < req->num_headers; i++) {
    m.headers.emplace_back(std::string(req->headers[i].name), std::string(req->headers[i].value));
  }
  m.keep_alive = req->keep_alive;
  pos += size_t(rc);
  if (req->body == BodyKind::Length) {
    EXPECT_LE(req->content_length, bytes.size() - pos);
    m.body = bytes.substr(pos, size_t(req->content_length));
    pos += m.body.size();
  } else if (req->body == BodyKind::Chunked) {
    std::string rest = bytes.substr(pos);
    size_t len = rest.size();
    ChunkedDecoder dec;
    const int left = dec.decode(rest.data(), &len, VIPER_DEFAULT_MAX_BODY_BYTES);
    EXPECT_GE(left, 0);
    if (left < 0) return false;
    m.body.assign(rest.data(), len);
    EXPECT_EQ(dec.total(), len);
    pos = bytes.size() - size_t(left);
  }
  return true;
}

std::vector<Message> parse_with_viper(const std::string& bytes) {
  std::vector<Message> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    Message m;
    if (!parse_one(bytes, pos, m)) break;
    out.push_back(std::move(m));
  }
  return out;
}

// ---- tests ---------------------------------------------------------------------------------

TEST(ParserDifferential, CorpusIsLargeEnough) {
  const auto corpus = load_corpus();
  EXPECT_GE(corpus.size(), 40u);
  size_t messages = 0, pipelined = 0, chunked = 0, http10 = 0;
  for (const auto& [name, bytes] : corpus) {
    const auto msgs = parse_with_viper(bytes);
    messages += msgs.size();
    pipelined += msgs.size() > 1;
    chunked += bytes.find("Transfer-Encoding: ") != std::string::npos;
    http10 += bytes.find("HTTP/1.0\r\n") != std::string::npos;
  }
  EXPECT_GE(messages, 50u);
  EXPECT_GE(pipelined, 5u);
  EXPECT_GE(chunked, 5u);
  EXPECT_GE(http10, 3u);
}

TEST(ParserDifferential, AgreesWithHttpParserOnTheCorpus) {
  for (const auto& [name, bytes] : load_corpus()) {
    SCOPED_TRACE(name);
    const std::vector<Message> theirs = parse_with_http_parser(bytes);
    const std::vector<Message> ours = parse_with_viper(bytes);
    ASSERT_EQ(ours.size(), theirs.size());
    ASSERT_FALSE(ours.empty());
    for (size_t i = 0; i < ours.size(); i++) {
      EXPECT_EQ(ours[i], theirs[i]) << "message " << i << "\nours:\n"
                                    << ours[i] << "http-parser:\n"
                                    << theirs[i];
    }
  }
}

// The same corpus fed one byte at a time gives the same heads and bodies.
TEST(ParserDifferential, CorpusByteAtATime) {
  for (const auto& [name, bytes] : load_corpus()) {
    SCOPED_TRACE(name);
    const std::vector<Message> whole = parse_with_viper(bytes);
    std::vector<Message> fed;
    size_t pos = 0;
    while (pos < bytes.size()) {
      RequestParser parser;
      auto req = std::make_unique<Request>();
      int rc = 0;
      for (size_t n = 1; rc == 0 && pos + n <= bytes.size(); n++) {
        rc = parser.parse(bytes.data() + pos, n, {}, *req);
      }
      ASSERT_GT(rc, 0);
      Message m;
      size_t at = pos;
      ASSERT_TRUE(parse_one(bytes, at, m));  // the head again, and the body's extent
      if (req->body == BodyKind::Chunked) {
        // Decode the body a byte at a time too.
        std::string raw = bytes.substr(pos + size_t(rc));
        ChunkedDecoder dec;
        std::string body;
        int left = -2;
        size_t i = 0;
        for (; left == -2 && i < raw.size(); i++) {
          char c = raw[i];
          size_t len = 1;
          left = dec.decode(&c, &len, VIPER_DEFAULT_MAX_BODY_BYTES);
          body.append(&c, len);
        }
        ASSERT_EQ(left, 0);
        EXPECT_EQ(body, m.body);
        EXPECT_EQ(pos + size_t(rc) + i, at);
      }
      fed.push_back(std::move(m));
      pos = at;
    }
    EXPECT_EQ(fed.size(), whole.size());
  }
}

}  // namespace
}  // namespace viper::http
