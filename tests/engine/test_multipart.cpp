// The streaming multipart/form-data parser (engine/http/multipart.h): the boundary of a
// Content-Type, framing (preamble, delimiters, transport padding, epilogue, truncation), and
// every limit at the limit and one past it.  Part headers: test_multipart_part.cpp.
//
// Every body here goes through run(), which feeds it whole, a byte at a time and split in two
// at every position (each piece in a heap buffer of its own size, so ASan sees an over-read),
// and requires the same events from all of them.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "http/multipart.h"

using namespace viper::http;

namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=b0undary";

std::string error_text(FormError e) {
  return "ERR(" + std::to_string(int(e)) + " " + std::string(detail_of(e)) + ")";
}

// The events as text: B[name|filename|type] for a part (filename "-" for a field), D[...]
// for its data (adjacent pieces joined), E for its end, END, ERR(...).
struct Feeder {
  std::unique_ptr<MultipartParser> p = std::make_unique<MultipartParser>();
  std::string out;
  std::string data;  // data of the current run of PartData events
  bool done = false;

  void flush() {
    if (!data.empty()) out += "D[" + data + "]";
    data.clear();
  }
  void piece(std::string_view bytes) {
    if (done) return;
    std::unique_ptr<char[]> buf(new char[bytes.size() + 1]);
    std::memcpy(buf.get(), bytes.data(), bytes.size());
    const char* lo = buf.get();
    const char* plo = reinterpret_cast<const char*>(p.get());
    std::string_view in(buf.get(), bytes.size()), d;
    for (;;) {
      size_t before = in.size();
      MultipartEvent ev = p->next(&in, &d);
      EXPECT_LE(in.size(), before);
      if (ev == MultipartEvent::NeedMore) {
        EXPECT_TRUE(in.empty());
        return;
      }
      if (ev == MultipartEvent::PartData) {
        EXPECT_FALSE(d.empty());
        bool in_piece = d.data() >= lo && d.data() + d.size() <= lo + bytes.size();
        bool in_parser = d.data() >= plo && d.data() + d.size() <= plo + sizeof(MultipartParser);
        EXPECT_TRUE(in_piece || in_parser);
        data.append(d);
        continue;
      }
      flush();
      if (ev == MultipartEvent::PartBegin) {
        const MultipartPart& part = p->part();
        out += "B[" + std::string(part.name) + "|" +
               (part.is_file ? std::string(part.filename) : "-") + "|" +
               std::string(part.content_type) + "]";
      } else if (ev == MultipartEvent::PartEnd) {
        out += "E";
      } else if (ev == MultipartEvent::End) {
        out += "END";
      } else {
        EXPECT_EQ(ev, MultipartEvent::Error);
        EXPECT_NE(p->error(), FormError::None);
        out += error_text(p->error());
        done = true;
        return;
      }
    }
  }
  void end() {
    flush();
    if (done) return;
    FormError e = p->finish();
    if (e != FormError::None) out += error_text(e);
  }
};

std::string feed(std::string_view type, const std::vector<std::string_view>& pieces,
                 const MultipartLimits& limits) {
  Feeder f;
  FormError e = f.p->start(type, limits);
  if (e != FormError::None) return error_text(e);
  for (std::string_view s : pieces)
    f.piece(s);
  f.end();
  return f.out;
}

std::string run(std::string_view body, const MultipartLimits& limits = {},
                std::string_view type = kType) {
  std::string whole = feed(type, {body}, limits);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < body.size(); i++)
    bytes.push_back(body.substr(i, 1));
  EXPECT_EQ(feed(type, bytes, limits), whole) << "a byte at a time: " << body;
  for (size_t i = 0; i <= body.size(); i++)
    EXPECT_EQ(feed(type, {body.substr(0, i), body.substr(i)}, limits), whole)
        << "split at " << i << ": " << body;
  return whole;
}

std::string field(std::string_view name, std::string_view value) {
  return "--b0undary\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"\r\n\r\n" + std::string(value) + "\r\n";
}

std::string file(std::string_view name, std::string_view filename, std::string_view value) {
  return "--b0undary\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"; filename=\"" + std::string(filename) +
         "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + std::string(value) + "\r\n";
}

const std::string kClose = "--b0undary--\r\n";

FormError boundary_of(std::string_view ct, std::string* out = nullptr) {
  std::string_view b;
  FormError e = multipart_boundary(ct, &b);
  if (out && e == FormError::None) *out = std::string(b);
  return e;
}

}  // namespace

