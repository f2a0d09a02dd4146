"""Shows, aliases and episodes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from sync2nas_core import (
    SCHEMA_VERSION,
    Episode,
    EpisodeKind,
    ShowExistsError,
    Storage,
    StorageError,
)

from .samples import AOT, FRIEREN, attack_on_titan, episodes, make_show


def test_opens_as_a_storage_at_the_current_schema_version(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    assert storage.read_only is False
    assert storage.schema_version() == SCHEMA_VERSION


def test_closed_storage_is_unusable_and_close_is_idempotent(storage: Storage) -> None:
    storage.close()
    storage.close()
    with pytest.raises(StorageError):
        storage.list_shows()


def test_add_show_keeps_every_field_and_aliases_with_commas(storage: Storage) -> None:
    show = attack_on_titan()
    stored = storage.add_show(show)
    assert stored.aliases == ("Shingeki no Kyojin", "進撃の巨人", "Attack on Titan, Season 1")
    assert stored.created_at and stored.updated_at
    assert stored == replace(show, created_at=stored.created_at, updated_at=stored.updated_at)
    assert storage.get_show(AOT) == stored
    assert storage.get_show(404) is None


def test_adding_a_known_tmdb_id_raises_and_keeps_the_first(storage: Storage) -> None:
    first = storage.add_show(attack_on_titan())
    with pytest.raises(ShowExistsError):
        storage.add_show(make_show(AOT, "Impostor", aliases=("Other",)))
    assert storage.get_show(AOT) == first
    assert storage.find_shows("Other") == []


def test_find_shows_ignores_case_and_matches_sys_name_and_aliases(storage: Storage) -> None:
    storage.add_show(attack_on_titan())
    storage.add_show(make_show(FRIEREN, "Frieren", sys_name="Sousou no Frieren (2023)",
                               aliases=("Pokémon Journeys",)))
    assert [s.tmdb_id for s in storage.find_shows("ATTACK ON TITAN")] == [AOT]
    assert [s.tmdb_id for s in storage.find_shows("attack on titan, season 1")] == [AOT]
    assert [s.tmdb_id for s in storage.find_shows("shingeki NO kyojin")] == [AOT]
    assert [s.tmdb_id for s in storage.find_shows("sousou no frieren (2023)")] == [FRIEREN]
    assert [s.tmdb_id for s in storage.find_shows("POKÉMON JOURNEYS")] == [FRIEREN]
    assert storage.find_shows("Attack") == []


def test_list_shows_is_ordered_by_name_in_code_point_order(storage: Storage) -> None:
    for tmdb_id, name in [(3, "Monster"), (1, "Bleach"), (4, "ef: a tale"), (2, "Naruto")]:
        storage.add_show(make_show(tmdb_id, name))
    assert [s.name for s in storage.list_shows()] == ["Bleach", "Monster", "Naruto", "ef: a tale"]


def test_delete_show_removes_it_with_its_aliases_and_episodes(storage: Storage) -> None:
    storage.add_show(attack_on_titan())
    storage.upsert_episodes(AOT, episodes(AOT, 1, 3, 1))
    storage.add_show(make_show(FRIEREN, "Frieren"))
    storage.upsert_episodes(FRIEREN, episodes(FRIEREN, 1, 2, None))
    assert storage.delete_show(AOT) is True
    assert storage.delete_show(AOT) is False
    assert storage.get_show(AOT) is None
    assert storage.get_episodes(AOT) == []
    assert storage.find_shows("Shingeki no Kyojin") == []
    assert [s.tmdb_id for s in storage.list_shows()] == [FRIEREN]
    assert len(storage.get_episodes(FRIEREN)) == 2


def test_replace_show_replaces_data_aliases_and_all_episodes(storage: Storage) -> None:
    added = storage.add_show(attack_on_titan())
    storage.upsert_episodes(AOT, episodes(AOT, 1, 3, 1) + episodes(AOT, 2, 2, 4))
    new = make_show(AOT, "Attack on Titan (2013)", aliases=("AoT",), year=2014)
    new_episodes = episodes(AOT, 1, 2, 1)
    replaced = storage.replace_show(new, new_episodes)
    assert (replaced.name, replaced.aliases, replaced.year) == (
        "Attack on Titan (2013)", ("AoT",), 2014
    )
    assert replaced.external_ids == {} and replaced.library_path is None
    assert replaced.created_at == added.created_at
    assert storage.get_show(AOT) == replaced
    assert storage.get_episodes(AOT) == new_episodes
    assert storage.find_shows("Shingeki no Kyojin") == []
    assert [s.tmdb_id for s in storage.find_shows("aot")] == [AOT]


class _Interrupted(Exception):
    pass


class _FailingEpisodes(list[Episode]):
    """Episodes whose iteration fails after the first one, as a crash mid-way would."""

    def __iter__(self) -> Iterator[Episode]:
        yield self[0]
        raise _Interrupted("failure half-way through the episodes")


def test_replace_show_failing_half_way_leaves_the_old_show(storage: Storage) -> None:
    added = storage.add_show(attack_on_titan())
    old_episodes = episodes(AOT, 1, 3, 1)
    storage.upsert_episodes(AOT, old_episodes)
    with pytest.raises(_Interrupted):
        storage.replace_show(
            make_show(AOT, "Half Written", aliases=("HW",)),
            _FailingEpisodes(episodes(AOT, 5, 3, 50)),
        )
    assert storage.get_show(AOT) == added
    assert storage.get_episodes(AOT) == old_episodes
    assert storage.find_shows("HW") == []


def test_replace_show_that_is_not_stored_raises(storage: Storage) -> None:
    with pytest.raises(StorageError):
        storage.replace_show(make_show(404, "Nobody"), [])
    assert storage.list_shows() == []


def test_upsert_episodes_inserts_and_updates_by_season_and_episode(storage: Storage) -> None:
    storage.add_show(attack_on_titan())
    assert storage.upsert_episodes(AOT, episodes(AOT, 1, 3, 1)) == 3
    changed = Episode(AOT, 1, 2, absolute=2, title="To You, 2,000 Years From Now")
    assert storage.upsert_episodes(AOT, [changed, Episode(AOT, 1, 4, absolute=4)]) == 2
    stored = storage.get_episodes(AOT)
    assert [(e.season, e.episode) for e in stored] == [(1, 1), (1, 2), (1, 3), (1, 4)]
    assert stored[1] == changed


def test_specials_live_in_season_zero_without_absolute_number(storage: Storage) -> None:
    storage.add_show(attack_on_titan())
    special = Episode(AOT, 0, 1, absolute=None, title="Ilse's Notebook", kind=EpisodeKind.SPECIAL)
    storage.upsert_episodes(AOT, [*episodes(AOT, 2, 2, 26), special, *episodes(AOT, 1, 3, 1)])
    assert storage.get_episodes(AOT, season=0) == [special]
    assert [(e.season, e.episode) for e in storage.get_episodes(AOT)] == [
        (0, 1), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2),
    ]
    assert [e.episode for e in storage.get_episodes(AOT, season=2)] == [1, 2]
    assert storage.episode_by_absolute(AOT, 27) == Episode(
        AOT, 2, 2, absolute=27, title="Episode 2", air_date="2013-04-02", kind=EpisodeKind.FINALE
    )
    assert storage.episode_by_absolute(AOT, 99) is None
    assert storage.episode_by_absolute(FRIEREN, 1) is None


def test_search_similar_shows_ranks_the_misspelled_show_first(storage: Storage) -> None:
    storage.add_show(attack_on_titan())
    for tmdb_id, name in [(1, "Titans"), (2, "Attack the Block"), (3, "Tokyo Ghoul"),
                          (4, "Black Clover"), (5, "On the Titanic")]:
        storage.add_show(make_show(tmdb_id, name))
    ranked = storage.search_similar_shows("atack on titan")
    assert ranked[0][0].tmdb_id == AOT
    assert ranked[0][0].aliases == attack_on_titan().aliases
    scores = [score for _, score in ranked]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
    assert len(ranked) == 5
    by_alias = storage.search_similar_shows("shingeki no kyojn", limit=2)
    assert by_alias[0][0].tmdb_id == AOT
    assert len(storage.search_similar_shows("titan", limit=2)) == 2
