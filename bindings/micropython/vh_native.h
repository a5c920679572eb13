// A C view of bindings/common/engine_handle.h for the MicroPython module, whose object tables
// live in C (modviperhttp.c).  Nothing here raises or allocates from the GC heap: every call
// returns a status, and the C glue turns it into a MicroPython exception.  The engine itself
// allocates with malloc (outside the GC heap) and runs on its own thread.
#ifndef VH_NATIVE_H
#define VH_NATIVE_H

#include <stddef.h>
#include <stdint.h>

// bridge::kWritableFlag: pop_cancel's mark of a writable event (a stream has credit again).
#define VH_WRITABLE_FLAG (1u << 30)

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vh_engine vh_engine;

// Option kinds (bindings/common/options.h): a str, an int, a number of seconds, bytes.
enum { VH_OPT_UNKNOWN = -1, VH_OPT_STR = 0, VH_OPT_INT = 1, VH_OPT_SECONDS = 2, VH_OPT_BYTES = 3 };
// What setting an option gave: TypeError for an unknown one, ValueError for an invalid value.
enum { VH_SET_OK = 0, VH_SET_UNKNOWN = 1, VH_SET_INVALID = 2 };
// What vh_create gave: ValueError naming an option, MemoryError naming a resource.
enum { VH_CREATE_OK = 0, VH_CREATE_OPTION = 1, VH_CREATE_RESOURCE = 2 };

// One row of the option table (options.h), for _viperhttp.options().  Str: default_str and
// the length range; Int: default_int, min <= value <= max; Seconds: milliseconds, 0 < v <= max.
typedef struct {
    const char *name;
    int kind;
    int64_t default_int, min, max;
    const char *default_str;
    size_t default_str_len;
    const char *field;
} vh_option_info;

// A request popped from the bridge: views into the engine's ring, valid until vh_release().
typedef struct {
    uint32_t token;  // below 2^30: a small int even on a 32-bit port
    uint32_t route_id;
    uint8_t method;
    uint8_t http_minor;
    uint8_t num_params;
    uint16_t client_port;
    uint32_t client_ip;
    const char *path, *query, *headers, *body, *params;
    size_t path_len, query_len, headers_len, body_len, params_len;
    uint8_t kind;  // 0 a request; WebSocket events: 1 data, 2 closed, 3 writable
    uint8_t ws_flags;
    uint16_t ws_code;
    uint64_t pos_;
    uint32_t len_;
} vh_request;

vh_engine *vh_new(void);
void vh_free(vh_engine *e);  // stops and joins a running engine first
size_t vh_option_count(void);
int vh_option_get(size_t i, vh_option_info *out);  // 1, or 0 past the end
int vh_option_kind(const char *name);
// VH_SET_*
int vh_set_str(vh_engine *e, const char *name, const char *v, size_t n);
int vh_set_int(vh_engine *e, const char *name, int64_t v);
int vh_set_seconds(vh_engine *e, const char *name, double v);
// VH_CREATE_*; *what: the option's name or the resource that could not be had
int vh_create(vh_engine *e, const char **what);
// 0 ok, 1 bad pattern or method, 2 conflict, 3 out of memory
int vh_add_route(vh_engine *e, const char *method, size_t mlen, const char *pattern, size_t plen,
                 uint32_t route_id);
int vh_start(vh_engine *e);  // port, or -errno
int vh_fileno(vh_engine *e);
int vh_readable(vh_engine *e);  // the wake descriptor has a signal pending (no wait)
void vh_stop(vh_engine *e);
int vh_running(vh_engine *e);
void vh_join(vh_engine *e);
void vh_begin_drain(vh_engine *e);
int vh_pop_request(vh_engine *e, vh_request *out);
void vh_release(vh_engine *e, const vh_request *r);
int vh_pop_cancel(vh_engine *e, uint32_t *token);
// 0 queued, 1 queue full (retry after the next wake-up), 2 too large
int vh_respond(vh_engine *e, uint32_t token, unsigned status, const char *headers,
               size_t headers_len, const char *body, size_t body_len);
int vh_respond_file(vh_engine *e, uint32_t token, unsigned status, const char *headers,
                    size_t headers_len, const char *path, size_t path_len, const char *req,
                    size_t req_len);
// Streamed responses (bridge::Bridge::stream_*): start and end as vh_respond; send returns the
// bytes taken, 0 (wait for the writable event), -1 (queue full) or -2 (not a stream token).
int vh_stream_start(vh_engine *e, uint32_t token, unsigned status, const char *headers,
                    size_t headers_len, uint32_t ping_ms, int64_t content_length);
long vh_stream_send(vh_engine *e, uint32_t token, const char *data, size_t len);
int vh_stream_end(vh_engine *e, uint32_t token, int abort);
// NULL, or the message for a ValueError
const char *vh_add_static(vh_engine *e, const char *kind, size_t klen, const char *prefix,
                          size_t plen, const char *source, size_t slen, int html, const char *cc,
                          size_t clen);
size_t vh_max_response_bytes(vh_engine *e);
// WebSocket: ws_accept/ws_close as vh_respond; ws_send 0 queued, 1 full, 2 gone, 3 too large
int vh_ws_accept(vh_engine *e, uint32_t token, const char *protocol, size_t protocol_len,
                 const char *headers, size_t headers_len);
int vh_ws_send(vh_engine *e, uint32_t token, unsigned op, int fin, const char *data, size_t len);
int vh_ws_close(vh_engine *e, uint32_t token, unsigned code, const char *reason, size_t len);
size_t vh_ws_max_frame(vh_engine *e);
void vh_ws_consumed(vh_engine *e, uint32_t token, size_t bytes);
size_t vh_stats_json(vh_engine *e, char *out, size_t cap);
const char *vh_method_name(unsigned method);
// Called on the engine thread after each wake-up of the interpreter (ESP32:
// mp_hal_wake_main_task).  Set before vh_start.
void vh_set_wake_hook(vh_engine *e, void (*hook)(void));

#ifdef __cplusplus
}
#endif

#endif  // VH_NATIVE_H
