// A multipart part's header block (engine/http/multipart_part.h) and the header parameter
// helpers it uses (engine/http/header_params.h): header lines, Content-Disposition, quoted
// strings, filename* (RFC 8187), and the limit on header lines.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "http/header_params.h"
#include "http/multipart_part.h"

using namespace viper::http;

namespace {

struct Parsed {
  FormError error = FormError::None;
  std::string name, filename, content_type, disposition;
  bool is_file = false;
};

// Parses a block of header lines (each given without its CRLF).  The scratch buffer is exactly
// as large as the contract asks, on the heap, so that ASan sees a write past it.
Parsed parse(const std::vector<std::string>& lines, uint32_t max_headers = 16) {
  std::string block;
  for (const std::string& l : lines)
    block += l + "\r\n";
  std::unique_ptr<char[]> scratch(new char[block.size() + 1]);
  MultipartPart part;
  Parsed r;
  r.error = parse_part_headers(block, max_headers, scratch.get(), &part);
  if (r.error != FormError::None) return r;
  EXPECT_EQ(part.headers, block);
  r.name = part.name;
  r.filename = part.filename;
  r.content_type = part.content_type;
  r.disposition = part.disposition;
  r.is_file = part.is_file;
  return r;
}

Parsed disposition(const std::string& value) {
  return parse({"Content-Disposition: " + value});
}

FormError error_of(const std::vector<std::string>& lines, uint32_t max_headers = 16) {
  return parse(lines, max_headers).error;
}

std::string filename_of(const std::string& params) {
  Parsed p = disposition("form-data; name=\"f\"; " + params);
  EXPECT_EQ(p.error, FormError::None) << params;
  EXPECT_TRUE(p.is_file) << params;
  return p.filename;
}

}  // namespace

// --- header lines -----------------------------------------------------------------------------

TEST(MultipartPart, FieldAndFile) {
  Parsed f = parse({"Content-Disposition: form-data; name=\"title\""});
  EXPECT_EQ(f.error, FormError::None);
  EXPECT_EQ(f.name, "title");
  EXPECT_FALSE(f.is_file);
  EXPECT_EQ(f.filename, "");
  EXPECT_EQ(f.disposition, "form-data");
  Parsed g = parse({"Content-Disposition: form-data; name=\"upload\"; filename=\"photo.jpg\"",
                    "Content-Type: image/jpeg"});
  EXPECT_EQ(g.name, "upload");
  EXPECT_TRUE(g.is_file);
  EXPECT_EQ(g.filename, "photo.jpg");
  EXPECT_EQ(g.content_type, "image/jpeg");
}

TEST(MultipartPart, NamesAnyCaseValuesTrimmed) {
  Parsed p = parse({"content-disposition:form-data;name=a", "CONTENT-TYPE: \t text/plain \t"});
  EXPECT_EQ(p.error, FormError::None);
  EXPECT_EQ(p.name, "a");
  EXPECT_EQ(p.content_type, "text/plain");
}

TEST(MultipartPart, OtherHeadersAreKept) {
  std::string block =
      "Content-Disposition: form-data; name=a\r\nX-Digit-1: one\r\n"
      "Content-Transfer-Encoding: base64\r\nX-Empty:\r\n";
  char scratch[256];
  MultipartPart part;
  ASSERT_EQ(parse_part_headers(block, 16, scratch, &part), FormError::None);
  std::vector<std::string> seen;
  size_t pos = 0;
  std::string_view n, v;
  while (part_header_next(part.headers, &pos, &n, &v))
    seen.push_back(std::string(n) + "=" + std::string(v));
  EXPECT_EQ(seen,
            (std::vector<std::string>{"Content-Disposition=form-data; name=a", "X-Digit-1=one",
                                      "Content-Transfer-Encoding=base64", "X-Empty="}));
}

TEST(MultipartPart, MalformedLines) {
  const std::string cd = "Content-Disposition: form-data; name=a";
  for (std::string bad :
       std::vector<std::string>{"Garbage", "Content-Type : text/plain", " folded", "\tfolded",
                                ": empty name", "Con tent: x", "X\xc3\xa4: x", "X: a\rb", "X: a\nb",
                                std::string("X: a\0b", 6), "X: a\x7f", "X: \x01", "X\r: y"}) {
    EXPECT_EQ(error_of({cd, bad}), FormError::BadPartHeader) << bad;
  }
  EXPECT_EQ(error_of({cd, "X: tab\tand obs-text \xff ok"}), FormError::None);
  EXPECT_EQ(status_of(FormError::BadPartHeader), 400);
}

