// Asset pack reader (engine/static/asset_pack.h), the packer (tools/pack_assets.py) agreeing
// with it, and port::map_file.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "port/port.h"
#include "static/asset_pack.h"
#include "static/mime.h"

using viper::fs::AssetPack;
using viper::fs::PackEntry;

namespace {

// VIPER_CORPUS_DIR is <repo>/tests/engine/corpus/valid.
const std::string kPacker = std::string(VIPER_CORPUS_DIR) + "/../../../../tools/pack_assets.py";

void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++)
    s[at + i] = char(v >> (8 * i));
}

void append32(std::string& s, uint32_t v) {
  s.append(4, '\0');
  put32(s, s.size() - 4, v);
}

uint32_t get32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= uint32_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

// Recomputes the index checksum so that a deliberately corrupted index reaches the checks
// behind it.
void reseal(std::string& pack) {
  put32(pack, 20, 0);
  size_t n = std::min<size_t>(get32(pack, 12), pack.size());  // the size may be corrupt too
  put32(pack, 20, viper::fs::crc32(0, pack.data(), n));
}

struct Item {
  std::string path, type = "text/plain; charset=utf-8", etag = "\"0123456789abcdef\"";
  std::string data, gzip;
  int64_t mtime = 1700000000;
};

// An independent writer of format version 1, entries in the given order (not sorted here, so
// that tests can build bad packs).
std::string build(const std::vector<Item>& items) {
  const size_t table = viper::fs::kPackHeaderBytes + items.size() * viper::fs::kPackEntryBytes;
  std::string strings, blobs;
  std::vector<uint32_t> offs;  // 3 string offsets per item
  for (const Item& it : items) {
    for (const std::string* s : {&it.path, &it.type, &it.etag}) {
      offs.push_back(uint32_t(table + strings.size()));
      strings += *s;
    }
  }
  size_t index_size = (table + strings.size() + 3) & ~size_t(3);
  std::vector<uint32_t> data_offs, gzip_offs;
  for (const Item& it : items) {
    data_offs.push_back(uint32_t(index_size + blobs.size()));
    blobs += it.data;
    gzip_offs.push_back(it.gzip.empty() ? 0 : uint32_t(index_size + blobs.size()));
    blobs += it.gzip;
  }
  std::string p = "VPAK";
  for (uint32_t v : {1u, uint32_t(items.size()), uint32_t(index_size),
                     uint32_t(index_size + blobs.size()), 0u, 0u, 0u}) {
    append32(p, v);
  }
  for (size_t i = 0; i < items.size(); i++) {
    const Item& it = items[i];
    append32(p, offs[3 * i]);
    append32(p, uint32_t(it.path.size()));
    append32(p, offs[3 * i + 1]);
    append32(p, uint32_t(it.type.size()));
    append32(p, offs[3 * i + 2]);
    append32(p, uint32_t(it.etag.size()));
    append32(p, uint32_t(uint64_t(it.mtime)));
    append32(p, uint32_t(uint64_t(it.mtime) >> 32));
    append32(p, data_offs[i]);
    append32(p, uint32_t(it.data.size()));
    append32(p, gzip_offs[i]);
    append32(p, uint32_t(it.gzip.size()));
  }
  p += strings;
  p.resize(index_size, '\0');
  p += blobs;
  reseal(p);
  return p;
}

size_t entry_at(size_t i) {
  return viper::fs::kPackHeaderBytes + i * viper::fs::kPackEntryBytes;
}

bool inside(std::string_view v, const void* base, size_t size) {
  const char* b = static_cast<const char*>(base);
  return v.data() >= b && v.data() + v.size() <= b + size;
}

// What a successful open() promises: every view of every entry lies within the input.
void expect_all_within(const AssetPack& pack, const void* base, size_t size) {
  for (size_t i = 0; i < pack.size(); i++) {
    PackEntry e;
    ASSERT_TRUE(pack.entry(i, &e));
    for (std::string_view v : {e.path, e.content_type, e.etag, e.data, e.gzip}) {
      if (!v.empty()) {
        EXPECT_TRUE(inside(v, base, size)) << i;
      }
    }
    PackEntry found;
    EXPECT_TRUE(pack.find(e.path, &found));
    EXPECT_EQ(found.path.data(), e.path.data());
  }
}

