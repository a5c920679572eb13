// _viperhttp: the CPython extension.  Thin glue between Python objects and
// bindings/common/engine_handle.h; the API is described in docs/native-api.md and is the same
// as the MicroPython module's.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstring>
#include <new>

#include "engine_handle.h"
#include "http/method.h"

namespace {

using viper::binding::EngineHandle;
using viper::binding::OptionKind;
using viper::binding::OptionStatus;

struct EngineObject {
  PyObject_HEAD EngineHandle* h;
};

PyObject* g_methods[viper::http::kMethodCount];  // interned method names

PyObject* raise_value_error(const char* what) {
  PyErr_SetString(PyExc_ValueError, what);
  return nullptr;
}

// One keyword of Engine(): converted by its kind (options.h), set through the table.
int set_option(EngineHandle* h, PyObject* key, PyObject* value) {
  Py_ssize_t len;
  const char* name = PyUnicode_AsUTF8AndSize(key, &len);
  if (name == nullptr) return -1;
  std::string_view n(name, size_t(len));
  const viper::binding::OptionSpec* spec = viper::binding::find_option(n);
  if (spec == nullptr) {
    PyErr_Format(PyExc_TypeError, "unknown engine option: %s", name);
    return -1;
  }
  OptionStatus st = OptionStatus::Invalid;
  if (spec->kind == OptionKind::Str && PyUnicode_Check(value)) {
    Py_ssize_t vlen;
    const char* v = PyUnicode_AsUTF8AndSize(value, &vlen);
    if (v != nullptr) st = h->set_str(n, std::string_view(v, size_t(vlen)));
  } else if (spec->kind == OptionKind::Bytes && PyObject_CheckBuffer(value)) {
    Py_buffer b;
    if (PyObject_GetBuffer(value, &b, PyBUF_SIMPLE) == 0) {
      st = h->set_str(n, std::string_view(static_cast<const char*>(b.buf), size_t(b.len)));
      PyBuffer_Release(&b);
    }
  } else if (spec->kind == OptionKind::Bytes && PyUnicode_Check(value)) {
    Py_ssize_t vlen;
    const char* v = PyUnicode_AsUTF8AndSize(value, &vlen);
    if (v != nullptr) st = h->set_str(n, std::string_view(v, size_t(vlen)));
  } else if (spec->kind == OptionKind::Int && PyLong_Check(value) && !PyBool_Check(value)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow == 0 && !PyErr_Occurred()) st = h->set_int(n, v);
  } else if (spec->kind == OptionKind::Seconds && (PyLong_Check(value) || PyFloat_Check(value)) &&
             !PyBool_Check(value)) {
    double v = PyFloat_AsDouble(value);
    if (!PyErr_Occurred()) st = h->set_seconds(n, v);
  }
  if (st != OptionStatus::Ok) {
    PyErr_Clear();
    PyErr_SetString(PyExc_ValueError, name);
    return -1;
  }
  return 0;
}

PyObject* engine_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "Engine() takes keyword arguments only");
    return nullptr;
  }
  auto* self = reinterpret_cast<EngineObject*>(type->tp_alloc(type, 0));
  if (self == nullptr) return nullptr;
  self->h = new (std::nothrow) EngineHandle();
  if (self->h == nullptr) {
    Py_DECREF(self);
    return PyErr_NoMemory();
  }
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (kwargs != nullptr && PyDict_Next(kwargs, &pos, &key, &value)) {
    if (set_option(self->h, key, value) != 0) {
      Py_DECREF(self);
      return nullptr;
    }
  }
  const char* what = nullptr;
  EngineHandle::CreateError err = self->h->create(&what);
  if (err != EngineHandle::CreateError::Ok) {
    PyErr_SetString(err == EngineHandle::CreateError::Option ? PyExc_ValueError : PyExc_MemoryError,
                    what);
    Py_DECREF(self);
    return nullptr;
  }
  return reinterpret_cast<PyObject*>(self);
}

