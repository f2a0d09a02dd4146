"""Ready-made ``ConfigKey.validate`` checks: each returns what is wrong, or None."""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .types import Validator


def existing_file(path: Any) -> str | None:
    """The path names an existing file (a key file, say)."""
    path = Path(path)
    if path.is_file():
        return None
    return f"{path}: {'not a file' if path.exists() else 'no such file'}"


def http_url(url: Any) -> str | None:
    """The value is an http:// or https:// address with a host."""
    parts = urlsplit(str(url))
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return "expected an http:// or https:// address with a host name"


def format_template(*examples: Mapping[str, Any]) -> Validator:
    """A check that a ``str.format`` template fills in with each example's fields.

    The fields are those of the first example; give several examples when a
    field's type varies (a year that may be empty, say).
    """
    fields = ", ".join(examples[0])

    def check(template: Any) -> str | None:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(str(template))]
        except ValueError as exc:
            return f"not a valid template ({exc}); fields: {fields}"
        if "" in names:
            return f"a field needs a name ({{}} is not one); fields: {fields}"
        for example in examples:
            try:
                str(template).format(**example)
            except KeyError as exc:
                return f"unknown field {{{exc.args[0]}}}; fields: {fields}"
            except (AttributeError, IndexError, TypeError, ValueError) as exc:
                return f"cannot be filled in ({exc}); fields: {fields}"
        return None

    return check
