// _viperhttp.Templates and _viperhttp.TemplateRender for CPython: the glue between Python
// objects and engine/tmpl (docs/native-api.md, "Templates").
//
// The context is encoded here, on the interpreter thread, into the render slot's buffer
// (engine/tmpl/encoded.h): only the variables the template names, and of objects only the
// attributes it names.  Rendering then runs over that blob and touches no Python object, so
// it could run anywhere; here it runs in the calling thread, in pieces when asked.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdio>
#include <cstring>
#include <new>

#include "mem/allocator.h"
#include "tmpl/encoded.h"
#include "tmpl/program.h"
#include "tmpl/render.h"
#include "tmpl/store.h"

namespace {

using viper::tmpl::EncodedWriter;
using viper::tmpl::Program;
using viper::tmpl::TemplateStore;

constexpr int kMaxContextDepth = 32;

struct TemplatesObject {
  PyObject_HEAD TemplateStore* store;
  PyObject* error_factory;  // error_factory(kind, message, template, line, column) -> exception
  PyObject* attr_cache;     // {program serial: ((id, name), ...)}
};

struct RenderObject {
  PyObject_HEAD TemplatesObject* owner;  // strong reference
  const void* program;
  TemplateStore::Slot* slot;
  viper::tmpl::Render* render;
  bool done;
};

PyTypeObject* g_render_type = nullptr;

// Raises error_factory(kind, ...); always returns nullptr.
PyObject* raise(TemplatesObject* t, const char* kind, const char* msg, const char* tmpl,
                unsigned line, unsigned col) {
  PyObject* exc = PyObject_CallFunction(t->error_factory, "sssII", kind, msg, tmpl, line, col);
  if (exc != nullptr) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
    Py_DECREF(exc);
  }
  return nullptr;
}

PyObject* raise_compile(TemplatesObject* t, const viper::tmpl::CompileError& e) {
  return raise(t, e.not_found ? "notfound" : "syntax", e.message, e.template_name, e.line,
               e.column);
}

// --- the context encoder --------------------------------------------------------------------

struct Encoder {
  TemplatesObject* t;
  EncodedWriter w;
  const Program* prog;
  PyObject* attrs;  // tuple of (id, name)
  int depth = 0;