void engine_dealloc(EngineObject* self) {
  if (self->h != nullptr) {
    Py_BEGIN_ALLOW_THREADS delete self->h;  // stops and joins a running engine
    Py_END_ALLOW_THREADS
  }
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(reinterpret_cast<PyObject*>(self));
  Py_DECREF(type);  // heap types are referenced by their instances
}

PyObject* engine_add_route(EngineObject* self, PyObject* args) {
  const char *method, *pattern;
  Py_ssize_t plen;
  unsigned int route_id;
  if (!PyArg_ParseTuple(args, "ss#I", &method, &pattern, &plen, &route_id)) return nullptr;
  viper::AddResult r =
      self->h->add_route(method, std::string_view(pattern, size_t(plen)), route_id);
  switch (r) {
    case viper::AddResult::Ok:
      Py_RETURN_NONE;
    case viper::AddResult::Conflict:
      return raise_value_error("route conflicts with an existing route");
    case viper::AddResult::OutOfMemory:
      return PyErr_NoMemory();
    default:
      return raise_value_error("invalid route pattern or method");
  }
}

PyObject* engine_start(EngineObject* self, PyObject*) {
  int port = self->h->start();
  if (port < 0) {
    errno = -port;
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return PyLong_FromLong(port);
}

PyObject* engine_fileno(EngineObject* self, PyObject*) {
  return PyLong_FromLong(self->h->wake_fd());
}

PyObject* make_params(const viper::bridge::RequestItem& it) {
  PyObject* t = PyTuple_New(it.num_params);
  if (t == nullptr) return nullptr;
  const char* p = it.params.data();
  for (uint8_t i = 0; i < it.num_params; i++) {
    char tag = *p++;
    PyObject* v;
    if (tag == 'i') {
      int64_t x;
      std::memcpy(&x, p, 8);
      p += 8;
      v = PyLong_FromLongLong(x);
    } else if (tag == 'f') {
      double x;
      uint32_t n;
      std::memcpy(&x, p, 8);
      std::memcpy(&n, p + 8, 4);
      p += 12 + n;  // the text is for interpreters whose float is not a double
      v = PyFloat_FromDouble(x);
    } else {
      uint32_t n;
      std::memcpy(&n, p, 4);
      v = PyUnicode_DecodeUTF8(p + 4, n, "replace");
      p += 4 + n;
    }
    if (v == nullptr) {
      Py_DECREF(t);
      return nullptr;
    }
    PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

PyObject* make_request(const viper::bridge::RequestItem& it) {
  char ip[16];
  std::snprintf(ip, sizeof ip, "%u.%u.%u.%u", it.client_ip >> 24, (it.client_ip >> 16) & 255,
                (it.client_ip >> 8) & 255, it.client_ip & 255);
  PyObject* method = g_methods[unsigned(it.method) % viper::http::kMethodCount];
  Py_INCREF(method);
  return Py_BuildValue("(IINs#s#y#y#N(si)s)", it.token, it.route_id, method, it.path.data(),
                       Py_ssize_t(it.path.size()), it.query.data(), Py_ssize_t(it.query.size()),
                       it.headers.data(), Py_ssize_t(it.headers.size()), it.body.data(),
                       Py_ssize_t(it.body.size()), make_params(it), ip, int(it.client_port),
                       it.http_minor == 0 ? "1.0" : "1.1");
}

// A WebSocket event (docs/native-api.md): (token, kind, flags or code, bytes).
PyObject* make_ws_event(const viper::bridge::RequestItem& it) {
  unsigned arg = it.kind == viper::bridge::kWsClosed ? it.ws_code : it.ws_flags;
  return Py_BuildValue("(IIIy#)", it.token, unsigned(it.kind), arg, it.body.data(),
                       Py_ssize_t(it.body.size()));
}

// Everything waiting: request tuples and cancelled tokens (ints), in arrival order per kind.
PyObject* engine_drain(EngineObject* self, PyObject*) {
  viper::bridge::Bridge* b = self->h->bridge();
  PyObject* out = PyList_New(0);
  if (out == nullptr) return nullptr;
  b->begin_drain();
  viper::bridge::RequestItem it;
  while (b->pop_request(&it)) {
    PyObject* t = it.kind == viper::bridge::kRequest ? make_request(it) : make_ws_event(it);
    b->release(it);
    if (t == nullptr || PyList_Append(out, t) != 0) {
      Py_XDECREF(t);
      Py_DECREF(out);
      return nullptr;
    }
    Py_DECREF(t);
  }
  uint32_t token;
  while (b->pop_cancel(&token)) {
    // A writable event (a stream has credit again) is ~token, a negative int.
    PyObject* t = (token & viper::bridge::kWritableFlag)
                      ? PyLong_FromLong(~long(token & ~viper::bridge::kWritableFlag))
                      : PyLong_FromUnsignedLong(token);
    if (t == nullptr || PyList_Append(out, t) != 0) {
      Py_XDECREF(t);
      Py_DECREF(out);
      return nullptr;
    }
    Py_DECREF(t);
  }
  return out;
}

// A token as drain() gave it: an int below 2^30 (docs/native-api.md).  Anything else names no
// request; it is refused rather than truncated, which could name another request.  The same
// rule as the MicroPython module's.
int token_converter(PyObject* obj, void* out) {
  if (!PyLong_Check(obj) || PyBool_Check(obj)) {
    PyErr_SetString(PyExc_TypeError, "token must be an int");
    return 0;
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
  if (v == -1 && PyErr_Occurred()) return 0;
  if (overflow != 0 || v < 0 || v >= (1LL << 30)) {
    PyErr_SetString(PyExc_ValueError, "token out of range");
    return 0;
  }
  *static_cast<uint32_t*>(out) = uint32_t(v);
  return 1;
}

// respond(token, status, headers: bytes, body: bytes) -> 0 queued, 1 queue full (retry after
// the next wake-up), 2 too large for the response queue.
PyObject* engine_respond(EngineObject* self, PyObject* args) {
  uint32_t token;
  unsigned int status;
  Py_buffer headers, body;
  if (!PyArg_ParseTuple(args, "O&Iy*y*", token_converter, &token, &status, &headers, &body))
    return nullptr;
  viper::bridge::Push r = self->h->bridge()->respond(
      token, uint16_t(status),
      std::string_view(static_cast<const char*>(headers.buf), size_t(headers.len)),
      std::string_view(static_cast<const char*>(body.buf), size_t(body.len)));
  PyBuffer_Release(&headers);
  PyBuffer_Release(&body);
  return PyLong_FromLong(long(r));
}

// respond_file(token, status, headers: bytes, path: bytes, request_headers: bytes) -> as respond
PyObject* engine_respond_file(EngineObject* self, PyObject* args) {
  uint32_t token;
  unsigned int status;
  Py_buffer headers, path, req;
  if (!PyArg_ParseTuple(args, "O&Iy*y*y*", token_converter, &token, &status, &headers, &path, &req))
    return nullptr;
  viper::bridge::Push r = self->h->bridge()->respond_file(
      token, uint16_t(status),
      std::string_view(static_cast<const char*>(headers.buf), size_t(headers.len)),
      std::string_view(static_cast<const char*>(path.buf), size_t(path.len)),
      std::string_view(static_cast<const char*>(req.buf), size_t(req.len)));
  PyBuffer_Release(&headers);
  PyBuffer_Release(&path);
  PyBuffer_Release(&req);
  return PyLong_FromLong(long(r));
}

// stream_start(token, status, headers: bytes, ping_ms, content_length) -> as respond
// (content_length -1: chunked, or until close on HTTP/1.0).
PyObject* engine_stream_start(EngineObject* self, PyObject* args) {
  uint32_t token;
  unsigned int status, ping_ms;
  long long length;
  Py_buffer headers;
  if (!PyArg_ParseTuple(args, "O&Iy*IL", token_converter, &token, &status, &headers, &ping_ms,
                        &length))
    return nullptr;
  viper::bridge::Push r = self->h->bridge()->stream_start(
      token, uint16_t(status),
      std::string_view(static_cast<const char*>(headers.buf), size_t(headers.len)), ping_ms,
      int64_t(length));
  PyBuffer_Release(&headers);
  return PyLong_FromLong(long(r));
}

// ws_accept(token, protocol: bytes, headers: bytes) -> as respond
PyObject* engine_ws_accept(EngineObject* self, PyObject* args) {
  uint32_t token;
  Py_buffer protocol, headers;
  if (!PyArg_ParseTuple(args, "O&y*y*", token_converter, &token, &protocol, &headers))
    return nullptr;
  viper::bridge::Push r = self->h->bridge()->ws_accept(
      token, std::string_view(static_cast<const char*>(protocol.buf), size_t(protocol.len)),
      std::string_view(static_cast<const char*>(headers.buf), size_t(headers.len)));
  PyBuffer_Release(&protocol);
  PyBuffer_Release(&headers);
  return PyLong_FromLong(long(r));
}

// stream_send(token, data: bytes-like) -> bytes taken (> 0), 0 wait for the writable event,
// -1 the response queue is full (retry at the next wake-up), -2 not a stream token.
PyObject* engine_stream_send(EngineObject* self, PyObject* args) {
  uint32_t token;
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "O&y*", token_converter, &token, &data)) return nullptr;
  long n = self->h->bridge()->stream_send(
      token, std::string_view(static_cast<const char*>(data.buf), size_t(data.len)));
  PyBuffer_Release(&data);
  return PyLong_FromLong(n);
}

// stream_end(token, abort: bool) -> as respond
PyObject* engine_stream_end(EngineObject* self, PyObject* args) {
  uint32_t token;
  int abort;
  if (!PyArg_ParseTuple(args, "O&p", token_converter, &token, &abort)) return nullptr;
  return PyLong_FromLong(long(self->h->bridge()->stream_end(token, abort != 0)));
}

// ws_send(token, opcode, fin, data: bytes) -> 0 queued, 1 full (wait), 2 gone, 3 too large
PyObject* engine_ws_send(EngineObject* self, PyObject* args) {
  uint32_t token;
  unsigned int op;
  int fin;
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "O&Ipy*", token_converter, &token, &op, &fin, &data)) return nullptr;
  viper::bridge::WsPush r = self->h->bridge()->ws_send(
      token, uint8_t(op), fin != 0,
      std::string_view(static_cast<const char*>(data.buf), size_t(data.len)));
  PyBuffer_Release(&data);
  return PyLong_FromLong(long(r));
}

