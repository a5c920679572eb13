// _viperhttp.Templates and _viperhttp.TemplateRender for MicroPython (the same API as the
// CPython extension's, docs/native-api.md "Templates"), over engine/tmpl through vh_tmpl.h.
//
// The context is encoded here, on the interpreter thread, into a render slot's buffer (engine
// memory, not the GC heap): only the variables the template names, and of objects only the
// attributes it names.  Encoding calls into MicroPython (attributes, str(), bool()) and so may
// raise: it runs under nlr_push, and a raise gives the slot and the pinned program back before
// it propagates.  Rendering then touches no MicroPython object.
#include <stdlib.h>
#include <string.h>

#include "py/objstr.h"
#include "py/runtime.h"
#include "vh_tmpl.h"

#define VH_TMAX_DEPTH 32

typedef struct {
    mp_obj_base_t base;
    vh_tstore *store;
    mp_obj_t factory;     // factory(kind, message, template, line, column) -> exception
    mp_obj_t attr_cache;  // {program serial: ((id, qstr), ...)}
} vh_templates_obj_t;

typedef struct {
    mp_obj_base_t base;
    vh_templates_obj_t *owner;
    const void *prog;
    void *slot;
    void *render;
    bool done;
} vh_trender_obj_t;

const mp_obj_type_t vh_templates_type;
const mp_obj_type_t vh_trender_type;

static NORETURN void vh_traise(vh_templates_obj_t *t, const char *kind, const char *msg,
                               const char *tmpl, unsigned line, unsigned col) {
    mp_obj_t args[5] = {
        mp_obj_new_str(kind, strlen(kind)), mp_obj_new_str(msg, strlen(msg)),
        mp_obj_new_str(tmpl, strlen(tmpl)), mp_obj_new_int_from_uint(line),
        mp_obj_new_int_from_uint(col),
    };
    nlr_raise(mp_call_function_n_kw(t->factory, 5, 0, args));
}

static NORETURN void vh_traise_compile(vh_templates_obj_t *t, const vh_tcompile_error *e) {
    vh_traise(t, e->not_found ? "notfound" : "syntax", e->message, e->template_name, e->line,
              e->column);
}

static vh_templates_obj_t *vh_tget(mp_obj_t self_in) {
    vh_templates_obj_t *t = MP_OBJ_TO_PTR(self_in);
    if (t->store == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("templates closed"));
    }
    return t;
}

// --- the context encoder -----------------------------------------------------------------------

typedef struct {
    vh_templates_obj_t *t;
    vh_tenc enc;
    const void *prog;
    mp_obj_t attrs;
    int depth;
} vh_tencoder;

static void vh_tenc_value(vh_tencoder *e, mp_obj_t o);

static void vh_tenc_check(vh_tencoder *e) {
    if (vh_tenc_overflow(&e->enc)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the context does not fit context_bytes (%u): the template reads more data "
                 "than a render slot holds",
                 (unsigned)vh_tstore_context_bytes(e->t->store));
        vh_traise(e->t, "context", msg, "", 0, 0);
    }
}

static void vh_tenc_text(vh_tencoder *e, mp_obj_t o, mp_print_kind_t kind, int tag) {
    vstr_t v;
    mp_print_t print;
    vstr_init_print(&v, 32, &print);
    mp_obj_print_helper(&print, o, kind);
    vh_tenc_bytes(&e->enc, tag, v.buf, v.len);
    vstr_clear(&v);
}

static void vh_tenc_int_obj(vh_tencoder *e, mp_obj_t o) {
    if (mp_obj_is_small_int(o)) {
        vh_tenc_int(&e->enc, MP_OBJ_SMALL_INT_VALUE(o));
        return;
    }
    vstr_t v;
    mp_print_t print;
    vstr_init_print(&v, 24, &print);
    mp_obj_print_helper(&print, o, PRINT_STR);
    int64_t x;
    if (vh_tparse_int64(v.buf, v.len, &x)) {
        vh_tenc_int(&e->enc, x);
    } else {
        vh_tenc_bytes(&e->enc, VH_T_BIGINT, v.buf, v.len);
    }
    vstr_clear(&v);
}

