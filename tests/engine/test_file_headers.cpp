// Static file server header helpers: Range, If-None-Match, If-Range, HTTP-date, Accept-Encoding
// (engine/http/file_headers.h) and the MIME table (engine/static/mime.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http/file_headers.h"
#include "http/response_writer.h"
#include "static/mime.h"

using namespace viper::http;
using viper::fs::mime_for_path;

namespace {

constexpr uint64_t kMax = UINT64_MAX;

struct Parsed {
  RangeResult result;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
};

Parsed range(std::string_view v, uint64_t size, size_t cap = 8) {
  ByteRange out[16];
  size_t n = 99;
  Parsed p;
  p.result = parse_range(v, size, out, cap, &n);
  if (p.result != RangeResult::Ok) {
    EXPECT_EQ(n, 0u) << v;
  }
  EXPECT_LE(n, cap) << v;
  for (size_t i = 0; i < n && i < 16; i++)
    p.ranges.emplace_back(out[i].first, out[i].last);
  return p;
}

using R = std::vector<std::pair<uint64_t, uint64_t>>;

void expect_ok(std::string_view v, uint64_t size, const R& want, size_t cap = 8) {
  Parsed p = range(v, size, cap);
  EXPECT_EQ(p.result, RangeResult::Ok) << v << " size " << size;
  EXPECT_EQ(p.ranges, want) << v << " size " << size;
}

void expect_result(std::string_view v, uint64_t size, RangeResult want, size_t cap = 8) {
  EXPECT_EQ(range(v, size, cap).result, want) << v << " size " << size << " cap " << cap;
}

void expect_ignore(std::string_view v, uint64_t size = 10000, size_t cap = 8) {
  expect_result(v, size, RangeResult::Ignore, cap);
}

void expect_unsat(std::string_view v, uint64_t size) {
  expect_result(v, size, RangeResult::Unsatisfiable);
}

int64_t date(std::string_view s, int64_t now = kHttpDateMinNow) {
  int64_t t = INT64_MIN;
  EXPECT_TRUE(parse_http_date(s, &t, now)) << s;
  return t;
}

bool date_ok(std::string_view s) {
  int64_t t;
  return parse_http_date(s, &t);
}

std::string imf(int64_t t) {
  char buf[29];
  format_http_date(t, buf);
  return std::string(buf, 29);
}

// "Sun, 06 Nov 1994 08:49:37 GMT" -> "Sun Nov  6 08:49:37 1994"
std::string asctime_of(const std::string& f) {
  std::string day = f.substr(5, 2);
  if (day[0] == '0') day[0] = ' ';
  return f.substr(0, 3) + " " + f.substr(8, 3) + " " + day + " " + f.substr(17, 8) + " " +
         f.substr(12, 4);
}

constexpr int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

}  // namespace

// ---- Range: RFC 9110 §14.1.2 examples (representation of 10000 bytes) ----------------------

TEST(Range, RfcExamples) {
  expect_ok("bytes=0-499", 10000, {{0, 499}});
  expect_ok("bytes=500-999", 10000, {{500, 999}});
  expect_ok("bytes=-500", 10000, {{9500, 9999}});
  expect_ok("bytes=9500-", 10000, {{9500, 9999}});
  expect_ok("bytes=0-0,-1", 10000, {{0, 0}, {9999, 9999}});
  expect_ok("bytes= 0-999, 4500-5499, -1000", 10000, {{0, 999}, {4500, 5499}, {9000, 9999}});
  expect_ok("bytes=500-600,601-999", 10000, {{500, 600}, {601, 999}});
  expect_ok("bytes=500-700,601-999", 10000, {{500, 700}, {601, 999}});  // overlap: not merged
}

TEST(Range, OrderIsKept) {
  expect_ok("bytes=-1,0-0", 10, {{9, 9}, {0, 0}});
  expect_ok("bytes=5-6,1-2", 10, {{5, 6}, {1, 2}});
}

TEST(Range, EmptyRepresentation) {
  for (auto v : {"bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0", "bytes=5-10", "bytes=0-0,-1"})
    expect_unsat(v, 0);
  expect_ignore("bytes=1-0", 0);  // still a syntax error first
  expect_ignore("bytes=", 0);
}

