// The C API of vh_native.h over viper::binding::EngineHandle.
#include "vh_native.h"

#include <poll.h>

#include <new>
#include <string>

#include "engine_handle.h"

using viper::binding::EngineHandle;
using viper::binding::OptionKind;

// vh_native.h's kinds are options.h's, for C.
static_assert(VH_OPT_STR == int(OptionKind::Str) && VH_OPT_INT == int(OptionKind::Int) &&
              VH_OPT_SECONDS == int(OptionKind::Seconds) && VH_OPT_BYTES == int(OptionKind::Bytes));

struct vh_engine {
    EngineHandle h;
};

extern "C" {

vh_engine *vh_new(void) {
    return new (std::nothrow) vh_engine();
}

void vh_free(vh_engine *e) {
    delete e;
}

size_t vh_option_count(void) {
    return viper::binding::kNumOptionSpecs;
}

int vh_option_get(size_t i, vh_option_info *out) {
    if (i >= viper::binding::kNumOptionSpecs)
        return 0;
    const viper::binding::OptionSpec &spec = viper::binding::kOptionSpecs[i];
    std::string_view d = viper::binding::option_default_str(spec);
    out->name = spec.name;
    out->kind = int(spec.kind);
    out->default_int = viper::binding::option_default_int(spec);
    out->min = spec.min;
    out->max = spec.max;
    out->default_str = d.data();
    out->default_str_len = d.size();
    out->field = spec.field;
    return 1;
}

int vh_option_kind(const char *name) {
    const viper::binding::OptionSpec *spec = viper::binding::find_option(name);
    return spec != nullptr ? int(spec->kind) : VH_OPT_UNKNOWN;
}

static int vh_set_status(viper::binding::OptionStatus st) {
    switch (st) {
        case viper::binding::OptionStatus::Ok:
            return VH_SET_OK;
        case viper::binding::OptionStatus::Unknown:
            return VH_SET_UNKNOWN;
        default:
            return VH_SET_INVALID;
    }
}

int vh_set_str(vh_engine *e, const char *name, const char *v, size_t n) {
    return vh_set_status(e->h.set_str(name, std::string_view(v, n)));
}

int vh_set_int(vh_engine *e, const char *name, int64_t v) {
    return vh_set_status(e->h.set_int(name, v));
}

int vh_set_seconds(vh_engine *e, const char *name, double v) {
    return vh_set_status(e->h.set_seconds(name, v));
}

int vh_create(vh_engine *e, const char **what) {
    switch (e->h.create(what)) {
        case EngineHandle::CreateError::Ok:
            return VH_CREATE_OK;
        case EngineHandle::CreateError::Option:
            return VH_CREATE_OPTION;
        default:
            return VH_CREATE_RESOURCE;
    }
}

int vh_add_route(vh_engine *e, const char *method, size_t mlen, const char *pattern, size_t plen,
                 uint32_t route_id) {
    switch (
        e->h.add_route(std::string_view(method, mlen), std::string_view(pattern, plen), route_id)) {
        case viper::AddResult::Ok:
            return 0;
        case viper::AddResult::Conflict:
            return 2;
        case viper::AddResult::OutOfMemory:
            return 3;
        default:
            return 1;
    }
}

int vh_start(vh_engine *e) {
    return e->h.start();
}
int vh_fileno(vh_engine *e) {
    return e->h.wake_fd();
}

int vh_readable(vh_engine *e) {
    pollfd p{e->h.wake_fd(), POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) ? 1 : 0;
}

void vh_stop(vh_engine *e) {
    e->h.stop();
}
int vh_running(vh_engine *e) {
    return e->h.running() ? 1 : 0;
}
void vh_join(vh_engine *e) {
    e->h.join();
}
void vh_begin_drain(vh_engine *e) {
    e->h.bridge()->begin_drain();
}

int vh_pop_request(vh_engine *e, vh_request *out) {
    viper::bridge::RequestItem it;
    if (!e->h.bridge()->pop_request(&it))
        return 0;
    out->token = it.token;
    out->route_id = it.route_id;
    out->method = uint8_t(it.method);
    out->http_minor = it.http_minor;
    out->num_params = it.num_params;
    out->client_port = it.client_port;
    out->client_ip = it.client_ip;
    out->path = it.path.data();
    out->path_len = it.path.size();
    out->query = it.query.data();
    out->query_len = it.query.size();
    out->headers = it.headers.data();
    out->headers_len = it.headers.size();
    out->body = it.body.data();
    out->body_len = it.body.size();
    out->params = it.params.data();
    out->params_len = it.params.size();
    out->kind = it.kind;
    out->ws_flags = it.ws_flags;
    out->ws_code = it.ws_code;
    out->pos_ = it.pos_;
    out->len_ = it.len_;
    return 1;
}

void vh_release(vh_engine *e, const vh_request *r) {
    viper::bridge::RequestItem it{};
    it.pos_ = r->pos_;
    it.len_ = r->len_;
    e->h.bridge()->release(it);
}

int vh_pop_cancel(vh_engine *e, uint32_t *token) {
    return e->h.bridge()->pop_cancel(token) ? 1 : 0;
}

int vh_respond(vh_engine *e, uint32_t token, unsigned status, const char *headers,
               size_t headers_len, const char *body, size_t body_len) {
    return int(e->h.bridge()->respond(token, uint16_t(status),
                                      std::string_view(headers, headers_len),
                                      std::string_view(body, body_len)));
}

int vh_respond_file(vh_engine *e, uint32_t token, unsigned status, const char *headers,
                    size_t headers_len, const char *path, size_t path_len, const char *req,
                    size_t req_len) {
    return int(e->h.bridge()->respond_file(
        token, uint16_t(status), std::string_view(headers, headers_len),
        std::string_view(path, path_len), std::string_view(req, req_len)));
}

static_assert(VH_WRITABLE_FLAG == viper::bridge::kWritableFlag, "kept in step");

int vh_stream_start(vh_engine *e, uint32_t token, unsigned status, const char *headers,
                    size_t headers_len, uint32_t ping_ms, int64_t content_length) {
    return int(e->h.bridge()->stream_start(
        token, uint16_t(status), std::string_view(headers, headers_len), ping_ms, content_length));
}

long vh_stream_send(vh_engine *e, uint32_t token, const char *data, size_t len) {
    return e->h.bridge()->stream_send(token, std::string_view(data, len));
}

int vh_stream_end(vh_engine *e, uint32_t token, int abort) {
    return int(e->h.bridge()->stream_end(token, abort != 0));
}

const char *vh_add_static(vh_engine *e, const char *kind, size_t klen, const char *prefix,
                          size_t plen, const char *source, size_t slen, int html, const char *cc,
                          size_t clen) {
    return e->h.add_static(std::string_view(kind, klen), std::string_view(prefix, plen),
                           std::string_view(source, slen), html != 0, std::string_view(cc, clen));
}

void vh_set_wake_hook(vh_engine *e, void (*hook)(void)) {
    e->h.bridge()->set_wake_hook(hook);
}

size_t vh_max_response_bytes(vh_engine *e) {
    return e->h.bridge()->max_response_bytes();
}

int vh_ws_accept(vh_engine *e, uint32_t token, const char *protocol, size_t protocol_len,
                 const char *headers, size_t headers_len) {
    return int(e->h.bridge()->ws_accept(token, std::string_view(protocol, protocol_len),
                                        std::string_view(headers, headers_len)));
}

int vh_ws_send(vh_engine *e, uint32_t token, unsigned op, int fin, const char *data, size_t len) {
    return int(e->h.bridge()->ws_send(token, uint8_t(op), fin != 0, std::string_view(data, len)));
}

int vh_ws_close(vh_engine *e, uint32_t token, unsigned code, const char *reason, size_t len) {
    return int(e->h.bridge()->ws_close(token, uint16_t(code), std::string_view(reason, len)));
}

void vh_ws_consumed(vh_engine *e, uint32_t token, size_t bytes) {
    e->h.bridge()->ws_consumed(token, bytes);
}

size_t vh_ws_max_frame(vh_engine *e) {
    return e->h.bridge()->ws_max_frame();
}

size_t vh_stats_json(vh_engine *e, char *out, size_t cap) {
    return e->h.stats_json(out, cap);
}

const char *vh_method_name(unsigned method) {
    static const char *const kNames[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                         "DELETE", "OPTIONS", "TRACE", "CONNECT"};
    return method < 9 ? kNames[method] : "?";
}

}  // extern "C"