  int fail(const char* msg) {
    raise(t, "context", msg, "", 0, 0);
    return -1;
  }
  int overflow() {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "the context does not fit context_bytes (%u): the template reads more data "
                  "than a render slot holds",
                  unsigned(t->store->options().context_bytes));
    return fail(msg);
  }
  int str(PyObject* o, uint8_t tag) {
    Py_ssize_t n;
    const char* s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == nullptr) return -1;
    w.bytes(tag, std::string_view(s, size_t(n)));
    return w.overflow() ? overflow() : 0;
  }
  int text_of(PyObject* o, uint8_t tag, bool use_repr = false) {
    PyObject* s = use_repr ? PyObject_Repr(o) : PyObject_Str(o);
    if (s == nullptr) return -1;
    int r = str(s, tag);
    Py_DECREF(s);
    return r;
  }
  int key(PyObject* k) {
    if (PyUnicode_Check(k)) {
      Py_ssize_t n;
      const char* s = PyUnicode_AsUTF8AndSize(k, &n);
      if (s == nullptr) return -1;
      int id = prog->find_name(std::string_view(s, size_t(n)));
      if (id >= 0)
        w.key_id(uint16_t(id));
      else
        w.bytes(viper::tmpl::kStr, std::string_view(s, size_t(n)));
      return w.overflow() ? overflow() : 0;
    }
    if (PyLong_Check(k) && !PyBool_Check(k)) {
      int over = 0;
      long long v = PyLong_AsLongLongAndOverflow(k, &over);
      if (over) return fail("dict keys beyond 64-bit ints are not supported in templates");
      w.integer(v);
      return w.overflow() ? overflow() : 0;
    }
    return fail("dict keys in a template context must be str or int");
  }
  int dict(PyObject* o) {
    size_t at = w.open(viper::tmpl::kDict);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    uint32_t n = 0;
    while (PyDict_Next(o, &pos, &k, &v)) {
      if (key(k) < 0 || value(v) < 0) return -1;
      n++;
    }
    w.close(at, n);
    return 0;
  }
  int seq(PyObject* o, uint8_t tag) {
    PyObject* fast = PySequence_Fast(o, "not a sequence");
    if (fast == nullptr) return -1;
    size_t at = w.open(tag);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject** items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t i = 0; i < n; i++) {
      if (value(items[i]) < 0) {
        Py_DECREF(fast);
        return -1;
      }
    }
    Py_DECREF(fast);
    w.close(at, uint32_t(n));
    return 0;
  }
  // An object: its attributes the unit reads, bool(), str(), and __html__() when `html`.
  int object(PyObject* o, bool html = false) {
    std::string_view html_text;
    PyObject* h = nullptr;
    if (html) {
      h = PyObject_CallMethod(o, "__html__", nullptr);
      if (h == nullptr) return -1;
      if (!PyUnicode_Check(h)) {
        Py_SETREF(h, PyObject_Str(h));
        if (h == nullptr) return -1;
      }
      Py_ssize_t hn;
      const char* hp = PyUnicode_AsUTF8AndSize(h, &hn);
      if (hp == nullptr) {
        Py_DECREF(h);
        return -1;
      }
      html_text = std::string_view(hp, size_t(hn));
    }
    int r = object_body(o, html ? &html_text : nullptr);
    Py_XDECREF(h);
    return r;
  }
  int object_body(PyObject* o, const std::string_view* html) {
    int truthy = PyObject_IsTrue(o);
    if (truthy < 0) return -1;
    PyObject* s = PyObject_Str(o);
    if (s == nullptr) return -1;
    Py_ssize_t sn;
    const char* sp = PyUnicode_AsUTF8AndSize(s, &sn);
    if (sp == nullptr) {
      Py_DECREF(s);
      return -1;
    }
    size_t at = w.open_object(truthy != 0, std::string_view(sp, size_t(sn)), html);
    Py_DECREF(s);
    uint32_t n = 0;
    Py_ssize_t na = PyTuple_GET_SIZE(attrs);
    for (Py_ssize_t i = 0; i < na; i++) {
      PyObject* pair = PyTuple_GET_ITEM(attrs, i);
      PyObject* got = nullptr;
      int r = _PyObject_LookupAttr(o, PyTuple_GET_ITEM(pair, 1), &got);
      if (r < 0) return -1;
      if (r == 0) continue;
      w.key_id(uint16_t(PyLong_AsLong(PyTuple_GET_ITEM(pair, 0))));
      int e = value(got);
      Py_DECREF(got);
      if (e < 0) return -1;
      n++;
    }
    w.close(at, n);
    return w.overflow() ? overflow() : 0;
  }
  int value(PyObject* o) {
    if (++depth > kMaxContextDepth) {
      depth--;
      return fail("the context is nested deeper than 32 levels (a cycle?)");
    }
    int r = value_inner(o);
    depth--;
    if (r == 0 && w.overflow()) return overflow();
    return r;
  }
  int value_inner(PyObject* o) {
    using namespace viper::tmpl;
    PyTypeObject* tp = Py_TYPE(o);
    if (o == Py_None) {
      w.none();
      return 0;
    }
    if (tp == &PyUnicode_Type) return str(o, kStr);
    if (tp == &PyBool_Type) {
      w.boolean(o == Py_True);
      return 0;
    }
    if (tp == &PyLong_Type) {
      int over = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &over);
      if (over) return text_of(o, kBigInt);
      w.integer(v);
      return 0;
    }
    if (tp == &PyFloat_Type) {
      w.real(PyFloat_AS_DOUBLE(o));
      return 0;
    }
    if (tp == &PyDict_Type) return dict(o);
    if (tp == &PyList_Type) return seq(o, kList);
    if (tp == &PyTuple_Type) return seq(o, kTuple);
    if (tp == &PyBytes_Type) {
      w.bytes(kBytes, std::string_view(PyBytes_AS_STRING(o), size_t(PyBytes_GET_SIZE(o))));
      return 0;
    }
    // Markup and anything else with __html__: its HTML, marked safe
    // Markup (a str with __html__): safe text.  Another object with __html__: an object
    // that prints as its HTML (str(), ~ and the string filters still use its str()).
    int has_html = PyObject_HasAttrString(o, "__html__");
    if (has_html && PyUnicode_Check(o)) {
      PyObject* h = PyObject_CallMethod(o, "__html__", nullptr);
      if (h == nullptr) return -1;
      int r = PyUnicode_Check(h) ? str(h, kSafe) : text_of(h, kSafe);
      Py_DECREF(h);
      return r;
    }
    if (has_html) return object(o, true);
    // Subclasses behave as their base unless they change how they print.
    if (PyUnicode_Check(o) && tp->tp_str == PyUnicode_Type.tp_str) return str(o, kStr);
    if (PyLong_Check(o) && tp->tp_str == PyLong_Type.tp_str && tp->tp_repr == PyLong_Type.tp_repr)
      return value_inner_long(o);
    if (PyFloat_Check(o) && tp->tp_repr == PyFloat_Type.tp_repr &&
        tp->tp_str == PyFloat_Type.tp_str) {
      w.real(PyFloat_AsDouble(o));
      return 0;
    }
    if (PyDict_Check(o) && tp->tp_repr == PyDict_Type.tp_repr && tp->tp_str == PyDict_Type.tp_str)
      return dict(o);
    if (PyList_Check(o) && tp->tp_repr == PyList_Type.tp_repr && tp->tp_str == PyList_Type.tp_str)
      return seq(o, kList);
    if (PyTuple_Check(o) && tp->tp_repr == PyTuple_Type.tp_repr &&
        tp->tp_str == PyTuple_Type.tp_str)
      return seq(o, kTuple);
    if (tp == &PyRange_Type) {
      long long v[3];
      const char* names[3] = {"start", "stop", "step"};
      for (int i = 0; i < 3; i++) {
        PyObject* x = PyObject_GetAttrString(o, names[i]);
        if (x == nullptr) return -1;
        int over = 0;
        v[i] = PyLong_AsLongLongAndOverflow(x, &over);
        Py_DECREF(x);
        if (over || (i == 2 && (v[i] > INT32_MAX || v[i] < INT32_MIN)))
          return fail("range bounds beyond 64 bits (or steps beyond 32) are not supported");
      }
      w.range(v[0], v[1], v[2]);
      return 0;
    }
    if (PyByteArray_Check(o)) {
      w.bytes(kBytes, std::string_view(PyByteArray_AS_STRING(o), size_t(PyByteArray_GET_SIZE(o))));
      return 0;
    }
    if (PyCallable_Check(o) && !PyType_Check(o)) return text_of(o, kCallable, true);
    return object(o);
  }
  int value_inner_long(PyObject* o) {
    int over = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &over);
    if (over) return text_of(o, viper::tmpl::kBigInt);
    w.integer(v);
    return 0;
  }
};

