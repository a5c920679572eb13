// _viperhttp for MicroPython: the Engine type, handler introspection and signal handling.
//
// The same API as the CPython extension (docs/native-api.md); the engine behind it is
// bindings/common/engine_handle.h through the C API of vh_native.h.  Rules this file keeps
// (SPEC §2.4): MicroPython objects are made only here, on the interpreter thread; the engine
// thread never touches the GC heap; no C++ object is alive across a call that can raise (the
// C++ side sits behind plain C functions that return status codes).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "py/bc.h"
#include "py/objfun.h"
#include "py/objint.h"
#include "py/parsenum.h"
#include "py/runtime.h"
#include "py/stream.h"
#if defined(ESP_PLATFORM)
#include "py/mphal.h"
#endif
#include "vh_native.h"

// Not in a public header; stable layouts used by MicroPython's own introspection helpers.
extern const mp_obj_type_t mp_type_closure;
typedef struct {
    mp_obj_base_t base;
    mp_obj_t meth;
    mp_obj_t self;
} vh_bound_meth_t;
typedef struct {
    mp_obj_base_t base;
    mp_obj_t fun;
    size_t n_closed;
    mp_obj_t closed[];
} vh_closure_t;

typedef struct {
    mp_obj_base_t base;
    vh_engine *engine;
} vh_engine_obj_t;

static const mp_obj_type_t vh_engine_type;
static vh_engine *vh_signal_target;  // the engine SIGINT/SIGTERM stop (see stop_on_signals)

// --- Engine(**options) ---------------------------------------------------------------------

// An int's value when it fits in 64 bits.  mp_obj_get_int would raise OverflowError for any int
// beyond mp_int_t (31 bits on a 32-bit port, where 2**31 is already a long int): an option out
// of range must be a ValueError naming it, on every port, as on CPython.
static bool vh_int64(mp_obj_t v, int64_t *out) {
    if (mp_obj_is_small_int(v)) {
        *out = MP_OBJ_SMALL_INT_VALUE(v);
        return true;
    }
#if MICROPY_LONGINT_IMPL != MICROPY_LONGINT_IMPL_NONE
    byte buf[8];
    if (!mp_obj_int_to_bytes_impl(v, false, sizeof buf, buf)) {
        return false;  // more than 64 bits (signed)
    }
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) {
        u = u << 8 | buf[i];
    }
    *out = (int64_t)u;
    return true;
#else
    return false;
#endif
}

// One keyword of Engine(): converted by its kind, set through the option table (options.h).
static void vh_set_option(vh_engine *e, mp_obj_t key, mp_obj_t value) {
    const char *name = mp_obj_str_get_str(key);
    int kind = vh_option_kind(name);
    int st = VH_SET_INVALID;
    if (kind == VH_OPT_UNKNOWN) {
        mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("unknown engine option: %s"), name);
    } else if (kind == VH_OPT_STR && mp_obj_is_str(value)) {
        size_t n;
        const char *s = mp_obj_str_get_data(value, &n);
        st = vh_set_str(e, name, s, n);
    } else if (kind == VH_OPT_BYTES &&
               (mp_obj_is_str(value) || mp_obj_is_type(value, &mp_type_bytes) ||
                mp_obj_is_type(value, &mp_type_bytearray))) {
        mp_buffer_info_t buf;
        mp_get_buffer_raise(value, &buf, MP_BUFFER_READ);
        st = vh_set_str(e, name, (const char *)buf.buf, buf.len);
    } else if (kind == VH_OPT_INT && mp_obj_is_int(value) && !mp_obj_is_bool(value)) {
        int64_t v;
        st = vh_int64(value, &v) ? vh_set_int(e, name, v) : VH_SET_INVALID;
    } else if (kind == VH_OPT_SECONDS && !mp_obj_is_bool(value) &&
               (mp_obj_is_int(value) || mp_obj_is_float(value))) {
        st = vh_set_seconds(e, name, mp_obj_get_float(value));
    }
    if (st != VH_SET_OK) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), name);
    }
}

