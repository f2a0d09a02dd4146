"""Models to and from the JSON ``doc`` stored in each row."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from sync2nas_core import from_record, to_record

T = TypeVar("T")


def to_doc(model: Any) -> str:
    """A model dataclass as JSON: one key per field, enums as their values."""
    return json.dumps(to_record(model))


def from_doc(model: type[T], doc: str) -> T:
    """The ``model`` dataclass a :func:`to_doc` document describes."""
    return from_record(model, json.loads(doc))
