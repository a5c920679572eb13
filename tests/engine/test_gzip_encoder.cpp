#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "http/gzip_encoder.h"
#include "mem/allocator.h"
#include "viper/config.h"

using namespace viper::http;

namespace {

// Inflates one gzip member with zlib itself (windowBits 31: gzip wrapper only).
bool gunzip(const char* data, size_t n, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, 31) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = uInt(n);
  out->clear();
  char buf[16384];
  int ret;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    ret = inflate(&z, Z_NO_FLUSH);
    out->append(buf, sizeof buf - z.avail_out);
  } while (ret == Z_OK);
  bool ok = ret == Z_STREAM_END && z.avail_in == 0;  // exactly one member, nothing after it
  inflateEnd(&z);
  return ok;
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = char(rng());
  return s;
}

std::string text(size_t n) {
  static const char kWords[] =
      "{\"id\": 42, \"name\": \"viper\", \"tags\": [\"http\", \"esp32\"]}\n";
  std::string s;
  while (s.size() < n)
    s += kWords;
  s.resize(n);
  return s;
}

// zlib's conservative deflateBound for any memLevel/windowBits, plus the gzip wrapper: with a
// small memLevel, incompressible data goes out in short stored blocks.
size_t bound(size_t n) {
  return n + ((n + 7) >> 3) + ((n + 63) >> 6) + 5 + 18;
}

std::string gzip(GzipEncoder& enc, const std::string& in) {
  std::vector<char> out(bound(in.size()));
  size_t n = enc.compress(in, out.data(), out.size());
  return std::string(out.data(), n);
}

}  // namespace

// The profile's zlib settings (config.h; the server uses these): 15/8 on the host, 11/4 on the
// device, where 15/8 (268 KB) would exceed the whole memory budget.
constexpr int kWindowBits = VIPER_GZIP_WINDOW_BITS;
constexpr int kMemLevel = VIPER_GZIP_MEM_LEVEL;

TEST(GzipEncoder, RoundTripsThroughInflate) {
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(6, kWindowBits, kMemLevel));
  const std::string inputs[] = {
      "", "x", text(1000), random_bytes(5000, 1), text(65536), random_bytes(65536, 2)};
  for (const auto& in : inputs) {
    std::string gz = gzip(enc, in);
    ASSERT_GE(gz.size(), 18u) << in.size();
    std::string back;
    ASSERT_TRUE(gunzip(gz.data(), gz.size(), &back)) << in.size();
    EXPECT_EQ(back, in);
  }
  EXPECT_LT(gzip(enc, text(65536)).size(), 2000u);  // text does compress
  enc.destroy();
}

TEST(GzipEncoder, SmallSettingsRoundTrip) {
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(1, 9, 1));
  for (const auto& in : {text(65536), random_bytes(20000, 3), std::string("a")}) {
    std::string back;
    std::string gz = gzip(enc, in);
    ASSERT_TRUE(gunzip(gz.data(), gz.size(), &back));
    EXPECT_EQ(back, in);
  }
  enc.destroy();
}

TEST(GzipEncoder, HeaderIsFixedAndOutputDeterministic) {
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(6, 12, 4));
  std::string in = text(3000);
  std::string a = gzip(enc, in);
  gzip(enc, random_bytes(4000, 9));  // something else in between
  std::string b = gzip(enc, in);
  EXPECT_EQ(a, b);
  ASSERT_GE(a.size(), 10u);
  const unsigned char want[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};  // deflate, no
  for (int i = 0; i < 10; i++)
    EXPECT_EQ((unsigned char)a[i], want[i]) << i;  // flags, mtime 0
  // A second encoder with the same settings gives the same bytes.
  GzipEncoder other;
  ASSERT_TRUE(other.init(6, 12, 4));
  EXPECT_EQ(gzip(other, in), a);
  // The empty body is the 20-byte empty member.
  std::string e = gzip(enc, "");
  EXPECT_EQ(e.size(), 20u);
  other.destroy();
  enc.destroy();
}