TEST(Range, OneByteRepresentation) {
  expect_ok("bytes=0-0", 1, {{0, 0}});
  expect_ok("bytes=0-", 1, {{0, 0}});
  expect_ok("bytes=0-5", 1, {{0, 0}});
  expect_ok("bytes=-1", 1, {{0, 0}});
  expect_ok("bytes=-5", 1, {{0, 0}});
  expect_unsat("bytes=1-", 1);
  expect_unsat("bytes=1-1", 1);
  expect_unsat("bytes=-0", 1);
}

TEST(Range, LastByteAndOnePast) {
  expect_ok("bytes=99-99", 100, {{99, 99}});
  expect_ok("bytes=99-", 100, {{99, 99}});
  expect_ok("bytes=98-100", 100, {{98, 99}});
  expect_ok("bytes=0-99", 100, {{0, 99}});
  expect_ok("bytes=0-100", 100, {{0, 99}});
  expect_ok("bytes=-100", 100, {{0, 99}});
  expect_ok("bytes=-101", 100, {{0, 99}});  // suffix longer than the file: all of it
  expect_ok("bytes=-99", 100, {{1, 99}});
  expect_unsat("bytes=100-", 100);
  expect_unsat("bytes=100-100", 100);
  expect_unsat("bytes=101-200", 100);
  expect_unsat("bytes=-0", 100);
}

TEST(Range, UnsatisfiableDroppedFromList) {
  expect_ok("bytes=0-9,100-", 100, {{0, 9}});
  expect_ok("bytes=200-300, -0, 90-", 100, {{90, 99}});
  expect_unsat("bytes=100-,200-300,-0", 100);
}

TEST(Range, Overflow) {
  expect_unsat("bytes=18446744073709551615-", 10);
  expect_ok("bytes=0-18446744073709551615", 10, {{0, 9}});
  expect_ok("bytes=-18446744073709551615", 10, {{0, 9}});
  expect_ignore("bytes=18446744073709551616-", 10);
  expect_ignore("bytes=0-18446744073709551616", 10);
  expect_ignore("bytes=-18446744073709551616", 10);
  expect_ignore("bytes=0-99999999999999999999999999", 10);
  expect_ignore("bytes=184467440737095516150-", 10);
  expect_ok("bytes=00000000000000000000000000000001-002", 10, {{1, 2}});  // leading zeros
  // The largest sizes: no wrap-around in size - 1, size - len or the DoS total.
  expect_ok("bytes=0-", kMax, {{0, kMax - 1}});
  expect_ok("bytes=-18446744073709551615", kMax, {{0, kMax - 1}});
  expect_ok("bytes=-1", kMax, {{kMax - 1, kMax - 1}});
  expect_ok("bytes=18446744073709551614-", kMax, {{kMax - 1, kMax - 1}});
  expect_unsat("bytes=18446744073709551615-", kMax);
  expect_ignore("bytes=0-,-1", kMax);
}

TEST(Range, Syntax) {
  for (auto v : {"",
                 "bytes",
                 "bytes=",
                 "bytes=,",
                 "bytes= , ,",
                 "bytes=5-4",
                 "bytes=a-b",
                 "bytes=1",
                 "bytes=-",
                 "bytes=--1",
                 "bytes=1-2-3",
                 "bytes=+1-2",
                 "bytes=0x10-",
                 "bytes=1 -2",
                 "bytes=1- 2",
                 "bytes = 0-1",
                 "bytes =0-1",
                 "bytes=0-1;",
                 "items=0-1",
                 "bytes:0-1",
                 "byte=0-1",
                 "bytesx=0-1",
                 "bytes=0-1,x",
                 "bytes=0-1, 5-4",
                 "bytes=0-1 2-3",
                 "bytes=-1-",
                 "bytes=1.5-2",
                 "bytes=0-1\r\n",
                 "bytes=0-1,\"2-3\""})
    expect_ignore(v);
  expect_ok("BYTES=0-1", 10, {{0, 1}});
  expect_ok("Bytes=0-1", 10, {{0, 1}});
  expect_ok(" bytes=0-1 ", 10, {{0, 1}});
  expect_ok("bytes=\t0-1\t,\t2-3\t", 10, {{0, 1}, {2, 3}});
  expect_ok("bytes=0-1,,2-3", 10, {{0, 1}, {2, 3}});
  expect_ok("bytes=,0-1,", 10, {{0, 1}});
  expect_ok("bytes=  ,  0-1 ,  ,", 10, {{0, 1}});
}

