"""Portable models: ``viperhttp.Model`` (alias ``BaseModel``), a subset of pydantic that runs
on MicroPython and CPython.

Fields are declared portably with ``Field(type, ...)``, or on CPython with annotations, as
pydantic users write them::

    class Item(Model):                       # portable (MicroPython and CPython)
        name = Field(str, max_length=50)
        price = Field(float, ge=0, default=0)
        tags = Field([str], default=[])

    class Item(BaseModel):                   # CPython: annotations, as pydantic
        name: str = Field(max_length=50)
        price: float = 0
        tags: list[str] = []

A class is compiled once, on first use, into a list of fields with a validator each
(_validation.py); validating a request body follows that list.  Errors are pydantic 2's
(``type``, ``loc``, ``msg``, ``input``), so FastAPI's 422 bodies come out as FastAPI's.

On CPython a real pydantic model (1.x or 2.x) used as a parameter or ``response_model`` is
validated by pydantic itself (``pydantic_validator``).
"""

import json

from . import _compat
from ._compat import EMPTY
from . import _validation
from ._validation import INVALID
from .params import Param, error

_counter = [0]  # creation order of Field objects: MicroPython's class dicts are not ordered


class ValidationError(ValueError):
    """Raised by ``Model(...)``/``model_validate`` on invalid data; ``errors()`` is the list
    of pydantic 2 errors."""

    def __init__(self, errors, title="Model"):
        super().__init__("{} validation error{} for {}".format(
            len(errors), "" if len(errors) == 1 else "s", title))
        self._errors = errors
        self.title = title

    def errors(self):
        return self._errors


class Field(Param):
    """A model field: ``Field(type, *, default, default_factory, alias, title, description,
    examples, ge, gt, le, lt, min_length, max_length, pattern, exclude)``.

    The first argument is the field's type when the field has no annotation (the portable
    spelling, ``name = Field(str)``); with an annotation it is the default, as in pydantic
    (``name: str = Field("x", max_length=5)``; ``Field(...)``: required)."""

    def __init__(self, first=EMPTY, *, default=EMPTY, default_factory=None, exclude=False,
                 **kw):
        Param.__init__(self, default, **kw)
        self.first = first
        self.default_factory = default_factory
        self.exclude = exclude
        self.examples = kw.get("examples")
        _counter[0] += 1
        self.order = _counter[0]


class _FieldPlan:
    __slots__ = ("name", "key", "validator", "default", "factory", "required", "field", "tp",
                 "quick")

    def __init__(self, name, key, validator, default, factory, required, field, tp):
        self.name = name
        self.key = key
        self.validator = validator
        self.default = default
        self.factory = factory
        self.required = required
        self.field = field
        self.tp = tp
        # A test that accepts the value as it is (right type, within the bounds), or None
        self.quick = _validation.quick_check(tp, field)


_plans = {}


def _fresh(value):
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return value


def _class_attrs(cls):
    # public attribute name -> value, from the class and its bases (nearest wins)
    chain = []
    todo = [cls]
    while todo:  # breadth-first, as MicroPython has no __mro__
        k = todo.pop(0)
        if k not in chain and k is not object and k is not Model:
            chain.append(k)
            todo.extend(getattr(k, "__bases__", ()))
    out = {}
    for klass in reversed(chain):
        for k, v in klass.__dict__.items():
            if not k.startswith("_") and not callable(v) or isinstance(v, Field):
                out[k] = v
    return out


def _compile(cls):
    """The fields of ``cls``: (portable) its ``Field`` attributes in creation order, (CPython)
    its annotated attributes in declaration order."""
    attrs = _class_attrs(cls)
    fields = []
    hints = _hints(cls)
    seen = set()
    for name, annotation in hints:
        value = attrs.get(name, EMPTY)
        if isinstance(value, Field):
            field = value
            default = field.first if field.first is not EMPTY else field.default
        else:
            field = None
            default = value if name in attrs else EMPTY
        fields.append(_plan_field(name, annotation, field, default))
        seen.add(name)
    portable = [(v.order, k, v) for k, v in attrs.items()
                if isinstance(v, Field) and k not in seen]
    portable.sort(key=lambda t: t[0])
    for _, name, field in portable:
        tp = field.first if field.first is not EMPTY else None
        fields.append(_plan_field(name, tp, field, field.default))
    return fields


def _hints(cls):
    if _compat.MICROPYTHON:
        return []
    from . import _introspect_cpython

    return _introspect_cpython.class_hints(cls, EMPTY)


def _plan_field(name, tp, field, default):
    if default is ...:
        default = EMPTY
    factory = field.default_factory if field is not None else None
    required = default is EMPTY and factory is None
    validator = _validation.compile_type(tp, field)
    if default is None and not isinstance(validator, _validation.Nullable):
        validator = _validation.Nullable(validator)  # a None default makes it nullable
    key = field.alias if field is not None and field.alias else name
    return _FieldPlan(name, key, validator, default, factory, required, field, tp)