static mp_obj_t vh_engine_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                   const mp_obj_t *args) {
    if (n_args != 0) {
        mp_raise_TypeError(MP_ERROR_TEXT("Engine() takes keyword arguments only"));
    }
    vh_engine_obj_t *self = mp_obj_malloc_with_finaliser(vh_engine_obj_t, type);
    self->engine = vh_new();
    if (self->engine == NULL) {
        mp_raise_type(&mp_type_MemoryError);
    }
    for (size_t i = 0; i < n_kw; i++) {
        vh_set_option(self->engine, args[2 * i], args[2 * i + 1]);
    }
    const char *what = NULL;
    int err = vh_create(self->engine, &what);
#if defined(ESP_PLATFORM)
    if (err == VH_CREATE_OK) {
        // select.poll on the esp32 port waits for a task notification between checks; this
        // ends that wait as soon as the engine has something for the interpreter.
        vh_set_wake_hook(self->engine, mp_hal_wake_main_task);
    }
#endif
    if (err == VH_CREATE_OPTION) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), what);
    } else if (err != VH_CREATE_OK) {
        mp_raise_msg_varg(&mp_type_MemoryError, MP_ERROR_TEXT("%s"), what);
    }
    return MP_OBJ_FROM_PTR(self);
}

static vh_engine *vh_get(mp_obj_t self_in) {
    vh_engine_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->engine == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("engine closed"));
    }
    return self->engine;
}

static mp_obj_t vh_engine_del(mp_obj_t self_in) {
    vh_engine_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->engine != NULL) {
        if (vh_signal_target == self->engine) {
            vh_signal_target = NULL;
        }
        vh_free(self->engine);  // stops and joins the engine thread first
        self->engine = NULL;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_del_obj, vh_engine_del);

static mp_obj_t vh_engine_add_route(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    size_t mlen, plen;
    const char *method = mp_obj_str_get_data(args[1], &mlen);
    const char *pattern = mp_obj_str_get_data(args[2], &plen);
    int r = vh_add_route(vh_get(args[0]), method, mlen, pattern, plen, mp_obj_get_int(args[3]));
    if (r == 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid route pattern or method"));
    } else if (r == 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("route conflicts with an existing route"));
    } else if (r == 3) {
        mp_raise_type(&mp_type_MemoryError);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_add_route_obj, 4, 4, vh_engine_add_route);

static mp_obj_t vh_engine_start(mp_obj_t self_in) {
    int port = vh_start(vh_get(self_in));
    if (port < 0) {
        mp_raise_OSError(-port);
    }
    return MP_OBJ_NEW_SMALL_INT(port);
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_start_obj, vh_engine_start);

