"""Routing plugin: parses names, matches shows and moves files into the library."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sync2nas_core import ConfigKey, ConfigSection, hookimpl

if TYPE_CHECKING:
    import click

    from sync2nas_core import ParsedName


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
                    help="Rename files to `Show - S01E02 - Title.ext`; false keeps the name.",
                ),
                ConfigKey(
                    "on_conflict", default="skip",
                    choices=("skip", "keep-both", "replace-if-better"),
                    help="What to do when a different file already has the destination name.",
                ),
                ConfigKey(
                    "auto_add", bool, default=False,
                    help="Add unknown shows from the metadata provider while routing.",
                ),
            ),
        )
    ]


@hookimpl(trylast=True)
def sync2nas_parse_filename(name: str) -> ParsedName | None:
    """The bundled regex parser; ``None`` for names that are clearly not media."""
    from .parser import is_media_name, parse_name  # compiles its regexes on first use

    return parse_name(name) if is_media_name(name) else None


@hookimpl
def sync2nas_register_commands(cli: click.Group) -> None:
    from .commands import parse_command

    cli.add_command(parse_command)
