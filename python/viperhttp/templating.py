"""Templates: a Jinja2 subset compiled and rendered by the native engine (docs/guide/templates.md).

Starlette's names work as in FastAPI::

    from viperhttp.templating import Jinja2Templates

    templates = Jinja2Templates(directory="templates")

    @app.get("/status")
    def status(request):
        return templates.TemplateResponse("status.html", {"request": request, "uptime": 42})

A template is compiled once (with everything it includes and extends) and cached; its context
is encoded on the calling thread (only the variables the template names, and of objects only
the attributes it names) and the page is rendered by native code over that copy, piece by
piece when asked (``stream``, ``render_async``).  Anything outside the subset is a
``TemplateSyntaxError`` naming the template, line and column — never a page that differs from
what Jinja2 would make.
"""

from . import _compat
from .responses import HTMLResponse

__all__ = [
    "Jinja2Templates", "Template", "TemplateResponse", "render_template", "TemplateError",
    "TemplateSyntaxError", "TemplateNotFound", "TemplateRenderError", "UndefinedError",
    "TemplateLimitError", "TemplateContextError", "TemplateBusyError",
]


class TemplateError(Exception):
    """Base of the template errors.  ``name``: the template, ``lineno`` / ``colno``: where in
    it (0 when unknown), ``message``: what went wrong, ``excerpt``: numbered source lines
    around ``lineno`` (debug mode).  ``str(e)`` is ``"page.html:12:5: message"``."""

    def __init__(self, message, name=None, lineno=0, colno=0, excerpt=None):
        where = ""
        if name:
            where = name
            if lineno:
                where += ":" + str(lineno)
                if colno:
                    where += ":" + str(colno)
            where += ": "
        text = where + message
        if excerpt:
            text += "\n" + excerpt
        # the whole text is the argument, so every interpreter prints it (MicroPython's
        # print_exception shows args, not __str__)
        super().__init__(text)
        self.message = message
        self.name = name or None
        self.lineno = lineno
        self.colno = colno
        self.excerpt = excerpt


class TemplateSyntaxError(TemplateError):
    """The template does not compile: bad syntax, or something outside the subset."""


class TemplateNotFound(TemplateError):
    """The template (or one it includes or extends) does not exist."""


class TemplateRenderError(TemplateError):
    """Rendering failed (a type error, a division by zero...)."""


class UndefinedError(TemplateRenderError):
    """An undefined value was used (strict mode, the default, as Jinja's StrictUndefined)."""


class TemplateLimitError(TemplateRenderError):
    """A limit was reached: loop iterations, include depth or output size."""


class TemplateContextError(TemplateError):
    """The context could not be handed to the renderer (too large, too deep, a key type)."""


class TemplateBusyError(TemplateError):
    """Every render slot is in use (``render_slots`` renders in progress at once)."""


_KINDS = {
    "syntax": TemplateSyntaxError,
    "notfound": TemplateNotFound,
    "render": TemplateRenderError,
    "undefined": UndefinedError,
    "limit": TemplateLimitError,
    "context": TemplateContextError,
    "busy": TemplateBusyError,
}


def _error(kind, message, name, lineno, colno):
    # Called by the native module to make the exception it raises.
    return _KINDS.get(kind, TemplateError)(message, name, lineno, colno)


_default = None  # the first Jinja2Templates made: what render_template() uses


class Template:
    """A template of a ``Jinja2Templates`` (``templates.get_template(name)``), with Jinja2's
    ``render`` / ``generate`` calling conventions."""

    def __init__(self, templates, name):
        self.templates = templates
        self.name = name

    def render(self, *args, **kwargs):
        """``render({"a": 1})`` or ``render(a=1)``: the page as ``str``."""
        return self.templates.render(self.name, _context(args, kwargs))

    def generate(self, *args, **kwargs):
        """The page as an iterator of ``str`` pieces (each at most 16 KB of UTF-8)."""
        return _Decoded(self.templates.stream(self.name, _context(args, kwargs)))

    async def render_async(self, *args, **kwargs):
        return await self.templates.render_async(self.name, _context(args, kwargs))


def _context(args, kwargs):
    if len(args) > 1:
        raise TypeError("render() takes one positional argument (a dict)")
    ctx = dict(args[0]) if args else {}
    ctx.update(kwargs)
    return ctx


class _Decoded:
    def __init__(self, chunks):
        self._chunks = chunks

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._chunks).decode()


class _Stream:
    """An iterator of ``bytes`` pieces of one render (``Jinja2Templates.stream``)."""

    def __init__(self, render, chunk_bytes):
        self._render = render
        self._chunk = chunk_bytes

    def __iter__(self):
        return self

    def __next__(self):
        if self._render is None:
            raise StopIteration
        piece = self._render.next(self._chunk)
        if not piece:
            self._render = None
            raise StopIteration
        return piece

    def close(self):
        if self._render is not None:
            self._render.close()
            self._render = None


