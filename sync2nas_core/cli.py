"""The ``sync2nas`` command line: global options, core commands, plugin commands.

The group is built fresh for every run (:func:`build_cli`), so nothing is
registered at import time. Plugins are loaded when click first looks a command
up, after the global options (``--config``) are parsed; the config is
validated before any command runs, and every config or plugin error exits 2.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, NoReturn

import click

from . import run_commands, storage_commands
from .app import App, disabled_plugins
from .config import ConfigError, find_config_file, read_config_file
from .demo import demo_command
from .plugins import PluginError, PluginManager, create_plugin_manager
from .storage import StorageError

log = logging.getLogger("sync2nas")

FAILED = 1
USAGE_ERROR = 2

#: Command names kept for the plugins of the sync2nas distribution.
RESERVED_COMMANDS: dict[str, str] = {
    "add-show": "add one show from the metadata provider",
    "bootstrap-downloads": "record every current remote file as already pulled",
    "bootstrap-episodes": "fetch episodes for shows that lack them",
    "bootstrap-tv-shows": "add the shows already in the library",
    "download-from-remote": "pull new files from the source",
    "find-duplicates": "list duplicate files in the library",
    "fix-show": "re-identify a show",
    "missing-episodes": "list episodes the library lacks",
    "parse": "parse release names",
    "route-files": "move identified files into the library",
    "search-tmdb": "search the metadata provider",
    "update-shows": "refresh shows from the metadata provider",
}

#: Core commands that still work when the config is broken: to help fix it, or
#: (demo) because they bring their own.
DIAGNOSTIC_COMMANDS = {"plugins", "init", "config", "demo"}


class Session:
    """What the group learns before a command runs: config path, plugins, app."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.raw: dict[str, dict[str, Any]] = {}
        self.path: Path | None = None
        self.error: Exception | None = None
        try:
            self.path = find_config_file(config_path)
            self.raw = read_config_file(self.path) if self.path else {}
            self.manager = create_plugin_manager(disabled=disabled_plugins(self.raw))
        except (ConfigError, PluginError) as exc:
            self.error = exc
            self.manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""})

    def app(self) -> App:
        """The validated App; raises ConfigError or PluginError."""
        if self.error is not None:
            raise self.error
        return App.from_parts(self.manager, self.raw, self.path)