// The attribute names of a program as Python strings (cached per compiled program).
PyObject* attr_names(TemplatesObject* t, const Program& p) {
  PyObject* key = PyLong_FromUnsignedLong(p.serial());
  if (key == nullptr) return nullptr;
  PyObject* found = PyDict_GetItemWithError(t->attr_cache, key);
  if (found != nullptr || PyErr_Occurred()) {
    Py_DECREF(key);
    Py_XINCREF(found);
    return found;
  }
  if (PyDict_Size(t->attr_cache) > 256) PyDict_Clear(t->attr_cache);  // old serials
  Py_ssize_t n = 0;
  for (size_t i = 0; i < p.num_names(); i++)
    n += (p.name_entry(i).flags & viper::tmpl::kNameAttr) != 0;
  PyObject* tup = PyTuple_New(n);
  Py_ssize_t k = 0;
  for (size_t i = 0; tup != nullptr && i < p.num_names(); i++) {
    if (!(p.name_entry(i).flags & viper::tmpl::kNameAttr)) continue;
    std::string_view nm = p.name(i);
    PyObject* s = PyUnicode_FromStringAndSize(nm.data(), Py_ssize_t(nm.size()));
    if (s != nullptr) PyUnicode_InternInPlace(&s);
    PyObject* pair = s ? Py_BuildValue("(nN)", Py_ssize_t(i), s) : nullptr;
    if (pair == nullptr) {
      Py_CLEAR(tup);
      break;
    }
    PyTuple_SET_ITEM(tup, k++, pair);
  }
  if (tup != nullptr && PyDict_SetItem(t->attr_cache, key, tup) < 0) Py_CLEAR(tup);
  Py_DECREF(key);
  return tup;
}