TEST(Range, Cap) {
  expect_ok("bytes=0-0,1-1,2-2", 10, {{0, 0}, {1, 1}, {2, 2}}, 3);
  expect_ignore("bytes=0-0,1-1,2-2,3-3", 10, 3);
  expect_ok("bytes=0-0,,,1-1, ,2-2", 10, {{0, 0}, {1, 1}, {2, 2}}, 3);  // empties do not count
  expect_ignore("bytes=0-0,1-1,200-,3-3", 100, 3);                      // unsatisfiable ones count
  expect_ignore("bytes=0-0", 10, 0);
  expect_ok("bytes=0-0", 10, {{0, 0}}, 1);
  expect_ignore("bytes=0-0,1-1", 10, 1);
  // A long list is refused before it is parsed to the end (the cap bounds the work).
  std::string many = "bytes=0-0";
  for (int i = 1; i < 1000; i++)
    many += "," + std::to_string(i) + "-" + std::to_string(i);
  expect_ignore(many, 100000, 16);
}

TEST(Range, OverlapGuard) {
  expect_ok("bytes=0-49,50-99", 100, {{0, 49}, {50, 99}});
  expect_ignore("bytes=0-50,50-99", 100);  // 101 bytes of 100
  expect_ignore("bytes=0-99,0-0", 100);
  expect_ignore("bytes=-100,-1", 100);
  expect_ignore("bytes=0-,0-", 100);
  expect_ok("bytes=0-0,0-0,0-0", 100, {{0, 0}, {0, 0}, {0, 0}});  // small overlaps: allowed
  expect_ok("bytes=0-99,100-", 100, {{0, 99}});  // the unsatisfiable one adds nothing
}

// ---- If-None-Match (weak comparison) --------------------------------------------------------