// --- the boundary -----------------------------------------------------------------------------

TEST(MultipartBoundary, TokenAndQuoted) {
  std::string b;
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=----WebKitFormBoundaryAbC123", &b),
            FormError::None);
  EXPECT_EQ(b, "----WebKitFormBoundaryAbC123");
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"simple boundary\"", &b), FormError::None);
  EXPECT_EQ(b, "simple boundary");
  EXPECT_EQ(boundary_of("Multipart/Form-Data;BOUNDARY=x", &b), FormError::None);
  EXPECT_EQ(b, "x");
  EXPECT_EQ(boundary_of("multipart/form-data ; charset=utf-8 ; boundary = abc ;", &b),
            FormError::None);
  EXPECT_EQ(b, "abc");
  // Every bchar, quoted (some are not token characters).
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"09azAZ'()+_,-./:=? x\"", &b),
            FormError::None);
  EXPECT_EQ(b, "09azAZ'()+_,-./:=? x");
}

TEST(MultipartBoundary, LengthOneToSeventy) {
  std::string b70(70, 'a'), b;
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=a", &b), FormError::None);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=" + b70, &b), FormError::None);
  EXPECT_EQ(b, b70);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=" + b70 + "a"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"\""), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary="), FormError::BadBoundary);
}

TEST(MultipartBoundary, Refused) {
  EXPECT_EQ(boundary_of("multipart/form-data"), FormError::NoBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; charset=utf-8"), FormError::NoBoundary);
  EXPECT_EQ(boundary_of("multipart/mixed; boundary=x"), FormError::NotMultipart);
  EXPECT_EQ(boundary_of("text/plain; boundary=x"), FormError::NotMultipart);
  EXPECT_EQ(boundary_of(""), FormError::NotMultipart);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=a; boundary=a"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"a*b\""), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=a*b"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"ab \""), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"a\\\"b\""), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"ab"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=a\xc3\xa9"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=abc def"), FormError::BadBoundary);
  EXPECT_EQ(boundary_of("multipart/form-data; boundary"), FormError::BadBoundary);
  EXPECT_EQ(detail_of(FormError::NoBoundary),
            "Missing boundary in multipart/form-data Content-Type");
  EXPECT_EQ(status_of(FormError::BadBoundary), 400);
}

TEST(MultipartBoundary, StartRefusesWhatItCannotUse) {
  MultipartParser p;
  EXPECT_EQ(p.start("text/plain"), FormError::NotMultipart);
  std::string_view in = "x", d;
  EXPECT_EQ(p.next(&in, &d), MultipartEvent::Error);
  EXPECT_EQ(p.start_with_boundary(""), FormError::BadBoundary);
  EXPECT_EQ(p.start_with_boundary(std::string(71, 'a')), FormError::BadBoundary);
  EXPECT_EQ(p.start_with_boundary(std::string(70, 'a')), FormError::None);
}

// --- framing ----------------------------------------------------------------------------------

TEST(Multipart, FieldsAndFiles) {
  EXPECT_EQ(run(field("a", "hello") + file("f", "x.bin", "\x01\x02\r\n\x03") + kClose),
            "B[a|-|]D[hello]EB[f|x.bin|application/octet-stream]D[\x01\x02\r\n\x03]EEND");
}

TEST(Multipart, EmptyValuesAndEmptyFiles) {
  EXPECT_EQ(run(field("a", "") + file("f", "", "") + kClose),
            "B[a|-|]EB[f||application/octet-stream]EEND");
}

TEST(Multipart, DataThatLooksLikeADelimiterIsData) {
  // Prefixes of "\r\n--b0undary", a boundary after LF alone, a CR before the delimiter.
  for (std::string_view v : {"\r", "\r\n", "\r\n-", "\r\n--", "\r\n--b0undar", "\r\n--b0undarx",
                             "x\n--b0undary\r\n", "--b0undary", "a\r\r\n--b0und", "\r\r\r\n"}) {
    EXPECT_EQ(run(field("a", v) + kClose), "B[a|-|]D[" + std::string(v) + "]EEND") << v;
  }
  EXPECT_EQ(run(field("a", "abc\r\n") + kClose), "B[a|-|]D[abc\r\n]EEND");
}