// Encodes the context for `program` into the slot; the blob's length, or -1 (error set).
Py_ssize_t encode_context(TemplatesObject* t, const void* program, TemplateStore::Slot* slot,
                          PyObject* context) {
  Program p(program);
  if (context != Py_None && !PyDict_Check(context)) {
    PyErr_SetString(PyExc_TypeError, "the template context must be a dict");
    return -1;
  }
  PyObject* attrs = attr_names(t, p);
  if (attrs == nullptr) return -1;
  Encoder e{t, EncodedWriter(slot->context, t->store->options().context_bytes), &p, attrs};
  size_t at = e.w.open(viper::tmpl::kDict);
  uint32_t n = 0;
  if (context != Py_None) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(context, &pos, &k, &v)) {
      if (!PyUnicode_Check(k)) continue;  // not a variable name
      Py_ssize_t kn;
      const char* ks = PyUnicode_AsUTF8AndSize(k, &kn);
      if (ks == nullptr) {
        Py_DECREF(attrs);
        return -1;
      }
      int id = p.find_name(std::string_view(ks, size_t(kn)));
      if (id < 0 || !(p.name_entry(size_t(id)).flags & viper::tmpl::kNameContext)) continue;
      e.w.key_id(uint16_t(id));
      if (e.value(v) < 0) {
        Py_DECREF(attrs);
        return -1;
      }
      n++;
    }
  }
  e.w.close(at, n);
  Py_DECREF(attrs);
  if (e.w.overflow()) {
    e.overflow();
    return -1;
  }
  return Py_ssize_t(e.w.size());
}

PyObject* raise_render(TemplatesObject* t, const viper::tmpl::Render* r) {
  const viper::tmpl::RenderError& e = viper::tmpl::render_error(r);
  const char* kind = e.kind == viper::tmpl::RenderError::kUndefined ? "undefined"
                     : e.kind == viper::tmpl::RenderError::kLimit   ? "limit"
                                                                    : "render";
  return raise(t, kind, e.message, e.template_name, e.line, 0);
}

// --- Templates ----------------------------------------------------------------------------------

bool closed(TemplatesObject* t) {
  if (t->store != nullptr) return false;
  PyErr_SetString(PyExc_ValueError, "templates closed");
  return true;
}

