"""Library names: Jellyfin/Plex layout, templates, SMB-safe names, and the plan_route hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_core import Episode, MediaKind, RoutePlan, Show, hookimpl
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.routing.naming import (
    MAX_NAME_BYTES,
    NamingError,
    destination,
    episode_code,
    safe_name,
    split_media_name,
)

SHOW = Show(1396, "Breaking Bad", "Breaking Bad (2008)", year=2008)
PILOT = Episode(1396, 1, 1, title="Pilot")
SETTINGS = {"tv_path": Path("/lib/tv"), "anime_tv_path": Path("/lib/anime"),
            "movie_path": Path("/lib/movies"), "rename": True}


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Re:Zero", "Re - Zero"),
        ("Marvel's Agents of S.H.I.E.L.D.", "Marvel's Agents of S.H.I.E.L.D"),
        ('What "If"? <Part*1>', "What If Part1"),
        ("AC/DC | Live\\Show", "AC-DC-Live-Show"),
        ("tab\tand\x00nul\x1f", "tab andnul"),
        ("trailing dots... ", "trailing dots"),
        (".hidden", "hidden"),
        ("CON", "CON_"),
        ("nul.mkv", "nul_.mkv"),
        ("COM1.en.srt", "COM1_.en.srt"),
        ("CONAN", "CONAN"),
        ("", "_"),
    ],
)
def test_safe_name(name, safe):
    assert safe_name(name) == safe


def test_long_names_are_cut_to_255_bytes_keeping_the_suffix():
    name = safe_name("ü" * 300, ".en.srt")
    assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith("ü.en.srt")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Show.S01E02.mkv", ("Show.S01E02", ".mkv")),
        ("Show.S01E02.en.srt", ("Show.S01E02", ".en.srt")),
        ("Show.S01E02.pt-BR.forced.srt", ("Show.S01E02", ".pt-BR.forced.srt")),
        ("Show.S01E02.idx", ("Show.S01E02", ".idx")),
        ("no extension", ("no extension", "")),
    ],
)
def test_split_media_name(name, parts):
    assert split_media_name(name) == parts


def test_episode_codes():
    assert episode_code([PILOT]) == "S01E01"
    assert episode_code([PILOT, Episode(1396, 1, 2), Episode(1396, 1, 3)]) == "S01E01-E03"
    assert episode_code([Episode(1, 0, 12)]) == "S00E12"


@pytest.mark.parametrize(
    ("item", "show", "episodes", "settings", "expected"),
    [
        ("in/Breaking.Bad.S01E01.mkv", SHOW, [PILOT], {},
         "/lib/tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E01 - Pilot.mkv"),
        ("in/Breaking.Bad.S01E01.en.srt", SHOW, [PILOT], {},
         "/lib/tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E01 - Pilot.en.srt"),
        ("in/Breaking.Bad.S01E01.mkv", SHOW, [PILOT], {"rename": False},
         "/lib/tv/Breaking Bad (2008)/Season 01/Breaking.Bad.S01E01.mkv"),
        ("in/x.mkv", SHOW, [Episode(1396, 0, 3)], {},
         "/lib/tv/Breaking Bad (2008)/Season 00/Breaking Bad (2008) - S00E03.mkv"),
        ("in/x.mkv", SHOW, [PILOT, Episode(1396, 1, 2, title="Cat's in the Bag...")], {},
         "/lib/tv/Breaking Bad (2008)/Season 01/"
         "Breaking Bad (2008) - S01E01-E02 - Pilot & Cat's in the Bag....mkv"),
        ("in/x.mkv", Show(1, "Steins;Gate", "Steins;Gate (2011)", kind=MediaKind.ANIME),
         [Episode(1, 1, 12, title="Made in Complex: Part 1?")], {},
         "/lib/anime/Steins;Gate (2011)/Season 01/"
         "Steins;Gate (2011) - S01E12 - Made in Complex - Part 1.mkv"),
        ("in/The.Matrix.1999.1080p.mkv",
         Show(603, "The Matrix", "The Matrix (1999)", kind=MediaKind.MOVIE), [], {},
         "/lib/movies/The Matrix (1999)/The Matrix (1999).mkv"),
        ("in/x.mkv", Show(5, "Custom", "Custom", library_path="/elsewhere/Custom Folder"),
         [PILOT], {}, "/elsewhere/Custom Folder/Season 01/Custom Folder - S01E01 - Pilot.mkv"),
        ("in/x.mkv", SHOW, [PILOT],
         {"season_template": "S{season}", "episode_template": "{name} {season}x{episode:02}"},
         "/lib/tv/Breaking Bad (2008)/S1/Breaking Bad 1x01.mkv"),
    ],
)
def test_destination(item, show, episodes, settings, expected):
    assert destination(Path(item), show, episodes, SETTINGS | settings) == Path(expected)


def test_missing_root_and_bad_template_are_errors():
    with pytest.raises(NamingError, match=r"\[Routing\] tv_path is not set"):
        destination(Path("x.mkv"), SHOW, [PILOT], {"rename": True})
    with pytest.raises(NamingError, match=r"\[Routing\] episode_template = '\{nope\}'"):
        destination(Path("x.mkv"), SHOW, [PILOT], SETTINGS | {"episode_template": "{nope}"})


class Flat:
    """A third-party plugin that files everything flat in one folder."""

    @hookimpl(tryfirst=True)
    def sync2nas_plan_route(self, item, show, settings):
        if show.tmdb_id == 1396:
            return RoutePlan(item, f"/flat/{Path(item).name}", show)
        return None


def test_plan_route_hook_bundled_answer_and_a_plugin_that_wins():
    from sync2nas_plugins import routing

    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""},
                                    builtins=[("routing", routing), ("flat", Flat())])
    other = Show(2, "Other", "Other (2020)", year=2020)
    theirs = manager.plan_route("in/a.mkv", SHOW, [PILOT], SETTINGS)
    ours = manager.plan_route("in/a.mkv", other, [PILOT], SETTINGS)
    assert theirs is not None and theirs.destination == "/flat/a.mkv"
    assert ours is not None and ours.destination == (
        "/lib/tv/Other (2020)/Season 01/Other (2020) - S01E01 - Pilot.mkv")
