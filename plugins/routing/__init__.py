"""Routing plugin: parses names, matches shows and moves files into the library."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync2nas_core import ConfigKey, ConfigSection, RouterType, format_template, hookimpl

if TYPE_CHECKING:
    import click

    from sync2nas_core import Episode, ParsedName, RoutePlan, Show

DEFAULT_SEASON_TEMPLATE = "Season {season:02}"
DEFAULT_EPISODE_TEMPLATE = "{show} - {code} - {title}"
DEFAULT_MATCH_THRESHOLD = 0.9
DEFAULT_METADATA_PROVIDER = "tmdb"
#: The fields naming fills the templates with (a year may be empty), for their checks.
SEASON_FIELDS = {"season": 1}
EPISODE_FIELDS = {"show": "Show (2019)", "name": "Show", "year": 2019, "season": 1,
                  "episode": 2, "code": "S01E02", "title": "Title"}


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "Routing",
            help="Where identified files go in the library, and how they are named.",
            keys=(
                ConfigKey("tv_path", Path, default=None, help="Library root for TV shows."),
                ConfigKey("anime_tv_path", Path, default=None, help="Library root for anime."),
                ConfigKey("movie_path", Path, default=None, help="Library root for movies."),
                ConfigKey(
                    "rename", bool, default=False,
                    help="Rename files by episode_template (`Show (2019) - S01E02 - Title.mkv`); "
                    "false keeps the original name.",
                ),
                ConfigKey(
                    "on_conflict", default="skip",
                    choices=("skip", "keep-both", "replace-if-better"),
                    help="What to do when a different file already has the destination name.",
                ),
                ConfigKey(
                    "auto_add", bool, default=False,
                    help="Add unknown shows from the metadata provider while routing "
                    "(like route-files --auto-add).",
                ),
                ConfigKey(
                    "metadata_provider", default=DEFAULT_METADATA_PROVIDER,
                    help="The metadata provider that auto-add and episode refreshes ask.",
                ),
                ConfigKey(
                    "season_template", default=DEFAULT_SEASON_TEMPLATE,
                    validate=format_template(SEASON_FIELDS),
                    help="Season folder name; fields: season.",
                ),
                ConfigKey(
                    "episode_template", default=DEFAULT_EPISODE_TEMPLATE,
                    validate=format_template(EPISODE_FIELDS, EPISODE_FIELDS | {"year": ""}),
                    help="File name (without extension) when rename = true; fields: show "
                    "(the show folder name), name, year, season, episode, code (S01E02 or "
                    "S01E01-E02), title.",
                ),
                ConfigKey(
                    "match_threshold", float, default=DEFAULT_MATCH_THRESHOLD,
                    minimum=0, maximum=1,
                    help="Similarity (0..1) a fuzzy show-name match needs.",
                ),
            ),
        )
    ]


@hookimpl(trylast=True)
def sync2nas_parse_filename(name: str) -> ParsedName | None:
    """The bundled regex parser; ``None`` for a name with nothing to read.

    Any name is read (``Show.S01E02.nfo`` names an episode too): what is routed is
    chosen by its extension when the incoming folder is listed, not here.
    """
    from .parser import has_text, parse_name  # compiles its regexes on first use

    return parse_name(name) if has_text(name) else None


@hookimpl(trylast=True)
def sync2nas_plan_route(
    item: str, show: Show, episodes: Sequence[Episode], settings: Mapping[str, Any]
) -> RoutePlan:
    """The bundled naming: Jellyfin/Plex folders and names under the ``[Routing]`` roots."""
    from .naming import plan_route

    return plan_route(item, show, episodes, settings)


def _incoming_router(app: Any) -> object:
    """The RouterType factory: the routing modules are imported only when a router is made."""
    from .incoming_router import IncomingRouter

    return IncomingRouter(app)


@hookimpl
def sync2nas_routers() -> list[RouterType]:
    return [RouterType("routing", section="Routing", factory=_incoming_router,
                       description="Parse, match and move files into Jellyfin/Plex folders.")]


@hookimpl
def sync2nas_demo_services(workdir: Path) -> dict[str, dict[str, Any]]:
    """The demo's library: renamed Jellyfin/Plex folders, unknown shows looked up."""
    library = workdir / "library"
    return {"Routing": {"tv_path": str(library / "tv"), "anime_tv_path": str(library / "anime"),
                        "rename": "true", "auto_add": "true"}}


@hookimpl
def sync2nas_register_commands(cli: click.Group) -> None:
    from .commands import parse_command
    from .route_commands import COMMANDS

    cli.add_command(parse_command)
    for command in COMMANDS:
        cli.add_command(command)