static void vh_tenc_key(vh_tencoder *e, mp_obj_t k) {
    if (mp_obj_is_str(k)) {
        size_t n;
        const char *s = mp_obj_str_get_data(k, &n);
        int id = vh_tprogram_find_name(e->prog, s, n);
        if (id >= 0) {
            vh_tenc_key_id(&e->enc, (uint16_t)id);
        } else {
            vh_tenc_bytes(&e->enc, VH_T_STR, s, n);
        }
        return;
    }
    if (mp_obj_is_int(k)) {
        vh_tenc_int_obj(e, k);
        return;
    }
    vh_traise(e->t, "context", "dict keys in a template context must be str or int", "", 0, 0);
}

// An object: its attributes the unit reads, bool(), str(), and `html` (what __html__()
// returned, or MP_OBJ_NULL).
static void vh_tenc_object(vh_tencoder *e, mp_obj_t o, mp_obj_t html) {
    bool truthy = mp_obj_is_true(o);
    vstr_t v;
    mp_print_t print;
    vstr_init_print(&v, 32, &print);
    mp_obj_print_helper(&print, o, PRINT_STR);
    const char *h = NULL;
    size_t hn = 0;
    if (html != MP_OBJ_NULL) {
        if (!mp_obj_is_str(html)) {
            html = mp_obj_str_make_new(&mp_type_str, 1, 0, &html);
        }
        h = mp_obj_str_get_data(html, &hn);
    }
    size_t at = vh_tenc_open_object(&e->enc, truthy, v.buf, v.len, h, hn);
    vstr_clear(&v);
    size_t na;
    mp_obj_t *pairs;
    mp_obj_tuple_get(e->attrs, &na, &pairs);
    uint32_t n = 0;
    for (size_t i = 0; i < na; i++) {
        mp_obj_t *pair = ((mp_obj_tuple_t *)MP_OBJ_TO_PTR(pairs[i]))->items;
        mp_obj_t dest[2];
        mp_load_method_maybe(o, MP_OBJ_QSTR_VALUE(pair[1]), dest);
        if (dest[0] == MP_OBJ_NULL) {
            continue;
        }
        vh_tenc_key_id(&e->enc, (uint16_t)MP_OBJ_SMALL_INT_VALUE(pair[0]));
        if (dest[1] != MP_OBJ_NULL) {  // a method: bound, never called
            vh_tenc_text(e, dest[0], PRINT_REPR, VH_T_CALLABLE);
        } else {
            vh_tenc_value(e, dest[0]);
        }
        n++;
    }
    vh_tenc_close(&e->enc, at, n);
}