// ws_close(token, code, reason: bytes) -> as respond
PyObject* engine_ws_close(EngineObject* self, PyObject* args) {
  uint32_t token;
  unsigned int code;
  Py_buffer reason;
  if (!PyArg_ParseTuple(args, "O&Iy*", token_converter, &token, &code, &reason)) return nullptr;
  viper::bridge::Push r = self->h->bridge()->ws_close(
      token, uint16_t(code),
      std::string_view(static_cast<const char*>(reason.buf), size_t(reason.len)));
  PyBuffer_Release(&reason);
  return PyLong_FromLong(long(r));
}

// ws_consumed(token, nbytes): the application read messages of that many bytes
PyObject* engine_ws_consumed(EngineObject* self, PyObject* args) {
  uint32_t token;
  Py_ssize_t n;
  if (!PyArg_ParseTuple(args, "O&n", token_converter, &token, &n)) return nullptr;
  self->h->bridge()->ws_consumed(token, n < 0 ? 0 : size_t(n));
  Py_RETURN_NONE;
}

PyObject* engine_ws_max_frame(EngineObject* self, PyObject*) {
  return PyLong_FromSize_t(self->h->bridge()->ws_max_frame());
}

// add_static(kind, prefix, source, html, cache_control): ValueError with what is wrong.
PyObject* engine_add_static(EngineObject* self, PyObject* args) {
  const char *kind, *prefix, *source, *cc;
  Py_ssize_t plen, slen, clen;
  int html;
  if (!PyArg_ParseTuple(args, "ss#s#ps#", &kind, &prefix, &plen, &source, &slen, &html, &cc, &clen))
    return nullptr;
  const char* err = self->h->add_static(kind, std::string_view(prefix, size_t(plen)),
                                        std::string_view(source, size_t(slen)), html != 0,
                                        std::string_view(cc, size_t(clen)));
  if (err != nullptr) return raise_value_error(err);
  Py_RETURN_NONE;
}