def fields_of(cls):
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _compile(cls)
    return plan


def _new(cls, values, fields_set, obj=None):
    if obj is None:
        obj = object.__new__(cls)
    if _compat.MICROPYTHON:
        for k, v in values.items():
            setattr(obj, k, v)
    else:
        obj.__dict__.update(values)
    obj._vh_fields_set = fields_set
    return obj


_MISSING = object()
_steps = {}  # class -> its fields as tuples, the form the validation loop reads fastest


def _validate_dict(cls, data, loc, errors, by_name=False, obj=None):
    # The success path allocates no ``loc`` list: a field is validated with its parent's
    # ``loc``, and only when it fails is it validated again with its own (validators have no
    # side effects), so the errors carry exact locations.
    steps = _steps.get(cls)
    if steps is None:
        steps = _steps[cls] = [(f.name, f.key, f.quick, f.validator, f.required, f.factory,
                                f.default) for f in fields_of(cls)]
    n = len(errors)
    values = {}
    fields_set = set()
    for name, key, quick, validator, required, factory, default in steps:
        raw = data.get(key, _MISSING)
        if raw is _MISSING and by_name:
            raw = data.get(name, _MISSING)
        if raw is _MISSING:
            if required:
                errors.append(error("missing", loc + [key], "Field required", data))
            elif factory is not None:
                values[name] = factory()
            else:
                values[name] = _fresh(default)
            continue
        fields_set.add(name)
        if quick is not None and quick(raw):
            values[name] = raw
            continue
        m = len(errors)
        value = validator.validate(raw, loc, errors)
        if len(errors) > m:
            del errors[m:]
            validator.validate(raw, loc + [key], errors)
        elif value is not INVALID:
            values[name] = value
    if len(errors) > n:
        return INVALID
    return _new(cls, values, fields_set, obj)


class Model:
    """The base class of portable models (see the module docstring)."""

    _vh_model = True

    def __init__(self, **data):
        errors = []
        if _validate_dict(type(self), data, [], errors, True, self) is INVALID:
            raise ValidationError(errors, type(self).__name__)

    @classmethod
    def _vh_validate(cls, value, loc, errors):
        if isinstance(value, cls):
            return value
        if isinstance(value, Model):  # another model: by its fields, as from_attributes
            value = value.model_dump()
        if not isinstance(value, dict):
            errors.append(error("model_attributes_type", loc, "Input should be a valid "
                                "dictionary or object to extract fields from", value))
            return INVALID
        return _validate_dict(cls, value, list(loc), errors)

    @classmethod
    def model_validate(cls, obj):
        errors = []
        value = cls._vh_validate(obj, [], errors)
        if value is INVALID:
            raise ValidationError(errors, cls.__name__)
        return value

    @classmethod
    def model_validate_json(cls, data):
        return cls.model_validate(json.loads(data))

    parse_obj = model_validate  # pydantic 1's names

    @property
    def model_fields_set(self):
        return set(getattr(self, "_vh_fields_set", ()))

    def model_dump(self, *, include=None, exclude=None, by_alias=False, exclude_unset=False,
                   exclude_defaults=False, exclude_none=False, mode="python"):
        out = {}
        fields_set = getattr(self, "_vh_fields_set", None)
        for f in fields_of(type(self)):
            name = f.name
            if include is not None and name not in include:
                continue
            if exclude is not None and name in exclude:
                continue
            if f.field is not None and f.field.exclude:
                continue
            if exclude_unset and fields_set is not None and name not in fields_set:
                continue
            value = getattr(self, name, None)
            if exclude_none and value is None:
                continue
            if exclude_defaults and not f.required and f.factory is None and value == f.default:
                continue
            out[f.key if by_alias else name] = _dump(value, by_alias, exclude_unset,
                                                    exclude_defaults, exclude_none, mode)
        return out

    def model_dump_json(self, *, indent=None, **kw):
        kw["mode"] = "json"
        data = self.model_dump(**kw)
        if indent is None:
            return _compat.json_bytes(data).decode()
        return json.dumps(data, indent=indent)

    def dict(self, **kw):  # pydantic 1's names
        return self.model_dump(**kw)

    def json(self, **kw):
        return self.model_dump_json(**kw)

    def model_copy(self, *, update=None, deep=False):
        values = {f.name: getattr(self, f.name, None) for f in fields_of(type(self))}
        if update:
            values.update(update)
        fields_set = self.model_fields_set | set(update or ())
        return _new(type(self), values, fields_set)

    copy = model_copy

    @classmethod
    def model_json_schema(cls):
        """The JSON Schema of the model (as pydantic 2 writes it), nested models under
        ``$defs``."""
        defs = {}
        schema = _model_schema(cls, defs)
        if defs:
            schema["$defs"] = defs
        return schema

    schema = model_json_schema

    @classmethod
    def _vh_schema(cls, defs):
        return _model_schema(cls, defs)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __repr__(self):
        return "{}({})".format(type(self).__name__, ", ".join(
            "{}={!r}".format(f.name, getattr(self, f.name, None)) for f in fields_of(type(self))))

    def __iter__(self):
        for f in fields_of(type(self)):
            yield f.name, getattr(self, f.name, None)