static mp_obj_t vh_engine_fileno(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(vh_fileno(vh_get(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_fileno_obj, vh_engine_fileno);

// --- drain ---------------------------------------------------------------------------------

// Structural UTF-8 check, as MicroPython's own str validation does (its helper is not public
// in every release).
static bool vh_utf8_valid(const char *s, size_t n) {
    const byte *p = (const byte *)s, *end = p + n;
    while (p < end) {
        byte c = *p++;
        int more = c < 0x80             ? 0
                   : (c & 0xe0) == 0xc0 ? 1
                   : (c & 0xf0) == 0xe0 ? 2
                   : (c & 0xf8) == 0xf0 ? 3
                                        : -1;
        if (more < 0 || end - p < more) {
            return false;
        }
        for (; more > 0; more--) {
            if ((*p++ & 0xc0) != 0x80) {
                return false;
            }
        }
    }
    return true;
}

// A str from bytes that should be UTF-8; invalid sequences become '?' rather than raising.
static mp_obj_t vh_new_str(const char *p, size_t n) {
    if (vh_utf8_valid(p, n)) {
        return mp_obj_new_str(p, n);
    }
    vstr_t v;
    vstr_init(&v, n);
    for (size_t i = 0; i < n; i++) {
        vstr_add_byte(&v, (p[i] & 0x80) ? '?' : p[i]);
    }
    return mp_obj_new_str_from_vstr(&v);
}

static mp_obj_t vh_params(const vh_request *r) {
    mp_obj_t t = mp_obj_new_tuple(r->num_params, NULL);
    mp_obj_t *items = ((mp_obj_tuple_t *)MP_OBJ_TO_PTR(t))->items;
    const char *p = r->params;
    for (uint8_t i = 0; i < r->num_params; i++) {
        char tag = *p++;
        if (tag == 'i') {
            int64_t x;
            memcpy(&x, p, 8);
            p += 8;
            items[i] = mp_obj_new_int_from_ll(x);
        } else if (tag == 'f') {
            // float(segment), as this interpreter makes it: with single-precision floats (the
            // ESP32 port) MicroPython's parser can round a long value one step away from the
            // engine's double narrowed, and the handler's value must equal float() of the same
            // text (a query parameter, a literal in the source).
            uint32_t n;
            memcpy(&n, p + 8, 4);
            items[i] = mp_parse_num_float(p + 12, n, false, NULL);
            p += 12 + n;
        } else {
            uint32_t n;
            memcpy(&n, p, 4);
            items[i] = vh_new_str(p + 4, n);
            p += 4 + n;
        }
    }
    return t;
}

static mp_obj_t vh_request_tuple(const vh_request *r) {
    char ip[16];
    snprintf(ip, sizeof ip, "%u.%u.%u.%u", (unsigned)(r->client_ip >> 24),
             (unsigned)((r->client_ip >> 16) & 255), (unsigned)((r->client_ip >> 8) & 255),
             (unsigned)(r->client_ip & 255));
    mp_obj_t client[2] = {mp_obj_new_str(ip, strlen(ip)), MP_OBJ_NEW_SMALL_INT(r->client_port)};
    static const qstr methods[] = {MP_QSTR_GET,     MP_QSTR_HEAD,  MP_QSTR_POST,
                                   MP_QSTR_PUT,     MP_QSTR_PATCH, MP_QSTR_DELETE,
                                   MP_QSTR_OPTIONS, MP_QSTR_TRACE, MP_QSTR_CONNECT};
    mp_obj_t items[10] = {
        MP_OBJ_NEW_SMALL_INT(r->token),  // below 2^30: never a heap object, even on 32 bits
        mp_obj_new_int_from_uint(r->route_id),
        MP_OBJ_NEW_QSTR(methods[r->method < 9 ? r->method : 0]),
        vh_new_str(r->path, r->path_len),
        vh_new_str(r->query, r->query_len),
        mp_obj_new_bytes((const byte *)r->headers, r->headers_len),
        mp_obj_new_bytes((const byte *)r->body, r->body_len),
        vh_params(r),
        mp_obj_new_tuple(2, client),
        mp_obj_new_str(r->http_minor == 0 ? "1.0" : "1.1", 3),
    };
    return mp_obj_new_tuple(10, items);
}

// A WebSocket event (docs/native-api.md): (token, kind, flags or code, bytes).
static mp_obj_t vh_ws_event_tuple(const vh_request *r) {
    mp_obj_t items[4] = {
        MP_OBJ_NEW_SMALL_INT(r->token),
        MP_OBJ_NEW_SMALL_INT(r->kind),
        MP_OBJ_NEW_SMALL_INT(r->kind == 2 ? r->ws_code : r->ws_flags),
        mp_obj_new_bytes((const byte *)r->body, r->body_len),
    };
    return mp_obj_new_tuple(4, items);
}

// Everything waiting: request tuples and cancelled tokens (ints).  A request's ring space is
// released only after its tuple exists: if building it raises (MemoryError), the request stays
// in the ring and the exception reaches the caller, which may retry.
static mp_obj_t vh_engine_drain(mp_obj_t self_in) {
    vh_engine *e = vh_get(self_in);
    mp_obj_t out = mp_obj_new_list(0, NULL);
    vh_begin_drain(e);
    vh_request r;
    while (vh_pop_request(e, &r)) {
        mp_obj_t t = r.kind == 0 ? vh_request_tuple(&r) : vh_ws_event_tuple(&r);
        vh_release(e, &r);
        mp_obj_list_append(out, t);
    }
    uint32_t token;
    while (vh_pop_cancel(e, &token)) {
        // A writable event (a stream has credit again) is ~token, a negative int.
        mp_int_t v =
            (token & VH_WRITABLE_FLAG) ? ~(mp_int_t)(token & ~VH_WRITABLE_FLAG) : (mp_int_t)token;
        mp_obj_list_append(out, MP_OBJ_NEW_SMALL_INT(v));
    }
    return out;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_drain_obj, vh_engine_drain);

// A token as drain() gave it: a small int below 2^30 (docs/native-api.md).  Anything else names
// no request; it is refused rather than truncated, which could name another request.
static uint32_t vh_token(mp_obj_t t) {
    if (!mp_obj_is_int(t) || mp_obj_is_bool(t)) {
        mp_raise_TypeError(MP_ERROR_TEXT("token must be an int"));
    }
    if (!mp_obj_is_small_int(t) || MP_OBJ_SMALL_INT_VALUE(t) < 0 ||
        MP_OBJ_SMALL_INT_VALUE(t) >= ((mp_int_t)1 << 30)) {
        mp_raise_ValueError(MP_ERROR_TEXT("token out of range"));
    }
    return (uint32_t)MP_OBJ_SMALL_INT_VALUE(t);
}

static mp_obj_t vh_engine_respond(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t headers, body;
    mp_get_buffer_raise(args[3], &headers, MP_BUFFER_READ);
    mp_get_buffer_raise(args[4], &body, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    int r = vh_respond(vh_get(args[0]), token, (unsigned)mp_obj_get_int(args[2]), headers.buf,
                       headers.len, body.buf, body.len);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_respond_obj, 5, 5, vh_engine_respond);

static mp_obj_t vh_engine_respond_file(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t headers, path, req;
    mp_get_buffer_raise(args[3], &headers, MP_BUFFER_READ);
    mp_get_buffer_raise(args[4], &path, MP_BUFFER_READ);
    mp_get_buffer_raise(args[5], &req, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    int r = vh_respond_file(vh_get(args[0]), token, (unsigned)mp_obj_get_int(args[2]), headers.buf,
                            headers.len, path.buf, path.len, req.buf, req.len);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_respond_file_obj, 6, 6,
                                           vh_engine_respond_file);

// stream_start(token, status, headers, ping_ms, content_length) -> 0 ok, 1 full, 2 bad token
static mp_obj_t vh_engine_stream_start(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t headers;
    mp_get_buffer_raise(args[3], &headers, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    mp_int_t ping = mp_obj_get_int(args[4]);
    mp_int_t length = mp_obj_get_int(args[5]);
    if (ping < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("ping_ms"));
    }
    int r = vh_stream_start(vh_get(args[0]), token, (unsigned)mp_obj_get_int(args[2]), headers.buf,
                            headers.len, (uint32_t)ping, (int64_t)length);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_stream_start_obj, 6, 6,
                                           vh_engine_stream_start);

// stream_send(token, data) -> bytes taken, 0 wait (writable event), -1 full, -2 bad token
static mp_obj_t vh_engine_stream_send(mp_obj_t self_in, mp_obj_t token_in, mp_obj_t data_in) {
    mp_buffer_info_t data;
    mp_get_buffer_raise(data_in, &data, MP_BUFFER_READ);
    uint32_t token = vh_token(token_in);
    return MP_OBJ_NEW_SMALL_INT(vh_stream_send(vh_get(self_in), token, data.buf, data.len));
}
static MP_DEFINE_CONST_FUN_OBJ_3(vh_engine_stream_send_obj, vh_engine_stream_send);

// stream_end(token, abort) -> 0 ok, 1 full, 2 bad token
static mp_obj_t vh_engine_stream_end(mp_obj_t self_in, mp_obj_t token_in, mp_obj_t abort_in) {
    uint32_t token = vh_token(token_in);
    return MP_OBJ_NEW_SMALL_INT(vh_stream_end(vh_get(self_in), token, mp_obj_is_true(abort_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(vh_engine_stream_end_obj, vh_engine_stream_end);
// ws_accept(token, protocol: bytes, headers: bytes) -> as respond
static mp_obj_t vh_engine_ws_accept(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t protocol, headers;
    mp_get_buffer_raise(args[2], &protocol, MP_BUFFER_READ);
    mp_get_buffer_raise(args[3], &headers, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    int r =
        vh_ws_accept(vh_get(args[0]), token, protocol.buf, protocol.len, headers.buf, headers.len);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_ws_accept_obj, 4, 4, vh_engine_ws_accept);

// ws_send(token, opcode, fin, data) -> 0 queued, 1 full (wait), 2 gone, 3 too large
static mp_obj_t vh_engine_ws_send(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t data;
    mp_get_buffer_raise(args[4], &data, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    int r = vh_ws_send(vh_get(args[0]), token, (unsigned)mp_obj_get_int(args[2]),
                       mp_obj_is_true(args[3]), data.buf, data.len);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_ws_send_obj, 5, 5, vh_engine_ws_send);

// ws_close(token, code, reason: bytes) -> as respond
static mp_obj_t vh_engine_ws_close(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t reason;
    mp_get_buffer_raise(args[3], &reason, MP_BUFFER_READ);
    uint32_t token = vh_token(args[1]);
    int r = vh_ws_close(vh_get(args[0]), token, (unsigned)mp_obj_get_int(args[2]), reason.buf,
                        reason.len);
    return MP_OBJ_NEW_SMALL_INT(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_ws_close_obj, 4, 4, vh_engine_ws_close);

// ws_consumed(token, nbytes): the application read that much (its receive window)
static mp_obj_t vh_engine_ws_consumed(mp_obj_t self_in, mp_obj_t token_in, mp_obj_t n_in) {
    uint32_t token = vh_token(token_in);
    mp_int_t n = mp_obj_get_int(n_in);
    vh_ws_consumed(vh_get(self_in), token, n < 0 ? 0 : (size_t)n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(vh_engine_ws_consumed_obj, vh_engine_ws_consumed);

static mp_obj_t vh_engine_ws_max_frame(mp_obj_t self_in) {
    return mp_obj_new_int_from_uint(vh_ws_max_frame(vh_get(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_ws_max_frame_obj, vh_engine_ws_max_frame);

// add_static(kind, prefix, source, html, cache_control)
static mp_obj_t vh_engine_add_static(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    size_t klen, plen, slen, clen;
    const char *kind = mp_obj_str_get_data(args[1], &klen);
    const char *prefix = mp_obj_str_get_data(args[2], &plen);
    const char *source = mp_obj_str_get_data(args[3], &slen);
    const char *cc = mp_obj_str_get_data(args[5], &clen);
    const char *err = vh_add_static(vh_get(args[0]), kind, klen, prefix, plen, source, slen,
                                    mp_obj_is_true(args[4]), cc, clen);
    if (err != NULL) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), err);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(vh_engine_add_static_obj, 6, 6, vh_engine_add_static);

static mp_obj_t vh_engine_stop(mp_obj_t self_in) {
    vh_stop(vh_get(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_stop_obj, vh_engine_stop);

static mp_obj_t vh_engine_running(mp_obj_t self_in) {
    return mp_obj_new_bool(vh_running(vh_get(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_running_obj, vh_engine_running);

static mp_obj_t vh_engine_join(mp_obj_t self_in) {
    vh_engine *e = vh_get(self_in);
    MP_THREAD_GIL_EXIT();
    vh_join(e);
    MP_THREAD_GIL_ENTER();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_join_obj, vh_engine_join);

static mp_obj_t vh_engine_stats(mp_obj_t self_in) {
    char buf[4096];
    size_t n = vh_stats_json(vh_get(self_in), buf, sizeof buf);
    return mp_obj_new_str(buf, n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_stats_obj, vh_engine_stats);

static mp_obj_t vh_engine_max_response_bytes(mp_obj_t self_in) {
    return mp_obj_new_int_from_uint(vh_max_response_bytes(vh_get(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_max_response_bytes_obj, vh_engine_max_response_bytes);

// SIGINT/SIGTERM → graceful stop of this engine.  The handler only calls vh_stop, which
// stores a flag and writes an eventfd (async-signal-safe); the serving loop then sees the
// engine stop and returns.  MicroPython's unix port has no `signal` module, so this is how a
// MicroPython app gets the same shutdown as a CPython one.
static void vh_on_signal(int sig) {
    (void)sig;
    if (vh_signal_target != NULL) {
        vh_stop(vh_signal_target);
    }
}

static mp_obj_t vh_engine_stop_on_signals(mp_obj_t self_in) {
    vh_signal_target = vh_get(self_in);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = vh_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_engine_stop_on_signals_obj, vh_engine_stop_on_signals);

// The stream protocol makes the engine awaitable by asyncio: select.poll asks for the file
// descriptor (so it blocks in one poll() with the real timeout, never a 1 ms loop) and for
// readiness.
static mp_uint_t vh_engine_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    vh_engine_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->engine == NULL) {
        *errcode = MP_EBADF;
        return MP_STREAM_ERROR;
    }
    if (request == MP_STREAM_GET_FILENO) {
        return (mp_uint_t)vh_fileno(self->engine);
    }
    if (request == MP_STREAM_POLL) {
        return (arg & MP_STREAM_POLL_RD) && vh_readable(self->engine) ? MP_STREAM_POLL_RD : 0;
    }
    *errcode = MP_EINVAL;
    return MP_STREAM_ERROR;
}

static const mp_stream_p_t vh_engine_stream_p = {
    .ioctl = vh_engine_ioctl,
};

static const mp_rom_map_elem_t vh_engine_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&vh_engine_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&vh_engine_del_obj)},
    {MP_ROM_QSTR(MP_QSTR_add_route), MP_ROM_PTR(&vh_engine_add_route_obj)},
    {MP_ROM_QSTR(MP_QSTR_start), MP_ROM_PTR(&vh_engine_start_obj)},
    {MP_ROM_QSTR(MP_QSTR_fileno), MP_ROM_PTR(&vh_engine_fileno_obj)},
    {MP_ROM_QSTR(MP_QSTR_drain), MP_ROM_PTR(&vh_engine_drain_obj)},
    {MP_ROM_QSTR(MP_QSTR_respond), MP_ROM_PTR(&vh_engine_respond_obj)},
    {MP_ROM_QSTR(MP_QSTR_respond_file), MP_ROM_PTR(&vh_engine_respond_file_obj)},
    {MP_ROM_QSTR(MP_QSTR_stream_start), MP_ROM_PTR(&vh_engine_stream_start_obj)},
    {MP_ROM_QSTR(MP_QSTR_stream_send), MP_ROM_PTR(&vh_engine_stream_send_obj)},
    {MP_ROM_QSTR(MP_QSTR_stream_end), MP_ROM_PTR(&vh_engine_stream_end_obj)},
    {MP_ROM_QSTR(MP_QSTR_add_static), MP_ROM_PTR(&vh_engine_add_static_obj)},
    {MP_ROM_QSTR(MP_QSTR_ws_accept), MP_ROM_PTR(&vh_engine_ws_accept_obj)},
    {MP_ROM_QSTR(MP_QSTR_ws_send), MP_ROM_PTR(&vh_engine_ws_send_obj)},
    {MP_ROM_QSTR(MP_QSTR_ws_close), MP_ROM_PTR(&vh_engine_ws_close_obj)},
    {MP_ROM_QSTR(MP_QSTR_ws_max_frame), MP_ROM_PTR(&vh_engine_ws_max_frame_obj)},
    {MP_ROM_QSTR(MP_QSTR_ws_consumed), MP_ROM_PTR(&vh_engine_ws_consumed_obj)},
    {MP_ROM_QSTR(MP_QSTR_stop), MP_ROM_PTR(&vh_engine_stop_obj)},
    {MP_ROM_QSTR(MP_QSTR_running), MP_ROM_PTR(&vh_engine_running_obj)},
    {MP_ROM_QSTR(MP_QSTR_join), MP_ROM_PTR(&vh_engine_join_obj)},
    {MP_ROM_QSTR(MP_QSTR_stats), MP_ROM_PTR(&vh_engine_stats_obj)},
    {MP_ROM_QSTR(MP_QSTR_max_response_bytes), MP_ROM_PTR(&vh_engine_max_response_bytes_obj)},
    {MP_ROM_QSTR(MP_QSTR_stop_on_signals), MP_ROM_PTR(&vh_engine_stop_on_signals_obj)},
};
static MP_DEFINE_CONST_DICT(vh_engine_locals, vh_engine_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(vh_engine_type, MP_QSTR_Engine, MP_TYPE_FLAG_NONE, make_new,
                                vh_engine_make_new, protocol, &vh_engine_stream_p, locals_dict,
                                &vh_engine_locals);

// --- signature(fn, empty) ------------------------------------------------------------------

// Finds the bytecode function behind a callable and how many leading parameters the caller
// does not fill (a bound method's self, a closure's captured cells).
static mp_obj_fun_bc_t *vh_unwrap(mp_obj_t fn, size_t *skip) {
    for (int depth = 0; depth < 4; depth++) {
        const mp_obj_type_t *t = mp_obj_get_type(fn);
        if (t == &mp_type_fun_bc || t == &mp_type_gen_wrap
#if MICROPY_EMIT_NATIVE
            || t == &mp_type_fun_native || t == &mp_type_native_gen_wrap
#endif
        ) {
            return MP_OBJ_TO_PTR(fn);
        }
        if (t == &mp_type_bound_meth) {
            fn = ((vh_bound_meth_t *)MP_OBJ_TO_PTR(fn))->meth;
            *skip += 1;
        } else if (t == &mp_type_closure) {
            vh_closure_t *c = MP_OBJ_TO_PTR(fn);
            *skip += c->n_closed;
            fn = c->fun;
        } else {
#if MICROPY_EMIT_NATIVE
            if (t == &mp_type_fun_viper) {
                mp_raise_ValueError(MP_ERROR_TEXT(
                    "viper functions keep no argument names: use a plain or @native function"));
            }
#endif
            mp_obj_t dest[2];
            mp_load_method_maybe(fn, MP_QSTR___call__, dest);
            if (dest[0] == MP_OBJ_NULL) {
                break;
            }
            fn = dest[0];
            if (dest[1] != MP_OBJ_NULL) {
                *skip += 1;
            }
        }
    }
    mp_raise_TypeError(MP_ERROR_TEXT("handler is not a Python function or callable object"));
}

static bool vh_is_gen(const mp_obj_fun_bc_t *f) {
    const mp_obj_type_t *t = f->base.type;
#if MICROPY_EMIT_NATIVE
    if (t == &mp_type_native_gen_wrap) {
        return true;
    }
#endif
    return t == &mp_type_gen_wrap;
}

// [(name, default_or_empty), ...] for the parameters a caller fills by keyword.
static mp_obj_t vh_signature(mp_obj_t fn_in, mp_obj_t empty) {
    size_t skip = 0;
    mp_obj_fun_bc_t *fun = vh_unwrap(fn_in, &skip);
    const byte *bc = fun->bytecode;
#if MICROPY_EMIT_NATIVE
    if (fun->base.type == &mp_type_fun_native || fun->base.type == &mp_type_native_gen_wrap) {
        bc = mp_obj_fun_native_get_prelude_ptr(fun);
    }
#endif
    MP_BC_PRELUDE_SIG_DECODE(bc);
    MP_BC_PRELUDE_SIZE_DECODE(bc);
    (void)n_info;
    (void)n_cell;
    const byte *names = bc;
    mp_decode_uint(&names);  // the function's own name
    size_t n_names = n_pos_args + n_kwonly_args;
    mp_obj_t kw_defaults =
        (scope_flags & MP_SCOPE_FLAG_DEFKWARGS) ? fun->extra_args[n_def_pos_args] : MP_OBJ_NULL;
    mp_obj_t out = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < n_names; i++) {
        qstr q = mp_decode_uint(&names);
#if MICROPY_EMIT_BYTECODE_USES_QSTR_TABLE
        q = fun->context->constants.qstr_table[q];
#endif
        if (i < skip) {
            continue;
        }
        mp_obj_t def = empty;
        if (i < n_pos_args) {
            size_t first_default = n_pos_args - n_def_pos_args;
            if (i >= first_default) {
                def = fun->extra_args[i - first_default];
            }
        } else if (kw_defaults != MP_OBJ_NULL) {
            mp_map_elem_t *el =
                mp_map_lookup(mp_obj_dict_get_map(kw_defaults), MP_OBJ_NEW_QSTR(q), MP_MAP_LOOKUP);
            if (el != NULL) {
                def = el->value;
            }
        }
        mp_obj_t pair[2] = {MP_OBJ_NEW_QSTR(q), def};
        mp_obj_list_append(out, mp_obj_new_tuple(2, pair));
    }
    return out;
}
static MP_DEFINE_CONST_FUN_OBJ_2(vh_signature_obj, vh_signature);

static mp_obj_t vh_is_async(mp_obj_t fn_in) {
    size_t skip = 0;
    return mp_obj_new_bool(vh_is_gen(vh_unwrap(fn_in, &skip)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(vh_is_async_obj, vh_is_async);

// options() -> ((name, kind, default, min, max, field), ...): the option table (options.h).
// kind is "str" (min/max: length), "int" (min <= value <= max), "seconds" (0 < value <= max) or
// "bytes" (min/max: length; default b"").
static mp_obj_t vh_options(void) {
    size_t n = vh_option_count();
    mp_obj_t t = mp_obj_new_tuple(n, NULL);
    vh_option_info o;
    for (size_t i = 0; vh_option_get(i, &o); i++) {
        mp_obj_t row[6];
        row[0] = mp_obj_new_str(o.name, strlen(o.name));
        if (o.kind == VH_OPT_STR) {
            row[1] = MP_OBJ_NEW_QSTR(MP_QSTR_str);
            row[2] = mp_obj_new_str(o.default_str, o.default_str_len);
            row[3] = mp_obj_new_int_from_ll(o.min);
            row[4] = mp_obj_new_int_from_ll(o.max);
        } else if (o.kind == VH_OPT_BYTES) {
            row[1] = MP_OBJ_NEW_QSTR(MP_QSTR_bytes);
            row[2] = mp_obj_new_bytes((const byte *)"", 0);
            row[3] = mp_obj_new_int_from_ll(o.min);
            row[4] = mp_obj_new_int_from_ll(o.max);
        } else if (o.kind == VH_OPT_INT) {
            row[1] = MP_OBJ_NEW_QSTR(MP_QSTR_int);
            row[2] = mp_obj_new_int_from_ll(o.default_int);
            row[3] = mp_obj_new_int_from_ll(o.min);
            row[4] = mp_obj_new_int_from_ll(o.max);
        } else {
            row[1] = mp_obj_new_str("seconds", 7);
            row[2] = mp_obj_new_float((mp_float_t)o.default_int / 1000);
            row[3] = mp_obj_new_float((mp_float_t)o.min / 1000);
            row[4] = mp_obj_new_float((mp_float_t)o.max / 1000);
        }
        row[5] = mp_obj_new_str(o.field, strlen(o.field));
        ((mp_obj_tuple_t *)MP_OBJ_TO_PTR(t))->items[i] = mp_obj_new_tuple(6, row);
    }
    return t;
}
static MP_DEFINE_CONST_FUN_OBJ_0(vh_options_obj, vh_options);

// Templates (modtemplates.c)
extern const mp_obj_type_t vh_templates_type;
extern const mp_obj_type_t vh_trender_type;

static const mp_rom_map_elem_t vh_module_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__viperhttp)},
    {MP_ROM_QSTR(MP_QSTR_Engine), MP_ROM_PTR(&vh_engine_type)},
    {MP_ROM_QSTR(MP_QSTR_signature), MP_ROM_PTR(&vh_signature_obj)},
    {MP_ROM_QSTR(MP_QSTR_is_async), MP_ROM_PTR(&vh_is_async_obj)},
    {MP_ROM_QSTR(MP_QSTR_options), MP_ROM_PTR(&vh_options_obj)},
    {MP_ROM_QSTR(MP_QSTR_Templates), MP_ROM_PTR(&vh_templates_type)},
    {MP_ROM_QSTR(MP_QSTR_TemplateRender), MP_ROM_PTR(&vh_trender_type)},
};
static MP_DEFINE_CONST_DICT(vh_module_globals, vh_module_globals_table);

const mp_obj_module_t vh_module = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&vh_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__viperhttp, vh_module);