class Sync2NasGroup(click.Group):
    """A click group that mounts plugin commands the first time it is asked for one."""

    def session(self, ctx: click.Context) -> Session:
        if "sync2nas_session" not in ctx.meta:
            session = Session(ctx.params.get("config_path"))
            session.manager.register_commands(self, RESERVED_COMMANDS)
            ctx.meta["sync2nas_session"] = session
            for message in session.manager.warnings:
                warn(message)
            if ctx.params.get("verbose"):
                for info in session.manager.plugin_infos():
                    if info.traceback:
                        click.echo(f"{info.origin}:\n{info.traceback}", err=True)
        return ctx.meta["sync2nas_session"]

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.session(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        session = self.session(ctx)
        command = super().get_command(ctx, cmd_name)
        if command is None and session.error is not None and not ctx.resilient_parsing:
            # the plugin that has this command did not load: say why, not "No such command"
            fail(f"{session.error}\n(run `sync2nas config check` for details)")
        return with_verbose_option(command) if command is not None else None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; errors meant for the user become a message and an exit code."""
        try:
            return super().invoke(ctx)
        except (ConfigError, PluginError) as exc:
            fail(str(exc))
        except StorageError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            raise click.exceptions.Exit(FAILED) from None


def with_verbose_option(command: click.Command) -> click.Command:
    """Let ``-v``/``-vv`` follow ``command`` and its subcommands too (``sync2nas run -v``),
    meaning what they mean before it; a command's own ``-v`` is left alone."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            with_verbose_option(subcommand)
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    if not taken & {"-v", "--verbose"}:
        command.params.append(click.Option(
            ["-v", "--verbose"], count=True, expose_value=False, callback=_more_verbose,
            help="-v for progress, -vv for debugging (as before the command).",
        ))
    return command


def _more_verbose(ctx: click.Context, _param: click.Parameter, count: int) -> None:
    """Add a command's ``-v`` to the global one and raise the log level to match."""
    from .logs import log_level

    if count:
        root = ctx.find_root()
        root.params["verbose"] = root.params.get("verbose", 0) + count
        logging.getLogger().setLevel(log_level(root.params["verbose"]))


def fail(message: str) -> NoReturn:
    """Print an error for the user and exit with the usage/config error code."""
    click.secho(f"error: {message}", fg="red", err=True)
    raise click.exceptions.Exit(USAGE_ERROR)


def warn(message: str) -> None:
    click.secho(f"warning: {message}", fg="yellow", err=True)


def build_cli() -> click.Group:
    """A fresh ``sync2nas`` group with the core commands on it."""

    @click.group(cls=Sync2NasGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("-v", "--verbose", count=True, help="-v for progress, -vv for debugging.")
    @click.option(
        "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: $SYNC2NAS_CONFIG, ./config/sync2nas_config.ini, "
        "then the user config folder).",
    )
    @click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False),
                  help="Also log to this file (rotated at 10 MB).")
    @click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
                  show_default=True, help="json: one JSON object per log line.")
    @click.version_option(package_name="sync2nas")
    @click.pass_context
    def cli(ctx: click.Context, verbose: int, config_path: Path | None,
            log_file: Path | None, log_format: str) -> None:
        """Pull new media from a seedbox, identify it and file it into your library."""
        from .logs import setup_logging

        secret_filter = setup_logging(verbose, log_file, log_format)
        session = ctx.command.session(ctx)
        diagnostic = ctx.invoked_subcommand in DIAGNOSTIC_COMMANDS
        try:
            app = session.app()
        except (ConfigError, PluginError) as exc:
            if diagnostic:
                ctx.obj = None
                return
            fail(f"{exc}\n(run `sync2nas config check` for details)")
        secret_filter.secrets.update(app.config.secret_values())
        for message in app.warnings[len(session.manager.warnings):]:
            warn(message)
        ctx.obj = app

    cli.add_command(plugins_command)
    cli.add_command(config_group)
    cli.add_command(init_command)
    cli.add_command(demo_command)
    for command in [*storage_commands.COMMANDS, *run_commands.COMMANDS]:
        cli.add_command(command)
    return cli


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """List installed plugins: name, version, distribution, hooks, status."""
    manager: PluginManager = ctx.find_root().command.session(ctx.find_root()).manager
    infos = manager.plugin_infos()
    if as_json:
        rows = [
            {
                "name": i.name, "version": i.version, "distribution": i.distribution,
                "hooks": i.hooks, "status": i.status, "essential": i.essential,
                "reason": i.reason,
            }
            for i in infos
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "version", "distribution", "status", "hooks")
    for i in infos:
        status = i.status + (f": {i.reason}" if i.reason else "")
        hooks = ", ".join(h.removeprefix("sync2nas_") for h in i.hooks)
        table.add_row(i.name, i.version, i.distribution, status, hooks)
    Console().print(table)


@click.group("config")
def config_group() -> None:
    """Check or show the configuration."""


@config_group.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config file against every plugin's sections."""
    app = _app(ctx)
    unset = app.config.unset()
    if unset:
        fail("\n".join(unset))
    where = app.config.path or "no config file found; using defaults"
    click.echo(f"config OK: {where}")


@config_group.command("reference")
@click.pass_context
def config_reference(ctx: click.Context) -> None:
    """Print the Markdown reference of every section the installed plugins declare."""
    from .config_docs import render_reference

    session: Session = ctx.find_root().command.session(ctx.find_root())
    click.echo(render_reference(session.manager.config_sections()), nl=False)


def _app(ctx: click.Context) -> App:
    """The validated App of a diagnostic command; a config problem ends it (exit 2)."""
    session: Session = ctx.find_root().command.session(ctx.find_root())
    try:
        return session.app()
    except (ConfigError, PluginError) as exc:
        fail(str(exc))


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of INI.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective configuration, secrets hidden."""
    app = _app(ctx)
    shown = {
        section: {key: _printable(value) for key, value in keys.items()}
        for section, keys in app.config.redacted().items()
    }
    if as_json:
        click.echo(json.dumps(shown, indent=2))
        return
    for section, keys in shown.items():
        click.echo(f"[{section}]")
        for key, value in keys.items():
            click.echo(f"{key} = {'' if value is None else value}")
        click.echo()


def _printable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return value


@click.command("init")
@click.option("--path", "target", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("config/sync2nas_config.ini"), show_default=True,
              help="Where to write the starter config (.ini or .toml).")
@click.pass_context
def init_command(ctx: click.Context, target: Path) -> None:
    """Write a commented starter config; never overwrites an existing file."""
    from .config_docs import render_starter_config

    if target.exists():
        fail(f"{target} already exists; not overwriting it (choose another --path)")
    session: Session = ctx.find_root().command.session(ctx.find_root())
    text = render_starter_config(session.manager.config_sections(), toml=target.suffix == ".toml")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"wrote {target}; edit it, then run `sync2nas config check`")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``sync2nas`` console script."""
    build_cli().main(args=argv, prog_name="sync2nas")
