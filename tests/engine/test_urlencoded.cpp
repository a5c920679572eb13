// The streaming application/x-www-form-urlencoded tokenizer (engine/http/urlencoded.h): its
// rules agree with the one-piece query_next + form decoding, and every limit at the limit and
// one past it.  Every body goes through run(): whole, a byte at a time and split in two at
// every position must give the same fields.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "http/query.h"
#include "http/urlencoded.h"

using namespace viper::http;

namespace {

// "name=value;" per field; at an error, what the open field had, then "ERR(detail)".
std::string feed(std::string_view body, const std::vector<size_t>& cuts,
                 const UrlencodedLimits& limits) {
  UrlencodedParser p;
  p.start(limits);
  std::string out, name, value;
  bool open = false;
  size_t from = 0;
  for (size_t k = 0; k <= cuts.size(); k++) {
    size_t to = k < cuts.size() ? cuts[k] : body.size();
    std::unique_ptr<char[]> buf(new char[to - from + 1]);
    std::memcpy(buf.get(), body.data() + from, to - from);
    char* b = buf.get();
    size_t len = to - from;
    from = to;
    if (k == cuts.size()) p.finish();
    for (;;) {
      size_t used;
      std::string_view piece;
      UrlencodedEvent ev = p.next(b, len, &used, &piece);
      EXPECT_LE(used, len);
      b += used;
      len -= used;
      if (ev == UrlencodedEvent::NeedMore) {
        EXPECT_EQ(len, 0u);
        break;
      }
      if (ev == UrlencodedEvent::Name || ev == UrlencodedEvent::Value) {
        EXPECT_FALSE(piece.empty());
        (ev == UrlencodedEvent::Name ? name : value).append(piece);
        EXPECT_TRUE(!open || ev == UrlencodedEvent::Value || value.empty());
        open = true;
      } else if (ev == UrlencodedEvent::FieldEnd) {
        out += name + "=" + value + ";";
        name.clear();
        value.clear();
        open = false;
      } else if (ev == UrlencodedEvent::Error) {
        if (open) out += name + "=" + value;
        return out + "ERR(" + std::string(detail_of(p.error())) + ")";
      } else {
        EXPECT_EQ(ev, UrlencodedEvent::End);
        EXPECT_FALSE(open);
        return out;
      }
    }
  }
  return out + "(no End)";
}

std::string run(std::string_view body, const UrlencodedLimits& limits = {}) {
  std::string whole = feed(body, {}, limits);
  std::vector<size_t> every;
  for (size_t i = 1; i < body.size(); i++)
    every.push_back(i);
  EXPECT_EQ(feed(body, every, limits), whole) << "a byte at a time: " << body;
  for (size_t i = 0; i <= body.size(); i++)
    EXPECT_EQ(feed(body, {i}, limits), whole) << "split at " << i << ": " << body;
  return whole;
}

const std::string kTooMany = "ERR(Too many form fields)";
const std::string kFieldBig = "ERR(Form field too large)";
const std::string kBodyBig = "ERR(Request body too large)";

}  // namespace

TEST(Urlencoded, Fields) {
  EXPECT_EQ(run("a=1&b=two+words&c=%41%62"), "a=1;b=two words;c=Ab;");
  EXPECT_EQ(run("a=1&&b=&c&&"), "a=1;b=;c=;");
  EXPECT_EQ(run("=&=x&y="), "=;=x;y=;");
  EXPECT_EQ(run("a=b=c"), "a=b=c;");
  EXPECT_EQ(run("a=1;b=2"), "a=1;b=2;");  // '&' only
  EXPECT_EQ(run(""), "");
  EXPECT_EQ(run("&&&"), "");
  EXPECT_EQ(run("my%20key=%E2%82%AC"), "my key=\xe2\x82\xac;");
  EXPECT_EQ(run("%3D=%26"), "==&;");  // escaped separators are data
}

TEST(Urlencoded, MalformedEscapesAreKept) {
  EXPECT_EQ(run("a=%zz&b=%4&c=%&d=100%"), "a=%zz;b=%4;c=%;d=100%;");
  EXPECT_EQ(run("a=%%41"), "a=%A;");
  EXPECT_EQ(run("%4=%4g%"), "%4=%4g%;");
  EXPECT_EQ(run("a%=1"), "a%=1;");
}