TEST(MultipartPart, RepeatedHeaders) {
  const std::string cd = "Content-Disposition: form-data; name=a";
  EXPECT_EQ(error_of({cd, "content-disposition: form-data; name=b"}),
            FormError::RepeatedPartHeader);
  EXPECT_EQ(error_of({cd, "Content-Type: a/b", "CONTENT-type: c/d"}),
            FormError::RepeatedPartHeader);
  EXPECT_EQ(error_of({cd, "X: 1", "X: 2"}), FormError::None);
}

TEST(MultipartPart, ContentDispositionRequired) {
  EXPECT_EQ(error_of({}), FormError::NoContentDisposition);
  EXPECT_EQ(error_of({"Content-Type: text/plain"}), FormError::NoContentDisposition);
  EXPECT_EQ(detail_of(FormError::NoContentDisposition),
            "Invalid multipart body: a part has no Content-Disposition");
}

TEST(MultipartPart, HeaderCount) {
  std::vector<std::string> lines = {"Content-Disposition: form-data; name=a", "X-1: 1", "X-2: 2"};
  EXPECT_EQ(error_of(lines, 3), FormError::None);
  EXPECT_EQ(error_of(lines, 2), FormError::TooManyPartHeaders);
}

// --- Content-Disposition ----------------------------------------------------------------------

TEST(MultipartDisposition, NameRules) {
  EXPECT_EQ(disposition("form-data; name=\"\"").name, "");
  EXPECT_EQ(disposition("form-data; NAME=\"x\"").name, "x");
  EXPECT_EQ(disposition("form-data; name = \"x\" ;").name, "x");
  EXPECT_EQ(disposition("form-data;; name=x;;").name, "x");
  EXPECT_EQ(disposition("form-data; name=\"z\xc3\xb3\xc5\x82w\"").name, "z\xc3\xb3\xc5\x82w");
  EXPECT_EQ(disposition("form-data; name=z\xc3\xb3\xc5\x82w").name, "z\xc3\xb3\xc5\x82w");
  EXPECT_EQ(disposition("form-data; name=\"a;b=c\"").name, "a;b=c");
  EXPECT_EQ(disposition("form-data; name=\"a%22b\"").name, "a%22b");  // browsers' escape, kept
  EXPECT_EQ(disposition("form-data; size=3; name=\"n\"; creation-date=\"x\"").name, "n");
  // The type is not checked (Starlette does not either), but it must be there.
  EXPECT_EQ(disposition("attachment; name=a").disposition, "attachment");
  EXPECT_EQ(disposition("; name=a").error, FormError::BadContentDisposition);
  EXPECT_EQ(disposition("form-data").error, FormError::NoPartName);
  EXPECT_EQ(disposition("form-data; filename=\"x\"").error, FormError::NoPartName);
  EXPECT_EQ(detail_of(FormError::NoPartName),
            "Invalid multipart body: a part's Content-Disposition has no name");
}

TEST(MultipartDisposition, MalformedParameters) {
  for (std::string bad :
       {"form-data; name", "form-data; name=", "form-data; =x", "form-data; name=a b",
        "form-data; name=\"a", "form-data; name=\"a\"x", "form-data; name=\"a\" x",
        "form-data; name=a; name=b", "form-data; name=a; filename=x; FILENAME=y",
        "form-data; name=a; filename*=UTF-8''x; filename*=UTF-8''y", "form-data; name=a/b",
        "form-data, name=a"}) {
    EXPECT_EQ(disposition(bad).error, FormError::BadContentDisposition) << bad;
  }
}

TEST(MultipartDisposition, QuotedStrings) {
  // "\\" and "\"" are escapes; any other backslash stays (browsers do not escape it).
  EXPECT_EQ(disposition("form-data; name=\"a\\\"b\"").name, "a\"b");
  EXPECT_EQ(disposition("form-data; name=\"a\\\\b\"").name, "a\\b");
  EXPECT_EQ(filename_of("filename=\"a\\b.txt\""), "a\\b.txt");
  // A filename ending in '\' as a browser sends it: the string is read again without escapes.
  EXPECT_EQ(filename_of("filename=\"dir\\\""), "dir\\");
  EXPECT_EQ(filename_of("filename=\"\""), "");
  EXPECT_EQ(filename_of("filename=plain.txt"), "plain.txt");
  EXPECT_EQ(filename_of("filename=\"a%22b%0D%0A.txt\""), "a%22b%0D%0A.txt");
  EXPECT_EQ(filename_of("filename=\"\xc5\xbc\xc3\xb3\xc5\x82w.txt\""),
            "\xc5\xbc\xc3\xb3\xc5\x82w.txt");
}

