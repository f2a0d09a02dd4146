"""Every hook a Sync2NAS plugin can implement: the plugin author's reference.

A plugin is a module (or object) with functions named after these hooks and
decorated with ``@hookimpl``::

    from sync2nas_core import hookimpl

    @hookimpl
    def sync2nas_file_routed(plan):
        print("routed", plan.destination)

An implementation may accept any subset of a hook's arguments, so hooks only
ever grow by adding arguments. Registry hooks (the ones returning records)
are *collect* hooks: every plugin's answer is gathered. Hooks marked
``firstresult`` stop at the first plugin that answers something other than
``None``; bundled implementations of those are ``trylast`` so yours win.

The core calls these only through the typed accessors of
:class:`sync2nas_core.plugins.PluginManager`, which call them through pluggy (so
your ``wrapper=True`` implementations and pluggy's tracing see every call), then
flatten, type-check and name the plugin behind any bad answer. Events reach
every handler even when one of them raises (the error is logged, plugin named).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .app import App
    from .models import DownloadRecord, Episode, ParsedName, RoutePlan, Show
    from .types import ConfigSection, MetadataProvider, RouterType, SourceType, StorageBackend

PROJECT_NAME = "sync2nas"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- registries ---------------------------------------------------------------


@hookspec
def sync2nas_config_sections() -> Sequence[ConfigSection]:
    """Declare the config sections this plugin reads.

    :return: ``ConfigSection`` records (or one record). The core validates the
        whole config file against every declared section before any command
        runs, and hands each plugin typed values.

    Example::

        @hookimpl
        def sync2nas_config_sections():
            return [ConfigSection("Jellyfin", keys=(
                ConfigKey("url", required=True, help="Server address"),
                ConfigKey("api_key", secret=True, required=True),
            ))]
    """


@hookspec
def sync2nas_storage_backends() -> Sequence[StorageBackend]:
    """Offer storage backends, selected by ``[Database] type = <name>``.

    :return: ``StorageBackend(name, section, factory)`` records. The factory is
        called as ``factory(settings, options)`` only when the config selects it.

    Example::

        @hookimpl
        def sync2nas_storage_backends():
            return [StorageBackend("sqlite", section="SQLite", factory=open_sqlite)]
    """


@hookspec
def sync2nas_sources() -> Sequence[SourceType]:
    """Offer sources new files are pulled from (list + fetch).

    Chosen by ``[Transfers] source = <name>`` (default ``sftp``).

    :return: ``SourceType(name, section, factory)`` records. The factory is called
        as ``factory(settings)`` and returns a :class:`~sync2nas_core.sources.Source`
        (``list()``, and ``download(storage, incoming, ...)`` giving a
        :class:`~sync2nas_core.sources.DownloadSummary`).

    Example::

        @hookimpl
        def sync2nas_sources():
            return [SourceType("sftp", section="SFTP", factory=SftpSource)]
    """


@hookspec
def sync2nas_metadata_providers() -> Sequence[MetadataProvider]:
    """Offer metadata providers that find shows and their episodes.

    :return: ``MetadataProvider(name, section, factory)`` records. The factory is
        called as ``factory(settings, read_only=...)`` and returns a
        :class:`~sync2nas_core.Metadata`; ``read_only`` (a dry run) means it writes
        nothing anywhere, cache entries included.

    Example::

        @hookimpl
        def sync2nas_metadata_providers():
            return [MetadataProvider("tmdb", section="TMDB", factory=TmdbClient)]
    """


@hookspec
def sync2nas_routers() -> Sequence[RouterType]:
    """Offer routers that identify incoming files and move them into the library.

    Chosen by ``[Transfers] router = <name>`` (default ``routing``); ``sync2nas
    run`` and :class:`~sync2nas_core.Pipeline` drive the chosen one.

    :return: ``RouterType(name, section, factory)`` records. The factory is called
        as ``factory(app)`` and returns a :class:`~sync2nas_core.sources.Router`
        (``route(storage, incoming, paths, dry_run=..., auto_add=...)`` giving one
        :class:`~sync2nas_core.RouteOutcome` per file).

    Example::

        @hookimpl
        def sync2nas_routers():
            return [RouterType("routing", section="Routing", factory=IncomingRouter)]
    """


@hookspec
def sync2nas_demo_services(workdir: Path, stack: ExitStack) -> Mapping[str, Mapping[str, Any]]:
    """Start local stand-ins for ``sync2nas demo`` and say how to reach them.

    :param workdir: the demo's temporary folder; keep every file in it.
    :param stack: register cleanups on it (``stack.callback(server.stop)``); it is
        closed when the demo ends.
    :return: config values ``{section: {key: value}}`` pointing at what you
        started; the demo merges every plugin's answer into one config.

    Example::

        @hookimpl
        def sync2nas_demo_services(workdir, stack):
            server = stack.enter_context(StubServer())
            return {"Jellyfin": {"url": server.url, "api_key": "demo"}}
    """


# -- behaviour ----------------------------------------------------------------


@hookspec(firstresult=True)
def sync2nas_parse_filename(name: str) -> ParsedName | None:
    """Say what a file or folder name is: show title, season, episode(s), ...

    :param name: a bare file or folder name (no directory part).
    :return: a ``ParsedName``, or ``None`` to let the next parser try.

    Example::

        @hookimpl(tryfirst=True)
        def sync2nas_parse_filename(name):
            if name.startswith("MyRip_"):
                return ParsedName(title=name[6:-4], kind="movie")
    """


@hookspec(firstresult=True)
def sync2nas_plan_route(
    item: str, show: Show, episodes: Sequence[Episode], settings: Mapping[str, Any]
) -> RoutePlan | None:
    """Decide where an identified file goes in the library.

    :param item: path of the file in the incoming folder.
    :param show: the show it belongs to.
    :param episodes: the episode(s) it holds (empty for movies).
    :param settings: the typed ``[Routing]`` section.
    :return: a ``RoutePlan``, or ``None`` to let the next plugin decide.

    Example::

        @hookimpl
        def sync2nas_plan_route(item, show, episodes, settings):
            dest = f"{settings['tv_path']}/{show.sys_name}/{Path(item).name}"
            return RoutePlan(source=item, destination=dest, show=show, episodes=tuple(episodes))
    """


@hookspec(firstresult=True)
def sync2nas_embed_text(texts: Sequence[str]) -> list[list[float]] | None:
    """Turn texts into vectors for similarity search (show names, aliases).

    :param texts: the texts to embed.
    :return: one vector per text, all of the same length, or ``None``.

    Example::

        @hookimpl(tryfirst=True)
        def sync2nas_embed_text(texts):
            return my_model.encode(list(texts)).tolist()
    """


@hookspec
def sync2nas_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``sync2nas`` command line.

    :param cli: the top-level click group. A command whose name is taken by the
        core (or reserved for a bundled plugin) is refused with your plugin named.

    Example::

        @hookimpl
        def sync2nas_register_commands(cli):
            @cli.command()
            def hello():
                click.echo("hello")
    """


