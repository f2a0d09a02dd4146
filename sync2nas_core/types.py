"""Plugin-type records: what registry hooks return.

A plugin type is a record with a validated, normalized ``name``, the config
section it reads, and a factory. The core instantiates only what the config
names, so a plugin costs nothing until it is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

#: Types a config key may declare, and how each is named in error messages.
CONFIG_TYPES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    Path: "a path",
    list: "a comma-separated list",
}


def normalize_name(name: str) -> str:
    """Lower-case ``name``, check it is a plain identifier, and return it."""
    if not isinstance(name, str):
        raise TypeError(f"a plugin-type name must be a string, got {name!r}")
    normalized = name.strip().lower()
    if not _NAME.match(normalized):
        raise ValueError(
            f"invalid name {name!r}: use lower-case letters, digits, '-' and '_', "
            "starting with a letter"
        )
    return normalized


#: A key's own check of a converted value: a message saying what is wrong, or None.
#: The message must not quote the value of a secret key.
Validator = Callable[[Any], str | None]


@dataclass(frozen=True)
class ConfigKey:
    """One key of a config section, as a plugin declares it.

    ``required`` keys are asked for when a command uses the section (and by
    ``config check``). A number must lie within ``minimum``..``maximum`` (or above
    ``above``) where given; ``validate`` checks a given value further and returns
    what is wrong (never quoting a secret), or None.
    """

    name: str
    type: type = str
    default: Any = None
    required: bool = False
    secret: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    validate: Validator | None = None

    def __post_init__(self) -> None:
        if self.type not in CONFIG_TYPES:
            raise TypeError(f"config key {self.name!r}: unsupported type {self.type!r}")
        bounded = (self.minimum, self.maximum, self.above) != (None, None, None)
        if bounded and self.type not in (int, float):
            raise TypeError(f"config key {self.name!r}: a range needs an int or float key")
        if self.minimum is not None and self.above is not None:
            raise TypeError(f"config key {self.name!r}: give minimum or above, not both")
        object.__setattr__(self, "name", self.name.strip().lower())

    @property
    def bounds(self) -> str:
        """The allowed numbers as text (``1..65535``, ``>= 0``, ``> 0``), or ``""``."""
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)}..{_number(self.maximum)}"
        bounds = [f"> {_number(self.above)}" if self.above is not None else "",
                  f">= {_number(self.minimum)}" if self.minimum is not None else "",
                  f"<= {_number(self.maximum)}" if self.maximum is not None else ""]
        return ", ".join(bound for bound in bounds if bound)

    def in_range(self, value: Any) -> bool:
        """Whether a converted value lies within the declared bounds (non-numbers do)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return True
        return not (
            (self.minimum is not None and value < self.minimum)
            or (self.above is not None and value <= self.above)
            or (self.maximum is not None and value > self.maximum)
        )


def _number(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


@dataclass(frozen=True)
class ConfigSection:
    """A config section a plugin reads: its keys, and whether the commands that use it
    need it present."""

    name: str
    keys: tuple[ConfigKey, ...]
    help: str = ""
    required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        names = [k.name for k in self.keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"config section [{self.name}] declares {duplicates} twice")

    def key(self, name: str) -> ConfigKey | None:
        """The key called ``name`` (or one of its aliases), if declared."""
        name = name.lower()
        for key in self.keys:
            if key.name == name or name in key.aliases:
                return key
        return None


@dataclass(frozen=True)
class StorageOptions:
    """How the core asks a backend to open: read-only or not, and how to embed text."""

    read_only: bool = False
    embed_text: Callable[[Sequence[str]], list[list[float]]] | None = None


@dataclass(frozen=True)
class _PluginType:
    name: str
    section: str
    factory: Callable[..., Any]
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", normalize_name(self.name))
        if not callable(self.factory):
            raise TypeError(f"{type(self).__name__} {self.name!r}: factory is not callable")


@dataclass(frozen=True)
class StorageBackend(_PluginType):
    """A storage backend, chosen by ``[Database] type = <name>``.

    ``factory(settings, options)`` gets the typed values of ``section`` and a
    :class:`StorageOptions`, and returns an open :class:`~sync2nas_core.storage.Storage`.
    """


@dataclass(frozen=True)
class SourceType(_PluginType):
    """A place new files come from (SFTP, ...), chosen by ``[Transfers] source = <name>``.

    ``factory(settings)`` gets the typed values of ``section`` and returns a
    :class:`~sync2nas_core.sources.Source`.
    """


@dataclass(frozen=True)
class RouterType(_PluginType):
    """What identifies incoming files and files them, chosen by ``[Transfers] router = <name>``.

    ``factory(app)`` gets the running :class:`~sync2nas_core.App` and returns a
    :class:`~sync2nas_core.sources.Router`.
    """


@dataclass(frozen=True)
class MetadataProvider(_PluginType):
    """Where show and episode data come from (TMDB, ...).

    ``factory(settings, read_only=...)`` returns a :class:`~sync2nas_core.metadata.Metadata`;
    ``read_only`` (a dry run) means it writes nothing anywhere, cache entries included.
    A factory that takes only ``settings`` (written before ``read_only`` existed) is
    still called, with ``settings`` alone.
    """
