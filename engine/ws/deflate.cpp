#include "ws/deflate.h"

#define ZLIB_CONST  // next_in is const: input is only read
#include <zlib.h>

#include <climits>
#include <cstring>
#include <new>

#include "mem/allocator.h"

namespace viper::ws {

namespace {

// zlib's allocations for one stream, carved from a block taken once.  Nothing is freed
// individually: start() ends the stream and begins again at the start of the block.
struct Arena {
  uint8_t* base = nullptr;
  size_t size = 0;
  size_t used = 0;
};

constexpr size_t kAlign = 16;

size_t round_up(size_t n) {
  return (n + kAlign - 1) & ~(kAlign - 1);
}

voidpf arena_alloc(voidpf opaque, uInt items, uInt size) {
  auto* a = static_cast<Arena*>(opaque);
  size_t n = round_up(size_t(items) * size);
  if (n > a->size - a->used) return Z_NULL;
  void* p = a->base + a->used;
  a->used += n;
  return p;
}

void arena_free(voidpf, voidpf) {}

// The trial run that sizes a block: zlib's allocations go to viper::mem and are summed (as the
// arena will round them).
struct Probe {
  size_t bytes = 0;
  void* blocks[8] = {};
  int n = 0;
};

voidpf probe_alloc(voidpf opaque, uInt items, uInt size) {
  auto* p = static_cast<Probe*>(opaque);
  if (p->n == 8) return Z_NULL;  // zlib makes at most five
  size_t n = size_t(items) * size;
  void* m = mem::alloc(n);
  if (m == nullptr) return Z_NULL;
  p->blocks[p->n++] = m;
  p->bytes += round_up(n);
  return m;
}

void probe_free(voidpf opaque, voidpf m) {
  auto* p = static_cast<Probe*>(opaque);
  for (int i = 0; i < p->n; i++)
    if (p->blocks[i] == m) {
      mem::release(m);
      p->blocks[i] = p->blocks[--p->n];
      return;
    }
}

// Every compressed message ends like this after a sync flush (RFC 7692 §7.2.1).
constexpr uint8_t kTail[4] = {0x00, 0x00, 0xff, 0xff};

uInt clamp_uint(size_t n) {
  return n > UINT_MAX ? UINT_MAX : uInt(n);
}

}  // namespace

// ---- deflate ----

struct MessageDeflater::State {
  z_stream z;
  Arena arena;
  size_t block_bytes;
  int max_bits, mem_level, level;
  bool started;  // deflateInit2 done since the last start()
  bool no_context;
  bool in_message;
  uint8_t carry[4];  // output held back: it may be the start of the 00 00 ff ff tail
  uint8_t carried;
};

bool MessageDeflater::init(int max_window_bits, int mem_level, int level) {
  destroy();
  if (max_window_bits < 9 || max_window_bits > 15 || mem_level < 1 || mem_level > 9 || level < 1 ||
      level > 9)
    return false;
  Probe probe;
  z_stream z{};
  z.zalloc = probe_alloc;
  z.zfree = probe_free;
  z.opaque = &probe;
  if (deflateInit2(&z, level, Z_DEFLATED, -max_window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  deflateEnd(&z);
  size_t need = round_up(sizeof(State)) + probe.bytes;
  void* raw = mem::alloc(need);
  if (raw == nullptr) return false;
  s_ = new (raw) State{};
  s_->arena.base = static_cast<uint8_t*>(raw) + round_up(sizeof(State));
  s_->arena.size = probe.bytes;
  s_->block_bytes = need;
  s_->max_bits = max_window_bits;
  s_->mem_level = mem_level;
  s_->level = level;
  return true;
}

void MessageDeflater::destroy() {
  if (s_ == nullptr) return;
  if (s_->started) deflateEnd(&s_->z);
  mem::release(s_);
  s_ = nullptr;
}

bool MessageDeflater::start(int window_bits, bool no_context_takeover) {
  if (s_ == nullptr || window_bits < 9 || window_bits > s_->max_bits) return false;
  if (s_->started) deflateEnd(&s_->z);
  s_->started = false;
  s_->arena.used = 0;
  s_->z = z_stream{};
  s_->z.zalloc = arena_alloc;
  s_->z.zfree = arena_free;
  s_->z.opaque = &s_->arena;
  // A negative window asks for raw deflate: no zlib header or trailer (RFC 7692 §7.2.1).
  if (deflateInit2(&s_->z, s_->level, Z_DEFLATED, -window_bits, s_->mem_level,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  s_->started = true;
  s_->no_context = no_context_takeover;
  s_->in_message = false;
  s_->carried = 0;
  return true;
}

MessageDeflater::Result MessageDeflater::compress(std::string_view in, bool last, char* out,
                                                  size_t cap) {
  Result r;
  if (s_ == nullptr || !s_->started || cap < kMinOutput) {
    r.error = true;
    return r;
  }
  State& s = *s_;
  z_stream& z = s.z;
  if (!s.in_message) {
    // Without context takeover each message is compressed as if it were the first.
    if (s.no_context && deflateReset(&z) != Z_OK) {
      r.error = true;
      return r;
    }
    s.in_message = true;
  }
  std::memcpy(out, s.carry, s.carried);
  size_t o = s.carried;
  s.carried = 0;
  z.next_in = reinterpret_cast<const Bytef*>(in.data());
  z.avail_in = clamp_uint(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out + o);
  z.avail_out = clamp_uint(cap - o);
  uInt in_before = z.avail_in;
  int ret = deflate(&z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
  if (ret != Z_OK && ret != Z_BUF_ERROR) {  // Z_BUF_ERROR: no progress possible, not fatal
    r.error = true;
    return r;
  }
  r.consumed = in_before - z.avail_in;
  size_t total = size_t(reinterpret_cast<char*>(z.next_out) - out);
  // With all input taken and room left, a sync flush is complete: the output ends with the
  // tail, which is dropped.
  if (last && r.consumed == in.size() && z.avail_out > 0) {
    if (total == 0) {
      // An empty message right after another: zlib has nothing to flush (a second sync flush
      // without input is a no-op) and writes nothing.  Send what the flush would have been,
      // an empty stored block, 00 00 00 ff ff without its tail (RFC 7692 §7.2.3.6).
      out[0] = 0x00;
      r.produced = 1;
      r.done = true;
      s.in_message = false;
      return r;
    }
    if (total < 4 || std::memcmp(out + total - 4, kTail, 4) != 0) {
      r.error = true;
      return r;
    }
    r.produced = total - 4;
    r.done = true;
    s.in_message = false;
    return r;
  }
  // Hold back the last four bytes: they may turn out to be the tail.
  size_t keep = total < 4 ? total : 4;
  std::memcpy(s.carry, out + total - keep, keep);
  s.carried = uint8_t(keep);
  r.produced = total - keep;
  return r;
}

bool MessageDeflater::in_message() const {
  return s_ != nullptr && s_->in_message;
}

size_t MessageDeflater::memory_bytes() const {
  return s_ == nullptr ? 0 : s_->block_bytes;
}

// ---- inflate ----

struct MessageInflater::State {
  z_stream z;
  Arena arena;
  size_t block_bytes;
  uint64_t max_message;
  uint64_t total;  // inflated bytes of the current message
  int max_bits;
  bool started;
  bool no_context;
  bool in_message;
  uint8_t tail_fed;  // bytes of kTail given to zlib for the current message
  bool pending_out;  // the last call filled the output buffer: zlib may hold more
};

bool MessageInflater::init(int max_window_bits) {
  destroy();
  if (max_window_bits < 8 || max_window_bits > 15) return false;
  Probe probe;
  z_stream z{};
  z.zalloc = probe_alloc;
  z.zfree = probe_free;
  z.opaque = &probe;
  if (inflateInit2(&z, -max_window_bits) != Z_OK) return false;
  // zlib allocates the window at the first output: inflate one stored byte to size it too.
  static const uint8_t kOneByte[] = {0x01, 0x01, 0x00, 0xfe, 0xff, 'x'};
  uint8_t sink[4];
  z.next_in = kOneByte;
  z.avail_in = sizeof kOneByte;
  z.next_out = sink;
  z.avail_out = sizeof sink;
  int ret = ::inflate(&z, Z_SYNC_FLUSH);
  inflateEnd(&z);
  if (ret != Z_STREAM_END) return false;
  size_t need = round_up(sizeof(State)) + probe.bytes;
  void* raw = mem::alloc(need);
  if (raw == nullptr) return false;
  s_ = new (raw) State{};
  s_->arena.base = static_cast<uint8_t*>(raw) + round_up(sizeof(State));
  s_->arena.size = probe.bytes;
  s_->block_bytes = need;
  s_->max_bits = max_window_bits;
  return true;
}

void MessageInflater::destroy() {
  if (s_ == nullptr) return;
  if (s_->started) inflateEnd(&s_->z);
  mem::release(s_);
  s_ = nullptr;
}

bool MessageInflater::start(int window_bits, bool no_context_takeover, uint64_t max_message_bytes) {
  if (s_ == nullptr || window_bits < 8 || window_bits > s_->max_bits) return false;
  if (s_->started) inflateEnd(&s_->z);
  s_->started = false;
  s_->arena.used = 0;
  s_->z = z_stream{};
  s_->z.zalloc = arena_alloc;
  s_->z.zfree = arena_free;
  s_->z.opaque = &s_->arena;
  if (inflateInit2(&s_->z, -window_bits) != Z_OK) return false;
  s_->started = true;
  s_->no_context = no_context_takeover;
  s_->max_message = max_message_bytes;
  s_->in_message = false;
  s_->total = 0;
  s_->tail_fed = 0;
  s_->pending_out = false;
  return true;
}

MessageInflater::Result MessageInflater::inflate(std::string_view in, bool last, char* out,
                                                 size_t cap) {
  Result r;
  if (s_ == nullptr || !s_->started) {
    r.status = Status::Corrupt;
    return r;
  }
  State& s = *s_;
  z_stream& z = s.z;
  if (!s.in_message) {
    if (s.no_context && inflateReset(&z) != Z_OK) {
      r.status = Status::Corrupt;
      return r;
    }
    s.in_message = true;
    s.total = 0;
    s.tail_fed = 0;
    s.pending_out = false;
  }
  const auto* src = reinterpret_cast<const Bytef*>(in.data());
  size_t left = in.size();
  while (true) {
    // What to give zlib: the input, then (at the message's end) the tail, and with neither,
    // nothing, to collect output it still holds from a call that filled the buffer.
    const Bytef* next;
    uInt avail;
    bool tail = false;
    if (left > 0) {
      next = src;
      avail = clamp_uint(left);
    } else if (last && s.tail_fed < 4) {
      next = kTail + s.tail_fed;
      avail = uInt(4 - s.tail_fed);
      tail = true;
    } else if (s.pending_out) {
      next = kTail;
      avail = 0;
    } else {
      break;
    }
    size_t room = cap - r.produced;
    if (room == 0) {
      r.status = Status::OutputFull;
      return r;
    }
    // Never more than one byte past the limit: that byte proves the message is too big.
    uint64_t allowed = s.max_message - s.total;
    size_t give = room <= allowed ? room : size_t(allowed + 1);
    z.next_in = next;
    z.avail_in = avail;
    z.next_out = reinterpret_cast<Bytef*>(out + r.produced);
    z.avail_out = clamp_uint(give);
    uInt out_before = z.avail_out;
    int ret = ::inflate(&z, Z_SYNC_FLUSH);  // zlib's, not the member
    size_t took = avail - z.avail_in, made = out_before - z.avail_out;
    if (tail) {
      s.tail_fed = uint8_t(s.tail_fed + took);
    } else {
      src += took;
      left -= took;
      r.consumed += took;
    }
    r.produced += made;
    s.total += made;
    // A call that fills the buffer may leave output inside zlib.
    s.pending_out = z.avail_out == 0;
    if (s.total > s.max_message) {
      r.status = Status::TooBig;
      return r;
    }
    if (ret == Z_STREAM_END) {
      // The sender ended the deflate stream (a final block) inside the message; what follows
      // (at least our tail) starts a new one.  Its history is lost: a sender that does this
      // does not take context over (RFC 7692 §7.2.3.1 lets it).  Nothing is held back at
      // the end of a stream.
      s.pending_out = false;
      if (inflateReset(&z) != Z_OK) {
        r.status = Status::Corrupt;
        return r;
      }
      continue;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
      r.status = Status::Corrupt;
      return r;
    }
    if (z.avail_out == 0) {
      r.status = Status::OutputFull;
      return r;
    }
    if (took == 0 && made == 0 && avail > 0) {
      // No progress although there was input and room: zlib is stuck (it cannot be, short of
      // a zlib bug); never loop on it.
      r.status = Status::Corrupt;
      return r;
    }
  }
  if (left == 0 && last && s.tail_fed == 4) {
    r.status = Status::Done;
    s.in_message = false;
    return r;
  }
  r.status = Status::NeedInput;
  return r;
}

bool MessageInflater::in_message() const {
  return s_ != nullptr && s_->in_message;
}

uint64_t MessageInflater::message_bytes() const {
  return s_ == nullptr ? 0 : s_->total;
}

size_t MessageInflater::memory_bytes() const {
  return s_ == nullptr ? 0 : s_->block_bytes;
}

}  // namespace viper::ws