static void vh_tenc_value(vh_tencoder *e, mp_obj_t o) {
    if (++e->depth > VH_TMAX_DEPTH) {
        vh_traise(e->t, "context", "the context is nested deeper than 32 levels (a cycle?)", "", 0,
                  0);
    }
    if (o == mp_const_none) {
        vh_tenc_none(&e->enc);
    } else if (mp_obj_is_bool(o)) {
        vh_tenc_bool(&e->enc, o == mp_const_true);
    } else if (mp_obj_is_str(o)) {
        size_t n;
        const char *s = mp_obj_str_get_data(o, &n);
        vh_tenc_bytes(&e->enc, VH_T_STR, s, n);
    } else if (mp_obj_is_int(o)) {
        vh_tenc_int_obj(e, o);
#if MICROPY_PY_BUILTINS_FLOAT
    } else if (mp_obj_is_float(o)) {
#if MICROPY_FLOAT_IMPL == MICROPY_FLOAT_IMPL_FLOAT
        vh_tenc_float32(&e->enc, mp_obj_float_get(o));
#else
        vh_tenc_float(&e->enc, (double)mp_obj_float_get(o));
#endif
#endif
    } else if (mp_obj_is_dict_or_ordereddict(o)) {
        mp_map_t *map = mp_obj_dict_get_map(o);
        size_t at = vh_tenc_open(&e->enc, VH_T_DICT);
        uint32_t n = 0;
        for (size_t i = 0; i < map->alloc; i++) {
            if (!mp_map_slot_is_filled(map, i)) {
                continue;
            }
            vh_tenc_key(e, map->table[i].key);
            vh_tenc_value(e, map->table[i].value);
            n++;
        }
        vh_tenc_close(&e->enc, at, n);
    } else if (mp_obj_is_type(o, &mp_type_list) || mp_obj_is_type(o, &mp_type_tuple)) {
        size_t n;
        mp_obj_t *items;
        bool list = mp_obj_is_type(o, &mp_type_list);
        if (list) {
            mp_obj_list_get(o, &n, &items);
        } else {
            mp_obj_tuple_get(o, &n, &items);
        }
        size_t at = vh_tenc_open(&e->enc, list ? VH_T_LIST : VH_T_TUPLE);
        for (size_t i = 0; i < n; i++) {
            vh_tenc_value(e, items[i]);
        }
        vh_tenc_close(&e->enc, at, (uint32_t)n);
    } else if (mp_obj_is_type(o, &mp_type_range)) {
        mp_int_t v[3] = {
            mp_obj_get_int(mp_load_attr(o, MP_QSTR_start)),
            mp_obj_get_int(mp_load_attr(o, MP_QSTR_stop)),
            mp_obj_get_int(mp_load_attr(o, MP_QSTR_step)),
        };
        if (v[2] > INT32_MAX || v[2] < INT32_MIN) {
            vh_traise(e->t, "context", "range steps beyond 32 bits are not supported", "", 0, 0);
        }
        vh_tenc_range(&e->enc, v[0], v[1], v[2]);
    } else if (mp_obj_is_type(o, &mp_type_bytes)
#if MICROPY_PY_BUILTINS_BYTEARRAY
               || mp_obj_is_type(o, &mp_type_bytearray)
#endif
    ) {
        mp_buffer_info_t b;
        mp_get_buffer_raise(o, &b, MP_BUFFER_READ);
        vh_tenc_bytes(&e->enc, VH_T_BYTES, b.buf, b.len);
    } else {
        mp_obj_t dest[2];
        mp_load_method_maybe(o, MP_QSTR___html__, dest);
        if (dest[0] != MP_OBJ_NULL) {  // prints as its HTML (str(), ~ use its str())
            vh_tenc_object(e, o, mp_call_method_n_kw(0, 0, dest));
        } else if (mp_obj_is_callable(o) && !mp_obj_is_type(o, &mp_type_type)) {
            vh_tenc_text(e, o, PRINT_REPR, VH_T_CALLABLE);
        } else {
            vh_tenc_object(e, o, MP_OBJ_NULL);
        }
    }
    e->depth--;
    vh_tenc_check(e);
}

// The attribute names of a program as qstrs, cached per compiled program.
static mp_obj_t vh_tattrs(vh_templates_obj_t *t, const void *prog) {
    mp_obj_t key = mp_obj_new_int_from_uint(vh_tprogram_serial(prog));
    mp_map_elem_t *el = mp_map_lookup(mp_obj_dict_get_map(t->attr_cache), key, MP_MAP_LOOKUP);
    if (el != NULL) {
        return el->value;
    }
    if (mp_obj_dict_len(t->attr_cache) > 256) {
        t->attr_cache = mp_obj_new_dict(0);
    }
    size_t total = vh_tprogram_num_names(prog), n = 0;
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < total; i++) {
        size_t len;
        uint8_t flags;
        const char *name = vh_tprogram_name(prog, i, &len, &flags);
        if (!(flags & VH_TNAME_ATTR)) {
            continue;
        }
        mp_obj_t pair[2] = {MP_OBJ_NEW_SMALL_INT(i), MP_OBJ_NEW_QSTR(qstr_from_strn(name, len))};
        mp_obj_list_append(list, mp_obj_new_tuple(2, pair));
        n++;
    }
    size_t len;
    mp_obj_t *items;
    mp_obj_list_get(list, &len, &items);
    mp_obj_t tup = mp_obj_new_tuple(len, items);
    mp_obj_dict_store(t->attr_cache, key, tup);
    (void)n;
    return tup;
}

// Encodes `context` for `prog` into `slot`; the length.  Raises (the caller cleans up).
static size_t vh_tencode(vh_templates_obj_t *t, const void *prog, void *slot, mp_obj_t context) {
    if (context != mp_const_none && !mp_obj_is_dict_or_ordereddict(context)) {
        mp_raise_TypeError(MP_ERROR_TEXT("the template context must be a dict"));
    }
    vh_tencoder e;
    e.t = t;
    e.prog = prog;
    e.attrs = vh_tattrs(t, prog);
    e.depth = 0;
    vh_tenc_init(&e.enc, t->store, slot);
    size_t at = vh_tenc_open(&e.enc, VH_T_DICT);
    uint32_t n = 0;
    if (context != mp_const_none) {
        mp_map_t *map = mp_obj_dict_get_map(context);
        for (size_t i = 0; i < map->alloc; i++) {
            if (!mp_map_slot_is_filled(map, i) || !mp_obj_is_str(map->table[i].key)) {
                continue;
            }
            size_t kn;
            const char *ks = mp_obj_str_get_data(map->table[i].key, &kn);
            int id = vh_tprogram_find_name(prog, ks, kn);
            if (id < 0) {
                continue;
            }
            size_t len;
            uint8_t flags;
            vh_tprogram_name(prog, (size_t)id, &len, &flags);
            if (!(flags & VH_TNAME_CONTEXT)) {
                continue;
            }
            vh_tenc_key_id(&e.enc, (uint16_t)id);
            vh_tenc_value(&e, map->table[i].value);
            n++;
        }
    }
    vh_tenc_close(&e.enc, at, n);
    vh_tenc_check(&e);
    return vh_tenc_size(&e.enc);
}