TEST(Multipart, PreambleIsIgnored) {
  EXPECT_EQ(run("This is the preamble.\r\nIt is ignored.\r\n" + field("a", "1") + kClose),
            "B[a|-|]D[1]EEND");
  EXPECT_EQ(run("\r\n\r\n" + field("a", "1") + kClose), "B[a|-|]D[1]EEND");
  EXPECT_EQ(run("\n" + field("a", "1") + kClose), "B[a|-|]D[1]EEND");
  EXPECT_EQ(run("\r" + field("a", "1") + kClose), "B[a|-|]D[1]EEND");
  EXPECT_EQ(run("x--b0undary\r\n--b0und\r\n" + field("a", "1") + kClose), "B[a|-|]D[1]EEND");
  // Only a line start counts; a preamble with no delimiter at all is a truncated body.
  EXPECT_EQ(run("x--b0undary\r\n"), error_text(FormError::Truncated));
  // A line that starts with the delimiter is one (RFC 2046), even in the preamble.
  EXPECT_EQ(run("--b0undaryX\r\n" + field("a", "1") + kClose), error_text(FormError::BadDelimiter));
}

TEST(Multipart, EpilogueIsIgnored) {
  EXPECT_EQ(run(field("a", "1") + "--b0undary--"), "B[a|-|]D[1]EEND");
  EXPECT_EQ(run(field("a", "1") + "--b0undary--junk\r\n--b0undary\r\nx"), "B[a|-|]D[1]EEND");
  EXPECT_EQ(run(field("a", "1") + "--b0undary--  \r\nepilogue\r\n"), "B[a|-|]D[1]EEND");
}

TEST(Multipart, TransportPadding) {
  EXPECT_EQ(run("--b0undary \t \r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                "--b0undary\t\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n" +
                kClose),
            "B[a|-|]D[1]EB[b|-|]D[2]EEND");
}

TEST(Multipart, BytesAfterADelimiter) {
  const std::string head = field("a", "1");
  for (std::string_view bad : {"--b0undaryX", "--b0undary-X", "--b0undary\rX", "--b0undary \tX",
                               "--b0undary\n", "--b0undary \n"}) {
    EXPECT_EQ(run(head + std::string(bad) + "\r\n" + kClose),
              "B[a|-|]D[1]" + error_text(FormError::BadDelimiter))
        << bad;
  }
  EXPECT_EQ(detail_of(FormError::BadDelimiter), "Invalid multipart body: bytes after a boundary");
}

TEST(Multipart, EmptyForm) {
  EXPECT_EQ(run("--b0undary--\r\n"), "END");
  EXPECT_EQ(run("--b0undary--"), "END");
}

TEST(Multipart, Truncated) {
  std::string t = error_text(FormError::Truncated);
  EXPECT_EQ(run(""), t);
  EXPECT_EQ(run("preamble only\r\n"), t);
  EXPECT_EQ(run("--b0undary"), t);
  EXPECT_EQ(run("--b0undary\r"), t);
  EXPECT_EQ(run("--b0undary\r\n"), t);
  EXPECT_EQ(run("--b0undary\r\nContent-Disposition: form-data; name=a\r\n"), t);
  EXPECT_EQ(run(field("a", "1")), "B[a|-|]D[1]" + t);
  EXPECT_EQ(run(field("a", "1") + "--b0undary-"), "B[a|-|]D[1]" + t);
  EXPECT_EQ(run(field("a", "1") + "--b0und"), "B[a|-|]D[1]" + t);
  EXPECT_EQ(run(field("a", "1").substr(0, field("a", "1").size() - 2)), "B[a|-|]D[1]" + t);
  EXPECT_EQ(detail_of(FormError::Truncated),
            "Invalid multipart body: it ends before the closing boundary");
  EXPECT_EQ(status_of(FormError::Truncated), 400);
}

TEST(Multipart, AfterEndAndAfterError) {
  MultipartParser p;
  ASSERT_EQ(p.start(kType), FormError::None);
  std::string body = field("a", "1") + kClose + "epilogue";
  std::string_view in = body, d;
  std::vector<MultipartEvent> evs;
  for (MultipartEvent ev; (ev = p.next(&in, &d)) != MultipartEvent::NeedMore;)
    evs.push_back(ev);
  EXPECT_EQ(evs.size(), 4u);  // PartBegin, PartData, PartEnd, End
  EXPECT_EQ(evs.back(), MultipartEvent::End);
  EXPECT_EQ(p.finish(), FormError::None);
  EXPECT_EQ(p.body_bytes(), body.size());
  EXPECT_EQ(p.parts(), 1u);

  ASSERT_EQ(p.start(kType), FormError::None);
  std::string bad = "--b0undaryX";
  in = bad;
  EXPECT_EQ(p.next(&in, &d), MultipartEvent::Error);
  std::string_view more = "more";
  EXPECT_EQ(p.next(&more, &d), MultipartEvent::Error);
  EXPECT_EQ(more, "more");
  EXPECT_EQ(p.finish(), FormError::BadDelimiter);
}