# -- events (fired after the fact; a failing handler never breaks a sync) ------
# The core fires them through ``App.notify``, which passes ``app`` along.


@hookspec
def sync2nas_file_downloaded(record: DownloadRecord, app: App) -> None:
    """A remote file has arrived in the incoming folder, complete and verified.

    :param record: its download record (state ``downloaded``, ``local_path`` set).
    :param app: the running :class:`~sync2nas_core.App` (config, plugins).

    Example::

        @hookimpl
        def sync2nas_file_downloaded(record):
            log.info("pulled %s", record.remote_path)
    """


@hookspec
def sync2nas_file_routed(plan: RoutePlan, app: App) -> None:
    """A file has been moved into the library.

    :param plan: the plan that was carried out.
    :param app: the running :class:`~sync2nas_core.App`; read your own config
        section from ``app.config``.

    Example::

        @hookimpl
        def sync2nas_file_routed(plan, app):
            refresh(app.config.get("Jellyfin", "url"), plan.destination)
    """


@hookspec
def sync2nas_show_added(show: Show, app: App) -> None:
    """A show has been added to the storage.

    :param show: the show as stored.
    :param app: the running :class:`~sync2nas_core.App`.

    Example::

        @hookimpl
        def sync2nas_show_added(show):
            notify(f"now following {show.name}")
    """
