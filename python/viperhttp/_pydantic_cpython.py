"""CPython: a real pydantic model as a parameter or ``response_model`` is validated by
pydantic itself (1.x, as Debian 12 ships with FastAPI 0.92, or 2.x); its errors are given in
pydantic 2's shape (pydantic 1's types mapped as tests/parity maps them)."""

import json
import sys

# Loaded only for a model class of pydantic's (models.is_pydantic), so pydantic is imported
# already, by the app: the package itself never needs it.
pydantic = sys.modules["pydantic"]

from ._validation import INVALID, Validator
from .params import error

V2 = pydantic.VERSION.startswith("2")

_V1_TYPES = {
    "value_error.missing": ("missing", "Field required"),
    "type_error.integer": ("int_parsing", "Input should be a valid integer, unable to parse "
                           "string as an integer"),
    "type_error.float": ("float_parsing", "Input should be a valid number, unable to parse "
                         "string as a number"),
    "type_error.bool": ("bool_parsing", "Input should be a valid boolean, unable to interpret "
                        "input"),
    "type_error.str": ("string_type", "Input should be a valid string"),
    "type_error.list": ("list_type", "Input should be a valid list"),
    "type_error.dict": ("dict_type", "Input should be a valid dictionary"),
}


class PydanticModel(Validator):
    def __init__(self, cls):
        self.cls = cls

    def validate(self, value, loc, errors):
        cls = self.cls
        if isinstance(value, cls):
            return value
        try:
            if V2:
                return cls.model_validate(value)
            return cls.parse_obj(value)
        except pydantic.ValidationError as exc:
            for e in exc.errors():
                where = list(loc) + list(e["loc"])
                if V2:
                    out = error(e["type"], where, e["msg"], e.get("input"), e.get("ctx"))
                else:
                    kind, msg = _V1_TYPES.get(e["type"], (e["type"], e["msg"]))
                    out = error(kind, where, msg, _input(value, e["loc"]), e.get("ctx"))
                errors.append(out)
            return INVALID

    def schema(self, defs):
        name = self.cls.__name__
        if V2:
            s = self.cls.model_json_schema(ref_template="#/$defs/{model}")
        else:
            s = json.loads(self.cls.schema_json(ref_template="#/$defs/{model}"))
            s.pop("definitions", None)
        defs.update(s.pop("$defs", {}))
        defs[name] = s
        return {"$ref": "#/$defs/" + name}


def _input(value, loc):
    # pydantic 1 errors carry no input: the value at loc (None where it is missing)
    for k in loc:
        if isinstance(value, dict) and k in value:
            value = value[k]
        elif isinstance(value, list) and isinstance(k, int) and k < len(value):
            value = value[k]
        else:
            return value  # missing: the object it is missing from, as pydantic 2
    return value