TEST(GzipEncoder, TooSmallCapReturnsZeroAndEncoderStillWorks) {
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(6, 10, 2));
  std::string in = random_bytes(4000, 4);
  std::string full = gzip(enc, in);
  ASSERT_GT(full.size(), in.size());  // incompressible data grows a little
  std::vector<char> out(full.size());
  EXPECT_EQ(enc.compress(in, out.data(), full.size() - 1), 0u);
  EXPECT_EQ(enc.compress(in, out.data(), 10), 0u);
  EXPECT_EQ(enc.compress(in, out.data(), 0), 0u);
  EXPECT_EQ(enc.compress("", out.data(), 19), 0u);
  EXPECT_EQ(enc.compress(in, out.data(), out.size()), full.size());  // exactly enough is enough
  EXPECT_EQ(std::string(out.data(), full.size()), full);
  EXPECT_EQ(gzip(enc, text(500)), [&] {
    GzipEncoder fresh;
    fresh.init(6, 10, 2);
    std::string r = gzip(fresh, text(500));
    fresh.destroy();
    return r;
  }());
  enc.destroy();
}

TEST(GzipEncoder, NoAllocationAfterInit) {
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(6, 11, 3));
  std::string small = text(700), big = text(40000), noise = random_bytes(3000, 5);
  std::vector<char> out(bound(big.size()));
  std::vector<char> tiny(16);
  auto before = viper::mem::stats();
  for (int i = 0; i < 1000; i++) {
    const std::string& in = i % 3 == 0 ? small : i % 3 == 1 ? big : noise;
    ASSERT_GT(enc.compress(in, out.data(), out.size()), 0u);
    ASSERT_EQ(enc.compress(in, tiny.data(), tiny.size()), 0u);
  }
  auto after = viper::mem::stats();
  EXPECT_EQ(after.allocations, before.allocations);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  enc.destroy();
}

TEST(GzipEncoder, MemoryForSmallAndLargeSettings) {
  auto base = viper::mem::stats().bytes_in_use;
  GzipEncoder small, large;
  ASSERT_TRUE(small.init(6, 9, 1));
  size_t small_bytes = small.memory_bytes();
  EXPECT_EQ(viper::mem::stats().bytes_in_use - base, small_bytes);
  ASSERT_TRUE(large.init(6, kWindowBits, kMemLevel));
  size_t large_bytes = large.memory_bytes();
  std::printf(
      "gzip encoder memory: window_bits 9 / mem_level 1: %zu bytes; "
      "window_bits %d / mem_level %d: %zu bytes\n",
      small_bytes, kWindowBits, kMemLevel, large_bytes);
  // The rule of thumb in config.h, plus zlib's state of a few KB.
  EXPECT_GE(small_bytes, (1u << 11) + (1u << 10));
  EXPECT_LT(small_bytes, (1u << 11) + (1u << 10) + 8192);
  const size_t rule = (size_t(1) << (kWindowBits + 2)) + (size_t(1) << (kMemLevel + 9));
  EXPECT_GE(large_bytes, rule);
  EXPECT_LT(large_bytes, rule + 8192);
  EXPECT_GT(large_bytes, small_bytes);
  small.destroy();
  large.destroy();
  EXPECT_EQ(small.memory_bytes(), 0u);
  EXPECT_EQ(viper::mem::stats().bytes_in_use, base);  // destroy gives everything back
}

TEST(GzipEncoder, BadArgumentsFail) {
  GzipEncoder enc;
  auto base = viper::mem::stats().bytes_in_use;
  EXPECT_FALSE(enc.init(0, 15, 8));
  EXPECT_FALSE(enc.init(10, 15, 8));
  EXPECT_FALSE(enc.init(6, 8, 8));
  EXPECT_FALSE(enc.init(6, 16, 8));
  EXPECT_FALSE(enc.init(6, 15, 0));
  EXPECT_FALSE(enc.init(6, 15, 10));
  EXPECT_FALSE(enc.init(-1, -15, 8));
  EXPECT_FALSE(enc.ready());
  EXPECT_EQ(viper::mem::stats().bytes_in_use, base);
  char out[64];
  EXPECT_EQ(enc.compress("abc", out, sizeof out), 0u);  // not ready: nothing, no crash
  enc.destroy();                                        // harmless
}

TEST(GzipEncoder, InitUnderTightBudgetFailsCleanly) {
  auto s = viper::mem::stats();
  GzipEncoder enc;
  // Budget 0 would mean unlimited, hence room >= 1.  With 8000 bytes of room zlib gets its
  // state but not its window: deflateInit2 fails half-way and must give the state back.
  for (uint64_t room : {uint64_t(1), uint64_t(100), uint64_t(8000), uint64_t(200000)}) {
    viper::mem::set_budget(s.bytes_in_use + room);
    EXPECT_FALSE(enc.init(6, 15, 8)) << room;
    EXPECT_FALSE(enc.ready());
    EXPECT_EQ(viper::mem::stats().bytes_in_use, s.bytes_in_use) << room;  // nothing leaked
  }
  viper::mem::set_budget(s.bytes_in_use + 20000);
  EXPECT_TRUE(enc.init(6, 9, 1));  // the small setting fits where the large one did not
  viper::mem::set_budget(s.budget);
  EXPECT_GT(viper::mem::stats().refused, s.refused);
  std::string back, gz = gzip(enc, text(9000));
  ASSERT_TRUE(gunzip(gz.data(), gz.size(), &back));
  EXPECT_EQ(back, text(9000));
  enc.destroy();
}