// The same answers as the one-piece helpers of engine/http/query.h (where those decode).
TEST(Urlencoded, AgreesWithQueryNext) {
  std::string body = "x=1&my+key=a%20b&&empty=&flag&q=%C3%A9&z=%2B";
  std::string expect;
  size_t pos = 0;
  std::string_view k, v;
  char kb[64], vb[64];
  while (query_next(body, &pos, &k, &v)) {
    int kn = form_decode(k, kb, sizeof kb), vn = form_decode(v, vb, sizeof vb);
    ASSERT_GE(kn, 0);
    ASSERT_GE(vn, 0);
    expect += std::string(kb, size_t(kn)) + "=" + std::string(vb, size_t(vn)) + ";";
  }
  EXPECT_EQ(run(body), expect);
}

TEST(UrlencodedLimits, Fields) {
  UrlencodedLimits lim;
  lim.max_fields = 3;
  EXPECT_EQ(run("a=1&b=2&&c=3&", lim), "a=1;b=2;c=3;");
  EXPECT_EQ(run("a=1&b=2&c=3&d", lim), "a=1;b=2;c=3;" + kTooMany);
  lim.max_fields = 0;
  EXPECT_EQ(run("&&", lim), "");
  EXPECT_EQ(run("=", lim), kTooMany);
  EXPECT_EQ(status_of(FormError::TooManyFields), 413);
}

TEST(UrlencodedLimits, FieldBytes) {
  UrlencodedLimits lim;
  lim.max_field_bytes = 7;  // raw bytes of name and value, '=' not counted
  EXPECT_EQ(run("abc=%41x&ab=cdef", lim), "abc=Ax;ab=cdef;");
  EXPECT_EQ(run("abc=%41xy", lim), "abc=Ax" + kFieldBig);
  EXPECT_EQ(run("abcdefgh", lim), "abcdefg=" + kFieldBig);
  EXPECT_EQ(run("ab=cd%41", lim), "ab=cdA;");
  EXPECT_EQ(run("ab=cd%412", lim), "ab=cdA" + kFieldBig);
  EXPECT_EQ(run("ab=cde%41", lim), "ab=cde" + kFieldBig);  // the held "%4" never comes out
  EXPECT_EQ(run("ab=cde%4", lim), "ab=cde%4;");
  lim.max_field_bytes = 0;
  EXPECT_EQ(run("=&&=", lim), "=;=;");
  EXPECT_EQ(run("a", lim), kFieldBig);
}

TEST(UrlencodedLimits, BodyBytes) {
  UrlencodedLimits lim;
  lim.max_body_bytes = 7;
  EXPECT_EQ(run("a=1&b=2", lim), "a=1;b=2;");
  EXPECT_EQ(run("a=1&b=2&", lim), "a=1;b=2" + kBodyBig);
  EXPECT_EQ(run("a=1&b=22", lim), "a=1;b=2" + kBodyBig);
  EXPECT_EQ(status_of(FormError::BodyTooLarge), 413);
}

TEST(UrlencodedStreaming, LargeValueInPieces) {
  std::string value(1 << 20, 'x');
  for (size_t i = 0; i < value.size(); i += 97)
    value[i] = '+';
  std::string body = "big=" + value + "&small=%41";
  UrlencodedLimits lim;
  lim.max_field_bytes = 1 << 21;
  UrlencodedParser p;
  p.start(lim);
  std::string got_big, got_small, *cur = nullptr;
  int ends = 0;
  for (size_t off = 0; off <= body.size(); off += 8192) {
    std::string piece = body.substr(off, 8192);
    if (off + 8192 >= body.size()) p.finish();
    char* b = piece.data();
    size_t len = piece.size();
    for (UrlencodedEvent ev;;) {
      size_t used;
      std::string_view out;
      ev = p.next(b, len, &used, &out);
      b += used;
      len -= used;
      if (ev == UrlencodedEvent::NeedMore || ev == UrlencodedEvent::End) break;
      ASSERT_NE(ev, UrlencodedEvent::Error);
      if (ev == UrlencodedEvent::FieldEnd) ends++;
      if (ev == UrlencodedEvent::Name) cur = ends == 0 ? &got_big : &got_small;
      if (ev == UrlencodedEvent::Value) cur->append(out);
    }
    if (off + 8192 >= body.size()) break;
  }
  EXPECT_EQ(ends, 2);
  for (char& c : value)
    if (c == '+') c = ' ';
  EXPECT_TRUE(got_big == value);
  EXPECT_EQ(got_small, "A");
  std::printf("sizeof(UrlencodedParser) = %zu\n", sizeof(UrlencodedParser));
  EXPECT_LE(sizeof(UrlencodedParser), 64u);
}
