// A C view of engine/tmpl (the template store, the context encoder, the renderer) for the
// MicroPython module, whose object tables live in C (modtemplates.c).  Nothing here raises or
// allocates from the GC heap: every call returns a status and the C glue raises.  No C++
// object outlives a call, so a MicroPython exception raised between two calls (nlr) skips no
// destructor.
#ifndef VH_TMPL_H
#define VH_TMPL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vh_tstore vh_tstore;

typedef struct {
    const char *directory;  // or NULL
    const char *pack;       // or NULL
    const char *prefix;
    size_t prefix_len;
    uint32_t cache_bytes, context_bytes, scratch_bytes, render_slots, max_template_bytes;
    uint32_t max_loop_iterations, max_include_depth, max_expression_depth;
    uint64_t max_output_bytes;
    int auto_reload, strict;
} vh_topts;

typedef struct {
    int not_found;
    const char *message, *template_name;
    unsigned line, column;
} vh_tcompile_error;

// Encoded value tags (engine/tmpl/encoded.h).
enum {
    VH_T_STR = 5,
    VH_T_SAFE = 6,
    VH_T_BYTES = 7,
    VH_T_BIGINT = 8,
    VH_T_CALLABLE = 9,
    VH_T_LIST = 10,
    VH_T_TUPLE = 11,
    VH_T_DICT = 12
};
enum { VH_TNAME_CONTEXT = 1, VH_TNAME_ATTR = 2 };

// Defaults of the build's profile.
void vh_topts_defaults(vh_topts *o);
vh_tstore *vh_tstore_new(const vh_topts *o, const char **err);
void vh_tstore_free(vh_tstore *s);

// The compiled unit `name`, pinned (NULL: *err is filled; its strings live until the next call).
const void *vh_tstore_acquire(vh_tstore *s, const char *name, size_t n, vh_tcompile_error *err);
void vh_tstore_unpin(vh_tstore *s, const void *prog);
// A unit compiled from source text (not cached): free it with vh_tprogram_free.
void *vh_tcompile_string(vh_tstore *s, const char *name, const char *src, size_t n,
                         vh_tcompile_error *err);
void vh_tprogram_free(void *prog);
size_t vh_tprogram_bytes(const void *prog);
uint32_t vh_tprogram_serial(const void *prog);
int vh_tprogram_find_name(const void *prog, const char *s, size_t n);  // id or -1
size_t vh_tprogram_num_names(const void *prog);
const char *vh_tprogram_name(const void *prog, size_t id, size_t *len, uint8_t *flags);

void *vh_tstore_take_slot(vh_tstore *s);  // NULL when every slot is busy
void vh_tstore_give_slot(vh_tstore *s, void *slot);
void vh_tstore_count_render(vh_tstore *s, void *render);  // a finished render
void vh_tstore_clear(vh_tstore *s, const char *name, size_t n);
// The text of template `name` in a malloc'd buffer the caller frees (NULL: not found).
char *vh_tstore_source(vh_tstore *s, const char *name, size_t n, size_t *len);
// Names of the source's files, NUL-separated, in a malloc'd buffer the caller frees.
char *vh_tstore_names(vh_tstore *s, size_t *total);
// hits, compiles, reloads, evictions, compile_errors, renders, render_errors,
// cache_bytes_used, cached, pinned, slot_bytes, render_bytes, context_peak, scratch_peak
void vh_tstore_stats(vh_tstore *s, uint64_t out[14]);
uint32_t vh_tstore_context_bytes(vh_tstore *s);

// The context encoder, writing into a slot's context buffer.
typedef struct {
    uint64_t opaque[4];
} vh_tenc;
void vh_tenc_init(vh_tenc *e, vh_tstore *s, void *slot);
void vh_tenc_none(vh_tenc *e);
void vh_tenc_bool(vh_tenc *e, int v);
void vh_tenc_int(vh_tenc *e, int64_t v);
void vh_tenc_float(vh_tenc *e, double v);
void vh_tenc_float32(vh_tenc *e, float v);  // a single-precision float, by its shortest digits
void vh_tenc_bytes(vh_tenc *e, int tag, const char *p, size_t n);
void vh_tenc_key_id(vh_tenc *e, uint16_t id);
void vh_tenc_range(vh_tenc *e, int64_t start, int64_t stop, int64_t step);
size_t vh_tenc_open(vh_tenc *e, int tag);
// html: what __html__() returned (NULL: the object has none)
size_t vh_tenc_open_object(vh_tenc *e, int truthy, const char *repr, size_t n, const char *html,
                           size_t html_len);
void vh_tenc_close(vh_tenc *e, size_t at, uint32_t count);
int vh_tenc_overflow(const vh_tenc *e);
size_t vh_tenc_size(const vh_tenc *e);
// Parses decimal digits: 1 and *v when they fit int64, else 0.
int vh_tparse_int64(const char *s, size_t n, int64_t *v);

// A render in the slot over the context encoded there (ctx_len bytes).
void *vh_trender_start(vh_tstore *s, void *slot, const void *prog, size_t ctx_len);
int vh_trender_next(void *render, char *dst, size_t cap,
                    size_t *written);  // 0 more, 1 done, 2 error
// kind: 0 render, 1 undefined, 2 limit
void vh_trender_error(void *render, int *kind, const char **msg, const char **tmpl, unsigned *line);

#ifdef __cplusplus
}
#endif

#endif  // VH_TMPL_H