TEST(GzipEncoder, ReinitReplacesTheStream) {
  auto base = viper::mem::stats().bytes_in_use;
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(6, kWindowBits, kMemLevel));
  ASSERT_TRUE(enc.init(1, 9, 1));
  EXPECT_EQ(viper::mem::stats().bytes_in_use - base, enc.memory_bytes());
  enc.destroy();
  EXPECT_EQ(viper::mem::stats().bytes_in_use, base);
}

// Other gzip readers accept the output: Python's gzip module and gzip -t.
TEST(GzipEncoder, PythonAndGzipToolAcceptOutput) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  GzipEncoder enc;
  ASSERT_TRUE(enc.init(9, 13, 5));
  std::string in = text(30000) + random_bytes(1000, 6);
  std::string gz = gzip(enc, in);
  enc.destroy();
  char dir[] = "/tmp/viper_gzip_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string gz_path = std::string(dir) + "/body.gz", raw_path = std::string(dir) + "/body";
  for (auto [path, data] : {std::pair{gz_path, gz}, std::pair{raw_path, in}}) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
    std::fclose(f);
  }
  std::string py =
      "/usr/bin/python3 -c \"import gzip,sys; "
      "sys.exit(gzip.decompress(open(sys.argv[1],'rb').read()) != "
      "open(sys.argv[2],'rb').read())\" " +
      gz_path + " " + raw_path;
  EXPECT_EQ(std::system(py.c_str()), 0);
  if (access("/usr/bin/gzip", X_OK) == 0 || access("/bin/gzip", X_OK) == 0) {
    EXPECT_EQ(std::system(("gzip -t " + gz_path).c_str()), 0);
  }
  std::remove(gz_path.c_str());
  std::remove(raw_path.c_str());
  rmdir(dir);
}

TEST(GzipAllowed, SkipsEncodedStreamsAndCompressedTypes) {
  EXPECT_TRUE(gzip_allowed("text/html; charset=utf-8", ""));
  EXPECT_TRUE(gzip_allowed("application/json", "X-Request-Id: 7\r\n"));
  EXPECT_TRUE(gzip_allowed("image/svg+xml", ""));
  EXPECT_TRUE(gzip_allowed("IMAGE/SVG+XML; charset=utf-8", ""));
  EXPECT_TRUE(gzip_allowed("text/css", ""));
  EXPECT_TRUE(gzip_allowed("application/javascript", ""));
  EXPECT_TRUE(gzip_allowed("", ""));                    // no type: compress, as Starlette does
  EXPECT_TRUE(gzip_allowed("application/zipper", ""));  // whole names only
  EXPECT_TRUE(gzip_allowed("text/plain", "X-Content-Encoding: br\r\n"));
  EXPECT_TRUE(gzip_allowed("text/plain", "X-Note: content-encoding: gzip\r\n"));

  EXPECT_FALSE(gzip_allowed("text/plain", "Content-Encoding: br\r\n"));
  EXPECT_FALSE(gzip_allowed("text/plain", "X-A: 1\r\ncontent-ENCODING: identity\r\nX-B: 2\r\n"));
  EXPECT_FALSE(gzip_allowed("text/plain", "Content-Encoding:gzip"));  // last line, no CRLF
  EXPECT_FALSE(gzip_allowed("text/event-stream", ""));
  EXPECT_FALSE(gzip_allowed("Text/Event-Stream; charset=utf-8", ""));
  for (const char* t : {"image/png",
                        "image/jpeg",
                        "image/webp",
                        "image/gif",
                        "video/mp4",
                        "audio/mpeg",
                        "font/woff",
                        "font/woff2",
                        "application/font-woff",
                        "application/zip",
                        "application/gzip",
                        "application/x-gzip",
                        "application/zstd",
                        "application/x-bzip2",
                        "application/x-xz",
                        "application/x-7z-compressed",
                        "application/vnd.rar",
                        "application/x-rar-compressed",
                        "application/octet-stream",
                        " application/octet-stream ; x=1"})
    EXPECT_FALSE(gzip_allowed(t, "")) << t;
}