BaseModel = Model


def _dump(value, by_alias, exclude_unset, exclude_defaults, exclude_none, mode):
    if isinstance(value, Model):
        return value.model_dump(by_alias=by_alias, exclude_unset=exclude_unset,
                                exclude_defaults=exclude_defaults, exclude_none=exclude_none,
                                mode=mode)
    if isinstance(value, (list, tuple, set)):
        out = [_dump(v, by_alias, exclude_unset, exclude_defaults, exclude_none, mode)
               for v in value]
        return out if (mode == "json" or isinstance(value, list)) else type(value)(out)
    if isinstance(value, dict):
        return {k: _dump(v, by_alias, exclude_unset, exclude_defaults, exclude_none, mode)
                for k, v in value.items()}
    if mode == "json":
        from .encoders import jsonable_encoder

        return jsonable_encoder(value)
    return value


def _title(name):
    return " ".join(w[:1].upper() + w[1:] for w in name.split("_") if w)


def _model_schema(cls, defs):
    props = {}
    required = []
    for f in fields_of(cls):
        s = f.validator.schema(defs)
        fld = f.field
        s = dict(s)
        if "$ref" not in s:
            s["title"] = fld.title if fld is not None and fld.title else _title(f.name)
        if fld is not None:
            if fld.description:
                s["description"] = fld.description
            if fld.examples is not None:
                s["examples"] = fld.examples
        if f.required:
            required.append(f.key)
        elif f.factory is None:
            from .encoders import jsonable_encoder

            try:
                s["default"] = jsonable_encoder(f.default)
            except TypeError:
                pass
        props[f.key] = s
    out = {"properties": props, "title": cls.__name__, "type": "object"}
    if required:
        out["required"] = required
    return out


def is_pydantic(cls):
    """CPython: a pydantic model class (pydantic importable)."""
    if _compat.MICROPYTHON or not isinstance(cls, type):
        return False
    import sys

    pydantic = sys.modules.get("pydantic")  # a pydantic model means pydantic is imported
    if pydantic is None:
        return False
    return issubclass(cls, pydantic.BaseModel)


def pydantic_validator(cls):
    if not is_pydantic(cls):
        return None
    from ._pydantic_cpython import PydanticModel

    return PydanticModel(cls)


def return_model(endpoint):
    """CPython: the endpoint's return annotation when it names a model (``-> Item``,
    ``-> list[Item]``), used as its ``response_model`` as in current FastAPI; else None."""
    if _compat.MICROPYTHON:
        return None
    from . import _introspect_cpython
    from .responses import Response

    ann = _introspect_cpython.return_annotation(endpoint, EMPTY)
    if ann is EMPTY or ann is None:
        return None
    if isinstance(ann, type) and issubclass(ann, Response):
        return None
    if _has_model(_introspect_cpython.describe(ann)):
        return ann
    return None


def _has_model(desc):
    if desc is None:
        return False
    if desc[0] == "type":
        return getattr(desc[1], "_vh_model", False) or is_pydantic(desc[1])
    if desc[0] == "literal":
        return False
    return any(_has_model(d) for d in desc[1:] if isinstance(d, tuple))


def serialize_response(field, value, opts):
    """A return value through the route's ``response_model`` (FastAPI's serialize_response):
    a returned model is dumped first (its unset fields left out with ``exclude_unset``),
    validated against the response model, then dumped with the route's options."""
    from .exceptions import ResponseValidationError

    if isinstance(value, Model):
        value = value.model_dump(by_alias=True, exclude_unset=opts["exclude_unset"],
                                 exclude_defaults=opts["exclude_defaults"],
                                 exclude_none=opts["exclude_none"])
    elif isinstance(value, (list, tuple)) and value and isinstance(value[0], Model):
        value = [v.model_dump(by_alias=True, exclude_unset=opts["exclude_unset"],
                              exclude_none=opts["exclude_none"]) if isinstance(v, Model) else v
                 for v in value]
    errors = []
    value = field.validate(value, ["response"], errors)
    if errors:
        raise ResponseValidationError(errors)
    if isinstance(value, Model):
        return value.model_dump(mode="json", **opts)
    return _dump(value, opts["by_alias"], opts["exclude_unset"], opts["exclude_defaults"],
                 opts["exclude_none"], "json")