// Renders `prog` (pinned when `cached`, else owned) with `context`; gives everything back.
static mp_obj_t vh_trender_whole(vh_templates_obj_t *t, const void *prog, bool cached,
                                 mp_obj_t context) {
    void *slot = vh_tstore_take_slot(t->store);
    if (slot == NULL) {
        if (cached) {
            vh_tstore_unpin(t->store, prog);
        } else {
            vh_tprogram_free((void *)prog);
        }
        vh_traise(t, "busy", "every render slot is in use (render_slots)", "", 0, 0);
    }
    vstr_t out;
    vstr_init(&out, 0);
    int status = 0;
    void *render = NULL;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        size_t clen = vh_tencode(t, prog, slot, context);
        render = vh_trender_start(t->store, slot, prog, clen);
        size_t cap = 4096;
        vstr_hint_size(&out, cap);
        while (true) {
            size_t n = 0;
            status = vh_trender_next(render, out.buf + out.len, out.alloc - out.len, &n);
            out.len += n;
            if (status != 0) {
                break;
            }
            vstr_hint_size(&out, out.alloc);
        }
        nlr_pop();
    } else {
        vh_tstore_give_slot(t->store, slot);
        if (cached) {
            vh_tstore_unpin(t->store, prog);
        } else {
            vh_tprogram_free((void *)prog);
        }
        vstr_clear(&out);
        nlr_jump(nlr.ret_val);
    }
    if (status == 2) {
        int kind;
        const char *msg, *tmpl;
        unsigned line;
        vh_trender_error(render, &kind, &msg, &tmpl, &line);
        char m[200], n[128];
        snprintf(m, sizeof m, "%s", msg);
        snprintf(n, sizeof n, "%s", tmpl);
        vh_tstore_count_render(t->store, render);
        vh_tstore_give_slot(t->store, slot);
        if (cached) {
            vh_tstore_unpin(t->store, prog);
        } else {
            vh_tprogram_free((void *)prog);
        }
        vstr_clear(&out);
        vh_traise(t, kind == 1 ? "undefined" : kind == 2 ? "limit" : "render", m, n, line, 0);
    }
    vh_tstore_count_render(t->store, render);
    vh_tstore_give_slot(t->store, slot);
    if (cached) {
        vh_tstore_unpin(t->store, prog);
    } else {
        vh_tprogram_free((void *)prog);
    }
    return mp_obj_new_bytes_from_vstr(&out);
}

// --- Templates(error_factory, **options) ----------------------------------------------------

static mp_obj_t vh_templates_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                      const mp_obj_t *args) {
    enum {
        ARG_factory,
        ARG_directory,
        ARG_pack,
        ARG_prefix,
        ARG_cache_bytes,
        ARG_auto_reload,
        ARG_strict,
        ARG_render_slots,
        ARG_context_bytes,
        ARG_scratch_bytes,
        ARG_max_output_bytes,
        ARG_max_loop_iterations,
        ARG_max_include_depth,
        ARG_max_expression_depth,
        ARG_max_template_bytes,
    };
    vh_topts o;
    vh_topts_defaults(&o);
    static const mp_arg_t allowed[] = {
        {MP_QSTR_error_factory, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL}},
        {MP_QSTR_directory, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
        {MP_QSTR_pack, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
        {MP_QSTR_prefix, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
        {MP_QSTR_cache_bytes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_auto_reload, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = true}},
        {MP_QSTR_strict, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = true}},
        {MP_QSTR_render_slots, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_context_bytes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_scratch_bytes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_max_output_bytes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_max_loop_iterations, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_max_include_depth, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_max_expression_depth, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
        {MP_QSTR_max_template_bytes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = -1}},
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed), allowed, a);
    if (a[ARG_directory].u_obj != mp_const_none) {
        o.directory = mp_obj_str_get_str(a[ARG_directory].u_obj);
    }
    if (a[ARG_pack].u_obj != mp_const_none) {
        o.pack = mp_obj_str_get_str(a[ARG_pack].u_obj);
    }
    if (a[ARG_prefix].u_obj != mp_const_none) {
        o.prefix = mp_obj_str_get_data(a[ARG_prefix].u_obj, &o.prefix_len);
    }