std::vector<Item> sample_items() {
  std::vector<Item> items(4);
  items[0].path = "css/site.css";
  items[0].type = "text/css; charset=utf-8";
  items[0].data = "body{}";
  items[1].path = "index.html";
  items[1].type = "text/html; charset=utf-8";
  items[1].data = "<html>hello</html>";
  items[1].gzip = "\x1f\x8b-fake-gzip";
  items[2].path = "js/app.js";
  items[2].data = "";
  items[2].mtime = -5;
  items[3].path = "z\xc3\xa9.txt";
  items[3].data = "x";
  return items;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/viper_pack_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  void write(const std::string& rel, const std::string& content) const {
    std::string full = path + "/" + rel;
    std::system(("mkdir -p \"$(dirname '" + full + "')\"").c_str());
    std::ofstream(full, std::ios::binary) << content;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST(AssetPack, Crc32MatchesZlib) {
  EXPECT_EQ(viper::fs::crc32(0, "123456789", 9), 0xCBF43926u);
  EXPECT_EQ(viper::fs::crc32(viper::fs::crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
  EXPECT_EQ(viper::fs::crc32(0, "", 0), 0u);
}

TEST(AssetPack, PathRules) {
  for (const char* ok : {"a", "index.html", "css/site.css", "a/b/c.d", "..a", "a..b", "a/.b"})
    EXPECT_TRUE(viper::fs::pack_path_ok(ok)) << ok;
  for (std::string_view bad :
       std::vector<std::string_view>{"", "/", "/a", "a/", "a//b", "..", "../a", "a/..", "a/../b",
                                     ".", "./a", "a/./b", "a\\b", std::string_view("a\0b", 3)})
    EXPECT_FALSE(viper::fs::pack_path_ok(bad)) << bad;
}

TEST(AssetPack, RoundTrip) {
  std::string bytes = build(sample_items());
  AssetPack pack;
  ASSERT_EQ(pack.open(bytes.data(), bytes.size()), nullptr);
  ASSERT_EQ(pack.size(), 4u);
  EXPECT_EQ(pack.pack_bytes(), bytes.size());
  for (const Item& it : sample_items()) {
    PackEntry e;
    ASSERT_TRUE(pack.find(it.path, &e)) << it.path;
    EXPECT_EQ(e.path, it.path);
    EXPECT_EQ(e.content_type, it.type);
    EXPECT_EQ(e.etag, it.etag);
    EXPECT_EQ(e.data, it.data);
    EXPECT_EQ(e.gzip, it.gzip);
    EXPECT_EQ(e.mtime, it.mtime);
  }
  PackEntry e;
  for (const char* missing : {"", "/index.html", "index.htm", "index.html/", "css", "css/", "a",
                              "zz", "js/app.jsx", "\xff"})
    EXPECT_FALSE(pack.find(missing, &e)) << missing;
  EXPECT_TRUE(pack.entry(3, &e));
  EXPECT_FALSE(pack.entry(4, &e));
}

TEST(AssetPack, BinarySearchEdges) {
  // Sizes around powers of two so that every branch of the search ends at both extremes.
  for (size_t n : {1u, 2u, 3u, 7u, 8u, 9u, 64u, 257u}) {
    std::vector<Item> items(n);
    for (size_t i = 0; i < n; i++) {
      char name[16];
      std::snprintf(name, sizeof name, "f%05zu", 2 * i + 1);  // odd numbers: gaps between
      items[i].path = name;
      items[i].data = name;
    }
    std::string bytes = build(items);
    AssetPack pack;
    ASSERT_EQ(pack.open(bytes.data(), bytes.size()), nullptr);
    PackEntry e;
    for (size_t i = 0; i <= 2 * n + 1; i++) {
      char name[16];
      std::snprintf(name, sizeof name, "f%05zu", i);
      bool found = pack.find(name, &e);
      EXPECT_EQ(found, i % 2 == 1 && i < 2 * n + 1) << n << " " << name;
      if (found) {
        EXPECT_EQ(e.data, name);
      }
    }
    EXPECT_FALSE(pack.find("a", &e));  // before the first
    EXPECT_FALSE(pack.find("g", &e));  // after the last
    EXPECT_FALSE(pack.find("f", &e));  // prefix of all
    EXPECT_TRUE(pack.find(items.front().path, &e));
    EXPECT_TRUE(pack.find(items.back().path, &e));
  }
}

TEST(AssetPack, EmptyPackAndUnalignedBase) {
  std::string empty = build({});
  AssetPack pack;
  ASSERT_EQ(pack.open(empty.data(), empty.size()), nullptr);
  PackEntry e;
  EXPECT_EQ(pack.size(), 0u);
  EXPECT_FALSE(pack.find("index.html", &e));

  std::string bytes = build(sample_items());
  std::string shifted = "x" + bytes + "trailing bytes are ignored";
  ASSERT_EQ(pack.open(shifted.data() + 1, shifted.size() - 1), nullptr);
  ASSERT_TRUE(pack.find("index.html", &e));
  EXPECT_EQ(e.data, "<html>hello</html>");
  EXPECT_EQ(pack.pack_bytes(), bytes.size());
}

TEST(AssetPack, RejectsHeaderProblems) {
  std::string good = build(sample_items());
  AssetPack pack;
  EXPECT_STREQ(pack.open(nullptr, 0), "not an asset pack");
  EXPECT_STREQ(pack.open(good.data(), 31), "not an asset pack");
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_STREQ(pack.open(bad.data(), bad.size()), "not an asset pack");
  bad = good;
  put32(bad, 4, 2);
  EXPECT_STREQ(pack.open(bad.data(), bad.size()), "unsupported version");
  EXPECT_STREQ(pack.open(good.data(), good.size() - 1), "truncated pack");
  for (auto [field, value] : {std::pair<size_t, uint32_t>{8, 1000},
                              {12, 30},
                              {12, 2},
                              {24, 1},
                              {28, 1},
                              {16, uint32_t(entry_at(4))}}) {
    bad = good;
    put32(bad, field, value);
    reseal(bad);
    if (field == 16) bad.resize(value);  // pack shorter than its index
    EXPECT_STREQ(pack.open(bad.data(), bad.size()), "corrupt index") << field;
  }
  EXPECT_EQ(pack.size(), 0u);  // a failed open leaves the pack empty
}

TEST(AssetPack, ChecksumCatchesEveryIndexByte) {
  std::string good = build(sample_items());
  size_t index_size = get32(good, 12);
  AssetPack pack;
  for (size_t i = 0; i < index_size; i++) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ mask);
      EXPECT_NE(pack.open(bad.data(), bad.size()), nullptr) << i;
    }
  }
  // Data is not checksummed (it is served as is): a changed byte changes only the content.
  std::string changed = good;
  changed[index_size] ^= 1;
  EXPECT_EQ(pack.open(changed.data(), changed.size()), nullptr);
}

TEST(AssetPack, RejectsEveryTruncation) {
  std::string good = build(sample_items());
  AssetPack pack;
  for (size_t n = 0; n < good.size(); n++) {
    std::vector<char> copy(good.begin(), good.begin() + n);  // exact-size heap block for ASan
    if (pack.open(copy.data(), n) == nullptr) expect_all_within(pack, copy.data(), n);
    EXPECT_NE(pack.open(copy.data(), n), nullptr) << n;
  }
}

TEST(AssetPack, RejectsBadEntries) {
  AssetPack pack;
  auto with_paths = [](std::vector<std::string> paths) {
    std::vector<Item> items(paths.size());
    for (size_t i = 0; i < paths.size(); i++)
      items[i].path = paths[i];
    return build(items);
  };
  std::string p = with_paths({"b", "a"});
  EXPECT_STREQ(pack.open(p.data(), p.size()), "paths not sorted");
  p = with_paths({"a", "a"});
  EXPECT_STREQ(pack.open(p.data(), p.size()), "paths not sorted");
  p = with_paths({"a", "\xc3\xa9", "b"});  // bytewise: 0xc3 sorts after 'b'
  EXPECT_STREQ(pack.open(p.data(), p.size()), "paths not sorted");
  p = with_paths({"a", "b", "\xc3\xa9"});  // unsigned bytes, as Python sorts bytes
  EXPECT_EQ(pack.open(p.data(), p.size()), nullptr);
  PackEntry found;
  EXPECT_TRUE(pack.find("\xc3\xa9", &found));
  EXPECT_TRUE(pack.find("a", &found));
  for (const std::string& bad :
       std::vector<std::string>{"", "/a", "../etc/passwd", "a/../../b", "a//b", "a\\b",
                                std::string("a\0b", 3), "dir/"}) {
    p = with_paths({bad});
    EXPECT_STREQ(pack.open(p.data(), p.size()), "bad path in pack") << bad;
  }

  std::vector<Item> items = sample_items();
  items[0].type = "text/html\r\nX-Injected: 1";
  p = build(items);
  EXPECT_STREQ(pack.open(p.data(), p.size()), "corrupt index");
  items = sample_items();
  items[0].etag = "";
  p = build(items);
  EXPECT_STREQ(pack.open(p.data(), p.size()), "corrupt index");

  // Offsets and lengths pointing where they must not, each resealed past the checksum.
  std::string good = build(sample_items());
  uint32_t index_size = get32(good, 12), pack_size = get32(good, 16);
  uint32_t strings = uint32_t(entry_at(4));
  struct Case {
    size_t field;  // within entry 1
    uint32_t value;
  } cases[] = {
      {0, strings - 1},      // path inside the entry table
      {0, index_size},       // path in the data area
      {4, 0xffffffffu},      // path length wraps
      {12, index_size},      // content type runs past the index
      {16, 0},               // etag in the header
      {32, index_size - 1},  // data inside the index
      {36, pack_size},       // data past the end
      {32, 0xfffffff0u},     // data offset near the top
      {40, 0},               // gzip offset in the header
      {44, pack_size},       // gzip past the end
  };
  for (const Case& c : cases) {
    std::string bad = good;
    put32(bad, entry_at(1) + c.field, c.value);
    reseal(bad);
    EXPECT_STREQ(pack.open(bad.data(), bad.size()), "corrupt index") << c.field << "=" << c.value;
  }
  std::string bad = good;
  put32(bad, entry_at(0) + 40, 8);  // a gzip offset without a gzip length
  reseal(bad);
  EXPECT_STREQ(pack.open(bad.data(), bad.size()), "corrupt index");
}

TEST(AssetPack, ResealedRandomCorruptionStaysInBounds) {
  std::string good = build(sample_items());
  size_t index_size = get32(good, 12);
  std::mt19937 rng(12345);
  AssetPack pack;
  int opened = 0;
  for (int round = 0; round < 20000; round++) {
    std::vector<char> bad(good.begin(), good.end());
    int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; k++)
      bad[rng() % index_size] = char(rng());
    std::string sealed(bad.begin(), bad.end());
    reseal(sealed);
    std::copy(sealed.begin(), sealed.end(), bad.begin());
    if (pack.open(bad.data(), bad.size()) == nullptr) {
      opened++;
      expect_all_within(pack, bad.data(), bad.size());
    }
  }
  EXPECT_GT(opened, 0);  // some mutations (an mtime, a string's bytes) are harmless
}

