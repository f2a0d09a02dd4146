"""``App``: one validated config plus the plugins it switched on.

Commands receive it as ``ctx.obj`` (``@click.pass_obj``); programs that embed
Sync2NAS build one with :meth:`App.load` and use the same methods.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, find_config_file, read_config_file, validate
from .metadata import Metadata
from .plugins import PluginManager, create_plugin_manager, parse_plugin_list
from .storage import Storage
from .types import StorageOptions


@dataclass
class App:
    config: Config
    plugins: PluginManager
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        config_path: Path | None = None,
        *,
        raw: Mapping[str, Mapping[str, Any]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> App:
        """Find, read and validate the config and load the plugins it allows.

        Pass ``raw`` ({section: {key: value}}) to configure from a dict instead
        of a file. Raises ConfigError or PluginError with a message for the user.
        """
        environ = os.environ if environ is None else environ
        path = None
        if raw is None:
            path = find_config_file(config_path, environ)
            raw = read_config_file(path) if path else {}
        manager = create_plugin_manager(disabled=disabled_plugins(raw, environ), environ=environ)
        return cls.from_parts(manager, raw, path, environ)

    @classmethod
    def from_parts(
        cls,
        manager: PluginManager,
        raw: Mapping[str, Mapping[str, Any]],
        path: Path | None,
        environ: Mapping[str, str] | None = None,
    ) -> App:
        """Validate ``raw`` against the sections ``manager``'s plugins declare."""
        result = validate(
            raw,
            manager.config_sections(),
            path=path,
            environ=environ,
            storage_backends=manager.storage_backends(),
        )
        return cls(result.config, manager, [*manager.warnings, *result.warnings])

    def notify(self, event: str, **kwargs: Any) -> None:
        """Fire event hook ``sync2nas_<event>`` with ``app=self`` added."""
        self.plugins.notify(event, app=self, **kwargs)

    def open_storage(self, *, read_only: bool = False) -> Storage:
        """Open the storage backend ``[Database] type`` names; the caller closes it
        (:meth:`storage` does both)."""
        backend = self.plugins.storage_backend(self.config.get("Database", "type"))
        options = StorageOptions(read_only=read_only, embed_text=self.plugins.embed_text)
        return backend.factory(self.config.section(backend.section), options)

    @contextmanager
    def storage(self, *, read_only: bool = False) -> Iterator[Storage]:
        """The storage, open for the ``with`` block and closed however it ends."""
        storage = self.open_storage(read_only=read_only)
        try:
            yield storage
        finally:
            storage.close()

    def open_metadata(self, name: str, *, read_only: bool = False) -> Metadata:
        """Open metadata provider ``name``; ``read_only`` (a dry run) makes it write
        nothing, not even a cache entry."""
        provider = self.plugins.metadata_provider(name)
        settings = self.config.section(provider.section)
        if _accepts_keyword(provider.factory, "read_only"):
            return provider.factory(settings, read_only=read_only)
        return provider.factory(settings)  # a provider written before read_only existed


def _accepts_keyword(function: Any, name: str) -> bool:
    """Whether ``function`` can be called with keyword argument ``name``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def disabled_plugins(
    raw: Mapping[str, Mapping[str, Any]], environ: Mapping[str, str] | None = None
) -> list[str]:
    """``[Plugins] disabled`` from a raw config (or its environment override)."""
    environ = os.environ if environ is None else environ
    value: Any = environ.get("SYNC2NAS_PLUGINS__DISABLED")
    if value is None:
        section = next((keys for name, keys in raw.items() if name.lower() == "plugins"), {})
        value = section.get("disabled", "")
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    if not isinstance(value, str):
        raise ConfigError([f"[Plugins] disabled: expected a comma-separated list, got {value!r}"])
    return parse_plugin_list(value)