#define VH_TOPT(arg, field)     \
    if (a[arg].u_int >= 0) {    \
        o.field = a[arg].u_int; \
    }
    VH_TOPT(ARG_cache_bytes, cache_bytes);
    VH_TOPT(ARG_render_slots, render_slots);
    VH_TOPT(ARG_context_bytes, context_bytes);
    VH_TOPT(ARG_scratch_bytes, scratch_bytes);
    VH_TOPT(ARG_max_output_bytes, max_output_bytes);
    VH_TOPT(ARG_max_loop_iterations, max_loop_iterations);
    VH_TOPT(ARG_max_include_depth, max_include_depth);
    VH_TOPT(ARG_max_expression_depth, max_expression_depth);
    VH_TOPT(ARG_max_template_bytes, max_template_bytes);
#undef VH_TOPT
    o.auto_reload = a[ARG_auto_reload].u_bool;
    o.strict = a[ARG_strict].u_bool;
    if (o.render_slots < 1 || o.render_slots > 64 || o.context_bytes < 64 ||
        o.scratch_bytes < 256 || o.max_include_depth > 1000 || o.max_expression_depth < 1 ||
        o.max_expression_depth > 1000) {
        mp_raise_ValueError(MP_ERROR_TEXT("template option out of range"));
    }
    vh_templates_obj_t *self = mp_obj_malloc_with_finaliser(vh_templates_obj_t, type);
    self->store = NULL;
    self->factory = a[ARG_factory].u_obj;
    self->attr_cache = mp_obj_new_dict(0);
    const char *err = NULL;
    self->store = vh_tstore_new(&o, &err);
    if (self->store == NULL) {
        vh_traise(self, "notfound", err ? err : "template store",
                  o.directory ? o.directory : (o.pack ? o.pack : ""), 0, 0);
    }
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t vh_templates_del(mp_obj_t self_in) {
    vh_templates_obj_t *t = MP_OBJ_TO_PTR(self_in);
    if (t->store != NULL) {
        vh_tstore_free(t->store);
        t->store = NULL;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_templates_del_obj, vh_templates_del);

static mp_obj_t vh_templates_render(size_t n_args, const mp_obj_t *args) {
    vh_templates_obj_t *t = vh_tget(args[0]);
    size_t n;
    const char *name = mp_obj_str_get_data(args[1], &n);
    vh_tcompile_error ce;
    const void *prog = vh_tstore_acquire(t->store, name, n, &ce);
    if (prog == NULL) {
        vh_traise_compile(t, &ce);
    }
    return vh_trender_whole(t, prog, true, n_args > 2 ? args[2] : mp_const_none);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_templates_render_obj, 2, 3, vh_templates_render);

static mp_obj_t vh_templates_render_string(size_t n_args, const mp_obj_t *args) {
    vh_templates_obj_t *t = vh_tget(args[0]);
    size_t sn, nn = 10;
    const char *src = mp_obj_str_get_data(args[1], &sn);
    const char *name = n_args > 3 ? mp_obj_str_get_data(args[3], &nn) : "<template>";
    char nbuf[128];
    snprintf(nbuf, sizeof nbuf, "%.*s", (int)(nn < 100 ? nn : 100), name);
    vh_tcompile_error ce;
    void *prog = vh_tcompile_string(t->store, nbuf, src, sn, &ce);
    if (prog == NULL) {
        vh_traise_compile(t, &ce);
    }
    return vh_trender_whole(t, prog, false, n_args > 2 ? args[2] : mp_const_none);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_templates_render_string_obj, 2, 4,
                                           vh_templates_render_string);

static mp_obj_t vh_templates_compile(mp_obj_t self_in, mp_obj_t name_in) {
    vh_templates_obj_t *t = vh_tget(self_in);
    size_t n;
    const char *name = mp_obj_str_get_data(name_in, &n);
    vh_tcompile_error ce;
    const void *prog = vh_tstore_acquire(t->store, name, n, &ce);
    if (prog == NULL) {
        vh_traise_compile(t, &ce);
    }
    size_t bytes = vh_tprogram_bytes(prog);
    vh_tstore_unpin(t->store, prog);
    return mp_obj_new_int_from_uint(bytes);
}
static MP_DEFINE_CONST_FUN_OBJ_2(vh_templates_compile_obj, vh_templates_compile);

static mp_obj_t vh_templates_start(size_t n_args, const mp_obj_t *args) {
    vh_templates_obj_t *t = vh_tget(args[0]);
    size_t n;
    const char *name = mp_obj_str_get_data(args[1], &n);
    vh_trender_obj_t *r = mp_obj_malloc_with_finaliser(vh_trender_obj_t, &vh_trender_type);
    r->owner = t;
    r->prog = NULL;
    r->slot = NULL;
    r->render = NULL;
    r->done = true;
    vh_tcompile_error ce;
    const void *prog = vh_tstore_acquire(t->store, name, n, &ce);
    if (prog == NULL) {
        vh_traise_compile(t, &ce);
    }
    void *slot = vh_tstore_take_slot(t->store);
    if (slot == NULL) {
        vh_tstore_unpin(t->store, prog);
        vh_traise(t, "busy", "every render slot is in use (render_slots)", "", 0, 0);
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        size_t clen = vh_tencode(t, prog, slot, n_args > 2 ? args[2] : mp_const_none);
        nlr_pop();
        r->prog = prog;
        r->slot = slot;
        r->done = false;
        r->render = vh_trender_start(t->store, slot, prog, clen);
    } else {
        vh_tstore_give_slot(t->store, slot);
        vh_tstore_unpin(t->store, prog);
        nlr_jump(nlr.ret_val);
    }
    return MP_OBJ_FROM_PTR(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_templates_start_obj, 2, 3, vh_templates_start);

static mp_obj_t vh_templates_names(mp_obj_t self_in) {
    vh_templates_obj_t *t = vh_tget(self_in);
    size_t total = 0;
    char *buf = vh_tstore_names(t->store, &total);
    mp_obj_t list = mp_obj_new_list(0, NULL);
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        for (size_t i = 0; i < total;) {
            size_t len = strlen(buf + i);
            mp_obj_list_append(list, mp_obj_new_str(buf + i, len));
            i += len + 1;
        }
        nlr_pop();
    } else {
        free(buf);
        nlr_jump(nlr.ret_val);
    }
    free(buf);
    mp_obj_list_sort(1, &list, (mp_map_t *)&mp_const_empty_map);
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_templates_names_obj, vh_templates_names);

static mp_obj_t vh_templates_source(mp_obj_t self_in, mp_obj_t name_in) {
    vh_templates_obj_t *t = vh_tget(self_in);
    size_t n, len = 0;
    const char *name = mp_obj_str_get_data(name_in, &n);
    char *text = vh_tstore_source(t->store, name, n, &len);
    if (text == NULL) {
        vh_traise(t, "notfound", "template not found", mp_obj_str_get_str(name_in), 0, 0);
    }
    mp_obj_t out = MP_OBJ_NULL;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        out = mp_obj_new_bytes((const byte *)text, len);
        nlr_pop();
    } else {
        free(text);
        nlr_jump(nlr.ret_val);
    }
    free(text);
    return out;
}
static MP_DEFINE_CONST_FUN_OBJ_2(vh_templates_source_obj, vh_templates_source);