TEST(Multipart, PartIndexAndHeaderViews) {
  MultipartParser p;
  ASSERT_EQ(p.start(kType), FormError::None);
  std::string body = field("a", "1") + file("b", "c.txt", "2") + kClose;
  std::string_view in = body, d;
  std::vector<uint32_t> idx;
  for (MultipartEvent ev; (ev = p.next(&in, &d)) != MultipartEvent::NeedMore;)
    if (ev == MultipartEvent::PartBegin) idx.push_back(p.part().index);
  EXPECT_EQ(idx, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p.part().headers,
            "Content-Disposition: form-data; name=\"b\"; filename=\"c.txt\"\r\n"
            "Content-Type: application/octet-stream\r\n");
}

// --- limits -----------------------------------------------------------------------------------

TEST(MultipartLimits, Parts) {
  MultipartLimits lim;
  lim.max_parts = 3;
  std::string three = field("a", "1") + field("b", "2") + field("c", "3");
  EXPECT_EQ(run(three + kClose, lim), "B[a|-|]D[1]EB[b|-|]D[2]EB[c|-|]D[3]EEND");
  EXPECT_EQ(run(three + field("d", "4") + kClose, lim),
            "B[a|-|]D[1]EB[b|-|]D[2]EB[c|-|]D[3]E" + error_text(FormError::TooManyParts));
  lim.max_parts = 0;
  EXPECT_EQ(run(field("a", "1") + kClose, lim), error_text(FormError::TooManyParts));
  EXPECT_EQ(run(kClose, lim), "END");
  EXPECT_EQ(status_of(FormError::TooManyParts), 413);
  EXPECT_EQ(detail_of(FormError::TooManyParts), "Too many parts in multipart body");
}

TEST(MultipartLimits, HeaderBytes) {
  // The block: its lines with their CRLFs and the empty line.
  std::string block = "Content-Disposition: form-data; name=\"a\"\r\n\r\n";
  std::string body = "--b0undary\r\n" + block + "1\r\n" + kClose;
  MultipartLimits lim;
  lim.max_part_header_bytes = uint32_t(block.size());
  EXPECT_EQ(run(body, lim), "B[a|-|]D[1]EEND");
  lim.max_part_header_bytes = uint32_t(block.size() - 1);
  EXPECT_EQ(run(body, lim), error_text(FormError::PartHeaderTooLarge));
  // A block that never ends fails as soon as it passes the limit.
  EXPECT_EQ(run("--b0undary\r\n" + std::string(100, 'x'), lim),
            error_text(FormError::PartHeaderTooLarge));
  // The cap: a larger limit acts as VIPER_MULTIPART_HEADER_BYTES_CAP.
  lim.max_part_header_bytes = UINT32_MAX;
  std::string big = "Content-Disposition: form-data; name=a\r\nX: " +
                    std::string(VIPER_MULTIPART_HEADER_BYTES_CAP, 'v') + "\r\n\r\n";
  EXPECT_EQ(feed(kType, {"--b0undary\r\n" + big + "1\r\n" + kClose}, lim),
            error_text(FormError::PartHeaderTooLarge));
  std::string fits = "Content-Disposition: form-data; name=a\r\nX: ";
  fits += std::string(VIPER_MULTIPART_HEADER_BYTES_CAP - fits.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), size_t(VIPER_MULTIPART_HEADER_BYTES_CAP));
  EXPECT_EQ(feed(kType, {"--b0undary\r\n" + fits + "1\r\n" + kClose}, lim), "B[a|-|]D[1]EEND");
  EXPECT_EQ(status_of(FormError::PartHeaderTooLarge), 413);
}

TEST(MultipartLimits, HeadersPerPart) {
  std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=a\r\nX-1: a\r\nX-2: b\r\n\r\n1\r\n" +
      kClose;
  MultipartLimits lim;
  lim.max_part_headers = 3;
  EXPECT_EQ(run(body, lim), "B[a|-|]D[1]EEND");
  lim.max_part_headers = 2;
  EXPECT_EQ(run(body, lim), error_text(FormError::TooManyPartHeaders));
  EXPECT_EQ(status_of(FormError::TooManyPartHeaders), 413);
}

