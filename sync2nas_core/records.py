"""Backend-neutral helpers for storage backends: models to and from flat records.

A *record* is anything indexable by field name with one entry per model field:
a database row (``sqlite3.Row``, a psycopg2 dict row), a decoded JSON document.
:func:`from_record` builds a model from one, converting what the storage keeps
in plain form back to the model's types; :func:`to_record` goes the other way.
Which conversion a field gets follows from its annotation on the model:

======================  =======================  ==========================
field annotation        stored (``to_record``)   model (``from_record``)
======================  =======================  ==========================
an ``enum.Enum``        its ``.value``           ``EnumType(value)``
``tuple[...]``          a ``list``               a ``tuple``
``Mapping[...]``        a ``dict``               a ``dict``
``str``                 as is                    a ``datetime`` becomes a
                                                 :func:`utc_stamp` string
anything else           as is                    as is
======================  =======================  ==========================

``X | None`` fields keep ``None``. Timestamps the models carry
(``created_at``, ``updated_at``, ``at``) are ISO 8601 UTC strings with
microseconds and a ``Z``: :func:`utc_now` makes one, :func:`utc_stamp` turns a
database's ``datetime`` into one. Standard library only: this module is
imported with ``sync2nas_core`` and must stay cheap.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

__all__ = ["Record", "from_record", "name_key", "to_record", "utc_now", "utc_stamp"]

T = TypeVar("T")

#: A conversion of one value; ``None`` where the value is taken as it is.
_Convert = Callable[[Any], Any] | None
#: How one field is converted: (field name, to the model, to the record).
_Conversion = tuple[str, _Convert, _Convert]


class Record(Protocol):
    """What :func:`from_record` reads: values by field name (a row, a dict)."""

    def __getitem__(self, key: str, /) -> Any: ...


def utc_now() -> str:
    """The current time as the models carry it, e.g. ``2026-11-25T10:15:00.123456Z``."""
    return _stamp(datetime.now(timezone.utc))


def utc_stamp(value: datetime | None) -> str | None:
    """A database timestamp as the models carry it (ISO 8601 UTC, microseconds, ``Z``).

    A naive ``datetime`` is taken as local time; ``None`` stays ``None``.
    """
    return None if value is None else _stamp(value)


def _stamp(value: datetime) -> str:
    utc = value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return utc.replace("+00:00", "Z")


def name_key(text: str) -> str:
    """What show names and aliases are compared by when case is ignored (Unicode-aware)."""
    return text.casefold()


def from_record(model: type[T], record: Record, /, **values: Any) -> T:
    """The ``model`` dataclass with each field taken from ``values``, else from ``record``.

    ``values`` supplies fields the record lacks or keeps in a backend's own
    encoding (aliases from another table, JSON text already decoded). Every field
    must be present in one of the two; extra entries in ``record`` are ignored.
    """
    fields = {}
    for name, to_model, _ in _conversions(model):
        value = values[name] if name in values else record[name]
        fields[name] = value if to_model is None else to_model(value)
    return model(**fields)


def to_record(model: Any) -> dict[str, Any]:
    """A model dataclass as a flat dict, field by field in declaration order.

    Enums become their values (a plain string is checked against the enum
    first), tuples lists, mappings dicts; nothing nested is converted further.
    ``json.dumps(to_record(model))`` is a JSON document :func:`from_record` reads back.
    """
    record = {}
    for name, _, to_plain in _conversions(type(model)):
        value = getattr(model, name)
        record[name] = value if to_plain is None else to_plain(value)
    return record


@functools.cache
def _conversions(model: type) -> tuple[_Conversion, ...]:
    if not dataclasses.is_dataclass(model):
        raise TypeError(f"{model!r} is not a dataclass")
    hints = typing.get_type_hints(model)
    return tuple(
        (field.name, *_converters(hints[field.name])) for field in dataclasses.fields(model)
    )


def _converters(hint: Any) -> tuple[_Convert, _Convert]:
    """(to the model, to the record) for a field annotated ``hint``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            return None, None
        to_model, to_plain = _converters(options[0])
        return _keep_none(to_model), _keep_none(to_plain)
    origin = typing.get_origin(hint) or hint
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint, functools.partial(_enum_value, hint)
    if origin is tuple:
        return tuple, list
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return dict, dict
    if hint is str:
        return _text, None
    return None, None


def _keep_none(convert: _Convert) -> _Convert:
    if convert is None:
        return None
    return lambda value: None if value is None else convert(value)


def _enum_value(kind: type[enum.Enum], value: Any) -> Any:
    return kind(value).value


def _text(value: Any) -> Any:
    return _stamp(value) if isinstance(value, datetime) else value
