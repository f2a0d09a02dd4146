"""The plugin manager: entry-point discovery, enable/disable, typed accessors.

Build one with :func:`create_plugin_manager`; nothing registers at import
time, so tests and embedding programs make as many fresh managers as they
like. Loading happens in this order:

1. blocks: ``[Plugins] disabled`` from the config and ``SYNC2NAS_LOAD_PLUGINS``
   from the environment (unset = all, empty = none, ``a,b`` = only those);
2. entry points in group ``sync2nas`` (a plugin that fails to import is
   recorded with its distribution, and the rest of the program goes on);
3. built-ins (the core's own plugin, which is essential and cannot be disabled);
4. ``check_pending()``: a plugin implementing an unknown hook is unregistered
   and reported, so a misspelled hook name fails loudly.

The core never calls ``pm.hook.*`` itself: the accessors below flatten the
answers, check their types, refuse duplicate names (naming both plugins) and
answer an unknown name with the valid choices.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import inspect
import logging
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pluggy

from . import hookspecs
from .models import ParsedName, RoutePlan
from .types import ConfigSection, MetadataProvider, RouterType, SourceType, StorageBackend

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "sync2nas"
LOAD_PLUGINS_ENV = "SYNC2NAS_LOAD_PLUGINS"
CORE_DISTRIBUTION = "sync2nas"

T = TypeVar("T")


class PluginError(Exception):
    """A plugin problem the user must fix (duplicate name, unknown name, bad answer)."""


@dataclass
class PluginInfo:
    """What ``sync2nas plugins`` shows about one plugin."""

    name: str
    distribution: str
    version: str
    status: str  # loaded, disabled, failed
    hooks: list[str] = field(default_factory=list)
    essential: bool = False
    reason: str = ""
    traceback: str = ""

    @property
    def origin(self) -> str:
        """``plugin 'x' (distribution y 1.0)``: how messages name a plugin."""
        return f"plugin {self.name!r} (distribution {self.distribution} {self.version})"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_plugin_list(text: str | None) -> list[str]:
    """Split ``"a, b,,c"`` into ``["a", "b", "c"]``."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class PluginManager:
    """Typed access to the plugins of one program run."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._single_callers: dict[tuple[str, str], Any] = {}
        self.warnings: list[str] = []

    # -- registration ------------------------------------------------------
    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str = CORE_DISTRIBUTION,
        version: str = "",
        essential: bool = False,
    ) -> bool:
        """Register one plugin object; a refusal is recorded, not raised."""
        info = PluginInfo(name, distribution, version, "loaded", essential=essential)
        previous = self._infos.get(name)
        if previous is not None and previous.status == "loaded":
            self._fail(
                info,
                f"duplicate plugin name {name!r}: also provided by distribution "
                f"{previous.distribution}",
            )
            return False
        self._single_callers.clear()
        try:
            self._pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            self._fail(info, str(exc))
            return False
        info.hooks = sorted(impl_name for impl_name in _hook_names(self._pm, plugin))
        self._infos[name] = info
        return True

    def record_disabled(self, name: str, distribution: str, version: str, reason: str) -> None:
        """Remember a plugin that was found but not loaded, for ``sync2nas plugins``."""
        self._infos[name] = PluginInfo(name, distribution, version, "disabled", reason=reason)

    def record_failure(self, name: str, distribution: str, version: str, error: str) -> None:
        """Remember a plugin that could not be imported, with the current traceback."""
        self._fail(PluginInfo(name, distribution, version, "failed"), error, traceback.format_exc())

    def _fail(self, info: PluginInfo, reason: str, trace: str = "") -> None:
        info.status, info.reason, info.traceback = "failed", reason, trace
        self._infos.setdefault(info.name, info)
        if self._infos[info.name] is not info:  # keep the loaded one, report the loser
            self._infos[f"{info.name} ({info.distribution})"] = info
        self.warnings.append(f"{info.origin} was not loaded: {reason}")

    def check_pending(self) -> None:
        """Unregister (and report) every plugin that implements a hook nobody specified."""
        while True:
            try:
                self._pm.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self._pm.get_name(exc.plugin)
                self._pm.unregister(exc.plugin)
                self._single_callers.clear()
                info = self._infos.pop(name)
                unknown = [h for h in info.hooks if not hasattr(hookspecs, h)]
                hints = "".join(did_you_mean(h, _spec_names()) for h in unknown)
                self._fail(info, f"implements unknown hook(s) {', '.join(unknown)}{hints}")

    # -- introspection -----------------------------------------------------
    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin found, loaded or not, sorted by name."""
        return sorted(self._infos.values(), key=lambda info: info.name)

    def loaded_names(self) -> list[str]:
        return [info.name for info in self.plugin_infos() if info.status == "loaded"]

    def info(self, name: str) -> PluginInfo:
        return self._infos[name]

    # -- calling hooks -----------------------------------------------------
    # Every call goes through pluggy, so hook wrappers and pluggy's tracing see it.
    # Hooks whose answers must be told apart by plugin (registries, commands) and
    # events (a failing handler must not stop the others) are called one plugin at a
    # time, through pluggy's public ``subset_hook_caller``; other plugins' wrappers
    # still wrap each call.

    def _implementations(self, hook_name: str) -> Iterator[tuple[PluginInfo, Any]]:
        """(plugin, hook implementation) pairs, wrappers left out, in pluggy's call order."""
        hook = getattr(self._pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):
            if not (impl.hookwrapper or impl.wrapper):
                yield self._infos[impl.plugin_name], impl

    def _caller_of(self, hook_name: str, plugin_name: str) -> Any:
        """A pluggy caller of ``hook_name`` that reaches only ``plugin_name``'s implementation."""
        key = (hook_name, plugin_name)
        if key not in self._single_callers:
            others = [impl.plugin for _, impl in self._implementations(hook_name)
                      if impl.plugin_name != plugin_name]
            self._single_callers[key] = self._pm.subset_hook_caller(hook_name, others)
        return self._single_callers[key]

    def _call_one(self, hook_name: str, impl: Any, kwargs: dict[str, Any]) -> Any:
        """One plugin's answer to ``hook_name`` (None when it has none)."""
        answer = self._caller_of(hook_name, impl.plugin_name)(**_spec_arguments(hook_name, kwargs))
        if getattr(self._pm.hook, hook_name).spec.opts.get("firstresult"):
            return answer
        return answer[0] if answer else None

    def _call_each(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[PluginInfo, Any]]:
        """Call every implementation, yielding (plugin, answer)."""
        for info, impl in self._implementations(hook_name):
            yield info, self._call_one(hook_name, impl, kwargs)

    def _collect(self, hook_name: str, record_type: type[T]) -> list[tuple[PluginInfo, T]]:
        """Flatten a registry hook's answers, checking each record's type."""
        collected: list[tuple[PluginInfo, T]] = []
        for info, answer in self._call_each(hook_name):
            if answer is None:
                continue
            records = answer if isinstance(answer, (list, tuple)) else [answer]
            for record in records:
                if not isinstance(record, record_type):
                    raise PluginError(
                        f"{info.origin} returned {record!r} from {hook_name}, "
                        f"expected {record_type.__name__}"
                    )
                collected.append((info, record))
        return collected

    def _registry(self, hook_name: str, record_type: type[T]) -> dict[str, T]:
        """A registry hook's records by name; a name offered twice is an error."""
        by_name: dict[str, T] = {}
        owners: dict[str, PluginInfo] = {}
        for info, record in self._collect(hook_name, record_type):
            name = record.name  # type: ignore[attr-defined]
            if name in by_name:
                raise PluginError(
                    f"{record_type.__name__} {name!r} is offered twice: by "
                    f"{owners[name].origin} and by {info.origin}; disable one of them "
                    "with [Plugins] disabled = <plugin name>"
                )
            by_name[name], owners[name] = record, info
        return by_name

    def config_sections(self) -> dict[str, tuple[ConfigSection, PluginInfo]]:
        """Every declared config section with the plugin that declared it."""
        sections: dict[str, tuple[ConfigSection, PluginInfo]] = {}
        for info, section in self._collect("sync2nas_config_sections", ConfigSection):
            known = {name.lower(): name for name in sections}
            if section.name.lower() in known:
                owner = sections[known[section.name.lower()]][1]
                raise PluginError(
                    f"config section [{section.name}] is declared twice: by "
                    f"{owner.origin} and by {info.origin}"
                )
            sections[section.name] = (section, info)
        return sections

    def storage_backends(self) -> dict[str, StorageBackend]:
        return self._registry("sync2nas_storage_backends", StorageBackend)

    def sources(self) -> dict[str, SourceType]:
        return self._registry("sync2nas_sources", SourceType)

    def metadata_providers(self) -> dict[str, MetadataProvider]:
        return self._registry("sync2nas_metadata_providers", MetadataProvider)

    def routers(self) -> dict[str, RouterType]:
        return self._registry("sync2nas_routers", RouterType)

    def storage_backend(self, name: str) -> StorageBackend:
        return _pick("storage backend", name, self.storage_backends())

    def source(self, name: str) -> SourceType:
        return _pick("source", name, self.sources())

    def metadata_provider(self, name: str) -> MetadataProvider:
        return _pick("metadata provider", name, self.metadata_providers())

    def router(self, name: str) -> RouterType:
        return _pick("router", name, self.routers())

    def demo_services(self, workdir: Path, stack: ExitStack) -> dict[str, dict[str, Any]]:
        """Every plugin's demo config values, merged section by section."""
        merged: dict[str, dict[str, Any]] = {}
        for info, answer in self._call_each("sync2nas_demo_services", workdir=workdir,
                                            stack=stack):
            if answer is None:
                continue
            if not isinstance(answer, Mapping) or not all(
                isinstance(keys, Mapping) for keys in answer.values()
            ):
                raise PluginError(f"{info.origin} returned {answer!r} from "
                                  "sync2nas_demo_services, expected {section: {key: value}}")
            for section, keys in answer.items():
                merged.setdefault(section, {}).update(keys)
        return merged

    def _first(self, hook_name: str, answer_type: type[T], **kwargs: Any) -> T | None:
        """The answer of a firstresult hook (one pluggy call), type-checked; a wrong
        answer is traced to its plugin by asking each one again."""
        answer = getattr(self._pm.hook, hook_name)(**_spec_arguments(hook_name, kwargs))
        if answer is None or isinstance(answer, answer_type):
            return answer
        culprit = next((info.origin for info, own in self._call_each(hook_name, **kwargs)
                        if own is not None), "a plugin")
        raise PluginError(
            f"{culprit} returned {answer!r} from {hook_name}, "
            f"expected {answer_type.__name__} or None"
        )

    def parse_filename(self, name: str) -> ParsedName | None:
        return self._first("sync2nas_parse_filename", ParsedName, name=name)

    def plan_route(
        self, item: str, show: Any, episodes: Sequence[Any], settings: Mapping[str, Any]
    ) -> RoutePlan | None:
        return self._first(
            "sync2nas_plan_route", RoutePlan,
            item=item, show=show, episodes=episodes, settings=settings,
        )

    def embed_text(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._first("sync2nas_embed_text", list, texts=texts)
        if vectors is None:
            raise PluginError("no plugin implements sync2nas_embed_text")
        if len(vectors) != len(texts):
            raise PluginError(
                f"sync2nas_embed_text returned {len(vectors)} vectors for {len(texts)} texts"
            )
        return vectors

    def register_commands(self, cli: Any, reserved: Mapping[str, str]) -> None:
        """Mount each plugin's commands on ``cli``; collisions are refused, plugin named.

        Each plugin adds its commands to a staging group first, so it can never
        replace a core command or another plugin's. ``reserved`` maps command
        names kept for plugins of the core distribution to what they will do.
        """
        import click

        for info, impl in self._implementations("sync2nas_register_commands"):
            staging = click.Group(cli.name)
            try:
                self._call_one("sync2nas_register_commands", impl, {"cli": staging})
            except Exception as exc:
                self.warnings.append(f"{info.origin} failed to add its commands: {exc}")
                continue
            for name, command in staging.commands.items():
                if name in cli.commands:
                    self.warnings.append(
                        f"{info.origin} tried to add command {name!r}, which is already "
                        "taken; the plugin's command was refused"
                    )
                elif name in reserved and info.distribution != CORE_DISTRIBUTION:
                    self.warnings.append(
                        f"{info.origin} tried to add command {name!r}, which is reserved "
                        f"for sync2nas ({reserved[name]}); the plugin's command was refused"
                    )
                else:
                    cli.add_command(command, name)

    def notify(self, event: str, **kwargs: Any) -> None:
        """Fire an event hook; a failing handler is logged with its plugin named."""
        hook_name = f"sync2nas_{event}"
        for info, impl in self._implementations(hook_name):
            try:
                self._call_one(hook_name, impl, kwargs)
            except Exception as exc:  # a notifier must never break a sync
                log.error("%s failed in %s: %s", info.origin, hook_name, exc)
                log.debug("traceback", exc_info=True)


def _pick(kind: str, name: str, registry: Mapping[str, T]) -> T:
    """``registry[name]``, or an error listing the valid choices."""
    normalized = name.strip().lower()
    if normalized in registry:
        return registry[normalized]
    choices = ", ".join(sorted(registry)) or "none (no plugin offers one)"
    raise PluginError(
        f"unknown {kind} {name!r}{did_you_mean(normalized, registry)}; valid choices: {choices}"
    )


def _spec_arguments(hook_name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument ``hook_name``'s spec declares, None where the caller has none."""
    spec = getattr(hookspecs, hook_name)
    return {name: kwargs.get(name) for name in _argument_names(spec)}


@functools.cache
def _argument_names(function: Any) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


def _spec_names() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("sync2nas_")]


def _hook_names(pm: pluggy.PluginManager, plugin: object) -> Iterator[str]:
    for caller in pm.get_hookcallers(plugin) or []:
        yield caller.name


def _load_filter(environ: Mapping[str, str]) -> set[str] | None:
    """``SYNC2NAS_LOAD_PLUGINS`` as a set of names; None means "load all"."""
    if LOAD_PLUGINS_ENV not in environ:
        return None
    return set(parse_plugin_list(environ[LOAD_PLUGINS_ENV]))


def create_plugin_manager(
    *,
    disabled: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    builtins: Sequence[tuple[str, object]] | None = None,
) -> PluginManager:
    """Discover, block and load plugins; see the module docstring for the order.

    :param disabled: plugin names from ``[Plugins] disabled``.
    :param environ: environment to read ``SYNC2NAS_LOAD_PLUGINS`` from (default ``os.environ``).
    :param builtins: (name, plugin) pairs that are essential; default: the core plugin.
    """
    from . import builtin

    environ = os.environ if environ is None else environ
    builtins = [("core", builtin)] if builtins is None else builtins
    manager = PluginManager()
    essential = {name for name, _ in builtins}
    disabled = set(parse_plugin_list(",".join(disabled)))
    for name in sorted(disabled & essential):
        raise PluginError(f"plugin {name!r} is essential and cannot be disabled")
    only = _load_filter(environ)

    entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    found = set()
    for ep in sorted(entry_points, key=lambda ep: ep.name):
        distribution, version = _distribution_of(ep)
        found.add(ep.name)
        if ep.name in disabled:
            manager.record_disabled(ep.name, distribution, version, "disabled in [Plugins]")
            continue
        if only is not None and ep.name not in only:
            manager.record_disabled(ep.name, distribution, version, f"not in {LOAD_PLUGINS_ENV}")
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            manager.record_failure(ep.name, distribution, version, f"{type(exc).__name__}: {exc}")
            continue
        manager.register(plugin, ep.name, distribution=distribution, version=version)

    for name, plugin in builtins:
        manager.register(plugin, name, version=_core_version(), essential=True)
    manager.check_pending()

    for name in sorted((disabled | (only or set())) - found - essential):
        manager.warnings.append(
            f"no installed plugin is called {name!r}{did_you_mean(name, found)}"
        )
    return manager


def _distribution_of(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"] or "unknown", dist.version or ""


def _core_version() -> str:
    try:
        return importlib.metadata.version(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
