"""TMDB metadata provider plugin: finds shows, their aliases and episodes."""

from __future__ import annotations

from sync2nas_core import ConfigKey, ConfigSection, hookimpl


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
                    "base_url", default="https://api.themoviedb.org/3",
                    help="API address (change only for a stand-in server).",
                ),
                ConfigKey("language", default="en-US", help="Language of titles and overviews."),
                ConfigKey(
                    "cache_ttl", int, default=86400,
                    help="Seconds a cached answer stays fresh; 0 turns the cache off.",
                ),
            ),
        )
    ]
