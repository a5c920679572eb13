#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "http/response_writer.h"

using namespace viper::http;

TEST(HttpDate, KnownInstants) {
  char out[29];
  format_http_date(784111777, out);  // RFC 9110's example
  EXPECT_EQ(std::string(out, 29), "Sun, 06 Nov 1994 08:49:37 GMT");
  format_http_date(0, out);
  EXPECT_EQ(std::string(out, 29), "Thu, 01 Jan 1970 00:00:00 GMT");
  format_http_date(951782400, out);  // leap day 2000
  EXPECT_EQ(std::string(out, 29), "Tue, 29 Feb 2000 00:00:00 GMT");
  format_http_date(4102444799, out);
  EXPECT_EQ(std::string(out, 29), "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(DateCache, LineIsComplete) {
  DateCache d;
  d.update(784111777);
  EXPECT_EQ(d.line(), "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
}

TEST(WriteHead, LengthFramedWithExtraHeaders) {
  DateCache d;
  d.update(784111777);
  Header extra[] = {{"Allow", "GET, HEAD"}, {"X-A", "b"}};
  ResponseHead h;
  h.status = 405;
  h.content_type = "application/json";
  h.content_length = 31;
  h.extra = extra;
  h.num_extra = 2;
  char buf[512];
  size_t n = write_head(buf, sizeof buf, h, d);
  EXPECT_EQ(std::string(buf, n),
            "HTTP/1.1 405 Method Not Allowed\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: viperhttp\r\nContent-Type: application/json\r\nContent-Length: 31\r\n"
            "Allow: GET, HEAD\r\nX-A: b\r\n\r\n");
}

TEST(WriteHead, ChunkedCloseAndNoBody) {
  DateCache d;
  d.update(0);
  ResponseHead h;
  h.framing = Framing::Chunked;
  h.close = true;
  char buf[512];
  std::string s(buf, write_head(buf, sizeof buf, h, d));
  EXPECT_NE(s.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(s.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(s.find("Content-Length"), std::string::npos);
  h.framing = Framing::NoBody;
  h.status = 304;
  h.close = false;
  h.keep_alive_10 = true;
  s.assign(buf, write_head(buf, sizeof buf, h, d));
  EXPECT_EQ(s.find("Content-Length"), std::string::npos);
  EXPECT_EQ(s.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(s.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(WriteHead, RefusesToOverflowAtEveryCapacity) {
  DateCache d;
  d.update(0);
  ResponseHead h;
  h.content_type = "text/plain";
  h.content_length = 123456;
  char buf[256];
  size_t full = write_head(buf, sizeof buf, h, d);
  ASSERT_GT(full, 0u);
  for (size_t cap = 0; cap < full; cap++) {
    char small[256];
    std::memset(small, 'Z', sizeof small);
    EXPECT_EQ(write_head(small, cap, h, d), 0u) << cap;
    EXPECT_EQ(small[cap], 'Z') << "wrote past capacity " << cap;
  }
  EXPECT_EQ(write_head(buf, full, h, d), full);
}

TEST(ChunkPrefix, Hex) {
  char buf[16];
  EXPECT_EQ(std::string(buf, write_chunk_prefix(buf, sizeof buf, 0)), "0\r\n");
  EXPECT_EQ(std::string(buf, write_chunk_prefix(buf, sizeof buf, 255)), "ff\r\n");
  EXPECT_EQ(std::string(buf, write_chunk_prefix(buf, sizeof buf, 4096)), "1000\r\n");
  EXPECT_EQ(write_chunk_prefix(buf, 3, 4096), 0u);
}

TEST(Appender, Integers) {
  char buf[64];
  Appender a(buf, sizeof buf);
  a.put_int(-9223372036854775807LL - 1);
  a.put(" ");
  a.put_uint(18446744073709551615ULL);
  a.put(" ");
  a.put_int(0);
  EXPECT_EQ(std::string(buf, a.size()), "-9223372036854775808 18446744073709551615 0");
}

TEST(HeaderValue, RejectsCrLfNul) {
  EXPECT_TRUE(header_value_ok("text/html; charset=utf-8"));
  EXPECT_FALSE(header_value_ok("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(header_value_ok("a\nb"));
  EXPECT_FALSE(header_value_ok(std::string_view("a\0b", 3)));
}

TEST(ReasonPhrase, KnownAndUnknown) {
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(599), "Unknown");
}