static mp_obj_t vh_templates_clear(size_t n_args, const mp_obj_t *args) {
    vh_templates_obj_t *t = vh_tget(args[0]);
    size_t n = 0;
    const char *name = n_args > 1 ? mp_obj_str_get_data(args[1], &n) : "";
    vh_tstore_clear(t->store, name, n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_templates_clear_obj, 1, 2, vh_templates_clear);

static mp_obj_t vh_templates_stats(mp_obj_t self_in) {
    vh_templates_obj_t *t = vh_tget(self_in);
    uint64_t v[14];
    vh_tstore_stats(t->store, v);
    static const qstr names[14] = {
        MP_QSTR_hits,          MP_QSTR_compiles,         MP_QSTR_reloads,
        MP_QSTR_evictions,     MP_QSTR_compile_errors,   MP_QSTR_renders,
        MP_QSTR_render_errors, MP_QSTR_cache_bytes_used, MP_QSTR_cached,
        MP_QSTR_pinned,        MP_QSTR_slot_bytes,       MP_QSTR_render_bytes,
        MP_QSTR_context_peak,  MP_QSTR_scratch_peak};
    mp_obj_t d = mp_obj_new_dict(14);
    for (int i = 0; i < 14; i++) {
        mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(names[i]), mp_obj_new_int_from_ull(v[i]));
    }
    return d;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_templates_stats_obj, vh_templates_stats);