TEST(MultipartDisposition, InternetExplorerPaths) {
  EXPECT_EQ(filename_of("filename=\"C:\\dir\\x.txt\""), "x.txt");
  EXPECT_EQ(filename_of("filename=\"C:\\\\dir\\\\x.txt\""), "x.txt");
  EXPECT_EQ(filename_of("filename=\"\\\\\\\\server\\\\x.txt\""), "x.txt");
  EXPECT_EQ(filename_of("filename=\"C:\\\""), "");
  EXPECT_EQ(filename_of("filename=\"dir\\x.txt\""), "dir\\x.txt");
  EXPECT_EQ(filename_of("filename=\"C:x.txt\""), "C:x.txt");
}

TEST(MultipartDisposition, ExtendedFilename) {
  EXPECT_EQ(filename_of("filename*=UTF-8''%e2%82%ac%20rates.txt"), "\xe2\x82\xac rates.txt");
  EXPECT_EQ(filename_of("filename*=utf-8'en'a.txt"), "a.txt");
  EXPECT_EQ(filename_of("filename*=ISO-8859-1''%A3%20rates"), "\xc2\xa3 rates");
  EXPECT_EQ(filename_of("filename*=UTF-8''"), "");
  // With both, filename* wins (RFC 6266 §4.3); python-multipart ignores filename*.
  EXPECT_EQ(filename_of("filename=\"fallback.txt\"; filename*=UTF-8''%C3%A9.txt"), "\xc3\xa9.txt");
  EXPECT_EQ(filename_of("filename*=UTF-8''%C3%A9.txt; filename=\"fallback.txt\""), "\xc3\xa9.txt");
  for (std::string bad :
       {"filename*=KOI8-R''x", "filename*=UTF-8x", "filename*=UTF-8'x", "filename*=\"UTF-8''x\"",
        "filename*=UTF-8''%zz", "filename*=UTF-8''%4", "filename*=UTF-8''%C3%28",
        "filename*=UTF-8''%C0%AF", "filename*=UTF-8''%ED%A0%80", "filename*=UTF-8''%F4%90%80%80",
        "filename*=UTF-8''%00", "filename*=UTF-8''a'b", "filename*=UTF-8''\xc3\xa9",
        "filename*=UTF-8'e n'x"}) {
    Parsed p = disposition("form-data; name=f; " + bad);
    EXPECT_TRUE(p.error == FormError::BadFilename || p.error == FormError::BadContentDisposition)
        << bad;
  }
  EXPECT_EQ(disposition("form-data; name=f; filename*=UTF-8''%C3%28").error,
            FormError::BadFilename);
  EXPECT_EQ(disposition("form-data; name=f; filename*=\"UTF-8''x\"").error, FormError::BadFilename);
  EXPECT_EQ(detail_of(FormError::BadFilename), "Invalid multipart body: malformed filename*");
}

// --- header_params.h --------------------------------------------------------------------------

TEST(HeaderParams, TypeAndParameters) {
  EXPECT_EQ(header_value_type("  multipart/form-data ; boundary=x"), "multipart/form-data");
  EXPECT_EQ(header_value_type("text/plain"), "text/plain");
  EXPECT_EQ(header_value_type(""), "");
  std::string_view v = "t; a=1;; B = \"two;2\" ; c=\"\" ;";
  size_t pos = 0;
  HeaderParam p;
  std::vector<std::string> got;
  int r;
  while ((r = header_param_next(v, &pos, &p)) == 1)
    got.push_back(std::string(p.name) + "=" + std::string(p.value) + (p.quoted ? "(q)" : ""));
  EXPECT_EQ(r, 0);
  EXPECT_EQ(got, (std::vector<std::string>{"a=1", "B=two;2(q)", "c=(q)"}));
  EXPECT_EQ(header_param_next(v, &pos, &p), 0);  // sticky
  pos = 0;
  std::string_view bad = "t; a=1 x; b=2";
  EXPECT_EQ(header_param_next(bad, &pos, &p), 1);
  EXPECT_EQ(header_param_next(bad, &pos, &p), -1);
  EXPECT_EQ(header_param_next(bad, &pos, &p), -1);  // sticky
}

TEST(HeaderParams, Unescape) {
  char out[32];
  EXPECT_EQ(unescape_quoted("plain", out).data() != out, true);  // no copy without '\'
  EXPECT_EQ(unescape_quoted("a\\\"b\\\\c\\d\\", out), "a\"b\\c\\d\\");
}

TEST(HeaderParams, ExtValueInPlace) {
  char buf[] = "UTF-8''%41%c3%a9z";
  int n = decode_ext_value(std::string_view(buf, sizeof buf - 1), buf);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, size_t(n)), "A\xc3\xa9z");
  char latin[] = "iso-8859-1''%ff%e9";
  n = decode_ext_value(std::string_view(latin, sizeof latin - 1), latin);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(latin, size_t(n)), "\xc3\xbf\xc3\xa9");
  EXPECT_TRUE(iequals("Boundary", "bOUNDARY"));
  EXPECT_FALSE(iequals("boundary", "boundar"));
}