PyObject* engine_stop(EngineObject* self, PyObject*) {
  self->h->stop();
  Py_RETURN_NONE;
}

PyObject* engine_running(EngineObject* self, PyObject*) {
  return PyBool_FromLong(self->h->running());
}

PyObject* engine_join(EngineObject* self, PyObject*) {
  Py_BEGIN_ALLOW_THREADS self->h->join();
  Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

PyObject* engine_stats(EngineObject* self, PyObject*) {
  char buf[4096];
  size_t n = self->h->stats_json(buf, sizeof buf);
  return PyUnicode_FromStringAndSize(buf, Py_ssize_t(n));
}

PyObject* engine_max_response_bytes(EngineObject* self, PyObject*) {
  return PyLong_FromSize_t(self->h->bridge()->max_response_bytes());
}

PyMethodDef engine_methods[] = {
    {"add_route", reinterpret_cast<PyCFunction>(engine_add_route), METH_VARARGS,
     "add_route(method, pattern, route_id)"},
    {"start", reinterpret_cast<PyCFunction>(engine_start), METH_NOARGS,
     "bind, listen, start the engine thread; returns the port"},
    {"fileno", reinterpret_cast<PyCFunction>(engine_fileno), METH_NOARGS,
     "descriptor readable when drain() has work"},
    {"drain", reinterpret_cast<PyCFunction>(engine_drain), METH_NOARGS,
     "pending requests (tuples) and cancellations (ints)"},
    {"respond_file", reinterpret_cast<PyCFunction>(engine_respond_file), METH_VARARGS,
     "respond_file(token, status, headers, path, request_headers) -> as respond"},
    {"add_static", reinterpret_cast<PyCFunction>(engine_add_static), METH_VARARGS,
     "add_static(kind, prefix, source, html, cache_control)"},
    {"stream_start", reinterpret_cast<PyCFunction>(engine_stream_start), METH_VARARGS,
     "stream_start(token, status, headers, ping_ms, content_length) -> 0 ok, 1 full, 2 bad"},
    {"stream_send", reinterpret_cast<PyCFunction>(engine_stream_send), METH_VARARGS,
     "stream_send(token, data) -> bytes taken, 0 wait (writable event), -1 full, -2 bad token"},
    {"stream_end", reinterpret_cast<PyCFunction>(engine_stream_end), METH_VARARGS,
     "stream_end(token, abort) -> 0 ok, 1 full, 2 bad token"},
    {"respond", reinterpret_cast<PyCFunction>(engine_respond), METH_VARARGS,
     "respond(token, status, headers, body) -> 0 ok, 1 full, 2 too large"},
    {"ws_accept", reinterpret_cast<PyCFunction>(engine_ws_accept), METH_VARARGS,
     "ws_accept(token, protocol, headers) -> as respond"},
    {"ws_send", reinterpret_cast<PyCFunction>(engine_ws_send), METH_VARARGS,
     "ws_send(token, opcode, fin, data) -> 0 ok, 1 full, 2 gone, 3 too large"},
    {"ws_close", reinterpret_cast<PyCFunction>(engine_ws_close), METH_VARARGS,
     "ws_close(token, code, reason) -> as respond"},
    {"ws_consumed", reinterpret_cast<PyCFunction>(engine_ws_consumed), METH_VARARGS,
     "ws_consumed(token, nbytes): the application read that much (its receive window)"},
    {"ws_max_frame", reinterpret_cast<PyCFunction>(engine_ws_max_frame), METH_NOARGS,
     "largest payload ws_send accepts in one frame"},
    {"stop", reinterpret_cast<PyCFunction>(engine_stop), METH_NOARGS, "request a graceful stop"},
    {"running", reinterpret_cast<PyCFunction>(engine_running), METH_NOARGS,
     "is the engine thread serving"},
    {"join", reinterpret_cast<PyCFunction>(engine_join), METH_NOARGS, "wait for the engine thread"},
    {"stats", reinterpret_cast<PyCFunction>(engine_stats), METH_NOARGS,
     "counters as a JSON string"},
    {"max_response_bytes", reinterpret_cast<PyCFunction>(engine_max_response_bytes), METH_NOARGS,
     "largest response (headers + body) respond() accepts"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot engine_slots[] = {
    {Py_tp_doc, const_cast<char*>("Engine(**options): the native HTTP engine and its thread")},
    {Py_tp_new, reinterpret_cast<void*>(engine_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(engine_dealloc)},
    {Py_tp_methods, engine_methods},
    {0, nullptr}};

PyType_Spec engine_spec = {"_viperhttp.Engine", sizeof(EngineObject), 0, Py_TPFLAGS_DEFAULT,
                           engine_slots};

// options() -> ((name, kind, default, min, max, field), ...): the table of options.h.  kind is
// "str" (min/max: length), "int" (min <= value <= max), "seconds" (0 < value <= max) or "bytes"
// (min/max: length; default b"").
PyObject* option_tuple(const viper::binding::OptionSpec& spec) {
  using viper::binding::option_default_int;
  switch (spec.kind) {
    case OptionKind::Str: {
      std::string_view d = viper::binding::option_default_str(spec);
      return Py_BuildValue("(sss#LLs)", spec.name, "str", d.data(), Py_ssize_t(d.size()),
                           (long long)spec.min, (long long)spec.max, spec.field);
    }
    case OptionKind::Bytes:
      return Py_BuildValue("(ssy#LLs)", spec.name, "bytes", "", Py_ssize_t(0), (long long)spec.min,
                           (long long)spec.max, spec.field);
    case OptionKind::Int:
      return Py_BuildValue("(ssLLLs)", spec.name, "int", (long long)option_default_int(spec),
                           (long long)spec.min, (long long)spec.max, spec.field);
    default:
      return Py_BuildValue("(ssddds)", spec.name, "seconds",
                           double(option_default_int(spec)) / 1000.0, double(spec.min) / 1000.0,
                           double(spec.max) / 1000.0, spec.field);
  }
}

PyObject* module_options(PyObject*, PyObject*) {
  PyObject* table = PyTuple_New(Py_ssize_t(viper::binding::kNumOptionSpecs));
  if (table == nullptr) return nullptr;
  for (size_t i = 0; i < viper::binding::kNumOptionSpecs; i++) {
    PyObject* row = option_tuple(viper::binding::kOptionSpecs[i]);
    if (row == nullptr) {
      Py_DECREF(table);
      return nullptr;
    }
    PyTuple_SET_ITEM(table, Py_ssize_t(i), row);
  }
  return table;
}

PyMethodDef module_methods[] = {
    {"options", module_options, METH_NOARGS,
     "the options Engine() accepts: (name, kind, default, min, max, field) each"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT,
                          "_viperhttp",
                          "ViperHTTP native engine (see docs/native-api.md)",
                          -1,
                          module_methods,
                          nullptr,
                          nullptr,
                          nullptr,
                          nullptr};

}  // namespace

int viper_register_templates(PyObject* module);  // templates.cpp

PyMODINIT_FUNC PyInit__viperhttp(void) {
  PyObject* engine_type = PyType_FromSpec(&engine_spec);
  if (engine_type == nullptr) return nullptr;
  for (int i = 0; i < viper::http::kMethodCount; i++) {
    std::string_view n = viper::http::method_name(viper::http::Method(i));
    g_methods[i] = PyUnicode_InternFromString(std::string(n).c_str());
  }
  PyObject* m = PyModule_Create(&module_def);
  if (m == nullptr) return nullptr;
  PyModule_AddObject(m, "Engine", engine_type);
  if (viper_register_templates(m) < 0) return nullptr;
  return m;
}