TEST(AssetPack, AgreesWithThePacker) {
  TempDir src;
  std::string html = "<!doctype html>";
  for (int i = 0; i < 100; i++)
    html += "<p>hello asset pack</p>\n";
  src.write("index.html", html);
  src.write("css/site.css", "body { color: red }\n");
  src.write("js/app.js", "console.log(1)\n");
  src.write("copy.html", html);
  src.write("empty.txt", "");
  src.write("data/x.json", "{}");
  src.write(".hidden", "secret");
  src.write(".git/config", "secret");
  std::string random(300, '\0');
  std::mt19937 rng(7);
  for (char& c : random)
    c = char(rng());
  src.write("img/logo.png", random);

  TempDir out;
  std::string vpak = out.path + "/site.vpak";
  std::string cmd = "/usr/bin/python3 '" + kPacker + "' '" + src.path + "' '" + vpak +
                    "' --mtime 1700000000 >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  size_t size = 0;
  const void* map = viper::port::map_file(vpak.c_str(), &size);
  ASSERT_NE(map, nullptr);
  AssetPack pack;
  ASSERT_EQ(pack.open(map, size), nullptr);
  EXPECT_EQ(pack.size(), 7u);

  const char* expected[][2] = {
      {"copy.html", "text/html; charset=utf-8"},
      {"css/site.css", "text/css; charset=utf-8"},
      {"data/x.json", "application/json"},
      {"empty.txt", "text/plain; charset=utf-8"},
      {"img/logo.png", "image/png"},
      {"index.html", "text/html; charset=utf-8"},
      {"js/app.js", "text/javascript; charset=utf-8"},
  };
  for (size_t i = 0; i < pack.size(); i++) {
    PackEntry e;
    ASSERT_TRUE(pack.entry(i, &e));
    EXPECT_EQ(e.path, expected[i][0]);
    EXPECT_EQ(e.content_type, expected[i][1]) << e.path;
    EXPECT_EQ(e.content_type, viper::fs::mime_for_path(e.path));  // as served from a directory
    EXPECT_EQ(e.data, read_file(src.path + "/" + std::string(e.path))) << e.path;
    EXPECT_EQ(e.mtime, 1700000000);
    ASSERT_EQ(e.etag.size(), 18u);
    EXPECT_EQ(e.etag.front(), '"');
    EXPECT_EQ(e.etag.back(), '"');
    EXPECT_EQ(e.etag.find_first_not_of("0123456789abcdef", 1), 17u);
  }
  PackEntry index, copy, png;
  ASSERT_TRUE(pack.find("index.html", &index));
  ASSERT_TRUE(pack.find("copy.html", &copy));
  ASSERT_TRUE(pack.find("img/logo.png", &png));
  EXPECT_EQ(index.etag, copy.etag);                // same content, same tag
  EXPECT_EQ(index.data.data(), copy.data.data());  // and stored once
  EXPECT_NE(index.etag, png.etag);
  ASSERT_FALSE(index.gzip.empty());
  EXPECT_LT(index.gzip.size(), index.data.size());
  EXPECT_EQ(index.gzip.substr(0, 2), "\x1f\x8b");
  EXPECT_TRUE(png.gzip.empty());  // incompressible: no variant
  PackEntry e;
  EXPECT_FALSE(pack.find(".hidden", &e));
  EXPECT_FALSE(pack.find(".git/config", &e));
  viper::port::unmap_file(map, size);
}