static const mp_rom_map_elem_t vh_templates_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&vh_templates_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&vh_templates_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_render), MP_ROM_PTR(&vh_templates_render_obj)},
    {MP_ROM_QSTR(MP_QSTR_render_string), MP_ROM_PTR(&vh_templates_render_string_obj)},
    {MP_ROM_QSTR(MP_QSTR_compile), MP_ROM_PTR(&vh_templates_compile_obj)},
    {MP_ROM_QSTR(MP_QSTR_start), MP_ROM_PTR(&vh_templates_start_obj)},
    {MP_ROM_QSTR(MP_QSTR_names), MP_ROM_PTR(&vh_templates_names_obj)},
    {MP_ROM_QSTR(MP_QSTR_source), MP_ROM_PTR(&vh_templates_source_obj)},
    {MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&vh_templates_clear_obj)},
    {MP_ROM_QSTR(MP_QSTR_stats), MP_ROM_PTR(&vh_templates_stats_obj)},
};
static MP_DEFINE_CONST_DICT(vh_templates_locals, vh_templates_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(vh_templates_type, MP_QSTR_Templates, MP_TYPE_FLAG_NONE, make_new,
                         vh_templates_make_new, locals_dict, &vh_templates_locals);

// --- TemplateRender
// -------------------------------------------------------------------------------

static void vh_trender_finish(vh_trender_obj_t *r) {
    if (r->slot != NULL && r->owner->store != NULL) {
        vh_tstore_give_slot(r->owner->store, r->slot);
        vh_tstore_unpin(r->owner->store, r->prog);
    }
    r->slot = NULL;
    r->done = true;
}

static mp_obj_t vh_trender_del(mp_obj_t self_in) {
    vh_trender_finish(MP_OBJ_TO_PTR(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_trender_del_obj, vh_trender_del);

static mp_obj_t vh_trender_next_py(size_t n_args, const mp_obj_t *args) {
    vh_trender_obj_t *r = MP_OBJ_TO_PTR(args[0]);
    mp_int_t max = n_args > 1 ? mp_obj_get_int(args[1]) : 16384;
    if (max < 16) {
        max = 16;
    }
    if (!r->done && r->owner->store == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("templates closed"));
    }
    if (r->done) {
        return mp_const_empty_bytes;
    }
    vstr_t out;
    vstr_init(&out, (size_t)max);  // may raise: nothing is held but the slot, still owned by r
    size_t n = 0;
    int st = vh_trender_next(r->render, out.buf, (size_t)max, &n);
    out.len = n;
    if (st == 2) {
        vstr_clear(&out);
        int kind;
        const char *msg, *tmpl;
        unsigned line;
        vh_trender_error(r->render, &kind, &msg, &tmpl, &line);
        char m[200], nm[128];
        snprintf(m, sizeof m, "%s", msg);
        snprintf(nm, sizeof nm, "%s", tmpl);
        vh_tstore_count_render(r->owner->store, r->render);
        vh_trender_finish(r);
        vh_traise(r->owner,
                  kind == 1   ? "undefined"
                  : kind == 2 ? "limit"
                              : "render",
                  m, nm, line, 0);
    }
    if (st == 1) {
        vh_tstore_count_render(r->owner->store, r->render);
        vh_trender_finish(r);
    }
    return mp_obj_new_bytes_from_vstr(&out);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_trender_next_obj, 1, 2, vh_trender_next_py);

static const mp_rom_map_elem_t vh_trender_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&vh_trender_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&vh_trender_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_next), MP_ROM_PTR(&vh_trender_next_obj)},
};
static MP_DEFINE_CONST_DICT(vh_trender_locals, vh_trender_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(vh_trender_type, MP_QSTR_TemplateRender, MP_TYPE_FLAG_NONE, locals_dict,
                         &vh_trender_locals);