TEST(IfNoneMatch, Matches) {
  EXPECT_TRUE(etag_list_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(etag_list_matches("W/\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"x\",W/\"abc\",\"y\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("*", "\"abc\""));
  EXPECT_TRUE(etag_list_matches(" * ", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"\"", "\"\""));
  EXPECT_TRUE(etag_list_matches("\"abc\",", "\"abc\""));
  EXPECT_TRUE(etag_list_matches(" ,, \"abc\" ,", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\t\"abc\"\t", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"a,b\", \"c\"", "\"a,b\""));  // a comma inside a tag
  EXPECT_TRUE(etag_list_matches("\"a,b\", \"c\"", "\"c\""));
  EXPECT_TRUE(etag_list_matches("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""));  // obs-text
  // RFC 9110 §13.1.2 examples.
  EXPECT_TRUE(etag_list_matches("\"xyzzy\"", "\"xyzzy\""));
  EXPECT_TRUE(etag_list_matches("W/\"xyzzy\"", "\"xyzzy\""));
  EXPECT_TRUE(etag_list_matches("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"c3piozzzz\""));
  EXPECT_TRUE(etag_list_matches("W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", "\"r2d2xxxx\""));
}

TEST(IfNoneMatch, DoesNotMatch) {
  EXPECT_FALSE(etag_list_matches("", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("  ", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"ab\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"ABC\"", "\"abc\""));  // opaque tags are case-sensitive
  EXPECT_FALSE(etag_list_matches("abc", "\"abc\""));      // unquoted
  EXPECT_FALSE(etag_list_matches("\"abc", "\"abc\""));    // unterminated
  EXPECT_FALSE(etag_list_matches("w/\"abc\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("W/ \"abc\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"a c\"", "\"a c\""));        // space is not an etagc
  EXPECT_FALSE(etag_list_matches("\"x\" \"abc\"", "\"abc\""));  // no comma between tags
  EXPECT_FALSE(etag_list_matches("\"abc\"x", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"*\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("**", "\"abc\""));
  // A malformed own tag never matches a list (the caller always has a good one).
  EXPECT_FALSE(etag_list_matches("\"abc\"", "abc"));
  EXPECT_FALSE(etag_list_matches("\"abc\"", ""));
  EXPECT_FALSE(etag_list_matches("\"abc\"", "\"abc\" "));
}

TEST(IfNoneMatch, MalformedElementsAreSkipped) {
  EXPECT_TRUE(etag_list_matches("junk, \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"x\"junk, \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("*, \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"a b\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("W/, \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_list_matches("\"x\" \"y\", \"abc\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"x\", \"abc", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("\"", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("W/", "\"abc\""));
  EXPECT_FALSE(etag_list_matches("W", "\"abc\""));
  EXPECT_FALSE(etag_list_matches(",", "\"abc\""));
}

// ---- If-Range (strong comparison or exact date) --------------------------------------------

TEST(IfRange, EntityTags) {
  EXPECT_TRUE(if_range_matches("\"abc\"", "\"abc\"", 0));
  EXPECT_TRUE(if_range_matches(" \"abc\" ", "\"abc\"", 0));
  EXPECT_TRUE(if_range_matches("\"\"", "\"\"", 0));
  EXPECT_FALSE(if_range_matches("W/\"abc\"", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("\"abc\"", "W/\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("W/\"abc\"", "W/\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("\"abd\"", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("\"abc\", \"abc\"", "\"abc\"", 0));  // a single validator
  EXPECT_FALSE(if_range_matches("\"abc\"x", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("\"abc", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("*", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("abc", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("", "\"abc\"", 0));
  EXPECT_FALSE(if_range_matches("\"abc\"", "", 0));
  EXPECT_FALSE(if_range_matches("\"abc\"", "abc", 0));
}

TEST(IfRange, Dates) {
  EXPECT_TRUE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", kRfcExample));
  EXPECT_TRUE(if_range_matches("Sunday, 06-Nov-94 08:49:37 GMT", "\"abc\"", kRfcExample));
  EXPECT_TRUE(if_range_matches("Sun Nov  6 08:49:37 1994", "\"abc\"", kRfcExample));
  EXPECT_TRUE(if_range_matches(" Sun, 06 Nov 1994 08:49:37 GMT ", "", kRfcExample));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", kRfcExample + 1));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", kRfcExample - 1));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT x", "\"abc\"", kRfcExample));
  // A date that starts with 'W' is still a date.
  EXPECT_TRUE(if_range_matches("Wed, 09 Jun 2021 10:18:14 GMT", "W/\"x\"", 1623233894));
  EXPECT_TRUE(if_range_matches("Wednesday, 09-Jun-21 10:18:14 GMT", "\"x\"", 1623233894));
  EXPECT_FALSE(if_range_matches("garbage", "\"abc\"", 0));
}

// ---- HTTP-date ------------------------------------------------------------------------------

TEST(HttpDateParse, ThreeFormatsOfTheRfcExample) {
  EXPECT_EQ(date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(date("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(date("Sun Nov 06 08:49:37 1994"), kRfcExample);  // date3 allows 2DIGIT
  EXPECT_EQ(date("  Sun, 06 Nov 1994 08:49:37 GMT\t"), kRfcExample);
  EXPECT_EQ(date("\tSun Nov  6 08:49:37 1994 "), kRfcExample);
}

TEST(HttpDateParse, KnownInstants) {
  EXPECT_EQ(date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(date("Wed, 31 Dec 1969 23:59:59 GMT"), -1);
  EXPECT_EQ(date("Sat, 01 Jan 2000 00:00:00 GMT"), 946684800);
  EXPECT_EQ(date("Tue, 19 Jan 2038 03:14:07 GMT"), 2147483647);
  EXPECT_EQ(date("Tue, 19 Jan 2038 03:14:08 GMT"), 2147483648);
  EXPECT_EQ(date("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799);
  EXPECT_EQ(date("Sat, 01 Jan 0000 00:00:00 GMT"), -62167219200);
  EXPECT_EQ(date("Wed, 01 Mar 2000 00:00:00 GMT"), 951868800);
  EXPECT_EQ(date("Thu Jan  1 00:00:00 1970"), 0);
}

TEST(HttpDateParse, LeapYears) {
  EXPECT_EQ(date("Thu, 29 Feb 1996 00:00:00 GMT"), 825552000);
  EXPECT_EQ(date("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600);
  EXPECT_EQ(date("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800);
  EXPECT_EQ(date("Thu, 29 Feb 2024 00:00:00 GMT") + 86400, date("Fri, 01 Mar 2024 00:00:00 GMT"));
  EXPECT_EQ(date("Sun, 31 Dec 2023 00:00:00 GMT") + 86400, date("Mon, 01 Jan 2024 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Wed, 29 Feb 1995 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Thu, 29 Feb 1900 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Mon, 29 Feb 2100 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Wed, 30 Feb 2000 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Mon Feb 29 00:00:00 2100"));
  EXPECT_FALSE(date_ok("Monday, 29-Feb-95 00:00:00 GMT"));
  EXPECT_TRUE(date_ok("Thursday, 29-Feb-96 00:00:00 GMT"));
}

TEST(HttpDateParse, Ranges) {
  EXPECT_TRUE(date_ok("Sun, 31 Jan 1994 23:59:59 GMT"));
  EXPECT_FALSE(date_ok("Sun, 32 Jan 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 00 Jan 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 31 Apr 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 31 Jun 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 31 Sep 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 31 Nov 1994 00:00:00 GMT"));
  EXPECT_TRUE(date_ok("Sun, 31 Dec 1994 00:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 06 Nov 1994 24:00:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 06 Nov 1994 08:60:00 GMT"));
  EXPECT_FALSE(date_ok("Sun, 06 Nov 1994 08:49:60 GMT"));  // no leap seconds
  EXPECT_FALSE(date_ok("Sun, 06 Nov 1994 99:99:99 GMT"));
  EXPECT_FALSE(date_ok("Sun Nov  0 08:49:37 1994"));
  EXPECT_FALSE(date_ok("Sun Nov 31 08:49:37 1994"));
  EXPECT_FALSE(date_ok("Sunday, 06-Nov-94 24:49:37 GMT"));
}

TEST(HttpDateParse, Malformed) {
  for (auto s : {
           "",
           " ",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 gmt",
           "Sun, 06 Nov 1994 08:49:37 GMTx",
           "Sun, 06 Nov 1994 08:49:37 GMT\r",
           "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
           "Sun, 06 Nov 1994 08:49:37 GMT, x",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "SUN, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Snd, 06 Nov 1994 08:49:37 GMT",
           "Sun,06 Nov 1994 08:49:37 GMT",
           "Sun , 06 Nov 1994 08:49:37 GMT",
           "Sun,  06 Nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 Nov 19945 08:49:37 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Sun, 06 Nov 1994 08:49 GMT",
           "Sun, 06 Nov 1994 08.49.37 GMT",
           "Sun, 06 Nov 1994 08:49:37  GMT",
           "Sun, 06-Nov-1994 08:49:37 GMT",
           "Sun, +6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov -994 08:49:37 GMT",
           "Sunday, 06 Nov 1994 08:49:37 GMT",
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sunday, 06-Nov-94 08:49:37",
           "Sunday 06-Nov-94 08:49:37 GMT",
           "Sonday, 06-Nov-94 08:49:37 GMT",
           "Sundays, 06-Nov-94 08:49:37 GMT",
           "Sun, 06-Nov-94 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",
           "Sun Nov   6 08:49:37 1994",
           "Sun Nov  6 08:49:37 94",
           "Sun Nov  6 08:49:37 1994 GMT",
           "Sun  Nov  6 08:49:37 1994",
           "Sun Nov  6 08:49:37",
           "Sun Nov",
           "1994-11-06T08:49:37Z",
           "784111777",
       })
    EXPECT_FALSE(date_ok(s)) << s;
}

TEST(HttpDateParse, EveryTruncationFails) {
  for (std::string full : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                           "Sun Nov  6 08:49:37 1994"}) {
    for (size_t n = 0; n < full.size(); n++) {
      std::string cut = full.substr(0, n);
      if (!cut.empty() && cut.back() == ' ') continue;  // would be trimmed, then still short
      EXPECT_FALSE(date_ok(cut)) << cut;
      EXPECT_FALSE(date_ok(std::string_view(full.data(), n))) << n;
    }
  }
}

TEST(HttpDateParse, DayNameIsNotCheckedAgainstTheDate) {
  // As Go and nginx: the weekday is redundant; only its spelling is checked.
  EXPECT_EQ(date("Mon, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(date("Friday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  for (auto name : {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
    EXPECT_EQ(date(std::string(name) + ", 06-Nov-94 08:49:37 GMT"), kRfcExample) << name;
  for (auto name : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}) {
    EXPECT_EQ(date(std::string(name) + ", 06 Nov 1994 08:49:37 GMT"), kRfcExample) << name;
    EXPECT_EQ(date(std::string(name) + " Nov  6 08:49:37 1994"), kRfcExample) << name;
  }
}

TEST(HttpDateParse, AllMonths) {
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; m++) {
    std::string s = std::string("Mon, 01 ") + months[m] + " 2001 00:00:00 GMT";
    EXPECT_EQ(imf(date(s)).substr(5, 20), s.substr(5, 20)) << s;
  }
}

TEST(HttpDateParse, TwoDigitYears) {
  constexpr int64_t k2025 = 1735689600;  // 2025-01-01
  constexpr int64_t kYear = 31556952;    // average Gregorian year, close enough here
  EXPECT_EQ(date("Saturday, 01-Jan-00 00:00:00 GMT", k2025), 946684800);  // 2000
  EXPECT_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT", k2025), kRfcExample);  // 1994
  EXPECT_EQ(imf(date("Friday, 01-Jan-75 00:00:00 GMT", k2025)).substr(12, 4), "2075");
  EXPECT_EQ(imf(date("Friday, 01-Jan-76 00:00:00 GMT", k2025)).substr(12, 4), "1976");
  // The pivot follows `now`...
  int64_t y2030 = k2025 + 5 * kYear + kYear / 2;
  EXPECT_EQ(imf(date("Friday, 01-Jan-80 00:00:00 GMT", y2030)).substr(12, 4), "2080");
  EXPECT_EQ(imf(date("Friday, 01-Jan-81 00:00:00 GMT", y2030)).substr(12, 4), "1981");
  int64_t y2090 = k2025 + 65 * kYear + kYear / 2;
  // Only the future is folded back: dates 50 to 90 years old stay in the current century.
  EXPECT_EQ(imf(date("Friday, 01-Jan-40 00:00:00 GMT", y2090)).substr(12, 4), "2040");
  EXPECT_EQ(imf(date("Friday, 01-Jan-00 00:00:00 GMT", y2090)).substr(12, 4), "2000");
  EXPECT_EQ(imf(date("Friday, 01-Jan-95 00:00:00 GMT", y2090)).substr(12, 4), "2095");
  // ...but a clock that is not set yet (1970) counts as 2025.
  EXPECT_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT", 0), kRfcExample);
  EXPECT_EQ(imf(date("Friday, 01-Jan-24 00:00:00 GMT", 0)).substr(12, 4), "2024");
  EXPECT_EQ(imf(date("Friday, 01-Jan-24 00:00:00 GMT", -5)).substr(12, 4), "2024");
  // Far future clocks do not overflow.
  EXPECT_TRUE(date_ok("Friday, 01-Jan-24 00:00:00 GMT"));
  int64_t t;
  EXPECT_TRUE(parse_http_date("Friday, 01-Jan-24 00:00:00 GMT", &t, INT64_MAX));
  EXPECT_TRUE(parse_http_date("Friday, 01-Jan-24 00:00:00 GMT", &t, INT64_MIN));
}

TEST(HttpDateParse, RoundTripsWithFormat) {
  // Every day from 1896 to 2204 (leap rules of 1900, 2000, 2100, 2200) at a varying time of
  // day, then large strides over years 0 to 9999.
  int64_t from = date("Wed, 01 Jan 1896 00:00:00 GMT");
  int64_t to = date("Sun, 01 Jan 2205 00:00:00 GMT");
  uint32_t x = 12345;
  size_t checked = 0;
  for (int64_t day = from; day < to; day += 86400) {
    x = x * 1103515245u + 12345u;
    int64_t t = day + int64_t(x % 86400);
    std::string f = imf(t);
    int64_t back;
    ASSERT_TRUE(parse_http_date(f, &back)) << f;
    ASSERT_EQ(back, t) << f;
    std::string a = asctime_of(f);
    ASSERT_TRUE(parse_http_date(a, &back)) << a;
    ASSERT_EQ(back, t) << a;
    checked++;
  }
  for (int64_t t = date("Sat, 01 Jan 0000 00:00:00 GMT"); t <= 253402300799; t += 17777777) {
    std::string f = imf(t);
    int64_t back;
    ASSERT_TRUE(parse_http_date(f, &back)) << f;
    ASSERT_EQ(back, t) << f;
    checked++;
  }
  EXPECT_GT(checked, 120000u);
}

TEST(HttpDateParse, Rfc850RoundTripsNearNow) {
  // RFC 850 dates within 49 years of `now`, rebuilt from the IMF-fixdate fields.
  const char* long_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                              "Friday", "Saturday", "Sunday"};
  const char* short_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  int64_t now = 1750000000;  // June 2025
  for (int64_t t = now - 49 * 31556952; t < now + 49 * 31556952; t += 86400 * 7 + 3601) {
    std::string f = imf(t);
    std::string name;
    for (int i = 0; i < 7; i++)
      if (f.substr(0, 3) == short_names[i]) name = long_names[i];
    std::string r = name + ", " + f.substr(5, 2) + "-" + f.substr(8, 3) + "-" + f.substr(14, 2) +
                    " " + f.substr(17, 8) + " GMT";
    int64_t back;
    ASSERT_TRUE(parse_http_date(r, &back, now)) << r;
    ASSERT_EQ(back, t) << r;
  }
}

// ---- Accept-Encoding ------------------------------------------------------------------------

TEST(AcceptEncoding, RfcExamples) {
  EXPECT_TRUE(accepts_gzip("compress, gzip"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("compress;q=0.5, gzip;q=1.0"));
  EXPECT_TRUE(accepts_gzip("gzip;q=1.0, identity; q=0.5, *;q=0"));
}

TEST(AcceptEncoding, Listed) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("GZip"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("X-GZIP"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br, zstd"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
  EXPECT_TRUE(accepts_gzip("deflate;q=0.5, gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip(" , ,gzip, "));
  EXPECT_TRUE(accepts_gzip("\tgzip\t"));
  EXPECT_TRUE(accepts_gzip("gzip ; q=0.5"));
  EXPECT_TRUE(accepts_gzip("gzip;Q=0.5"));
  EXPECT_TRUE(accepts_gzip("*;q=0, gzip;q=0.1"));  // listed wins over "*"
  EXPECT_FALSE(accepts_gzip("gzipx"));
  EXPECT_FALSE(accepts_gzip("gzi"));
  EXPECT_FALSE(accepts_gzip("x-gzipp"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("   "));
  EXPECT_FALSE(accepts_gzip(",,"));
  EXPECT_FALSE(accepts_gzip("gzip deflate"));  // not a token
}

TEST(AcceptEncoding, Refusals) {
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0."));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("x-gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("*;q=1, gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzip, gzip;q=0"));  // a refusal sticks
  EXPECT_FALSE(accepts_gzip("gzip;q=0, gzip"));
  EXPECT_FALSE(accepts_gzip("x-gzip;q=0, gzip"));  // aliases share the decision
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("*;q=0, identity"));
  EXPECT_FALSE(accepts_gzip("*, *;q=0"));
}

TEST(AcceptEncoding, QValues) {
  for (auto q : {"1", "1.", "1.0", "1.00", "1.000", "0.001", "0.5", "0.05", "0.999", "0.1"})
    EXPECT_TRUE(accepts_gzip(std::string("gzip;q=") + q)) << q;
  for (auto q : {"0",   "0.",     "0.0",    "0.00",   "0.000", "",      "2",    "1.001",
                 "1.1", "1.0000", "0.0000", "0.0001", ".5",    "-1",    "+1",   "01",
                 "00",  "0,5",    "0.5x",   "1e0",    " 1",    "0.5 0", "\"1\""})
    EXPECT_FALSE(accepts_gzip(std::string("gzip;q=") + q)) << q;
  for (auto w : {"gzip;", "gzip;q", "gzip;q =1", "gzip;q= 1", "gzip;level=1", "gzip;q=1;q=1",
                 "gzip;;q=1", "gzip;x=1;q=1"})
    EXPECT_FALSE(accepts_gzip(w)) << w;
  EXPECT_TRUE(accepts_gzip("gzip;q=0.5 "));
  EXPECT_TRUE(accepts_gzip("*;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*;q=1.000"));
  EXPECT_FALSE(accepts_gzip("*;q=abc"));
  EXPECT_FALSE(accepts_gzip("*;q=1.5"));
}

// ---- MIME types -----------------------------------------------------------------------------

TEST(Mime, CommonWebTypes) {
  const std::pair<const char*, const char*> want[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"index.htm", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"mod.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"app.js.map", "application/json"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"table.csv", "text/csv; charset=utf-8"},
      {"feed.xml", "text/xml; charset=utf-8"},
      {"logo.svg", "image/svg+xml"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"favicon.ico", "image/vnd.microsoft.icon"},
      {"a.avif", "image/avif"},
      {"a.bmp", "image/bmp"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"f.otf", "font/otf"},
      {"f.eot", "application/vnd.ms-fontobject"},
      {"doc.pdf", "application/pdf"},
      {"a.zip", "application/zip"},
      {"a.gz", "application/gzip"},
      {"a.tar.gz", "application/gzip"},
      {"m.wasm", "application/wasm"},
      {"s.mp3", "audio/mpeg"},
      {"v.mp4", "video/mp4"},
      {"v.webm", "video/webm"},
      {"s.ogg", "audio/ogg"},
      {"s.wav", "audio/wav"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"c.yaml", "application/yaml"},
      {"c.yml", "application/yaml"},
      {"site.webmanifest", "application/manifest+json"},
      {"a.tar", "application/x-tar"},
      {"a.bin", "application/octet-stream"},
  };
  for (auto& [path, type] : want)
    EXPECT_EQ(mime_for_path(path), type) << path;
}

TEST(Mime, CaseAndPaths) {
  EXPECT_EQ(mime_for_path("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_for_path("Photo.JpG"), "image/jpeg");
  EXPECT_EQ(mime_for_path("/www/static/js/app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_for_path("www/a.b.c/file.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_for_path("FONT.WOFF2"), "font/woff2");
  EXPECT_EQ(mime_for_path("SITE.WEBMANIFEST"), "application/manifest+json");
}

TEST(Mime, UnknownOrNoExtension) {
  for (auto p : {"",
                 "/",
                 "README",
                 "Makefile",
                 "a.unknown",
                 "a.",
                 "dir.d/file",
                 "dir.html/",
                 ".bashrc",
                 "..js",
                 "/www/.html",
                 ".",
                 "..",
                 "a.verylongextensionname",
                 "a.webmanifestx",
                 "a.h tml",
                 "a.ht",
                 "a.htmll",
                 "a.j",
                 "a.7",
                 "a.zz",
                 "a.js\xff",
                 "a.\xe9"})
    EXPECT_EQ(mime_for_path(p), "application/octet-stream") << p;
  EXPECT_EQ(mime_for_path(".hidden.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_for_path("..x.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_for_path("a..js"), "text/javascript; charset=utf-8");
}

TEST(Mime, CharsetOnlyForText) {
  for (auto ext :
       {"7z",          "aac",  "apng", "atom",  "avi",   "avif",   "bmp",  "css",  "csv",
        "eot",         "flac", "gif",  "glb",   "gltf",  "gz",     "htm",  "html", "ico",
        "ics",         "jpeg", "jpg",  "js",    "json",  "jsonld", "m4a",  "map",  "markdown",
        "md",          "mjs",  "mkv",  "mov",   "mp3",   "mp4",    "mpeg", "mpg",  "ogg",
        "ogv",         "opus", "otf",  "pdf",   "png",   "rss",    "svg",  "tar",  "tif",
        "tiff",        "tsv",  "ttf",  "txt",   "vtt",   "wasm",   "wav",  "weba", "webm",
        "webmanifest", "webp", "woff", "woff2", "xhtml", "xml",    "yaml", "yml",  "zip"}) {
    std::string_view t = mime_for_path(std::string("f.") + ext);
    EXPECT_NE(t, "application/octet-stream") << ext << " is in the table";
    bool text = t.substr(0, 5) == "text/";
    EXPECT_EQ(t.find("; charset=utf-8") != std::string_view::npos, text) << ext;
  }
}