PyObject* templates_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* kw[] = {"error_factory",
                             "directory",
                             "pack",
                             "prefix",
                             "cache_bytes",
                             "auto_reload",
                             "strict",
                             "render_slots",
                             "context_bytes",
                             "scratch_bytes",
                             "max_output_bytes",
                             "max_loop_iterations",
                             "max_include_depth",
                             "max_expression_depth",
                             "max_template_bytes",
                             nullptr};
  PyObject* factory;
  const char *directory = nullptr, *pack = nullptr, *prefix = "";
  unsigned long cache_bytes = VIPER_TEMPLATE_CACHE_BYTES,
                context_bytes = VIPER_TEMPLATE_CONTEXT_BYTES,
                scratch = VIPER_TEMPLATE_SCRATCH_BYTES, max_loop = 100000, max_include = 16,
                max_expr = 32, max_tmpl = 256 * 1024, slots = 2;
  unsigned long long max_out = 1u << 20;
  int auto_reload = 1, strict = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|zzskppkkkKkkkk", const_cast<char**>(kw),
                                   &factory, &directory, &pack, &prefix, &cache_bytes, &auto_reload,
                                   &strict, &slots, &context_bytes, &scratch, &max_out, &max_loop,
                                   &max_include, &max_expr, &max_tmpl))
    return nullptr;
  if (slots < 1 || slots > 64 || context_bytes < 64 || scratch < 256 || scratch > (1u << 30) ||
      max_include > 1000 || max_expr < 1 || max_expr > 1000 || context_bytes > (1u << 30)) {
    PyErr_SetString(PyExc_ValueError, "template option out of range");
    return nullptr;
  }
  viper::tmpl::StoreOptions o;
  o.kind = directory ? viper::tmpl::StoreOptions::Kind::Directory
           : pack    ? viper::tmpl::StoreOptions::Kind::Pack
                     : viper::tmpl::StoreOptions::Kind::None;
  o.source = directory ? directory : pack;
  o.prefix = prefix;
  o.cache_bytes = uint32_t(cache_bytes);
  o.auto_reload = auto_reload != 0;
  o.render_slots = uint16_t(slots);
  o.context_bytes = uint32_t(context_bytes);
  o.max_template_bytes = uint32_t(max_tmpl);
  o.caps.scratch = uint32_t(scratch);
  o.render.strict = strict != 0;
  o.render.max_output_bytes = max_out;
  o.render.max_loop_iterations = uint32_t(max_loop);
  o.render.max_include_depth = uint32_t(max_include);
  o.compile.max_expression_depth = uint32_t(max_expr);
  auto* self = reinterpret_cast<TemplatesObject*>(type->tp_alloc(type, 0));
  if (self == nullptr) return nullptr;
  Py_INCREF(factory);
  self->error_factory = factory;
  self->attr_cache = PyDict_New();
  const char* err = nullptr;
  self->store = TemplateStore::create(o, &err);
  if (self->store == nullptr || self->attr_cache == nullptr) {
    if (err != nullptr) raise(self, "notfound", err, o.source ? o.source : "", 0, 0);
    Py_DECREF(self);
    return nullptr;
  }
  return reinterpret_cast<PyObject*>(self);
}

// close(): frees the store now (renders in progress end with an error)
PyObject* templates_close(TemplatesObject* self, PyObject*) {
  TemplateStore::destroy(self->store);
  self->store = nullptr;
  Py_RETURN_NONE;
}

void templates_dealloc(TemplatesObject* self) {
  TemplateStore::destroy(self->store);
  Py_XDECREF(self->error_factory);
  Py_XDECREF(self->attr_cache);
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(reinterpret_cast<PyObject*>(self));
  Py_DECREF(type);
}

// Lets go of a program: unpins a cached one, frees one compiled from a string.
void let_go(TemplatesObject* self, const void* prog, bool cached) {
  if (cached)
    self->store->unpin(prog);
  else
    viper::mem::release(const_cast<void*>(prog));
}

// Renders `prog` with `context` in a slot into one bytes object, then lets go of it.
PyObject* render_whole(TemplatesObject* self, const void* prog, PyObject* context, bool cached) {
  TemplateStore::Slot* slot = self->store->take_slot();
  if (slot == nullptr) {
    let_go(self, prog, cached);
    return raise(self, "busy", "every render slot is in use (render_slots)", "", 0, 0);
  }
  Py_ssize_t clen = encode_context(self, prog, slot, context);
  if (clen < 0) {
    self->store->give_slot(slot);
    let_go(self, prog, cached);
    return nullptr;
  }
  const viper::tmpl::StoreOptions& o = self->store->options();
  viper::tmpl::Render* r = viper::tmpl::render_start(slot->render_mem, o.caps, prog, slot->context,
                                                     size_t(clen), o.render);
  Py_ssize_t cap = 8192, len = 0;
  PyObject* out = PyBytes_FromStringAndSize(nullptr, cap);
  viper::tmpl::RenderStatus st = viper::tmpl::RenderStatus::More;
  while (out != nullptr) {
    size_t n = 0;
    st = viper::tmpl::render_next(r, PyBytes_AS_STRING(out) + len, size_t(cap - len), &n);
    len += Py_ssize_t(n);
    if (st != viper::tmpl::RenderStatus::More) break;
    cap *= 2;
    if (_PyBytes_Resize(&out, cap) < 0) out = nullptr;
  }
  if (out != nullptr && st == viper::tmpl::RenderStatus::Error) {
    Py_CLEAR(out);
    raise_render(self, r);
  }
  self->store->count_render(r);
  self->store->give_slot(slot);
  let_go(self, prog, cached);
  if (out != nullptr && _PyBytes_Resize(&out, len) < 0) return nullptr;
  return out;
}

