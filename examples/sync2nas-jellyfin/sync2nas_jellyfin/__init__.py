"""Sync2NAS plugin: tell Jellyfin and Plex about files as soon as they are routed."""

from __future__ import annotations

import logging

import click

from sync2nas_core import App, ConfigKey, ConfigSection, RoutePlan, hookimpl

log = logging.getLogger(__name__)


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "Jellyfin",
            help="Jellyfin server to notify when files are routed (empty url: skip).",
            keys=(
                ConfigKey("url", help="Server address, e.g. http://jellyfin.local:8096."),
                ConfigKey("api_key", secret=True, help="API key (Dashboard > API Keys)."),
            ),
        ),
        ConfigSection(
            "Plex",
            help="Plex server to notify when files are routed (empty url: skip).",
            keys=(
                ConfigKey("url", help="Server address, e.g. http://plex.local:32400."),
                ConfigKey("token", secret=True, help="X-Plex-Token of an admin account."),
            ),
        ),
    ]


def configured_servers(app: App) -> list:
    """The servers whose url is set, as client objects."""
    from .servers import JellyfinServer, PlexServer

    servers = []
    jellyfin, plex = app.config.section("Jellyfin"), app.config.section("Plex")
    if jellyfin.get("url"):
        servers.append(JellyfinServer(jellyfin["url"], jellyfin.get("api_key") or ""))
    if plex.get("url"):
        servers.append(PlexServer(plex["url"], plex.get("token") or ""))
    return servers


@hookimpl
def sync2nas_file_routed(plan: RoutePlan, app: App) -> None:
    for server in configured_servers(app):
        server.file_added(plan.destination)
        log.info("%s notified of %s", server.name, plan.destination)


@hookimpl
def sync2nas_register_commands(cli: click.Group) -> None:
    @cli.group()
    def jellyfin() -> None:
        """Jellyfin and Plex notifications."""

    @jellyfin.command("test")
    @click.pass_obj
    def test_servers(app: App) -> None:
        """Check that each configured server answers and accepts the key."""
        servers = configured_servers(app)
        if not servers:
            raise click.ClickException("no server configured: set [Jellyfin] url or [Plex] url")
        failures = 0
        for server in servers:
            try:
                click.echo(f"{server.name}: OK ({server.describe()})")
            except Exception as exc:
                failures += 1
                click.echo(f"{server.name}: FAILED: {exc}", err=True)
        if failures:
            raise click.exceptions.Exit(1)
