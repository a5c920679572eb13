#include "tmpl/store.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "port/port.h"
#include "static/asset_pack.h"
#include "tmpl/program.h"

namespace viper::tmpl {

namespace {

struct Entry {
  char* name;  // owned copy
  uint16_t name_len;
  void* program;  // owned
  uint32_t bytes;
  uint32_t pins;
  uint64_t last_use;
  bool stale;  // replaced or cleared while pinned: freed at the last unpin
};

}  // namespace

struct TemplateStore::Impl final : SourceLoader {
  TemplateStore* owner = nullptr;
  int root_fd = -1;
  char* root = nullptr;
  const void* map = nullptr;
  size_t map_size = 0;
  fs::AssetPack pack;
  char prefix[128] = {};
  size_t prefix_len = 0;
  Entry* entries = nullptr;
  uint32_t num_entries = 0;
  Slot* slots = nullptr;
  uint8_t* slot_mem = nullptr;
  size_t slot_bytes = 0;
  uint64_t clock = 0;
  uint32_t serial = 0;
  uint64_t used = 0;

  // --- SourceLoader ---
  LoadStatus load(std::string_view name, Source* out) override;
  void release(Source* s) override { mem::release(s->handle); }

  bool pack_lookup(std::string_view name, fs::PackEntry* e) const;
  bool up_to_date(const Program& p) const;
  void free_entry(uint32_t i);
  bool evict_one();
  bool walk(char* path, size_t len, int depth, bool (*fn)(void*, std::string_view), void* user);
};

bool TemplateStore::Impl::pack_lookup(std::string_view name, fs::PackEntry* e) const {
  char full[512];
  if (prefix_len + 1 + name.size() > sizeof full) return false;
  size_t n = 0;
  if (prefix_len) {
    std::memcpy(full, prefix, prefix_len);
    full[prefix_len] = '/';
    n = prefix_len + 1;
  }
  std::memcpy(full + n, name.data(), name.size());
  return pack.find(std::string_view(full, n + name.size()), e);
}

LoadStatus TemplateStore::Impl::load(std::string_view name, Source* out) {
  if (!template_name_ok(name)) return LoadStatus::BadName;
  const StoreOptions& o = owner->opt_;
  if (o.kind == StoreOptions::Kind::Pack) {
    fs::PackEntry e;
    if (!pack_lookup(name, &e)) return LoadStatus::NotFound;
    if (e.data.size() > o.max_template_bytes) return LoadStatus::TooLarge;
    out->text = e.data;
    out->size = e.data.size();
    out->mtime_ns = e.mtime * 1000000000;
    out->handle = nullptr;
    return LoadStatus::Ok;
  }
  if (o.kind != StoreOptions::Kind::Directory) return LoadStatus::NotFound;
  char rel[260];
  std::memcpy(rel, name.data(), name.size());
  rel[name.size()] = 0;
  int fd = port::open_beneath(root_fd, root, rel);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR || errno == EXDEV ? LoadStatus::NotFound
                                                                 : LoadStatus::Error;
  uint64_t size = 0;
  int64_t mtime = 0;
  bool is_dir = false;
  if (!port::stat_fd(fd, &size, &mtime, &is_dir) || is_dir) {
    ::close(fd);
    return LoadStatus::NotFound;
  }
  if (size > o.max_template_bytes) {
    ::close(fd);
    return LoadStatus::TooLarge;
  }
  auto* buf = static_cast<char*>(mem::alloc(size_t(size) + 1));
  if (buf == nullptr) {
    ::close(fd);
    return LoadStatus::Error;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = ::read(fd, buf + got, size_t(size) - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += size_t(r);
  }
  ::close(fd);
  if (got != size) {
    mem::release(buf);
    return LoadStatus::Error;
  }
  out->text = std::string_view(buf, got);
  out->size = size;
  out->mtime_ns = mtime;
  out->handle = buf;
  return LoadStatus::Ok;
}

bool TemplateStore::Impl::up_to_date(const Program& p) const {
  const StoreOptions& o = owner->opt_;
  if (o.kind != StoreOptions::Kind::Directory || !o.auto_reload) return true;
  for (size_t i = 0; i < p.num_deps(); i++) {
    const DepEntry& d = p.dep(i);
    std::string_view n = p.dep_name(i);
    char rel[260];
    if (n.size() >= sizeof rel) return false;
    std::memcpy(rel, n.data(), n.size());
    rel[n.size()] = 0;
    uint64_t size = 0;
    int64_t mtime = 0;
    bool exists = port::stat_beneath(root_fd, root, rel, &size, &mtime);
    if (exists != (d.present != 0)) return false;
    if (exists && (size != d.size || mtime != d.mtime_ns)) return false;
  }
  return true;
}

void TemplateStore::Impl::free_entry(uint32_t i) {
  Entry& e = entries[i];
  used -= e.bytes;
  mem::release(e.program);
  mem::release(e.name);
  entries[i] = entries[--num_entries];
}

bool TemplateStore::Impl::evict_one() {
  int best = -1;
  for (uint32_t i = 0; i < num_entries; i++) {
    if (entries[i].pins != 0 || entries[i].stale) continue;
    if (best < 0 || entries[i].last_use < entries[best].last_use) best = int(i);
  }
  if (best < 0) return false;
  free_entry(uint32_t(best));
  owner->stats_.evictions++;
  return true;
}

TemplateStore* TemplateStore::create(const StoreOptions& o, const char** error) {
  auto* mem_s = mem::alloc(sizeof(TemplateStore));
  auto* mem_i = mem::alloc(sizeof(Impl));
  if (mem_s == nullptr || mem_i == nullptr) {
    mem::release(mem_s);
    mem::release(mem_i);
    *error = "out of memory for the template store";
    return nullptr;
  }
  auto* s = new (mem_s) TemplateStore();
  s->opt_ = o;
  // what a render slot can run is what the compiler may produce
  s->opt_.compile.max_stack = o.caps.stack;
  s->opt_.compile.max_loop_nesting = o.caps.loops;
  s->impl_ = new (mem_i) Impl();
  Impl& im = *s->impl_;
  im.owner = s;
  if (o.prefix.size() >= sizeof im.prefix) {
    *error = "pack prefix too long";
    destroy(s);
    return nullptr;
  }
  std::string_view pre = o.prefix;
  while (!pre.empty() && pre.back() == '/')
    pre.remove_suffix(1);
  while (!pre.empty() && pre.front() == '/')
    pre.remove_prefix(1);
  if (!pre.empty()) std::memcpy(im.prefix, pre.data(), pre.size());
  im.prefix_len = pre.size();
  s->opt_.prefix = std::string_view(im.prefix, im.prefix_len);
  if (o.kind != StoreOptions::Kind::None) {
    size_t n = std::strlen(o.source);
    im.root = static_cast<char*>(mem::alloc(n + 1));
    if (im.root == nullptr) {
      *error = "out of memory for the template store";
      destroy(s);
      return nullptr;
    }
    std::memcpy(im.root, o.source, n + 1);
    s->opt_.source = im.root;
  }
  if (o.kind == StoreOptions::Kind::Directory) {
    // open_root gives a descriptor on Linux and -1 on the ESP32 (which joins paths instead);
    // opendir answers "is it a directory" on both.
    DIR* d = ::opendir(im.root);
    if (d == nullptr) {
      *error = "templates directory cannot be opened";
      destroy(s);
      return nullptr;
    }
    ::closedir(d);
    im.root_fd = port::open_root(im.root);
  } else if (o.kind == StoreOptions::Kind::Pack) {
    im.map = port::map_file(im.root, &im.map_size);
    const char* why =
        im.map == nullptr ? "pack cannot be opened" : im.pack.open(im.map, im.map_size);
    if (why != nullptr) {
      *error = why;
      destroy(s);
      return nullptr;
    }
  }
  im.entries = mem::alloc_array<Entry>(o.max_cached ? o.max_cached : 1);
  im.slot_bytes =
      ((render_memory(o.caps) + 63) & ~size_t(63)) + ((o.context_bytes + 63) & ~size_t(63));
  im.slots = mem::alloc_array<Slot>(o.render_slots ? o.render_slots : 1);
  im.slot_mem = static_cast<uint8_t*>(mem::alloc(im.slot_bytes * o.render_slots));
  if (im.entries == nullptr || im.slots == nullptr || (o.render_slots && im.slot_mem == nullptr)) {
    *error = "out of memory for the template render slots";
    destroy(s);
    return nullptr;
  }
  for (uint16_t i = 0; i < o.render_slots; i++) {
    uint8_t* base = im.slot_mem + im.slot_bytes * i;
    im.slots[i] = Slot{base, base + ((render_memory(o.caps) + 63) & ~size_t(63)), false};
  }
  return s;
}

void TemplateStore::destroy(TemplateStore* s) {
  if (s == nullptr) return;
  if (Impl* im = s->impl_) {
    while (im->num_entries > 0)
      im->free_entry(im->num_entries - 1);
    mem::release(im->entries);
    mem::release(im->slots);
    mem::release(im->slot_mem);
    if (im->root_fd >= 0) ::close(im->root_fd);
    if (im->map != nullptr) port::unmap_file(im->map, im->map_size);
    mem::release(im->root);
    im->~Impl();
    mem::release(im);
  }
  s->~TemplateStore();
  mem::release(s);
}

const void* TemplateStore::acquire(std::string_view name, CompileError* err) {
  Impl& im = *impl_;
  for (uint32_t i = 0; i < im.num_entries; i++) {
    Entry& e = im.entries[i];
    if (e.stale || std::string_view(e.name, e.name_len) != name) continue;
    if (!im.up_to_date(Program(e.program))) {
      stats_.reloads++;
      if (e.pins == 0)
        im.free_entry(i);
      else
        e.stale = true;
      break;
    }
    stats_.hits++;
    e.pins++;
    e.last_use = ++im.clock;
    return e.program;
  }
  if (name.size() > 255 || !template_name_ok(name)) {
    err->not_found = true;  // as Jinja's loaders: TemplateNotFound
    std::snprintf(err->message, sizeof err->message, "invalid template name");
    std::snprintf(err->template_name, sizeof err->template_name, "%.*s",
                  int(name.size() > 100 ? 100 : name.size()), name.data());
    stats_.compile_errors++;
    return nullptr;
  }
  void* p = compile(name, &im, opt_.compile, err);
  if (p == nullptr) {
    stats_.compile_errors++;
    return nullptr;
  }
  stats_.compiles++;
  auto bytes = uint32_t(Program(p).bytes() + name.size());
  while ((im.used + bytes > opt_.cache_bytes || im.num_entries >= opt_.max_cached) &&
         im.evict_one()) {
  }
  if (im.used + bytes > opt_.cache_bytes || im.num_entries >= opt_.max_cached) {
    std::snprintf(err->message, sizeof err->message,
                  bytes > opt_.cache_bytes
                      ? "compiled template of %u bytes does not fit cache_bytes (%u)"
                      : "template cache full (%u bytes needed; %u in use by renders)",
                  unsigned(bytes), unsigned(bytes > opt_.cache_bytes ? opt_.cache_bytes : im.used));
    std::snprintf(err->template_name, sizeof err->template_name, "%.*s",
                  int(name.size() > 100 ? 100 : name.size()), name.data());
    err->line = err->column = 0;
    mem::release(p);
    stats_.compile_errors++;
    return nullptr;
  }
  auto* n = static_cast<char*>(mem::alloc(name.size() + 1));
  if (n == nullptr) {
    mem::release(p);
    std::snprintf(err->message, sizeof err->message, "out of memory");
    return nullptr;
  }
  std::memcpy(n, name.data(), name.size());
  reinterpret_cast<ProgramHeader*>(p)->serial = ++im.serial;
  im.entries[im.num_entries++] = Entry{n, uint16_t(name.size()), p, bytes, 1, ++im.clock, false};
  im.used += bytes;
  return p;
}

void TemplateStore::unpin(const void* program) {
  Impl& im = *impl_;
  for (uint32_t i = 0; i < im.num_entries; i++) {
    Entry& e = im.entries[i];
    if (e.program != program) continue;
    if (e.pins > 0) e.pins--;
    if (e.pins == 0 && e.stale) im.free_entry(i);
    return;
  }
}

void TemplateStore::clear(std::string_view name) {
  Impl& im = *impl_;
  for (uint32_t i = im.num_entries; i > 0; i--) {
    Entry& e = im.entries[i - 1];
    if (!name.empty() && std::string_view(e.name, e.name_len) != name) continue;
    if (e.pins == 0)
      im.free_entry(i - 1);
    else
      e.stale = true;
  }
}

TemplateStore::Slot* TemplateStore::take_slot() {
  for (uint16_t i = 0; i < opt_.render_slots; i++) {
    if (!impl_->slots[i].busy) {
      impl_->slots[i].busy = true;
      return &impl_->slots[i];
    }
  }
  return nullptr;
}

void TemplateStore::give_slot(Slot* s) {
  if (s != nullptr) s->busy = false;
}

bool TemplateStore::Impl::walk(char* path, size_t len, int depth,
                               bool (*fn)(void*, std::string_view), void* user) {
  if (depth > 8) return true;
  char full[600];
  int n = std::snprintf(full, sizeof full, "%s%s%.*s", root, len ? "/" : "", int(len), path);
  if (n < 0 || size_t(n) >= sizeof full) return true;
  DIR* d = ::opendir(full);
  if (d == nullptr) return true;
  bool go = true;
  while (go) {
    dirent* de = ::readdir(d);
    if (de == nullptr) break;
    const char* nm = de->d_name;
    if (nm[0] == '.') continue;
    size_t nl = std::strlen(nm);
    if (len + 1 + nl >= 256) continue;
    size_t at = len;
    if (len) path[at++] = '/';
    std::memcpy(path + at, nm, nl + 1);
    uint64_t size;
    int64_t mtime;
    if (port::stat_beneath(root_fd, root, path, &size, &mtime))
      go = fn(user, std::string_view(path, at + nl));
    else
      go = walk(path, at + nl, depth + 1, fn, user);
    path[len] = 0;
  }
  ::closedir(d);
  return go;
}

void TemplateStore::for_each_name(bool (*fn)(void* user, std::string_view name), void* user) {
  Impl& im = *impl_;
  if (opt_.kind == StoreOptions::Kind::Directory) {
    char path[260] = {};
    im.walk(path, 0, 0, fn, user);
  } else if (opt_.kind == StoreOptions::Kind::Pack) {
    fs::PackEntry e;
    for (size_t i = 0; i < im.pack.size(); i++) {
      if (!im.pack.entry(i, &e)) continue;
      std::string_view p = e.path;
      if (im.prefix_len) {
        if (p.size() <= im.prefix_len + 1 || p.substr(0, im.prefix_len) != opt_.prefix ||
            p[im.prefix_len] != '/')
          continue;
        p.remove_prefix(im.prefix_len + 1);
      }
      if (!fn(user, p)) return;
    }
  }
}

void TemplateStore::count_render(const Render* r) {
  stats_.renders++;
  if (render_status(r) == RenderStatus::Error) stats_.render_errors++;
  if (render_context_bytes(r) > stats_.context_peak) stats_.context_peak = render_context_bytes(r);
  if (render_scratch_peak(r) > stats_.scratch_peak) stats_.scratch_peak = render_scratch_peak(r);
}

SourceLoader* TemplateStore::loader() {
  return impl_;
}

StoreStats TemplateStore::stats() const {
  StoreStats s = stats_;
  s.cache_bytes_used = impl_->used;
  s.cached = impl_->num_entries;
  s.pinned = 0;
  for (uint32_t i = 0; i < impl_->num_entries; i++)
    s.pinned += impl_->entries[i].pins > 0;
  s.slot_bytes = impl_->slot_bytes * opt_.render_slots;
  return s;
}

}  // namespace viper::tmpl