// render(name, context) -> bytes
PyObject* templates_render(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char* name;
  Py_ssize_t nlen;
  PyObject* context = Py_None;
  if (!PyArg_ParseTuple(args, "s#|O", &name, &nlen, &context)) return nullptr;
  viper::tmpl::CompileError ce;
  const void* prog = self->store->acquire(std::string_view(name, size_t(nlen)), &ce);
  if (prog == nullptr) return raise_compile(self, ce);
  return render_whole(self, prog, context, true);
}

// render_string(source, context, name="<template>") -> bytes (compiled each time, not cached;
// includes and extends come from the store's source)
PyObject* templates_render_string(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char *src, *name = "<template>";
  Py_ssize_t slen;
  PyObject* context = Py_None;
  if (!PyArg_ParseTuple(args, "s#|Os", &src, &slen, &context, &name)) return nullptr;
  viper::tmpl::CompileError ce;
  void* prog =
      viper::tmpl::compile_source(name, std::string_view(src, size_t(slen)), self->store->loader(),
                                  self->store->options().compile, &ce);
  if (prog == nullptr) return raise_compile(self, ce);
  return render_whole(self, prog, context, false);
}

// compile(name) -> compiled size in bytes (warm-up, syntax checks)
PyObject* templates_compile(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char* name;
  Py_ssize_t nlen;
  if (!PyArg_ParseTuple(args, "s#", &name, &nlen)) return nullptr;
  viper::tmpl::CompileError ce;
  const void* prog = self->store->acquire(std::string_view(name, size_t(nlen)), &ce);
  if (prog == nullptr) return raise_compile(self, ce);
  size_t bytes = Program(prog).bytes();
  self->store->unpin(prog);
  return PyLong_FromSize_t(bytes);
}

// start(name, context) -> TemplateRender (pieces with next(max_bytes))
PyObject* templates_start(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char* name;
  Py_ssize_t nlen;
  PyObject* context = Py_None;
  if (!PyArg_ParseTuple(args, "s#|O", &name, &nlen, &context)) return nullptr;
  viper::tmpl::CompileError ce;
  const void* prog = self->store->acquire(std::string_view(name, size_t(nlen)), &ce);
  if (prog == nullptr) return raise_compile(self, ce);
  TemplateStore::Slot* slot = self->store->take_slot();
  if (slot == nullptr) {
    self->store->unpin(prog);
    return raise(self, "busy", "every render slot is in use (render_slots)", "", 0, 0);
  }
  Py_ssize_t clen = encode_context(self, prog, slot, context);
  if (clen < 0) {
    self->store->give_slot(slot);
    self->store->unpin(prog);
    return nullptr;
  }
  auto* r = PyObject_New(RenderObject, g_render_type);
  if (r == nullptr) {
    self->store->give_slot(slot);
    self->store->unpin(prog);
    return nullptr;
  }
  Py_INCREF(self);
  r->owner = self;
  r->program = prog;
  r->slot = slot;
  r->done = false;
  const viper::tmpl::StoreOptions& o = self->store->options();
  r->render = viper::tmpl::render_start(slot->render_mem, o.caps, prog, slot->context, size_t(clen),
                                        o.render);
  return reinterpret_cast<PyObject*>(r);
}

