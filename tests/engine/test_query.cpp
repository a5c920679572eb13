#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/query.h"

using namespace viper::http;

TEST(Query, TokenizesPairsSkippingEmpty) {
  std::vector<std::string> got;
  size_t pos = 0;
  std::string_view k, v;
  while (query_next("a=1&&b=&c&a=3", &pos, &k, &v))
    got.push_back(std::string(k) + "|" + std::string(v));
  EXPECT_EQ(got, (std::vector<std::string>{"a|1", "b|", "c|", "a|3"}));
}

TEST(Query, FindComparesDecodedKeys) {
  std::string_view v;
  ASSERT_TRUE(query_find("x=1&my%20key=2&q=a+b", "my key", &v));
  EXPECT_EQ(v, "2");
  ASSERT_TRUE(query_find("x=1&my+key=3", "my key", &v));
  EXPECT_EQ(v, "3");
  ASSERT_TRUE(query_find("q=first&q=second", "q", &v));
  EXPECT_EQ(v, "first");
  EXPECT_FALSE(query_find("qq=1&q", "qx", &v));
  EXPECT_FALSE(query_find("", "q", &v));
  EXPECT_FALSE(query_find("k%2", "k", &v));  // truncated escape is not a match for "k"
}

TEST(Query, FormDecode) {
  char out[32];
  EXPECT_EQ(std::string(out, size_t(form_decode("a+b%20c%2Fd", out, sizeof out))), "a b c/d");
  EXPECT_EQ(form_decode("%zz", out, sizeof out), -1);
  EXPECT_EQ(form_decode("abc%2", out, sizeof out), -1);
  EXPECT_EQ(form_decode("abcd", out, 3), -1);
  EXPECT_EQ(form_decode("", out, sizeof out), 0);
}
