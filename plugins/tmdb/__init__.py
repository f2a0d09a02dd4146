"""TMDB metadata provider plugin: finds shows, their aliases and episodes.

It also adds the show commands (``add-show``, ``fix-show``, ``search-tmdb``,
``bootstrap-episodes``, ``update-shows``). ``requests`` is imported only when a
client is built, so loading the plugin stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync2nas_core import (
    ConfigKey,
    ConfigSection,
    Metadata,
    MetadataProvider,
    hookimpl,
    http_url,
)

if TYPE_CHECKING:
    import click

    from .client import TmdbClient


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "TMDB",
            required=True,
            help="The Movie Database, where show and episode data come from.",
            keys=(
                ConfigKey(
                    "api_key", required=True, secret=True,
                    help="A v3 API key or a v4 read-access token.",
                ),
                ConfigKey(
                    "base_url", default="https://api.themoviedb.org/3", validate=http_url,
                    help="API address (change only for a stand-in server).",
                ),
                ConfigKey("language", default="en-US", help="Language of titles and overviews."),
                ConfigKey(
                    "cache_ttl", int, default=86400, minimum=0,
                    help="Seconds a cached answer stays fresh; 0 turns the cache off.",
                ),
                ConfigKey(
                    "cache_dir", Path, default=None,
                    help="Folder for cached answers; empty: the user cache folder.",
                ),
                ConfigKey(
                    "timeout", float, default=20.0, above=0,
                    help="Seconds to wait for an answer before retrying.",
                ),
                ConfigKey(
                    "retries", int, default=5, minimum=0,
                    help="Retries after 5xx answers, timeouts and connection errors "
                    "(twice as many after HTTP 429, rate limited).",
                ),
            ),
        )
    ]


def open_client(
    settings: Mapping[str, Any], *, refresh: bool = False, read_only: bool = False
) -> TmdbClient:
    """A TMDB client from the typed ``[TMDB]`` section (``refresh``: bypass the cache;
    ``read_only``: a dry run, which writes no cache entry)."""
    from .client import TmdbClient

    return TmdbClient.from_settings(settings, refresh=refresh, read_only=read_only)


def open_metadata(settings: Mapping[str, Any], *, read_only: bool = False) -> Metadata:
    """The provider's factory: the core's Metadata protocol over a TMDB client."""
    from .metadata import TmdbMetadata

    return TmdbMetadata(open_client(settings, read_only=read_only))


@hookimpl
def sync2nas_metadata_providers() -> list[MetadataProvider]:
    return [
        MetadataProvider(
            "tmdb", section="TMDB", factory=open_metadata,
            description="The Movie Database (themoviedb.org), API v3.",
        )
    ]


@hookimpl
def sync2nas_demo_services(workdir: Path, stack: ExitStack) -> dict[str, dict[str, Any]]:
    """The TMDB stand-in serving recorded responses, for ``sync2nas demo``."""
    from .stub import STUB_API_KEY, StubTmdb

    stub = stack.enter_context(StubTmdb())
    return {"TMDB": {"api_key": STUB_API_KEY, "base_url": stub.base_url,
                     "cache_dir": str(workdir / "tmdb-cache")}}


@hookimpl
def sync2nas_register_commands(cli: click.Group) -> None:
    from .refresh_commands import bootstrap_episodes, update_shows
    from .show_commands import add_show, fix_show, search_tmdb

    for command in (add_show, search_tmdb, fix_show, bootstrap_episodes, update_shows):
        cli.add_command(command)