class Jinja2Templates:
    """Templates from a directory (``directory=``) or from a folder of an asset pack
    (``pack=`` and ``prefix=``), as Starlette's ``Jinja2Templates``::

        templates = Jinja2Templates(directory="templates")
        templates = Jinja2Templates(pack="build/site.vpak", prefix="templates")

    Options (every limit is checked at the limit, see docs/guide/templates.md):

    * ``strict`` (True): an undefined value used is an ``UndefinedError`` (Jinja's
      StrictUndefined); False: it prints as nothing and is false (Jinja's default Undefined).
    * ``auto_reload`` (True): a changed file (size or mtime) is recompiled at its next use.
    * ``cache_bytes``: budget of compiled templates (1 MB on a PC, 32 KB on the device).
    * ``render_slots`` (2): renders in progress at once; ``context_bytes`` (256 KB / 8 KB):
      the encoded context of one render; ``scratch_bytes`` (64 KB / 4 KB): strings made
      while rendering.
    * ``max_output_bytes`` (1 MB), ``max_loop_iterations`` (100,000 per render),
      ``max_include_depth`` (16), ``max_expression_depth`` (32), ``max_template_bytes``
      (256 KB per file).
    * ``context_processors``: functions ``f(request) -> dict`` merged into every
      ``TemplateResponse`` context (Starlette's).
    * ``warmup`` (False): compile every template of the source now (``warmup()``).
    """

    def __init__(self, directory=None, pack=None, prefix="", strict=True, auto_reload=True,
                 cache_bytes=None, render_slots=2, context_bytes=None, scratch_bytes=None,
                 max_output_bytes=1 << 20, max_loop_iterations=100000, max_include_depth=16,
                 max_expression_depth=32, max_template_bytes=256 * 1024,
                 context_processors=None, warmup=False):
        global _default
        import _viperhttp

        if (directory is None) == (pack is None):
            raise ValueError("give exactly one of directory= and pack=")
        for key, value, low in (("cache_bytes", cache_bytes, 0), ("render_slots", render_slots, 1),
                                ("context_bytes", context_bytes, 64),
                                ("scratch_bytes", scratch_bytes, 256),
                                ("max_output_bytes", max_output_bytes, 0),
                                ("max_loop_iterations", max_loop_iterations, 0),
                                ("max_include_depth", max_include_depth, 0),
                                ("max_expression_depth", max_expression_depth, 1),
                                ("max_template_bytes", max_template_bytes, 0)):
            if value is None and key in ("cache_bytes", "context_bytes", "scratch_bytes"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < low or \
                    value > 0xFFFFFFFF:
                raise ValueError(key)
        opts = {}
        for key, value in (("cache_bytes", cache_bytes), ("context_bytes", context_bytes),
                           ("scratch_bytes", scratch_bytes)):
            if value is not None:
                opts[key] = value
        if directory is not None:
            opts["directory"] = str(directory)
        else:
            opts["pack"] = str(pack)
            opts["prefix"] = str(prefix)
        self.directory = None if directory is None else str(directory)
        self.pack = None if pack is None else str(pack)
        self.prefix = prefix
        self.strict = strict
        self.context_processors = list(context_processors or [])
        self._native = _viperhttp.Templates(
            _error, strict=strict, auto_reload=auto_reload, render_slots=render_slots,
            max_output_bytes=max_output_bytes, max_loop_iterations=max_loop_iterations,
            max_include_depth=max_include_depth, max_expression_depth=max_expression_depth,
            max_template_bytes=max_template_bytes, **opts)
        if _default is None:
            _default = self
        if warmup:
            self.warmup()

    # --- rendering --------------------------------------------------------------------------

    def get_template(self, name):
        """The template ``name`` (compiled now, so a syntax error is raised here)."""
        self._native.compile(name)
        return Template(self, name)

    def render(self, name, context=None):
        """The page as ``str``."""
        return self._native.render(name, context).decode()

    def render_bytes(self, name, context=None):
        """The page as UTF-8 ``bytes`` (what a response sends)."""
        return self._native.render(name, context)

    def render_string(self, source, context=None, name="<template>"):
        """Compiles ``source`` (not cached; it may include and extend the source's files) and
        renders it, as Jinja's ``Environment.from_string(source).render(context)``."""
        return self._native.render_string(source, context, name).decode()

    def stream(self, name, context=None, chunk_bytes=16384):
        """The page in pieces of at most ``chunk_bytes`` (UTF-8, never split inside a
        character): an iterator of ``bytes``.  The context is encoded now; each ``next()``
        renders only the next piece, so a long page holds the interpreter one piece at a
        time."""
        return _Stream(self._native.start(name, context), chunk_bytes)

    async def render_async(self, name, context=None, chunk_bytes=16384):
        """The page as ``str``, rendered piece by piece with a yield to the event loop between
        pieces, so other requests are served while a long page renders."""
        stream = self.stream(name, context, chunk_bytes)
        parts = []
        for piece in stream:
            parts.append(piece)
            await _compat.asyncio.sleep(0)
        return b"".join(parts).decode()

    def TemplateResponse(self, *args, **kwargs):  # noqa: N802 (Starlette's name)
        """``TemplateResponse(name, context, status_code=200, headers=None, media_type=None,
        background=None)`` as Starlette 0.26 (``context`` must hold ``"request"``), or
        ``TemplateResponse(request, name, context=None, ...)`` as later Starlette versions."""
        if args and not isinstance(args[0], str):
            request, args = args[0], args[1:]
            name = args[0] if args else kwargs.pop("name")
            context = dict(args[1] if len(args) > 1 else kwargs.pop("context", None) or {})
            context.setdefault("request", request)
            rest = args[2:]
        else:
            name = args[0] if args else kwargs.pop("name")
            context = args[1] if len(args) > 1 else kwargs.pop("context")
            rest = args[2:]
            if "request" not in context:
                raise ValueError('context must include a "request" key')
        keys = ("status_code", "headers", "media_type", "background")
        for i, value in enumerate(rest):
            kwargs[keys[i]] = value
        request = context["request"]
        for processor in self.context_processors:
            context.update(processor(request))
        return _TemplateResponse(self, name, context, **kwargs)

    # --- cache ----------------------------------------------------------------------------------

    def warmup(self, names=None):
        """Compiles ``names`` (default: every file of the source) and returns
        ``{name: compiled bytes}``; the first template that does not compile raises."""
        if names is None:
            names = self._native.names()
        sizes = {}
        for name in names:
            sizes[name] = self._native.compile(name)
        return sizes

    def clear_cache(self, name=None):
        """Drops compiled templates (all, or the unit rooted at ``name``)."""
        if name is None:
            self._native.clear()
        else:
            self._native.clear(name)

    def stats(self):
        """Counters: cache hits, compiles, reloads, evictions, errors, renders, bytes used by
        compiled templates (``cache_bytes_used``) and by the render slots (``slot_bytes``)."""
        return self._native.stats()

    def close(self):
        """Frees the compiled templates and the render slots now (instead of at garbage
        collection); the object cannot render afterwards."""
        global _default
        self._native.close()
        if _default is self:
            _default = None

    def source_excerpt(self, name, lineno, around=2):
        """Lines ``lineno - around`` .. ``lineno + around`` of template ``name``, numbered,
        the line itself marked (what debug mode shows with a template error)."""
        if not name or not lineno:
            return None
        try:
            text = self._native.source(name).decode()
        except Exception:
            return None
        if text.endswith("\n"):  # as Jinja2: the final newline ends the last line
            text = text[:-1]
        lines = text.split("\n")
        out = []
        for n in range(max(1, lineno - around), min(len(lines), lineno + around) + 1):
            out.append("{} {:>4} | {}".format(">" if n == lineno else " ", n, lines[n - 1]))
        return "\n".join(out)


class _TemplateResponse(HTMLResponse):
    """What ``TemplateResponse`` returns: an ``HTMLResponse`` whose body is the page, with
    ``template`` and ``context`` kept (as Starlette's, for tests)."""

    def __init__(self, templates, name, context, status_code=200, headers=None,
                 media_type=None, background=None):
        self.template = Template(templates, name)
        self.context = context
        try:
            content = templates.render_bytes(name, context)
        except TemplateError as exc:
            request = context.get("request")
            app = getattr(request, "app", None)
            excerpt = None
            if getattr(app, "debug", False) and exc.excerpt is None:
                excerpt = templates.source_excerpt(exc.name, exc.lineno)
            if excerpt is None:
                raise
            raise type(exc)(exc.message, exc.name, exc.lineno, exc.colno, excerpt)
        HTMLResponse.__init__(self, content, status_code, headers, media_type, background)


def _templates(templates):
    if templates is not None:
        return templates
    if _default is None:
        raise RuntimeError("no Jinja2Templates yet: create one (the first is the default)")
    return _default


def render_template(name, context=None, templates=None):
    """The page ``name`` as ``str``, from ``templates`` or the first ``Jinja2Templates`` made."""
    return _templates(templates).render(name, context)


def TemplateResponse(name, context, status_code=200, headers=None, media_type=None,  # noqa: N802
                     background=None, templates=None):
    """``TemplateResponse`` of the first ``Jinja2Templates`` made (or of ``templates``)."""
    return _templates(templates).TemplateResponse(name, context, status_code, headers,
                                                  media_type, background)
