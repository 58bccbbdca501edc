"""Activities as the JSON body botbuilder's ConnectorClient would send, without msrest's cost.

msrest's ``Serializer.body`` re-deserializes and validates the whole model before walking it, about 0.7 ms
for one reply card, more than the rest of our turn. The botbuilder schema models have no validation rules,
flattened keys or additional properties, so for them the JSON is a plain walk of each class's
``_attribute_map``. That walk covers what msrest does for those models exactly, and any value it does not
know how to treat exactly as msrest would (a dict where a model belongs, a datetime, a tuple, an int in a
float field...) hands the whole activity to msrest itself. tests/bot/test_wire.py checks both give the same
bytes for every activity the bot sends.
"""

from __future__ import annotations

import json
from enum import Enum
from functools import cache
from typing import Any

from botbuilder.schema import Activity
from botframework.connector import models
from msrest import Serializer
from msrest.serialization import Model

_SERIALIZER = Serializer({name: value for name, value in vars(models).items() if isinstance(value, type)})
_EXACT = {"str": str, "bool": bool, "int": int, "float": float}


class _Unusual(Exception):
    """A value this module would not serialize exactly as msrest does."""


def activity_body(activity: Activity) -> bytes:
    """The request body: the JSON text msrest would send (``json.dumps`` defaults, so ASCII only)."""
    return json.dumps(activity_json(activity)).encode("ascii")


def activity_json(activity: Activity) -> dict[str, Any]:
    fast = fast_json(activity)
    return fast if fast is not None else _SERIALIZER.body(activity, "Activity")


def fast_json(activity: Activity) -> dict[str, Any] | None:
    """The walk alone; None when the activity holds something only msrest itself serializes exactly."""
    try:
        return _model(activity)
    except _Unusual:
        return None


@cache
def _fields(cls: type[Model]) -> tuple[tuple[str, str, str], ...]:
    """(attribute, JSON key, msrest type) of a model class, or _Unusual if msrest would do more than walk it."""
    if getattr(cls, "_validation", None) or cls.is_xml_model():
        raise _Unusual(cls.__name__)
    fields = []
    for attr, desc in cls._attribute_map.items():
        key, kind = desc["key"], desc["type"]
        if not isinstance(kind, str) or not key or "." in key or "\\" in key:
            raise _Unusual(f"{cls.__name__}.{attr}")
        fields.append((attr, key, kind))
    return tuple(fields)


def _model(model: Model) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, key, kind in _fields(type(model)):
        value = getattr(model, attr)
        if value is not None:  # msrest leaves unset attributes out
            out[key] = _value(value, kind)
    return out


def _value(value: Any, kind: str) -> Any:
    exact = _EXACT.get(kind)
    if exact is not None:
        if type(value) is exact:
            return value
        if kind == "str" and isinstance(value, Enum):
            return value.value
        raise _Unusual(kind)
    if kind == "object":
        return _object(value)
    if kind.startswith("[") and kind.endswith("]"):
        if type(value) is not list:
            raise _Unusual(kind)
        return [None if item is None else _value(item, kind[1:-1]) for item in value]
    if kind.startswith("{") and kind.endswith("}"):
        if type(value) is not dict or any(type(k) is not str for k in value):
            raise _Unusual(kind)
        return {k: None if item is None else _value(item, kind[1:-1]) for k, item in value.items()}
    if kind in _SERIALIZER.dependencies and isinstance(value, Model) and not isinstance(value, Enum):
        return _model(value)
    raise _Unusual(kind)  # dates, bytes, enums typed as such, dicts where a model belongs


def _object(value: Any) -> Any:
    """msrest's ``serialize_object`` for plain JSON data and models; anything else is unusual."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int or kind is float:
        return value
    if kind is dict:
        if any(type(k) is not str for k in value):
            raise _Unusual("object key")
        return {k: _object(item) for k, item in value.items()}
    if kind is list:
        return [_object(item) for item in value]
    if isinstance(value, Model):
        return _model(value)
    raise _Unusual(kind.__name__)
