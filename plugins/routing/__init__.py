"""Routing plugin: parses names, matches shows and moves files into the library."""

from __future__ import annotations

from pathlib import Path

from sync2nas_core import ConfigKey, ConfigSection, hookimpl


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
                    "on_conflict", default="skip", choices=("skip", "keep-both", "replace-if-better"),
                    help="What to do when a different file already has the destination name.",
                ),
                ConfigKey(
                    "auto_add", bool, default=False,
                    help="Add unknown shows from the metadata provider while routing.",
                ),
            ),
        )
    ]
