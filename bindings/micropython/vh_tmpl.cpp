// The C API of vh_tmpl.h over engine/tmpl.
#include "vh_tmpl.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "tmpl/encoded.h"
#include "tmpl/program.h"
#include "tmpl/render.h"
#include "tmpl/store.h"
#include "tmpl/text.h"

using viper::tmpl::EncodedWriter;
using viper::tmpl::Program;
using viper::tmpl::TemplateStore;

struct vh_tstore {
    TemplateStore *store;
    viper::tmpl::CompileError err;  // the last compile error (its strings are returned)
};

static_assert(sizeof(EncodedWriter) <= sizeof(vh_tenc), "vh_tenc holds an EncodedWriter");

static EncodedWriter *W(vh_tenc *e) {
    return reinterpret_cast<EncodedWriter *>(e->opaque);
}
static const EncodedWriter *W(const vh_tenc *e) {
    return reinterpret_cast<const EncodedWriter *>(e->opaque);
}

static void fill(vh_tcompile_error *out, const viper::tmpl::CompileError &e) {
    out->not_found = e.not_found ? 1 : 0;
    out->message = e.message;
    out->template_name = e.template_name;
    out->line = e.line;
    out->column = e.column;
}

extern "C" {

void vh_topts_defaults(vh_topts *o) {
    viper::tmpl::StoreOptions d;
    std::memset(o, 0, sizeof *o);
    o->prefix = "";
    o->cache_bytes = d.cache_bytes;
    o->context_bytes = d.context_bytes;
    o->scratch_bytes = VIPER_TEMPLATE_SCRATCH_BYTES;
    o->render_slots = d.render_slots;
    o->max_template_bytes = d.max_template_bytes;
    o->max_loop_iterations = d.render.max_loop_iterations;
    o->max_include_depth = d.render.max_include_depth;
    o->max_expression_depth = d.compile.max_expression_depth;
    o->max_output_bytes = d.render.max_output_bytes;
    o->auto_reload = 1;
    o->strict = 1;
}

vh_tstore *vh_tstore_new(const vh_topts *o, const char **err) {
    viper::tmpl::StoreOptions so;
    so.kind = o->directory ? viper::tmpl::StoreOptions::Kind::Directory
              : o->pack    ? viper::tmpl::StoreOptions::Kind::Pack
                           : viper::tmpl::StoreOptions::Kind::None;
    so.source = o->directory ? o->directory : o->pack;
    so.prefix = std::string_view(o->prefix, o->prefix_len);
    so.cache_bytes = o->cache_bytes;
    so.context_bytes = o->context_bytes;
    so.caps.scratch = o->scratch_bytes;
    so.render_slots = uint16_t(o->render_slots);
    so.max_template_bytes = o->max_template_bytes;
    so.auto_reload = o->auto_reload != 0;
    so.render.strict = o->strict != 0;
    so.render.max_output_bytes = o->max_output_bytes;
    so.render.max_loop_iterations = o->max_loop_iterations;
    so.render.max_include_depth = o->max_include_depth;
    so.compile.max_expression_depth = o->max_expression_depth;
    auto *h = new (std::nothrow) vh_tstore();
    if (h == nullptr) {
        *err = "out of memory for the template store";
        return nullptr;
    }
    h->store = TemplateStore::create(so, err);
    if (h->store == nullptr) {
        delete h;
        return nullptr;
    }
    return h;
}

void vh_tstore_free(vh_tstore *s) {
    if (s == nullptr) {
        return;
    }
    TemplateStore::destroy(s->store);
    delete s;
}

const void *vh_tstore_acquire(vh_tstore *s, const char *name, size_t n, vh_tcompile_error *err) {
    s->err = viper::tmpl::CompileError();
    const void *p = s->store->acquire(std::string_view(name, n), &s->err);
    if (p == nullptr) {
        fill(err, s->err);
    }
    return p;
}

void vh_tstore_unpin(vh_tstore *s, const void *prog) {
    s->store->unpin(prog);
}

void *vh_tcompile_string(vh_tstore *s, const char *name, const char *src, size_t n,
                         vh_tcompile_error *err) {
    s->err = viper::tmpl::CompileError();
    void *p = viper::tmpl::compile_source(name, std::string_view(src, n), s->store->loader(),
                                          s->store->options().compile, &s->err);
    if (p == nullptr) {
        fill(err, s->err);
    }
    return p;
}

void vh_tprogram_free(void *prog) {
    viper::mem::release(prog);
}
size_t vh_tprogram_bytes(const void *prog) {
    return Program(prog).bytes();
}
uint32_t vh_tprogram_serial(const void *prog) {
    return Program(prog).serial();
}
int vh_tprogram_find_name(const void *prog, const char *s, size_t n) {
    return Program(prog).find_name(std::string_view(s, n));
}
size_t vh_tprogram_num_names(const void *prog) {
    return Program(prog).num_names();
}
const char *vh_tprogram_name(const void *prog, size_t id, size_t *len, uint8_t *flags) {
    Program p(prog);
    std::string_view n = p.name(id);
    *len = n.size();
    *flags = p.name_entry(id).flags;
    return n.data();
}

void *vh_tstore_take_slot(vh_tstore *s) {
    return s->store->take_slot();
}
void vh_tstore_give_slot(vh_tstore *s, void *slot) {
    s->store->give_slot(static_cast<TemplateStore::Slot *>(slot));
}
void vh_tstore_count_render(vh_tstore *s, void *render) {
    s->store->count_render(static_cast<viper::tmpl::Render *>(render));
}
void vh_tstore_clear(vh_tstore *s, const char *name, size_t n) {
    s->store->clear(std::string_view(name, n));
}

char *vh_tstore_source(vh_tstore *s, const char *name, size_t n, size_t *len) {
    viper::tmpl::Source src;
    viper::tmpl::SourceLoader *l = s->store->loader();
    if (l->load(std::string_view(name, n), &src) != viper::tmpl::LoadStatus::Ok) {
        return nullptr;
    }
    auto *copy = static_cast<char *>(std::malloc(src.text.size() + 1));
    if (copy != nullptr) {
        std::memcpy(copy, src.text.data(), src.text.size());
    }
    *len = src.text.size();
    l->release(&src);
    return copy;
}

char *vh_tstore_names(vh_tstore *s, size_t *total) {
    struct Acc {
        char *buf;
        size_t len, cap;
        bool ok;
    } acc{nullptr, 0, 0, true};
    s->store->for_each_name(
        [](void *u, std::string_view n) {
            auto *a = static_cast<Acc *>(u);
            if (a->len + n.size() + 1 > a->cap) {
                size_t cap = (a->cap + n.size() + 1) * 2;
                auto *nb = static_cast<char *>(std::realloc(a->buf, cap));
                if (nb == nullptr) {
                    a->ok = false;
                    return false;
                }
                a->buf = nb;
                a->cap = cap;
            }
            std::memcpy(a->buf + a->len, n.data(), n.size());
            a->len += n.size();
            a->buf[a->len++] = 0;
            return true;
        },
        &acc);
    *total = acc.len;
    return acc.buf;
}

void vh_tstore_stats(vh_tstore *s, uint64_t out[14]) {
    viper::tmpl::StoreStats st = s->store->stats();
    uint64_t v[14] = {
        st.hits,          st.compiles,         st.reloads,
        st.evictions,     st.compile_errors,   st.renders,
        st.render_errors, st.cache_bytes_used, st.cached,
        st.pinned,        st.slot_bytes,       viper::tmpl::render_memory(s->store->options().caps),
        st.context_peak,  st.scratch_peak};
    std::memcpy(out, v, sizeof v);
}

uint32_t vh_tstore_context_bytes(vh_tstore *s) {
    return s->store->options().context_bytes;
}

void vh_tenc_init(vh_tenc *e, vh_tstore *s, void *slot) {
    new (e->opaque) EncodedWriter(static_cast<TemplateStore::Slot *>(slot)->context,
                                  s->store->options().context_bytes);
}
void vh_tenc_none(vh_tenc *e) {
    W(e)->none();
}
void vh_tenc_bool(vh_tenc *e, int v) {
    W(e)->boolean(v != 0);
}
void vh_tenc_int(vh_tenc *e, int64_t v) {
    W(e)->integer(v);
}
void vh_tenc_float(vh_tenc *e, double v) {
    W(e)->real(v);
}
// The device's floats are single precision: the renderer gets the double of the float's
// shortest digits, so a page prints what MicroPython's repr prints ("3.14159"), not the
// widened value (3.141590118408203).
void vh_tenc_float32(vh_tenc *e, float v) {
    char digits[32];
    auto r = std::to_chars(digits, digits + sizeof digits, v);
    double d = double(v);
    std::from_chars(digits, r.ptr, d);
    W(e)->real(d);
}
void vh_tenc_bytes(vh_tenc *e, int tag, const char *p, size_t n) {
    W(e)->bytes(uint8_t(tag), std::string_view(p, n));
}
void vh_tenc_range(vh_tenc *e, int64_t start, int64_t stop, int64_t step) {
    W(e)->range(start, stop, step);
}
void vh_tenc_key_id(vh_tenc *e, uint16_t id) {
    W(e)->key_id(id);
}
size_t vh_tenc_open(vh_tenc *e, int tag) {
    return W(e)->open(uint8_t(tag));
}
size_t vh_tenc_open_object(vh_tenc *e, int truthy, const char *repr, size_t n, const char *html,
                           size_t html_len) {
    std::string_view h(html != nullptr ? html : "", html_len);
    return W(e)->open_object(truthy != 0, std::string_view(repr, n),
                             html != nullptr ? &h : nullptr);
}
void vh_tenc_close(vh_tenc *e, size_t at, uint32_t count) {
    W(e)->close(at, count);
}
int vh_tenc_overflow(const vh_tenc *e) {
    return W(e)->overflow() ? 1 : 0;
}
size_t vh_tenc_size(const vh_tenc *e) {
    return W(e)->size();
}

int vh_tparse_int64(const char *s, size_t n, int64_t *v) {
    bool big = false;
    return viper::tmpl::parse_int(std::string_view(s, n), 10, v, &big, nullptr) && !big ? 1 : 0;
}

void *vh_trender_start(vh_tstore *s, void *slot, const void *prog, size_t ctx_len) {
    auto *sl = static_cast<TemplateStore::Slot *>(slot);
    const viper::tmpl::StoreOptions &o = s->store->options();
    return viper::tmpl::render_start(sl->render_mem, o.caps, prog, sl->context, ctx_len, o.render);
}

int vh_trender_next(void *render, char *dst, size_t cap, size_t *written) {
    auto st =
        viper::tmpl::render_next(static_cast<viper::tmpl::Render *>(render), dst, cap, written);
    return st == viper::tmpl::RenderStatus::More   ? 0
           : st == viper::tmpl::RenderStatus::Done ? 1
                                                   : 2;
}

void vh_trender_error(void *render, int *kind, const char **msg, const char **tmpl,
                      unsigned *line) {
    const viper::tmpl::RenderError &e =
        viper::tmpl::render_error(static_cast<viper::tmpl::Render *>(render));
    *kind = e.kind == viper::tmpl::RenderError::kUndefined ? 1
            : e.kind == viper::tmpl::RenderError::kLimit   ? 2
                                                           : 0;
    *msg = e.message;
    *tmpl = e.template_name;
    *line = e.line;
}

}  // extern "C"