PyObject* templates_names(TemplatesObject* self, PyObject*) {
  if (closed(self)) return nullptr;
  PyObject* out = PyList_New(0);
  if (out == nullptr) return nullptr;
  struct Ctx {
    PyObject* list;
    bool ok;
  } c{out, true};
  self->store->for_each_name(
      [](void* u, std::string_view n) {
        auto* c = static_cast<Ctx*>(u);
        PyObject* s = PyUnicode_DecodeUTF8(n.data(), Py_ssize_t(n.size()), "replace");
        if (s == nullptr || PyList_Append(c->list, s) < 0) c->ok = false;
        Py_XDECREF(s);
        return c->ok;
      },
      &c);
  if (!c.ok) {
    Py_DECREF(out);
    return nullptr;
  }
  if (PyList_Sort(out) < 0) {
    Py_DECREF(out);
    return nullptr;
  }
  return out;
}

// source(name) -> bytes: the template's text (for error excerpts)
PyObject* templates_source(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char* name;
  Py_ssize_t nlen;
  if (!PyArg_ParseTuple(args, "s#", &name, &nlen)) return nullptr;
  viper::tmpl::Source src;
  viper::tmpl::SourceLoader* l = self->store->loader();
  if (l->load(std::string_view(name, size_t(nlen)), &src) != viper::tmpl::LoadStatus::Ok)
    return raise(self, "notfound", "template not found", name, 0, 0);
  PyObject* out = PyBytes_FromStringAndSize(src.text.data(), Py_ssize_t(src.text.size()));
  l->release(&src);
  return out;
}

PyObject* templates_clear(TemplatesObject* self, PyObject* args) {
  if (closed(self)) return nullptr;
  const char* name = "";
  Py_ssize_t nlen = 0;
  if (!PyArg_ParseTuple(args, "|s#", &name, &nlen)) return nullptr;
  self->store->clear(std::string_view(name, size_t(nlen)));
  Py_RETURN_NONE;
}

PyObject* templates_stats(TemplatesObject* self, PyObject*) {
  if (closed(self)) return nullptr;
  viper::tmpl::StoreStats s = self->store->stats();
  return Py_BuildValue(
      "{sKsKsKsKsKsKsKsKsKsKsKsKsKsK}", "hits", s.hits, "compiles", s.compiles, "reloads",
      s.reloads, "evictions", s.evictions, "compile_errors", s.compile_errors, "renders", s.renders,
      "render_errors", s.render_errors, "cache_bytes_used", s.cache_bytes_used, "cached", s.cached,
      "pinned", s.pinned, "slot_bytes", s.slot_bytes, "context_peak", s.context_peak,
      "scratch_peak", s.scratch_peak, "render_bytes",
      static_cast<unsigned long long>(viper::tmpl::render_memory(self->store->options().caps)));
}