TEST(MultipartLimits, FieldBytesApplyToFieldsOnly) {
  MultipartLimits lim;
  lim.max_field_bytes = 5;
  EXPECT_EQ(run(field("a", "12345") + file("f", "x", "123456789") + kClose, lim),
            "B[a|-|]D[12345]EB[f|x|application/octet-stream]D[123456789]EEND");
  // One past: the first five bytes come out, then the error.
  EXPECT_EQ(run(field("a", "123456") + kClose, lim),
            "B[a|-|]D[12345]" + error_text(FormError::FieldTooLarge));
  // Held delimiter bytes that turn out to be data count too.
  EXPECT_EQ(run(field("a", "1234\r\n-") + kClose, lim),
            "B[a|-|]D[1234\r]" + error_text(FormError::FieldTooLarge));
  lim.max_field_bytes = 0;
  EXPECT_EQ(run(field("a", "") + kClose, lim), "B[a|-|]EEND");
  EXPECT_EQ(run(field("a", "1") + kClose, lim), "B[a|-|]" + error_text(FormError::FieldTooLarge));
  EXPECT_EQ(status_of(FormError::FieldTooLarge), 413);
  EXPECT_EQ(detail_of(FormError::FieldTooLarge), "Form field too large");
}

TEST(MultipartLimits, BodyBytes) {
  std::string body = field("a", "1") + kClose + "epilogue";
  MultipartLimits lim;
  lim.max_body_bytes = body.size();
  EXPECT_EQ(run(body, lim), "B[a|-|]D[1]EEND");
  lim.max_body_bytes = body.size() - 1;  // the epilogue counts
  EXPECT_EQ(run(body, lim), "B[a|-|]D[1]EEND" + error_text(FormError::BodyTooLarge));
  lim.max_body_bytes = 20;  // inside the first part's headers
  EXPECT_EQ(run(body, lim), error_text(FormError::BodyTooLarge));
  lim.max_body_bytes = 0;
  EXPECT_EQ(run(body, lim), error_text(FormError::BodyTooLarge));
  EXPECT_EQ(status_of(FormError::BodyTooLarge), 413);
}

// --- streaming --------------------------------------------------------------------------------

// A 4 MB file in 8 KB pieces: every byte comes out, and at no time does the parser hold more
// than a delimiter's length of it.
TEST(MultipartStreaming, LargeFileInPieces) {
  std::string content(4 << 20, '\0');
  uint32_t x = 12345;
  for (char& c : content) {
    x = x * 1103515245 + 12345;
    c = char(x >> 24);
    if ((x & 0xfff) == 7) c = '\r';  // CRs here and there, some followed by LF and dashes
  }
  for (size_t i = 1000; i + 12 < content.size(); i += 70001)
    std::memcpy(&content[i], "\r\n--b0undarx", 12);  // a delimiter but for its last byte
  std::string body = file("f", "big.bin", content) + kClose;
  MultipartParser p;
  ASSERT_EQ(p.start(kType), FormError::None);
  const size_t head = body.find("\r\n\r\n") + 4;
  const size_t delim = std::strlen("\r\n--b0undary");
  std::string got;
  bool ended = false;
  for (size_t off = 0; off < body.size(); off += 8192) {
    std::string_view in(body.data() + off, std::min<size_t>(8192, body.size() - off)), d;
    for (MultipartEvent ev; (ev = p.next(&in, &d)) != MultipartEvent::NeedMore;) {
      ASSERT_NE(ev, MultipartEvent::Error) << detail_of(p.error()) << " at " << p.body_bytes();
      if (ev == MultipartEvent::PartData) got.append(d);
      if (ev == MultipartEvent::End) ended = true;
    }
    size_t fed = std::min(off + 8192, body.size());
    if (fed > head && !ended) {
      ASSERT_GE(head + got.size() + delim, fed) << "held too much";
    }
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(p.finish(), FormError::None);
  EXPECT_TRUE(got == content);
}

TEST(MultipartStreaming, FixedSize) {
  // All state is in the object: the header buffer (twice the cap), the delimiter, its
  // 256-byte skip table, counters.
  std::printf("sizeof(MultipartParser) = %zu, sizeof(MultipartPart) = %zu\n",
              sizeof(MultipartParser), sizeof(MultipartPart));
  EXPECT_LE(sizeof(MultipartParser), 2u * VIPER_MULTIPART_HEADER_BYTES_CAP + 512u);
}