TEST(AssetPack, PackerRefusesSymlinkOutside) {
  TempDir src, out;
  src.write("index.html", "x");
  ASSERT_EQ(symlink("/etc/passwd", (src.path + "/passwd").c_str()), 0);
  std::string cmd = "/usr/bin/python3 '" + kPacker + "' '" + src.path + "' '" + out.path +
                    "/p.vpak' >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

TEST(MapFile, MapsRegularFiles) {
  TempDir dir;
  std::string content(10000, 'q');
  content[9999] = 'z';
  dir.write("f.bin", content);
  dir.write("empty", "");

  size_t size = 0;
  const void* p = viper::port::map_file((dir.path + "/f.bin").c_str(), &size);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(size, content.size());
  EXPECT_EQ(std::memcmp(p, content.data(), size), 0);
  viper::port::unmap_file(p, size);

  size = 123;
  p = viper::port::map_file((dir.path + "/empty").c_str(), &size);
  EXPECT_NE(p, nullptr);
  EXPECT_EQ(size, 0u);
  viper::port::unmap_file(p, size);

  errno = 0;
  EXPECT_EQ(viper::port::map_file((dir.path + "/missing").c_str(), &size), nullptr);
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_EQ(viper::port::map_file(dir.path.c_str(), &size), nullptr);
  EXPECT_EQ(errno, EISDIR);
  viper::port::unmap_file(nullptr, 0);

  // The descriptor is closed right after mapping: the lowest free descriptor stays the same.
  int before = open("/dev/null", O_RDONLY);
  close(before);
  for (int i = 0; i < 50; i++) {
    p = viper::port::map_file((dir.path + "/f.bin").c_str(), &size);
    ASSERT_NE(p, nullptr);
    viper::port::unmap_file(p, size);
  }
  int after = open("/dev/null", O_RDONLY);
  EXPECT_EQ(before, after) << "descriptor leak";
  close(after);
}