PyMethodDef templates_methods[] = {
    {"render", reinterpret_cast<PyCFunction>(templates_render), METH_VARARGS,
     "render(name, context) -> bytes"},
    {"render_string", reinterpret_cast<PyCFunction>(templates_render_string), METH_VARARGS,
     "render_string(source, context, name) -> bytes"},
    {"compile", reinterpret_cast<PyCFunction>(templates_compile), METH_VARARGS,
     "compile(name) -> compiled size"},
    {"start", reinterpret_cast<PyCFunction>(templates_start), METH_VARARGS,
     "start(name, context) -> TemplateRender"},
    {"source", reinterpret_cast<PyCFunction>(templates_source), METH_VARARGS,
     "source(name) -> bytes"},
    {"names", reinterpret_cast<PyCFunction>(templates_names), METH_NOARGS,
     "names of the files in the source"},
    {"clear", reinterpret_cast<PyCFunction>(templates_clear), METH_VARARGS,
     "clear(name='') drops cached units"},
    {"stats", reinterpret_cast<PyCFunction>(templates_stats), METH_NOARGS, "counters"},
    {"close", reinterpret_cast<PyCFunction>(templates_close), METH_NOARGS, "free the store"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot templates_slots[] = {
    {Py_tp_doc, const_cast<char*>("Templates(error_factory, **options): engine/tmpl's store")},
    {Py_tp_new, reinterpret_cast<void*>(templates_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(templates_dealloc)},
    {Py_tp_methods, templates_methods},
    {0, nullptr}};
PyType_Spec templates_spec = {"_viperhttp.Templates", sizeof(TemplatesObject), 0,
                              Py_TPFLAGS_DEFAULT, templates_slots};

// --- TemplateRender -----------------------------------------------------------------------------

void render_finish(RenderObject* r) {
  if (r->slot != nullptr && r->owner->store != nullptr) {
    r->owner->store->give_slot(r->slot);
    r->owner->store->unpin(r->program);
    r->slot = nullptr;
  }
  r->done = true;
}

// next(max_bytes) -> bytes; b"" once the page is complete.
PyObject* render_next_py(RenderObject* r, PyObject* args) {
  Py_ssize_t max = 16384;
  if (!PyArg_ParseTuple(args, "|n", &max)) return nullptr;
  if (max < 16) max = 16;
  if (!r->done && r->owner->store == nullptr) {
    PyErr_SetString(PyExc_ValueError, "templates closed");
    return nullptr;
  }
  if (r->done) return PyBytes_FromStringAndSize(nullptr, 0);
  PyObject* out = PyBytes_FromStringAndSize(nullptr, max);
  if (out == nullptr) return nullptr;
  size_t n = 0;
  viper::tmpl::RenderStatus st =
      viper::tmpl::render_next(r->render, PyBytes_AS_STRING(out), size_t(max), &n);
  if (st == viper::tmpl::RenderStatus::Error) {
    Py_DECREF(out);
    raise_render(r->owner, r->render);
    r->owner->store->count_render(r->render);
    render_finish(r);
    return nullptr;
  }
  if (st == viper::tmpl::RenderStatus::Done) {
    r->owner->store->count_render(r->render);
    render_finish(r);
  }
  if (_PyBytes_Resize(&out, Py_ssize_t(n)) < 0) return nullptr;
  return out;
}

void render_dealloc(RenderObject* r) {
  render_finish(r);
  Py_XDECREF(r->owner);
  PyTypeObject* type = Py_TYPE(r);
  PyObject_Free(r);
  Py_DECREF(type);
}

PyObject* render_close_py(RenderObject* r, PyObject*) {
  render_finish(r);
  Py_RETURN_NONE;
}

PyMethodDef render_methods[] = {
    {"next", reinterpret_cast<PyCFunction>(render_next_py), METH_VARARGS,
     "next(max_bytes=16384) -> the next piece of the page (b'' when done)"},
    {"close", reinterpret_cast<PyCFunction>(render_close_py), METH_NOARGS,
     "end the render now (its slot is given back)"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot render_slots_def[] = {
    {Py_tp_doc, const_cast<char*>("a render in progress (Templates.start)")},
    {Py_tp_dealloc, reinterpret_cast<void*>(render_dealloc)},
    {Py_tp_methods, render_methods},
    {0, nullptr}};
PyType_Spec render_spec = {"_viperhttp.TemplateRender", sizeof(RenderObject), 0, Py_TPFLAGS_DEFAULT,
                           render_slots_def};

}  // namespace

// Adds Templates and TemplateRender to the module (called from PyInit__viperhttp).
int viper_register_templates(PyObject* module) {
  PyObject* t = PyType_FromSpec(&templates_spec);
  if (t == nullptr) return -1;
  PyObject* r = PyType_FromSpec(&render_spec);
  if (r == nullptr) return -1;
  g_render_type = reinterpret_cast<PyTypeObject*>(r);
  Py_INCREF(r);
  if (PyModule_AddObject(module, "Templates", t) < 0) return -1;
  if (PyModule_AddObject(module, "TemplateRender", r) < 0) return -1;
  return 0;
}
