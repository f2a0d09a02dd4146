"""A library, an incoming folder and a SQLite storage with a few shows, built per test."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync2nas_core import App, Episode, EpisodeKind, MediaKind, Show, Storage
from sync2nas_plugins.tmdb.stub import STUB_API_KEY, StubTmdb
from tests.support.tmpfs import mounted_tmpfs
from tests.tmdb.spec import spec_problems

BREAKING_BAD = Show(1396, "Breaking Bad", "Breaking Bad (2008)", year=2008,
                    first_air_date="2008-01-20")
OFFICE_US = Show(2316, "The Office", "The Office (2005)", aliases=("The Office (US)",),
                 year=2005, first_air_date="2005-03-24")
OFFICE_UK = Show(2996, "The Office", "The Office (2001)", aliases=("The Office (UK)",),
                 year=2001, first_air_date="2001-07-09")
TITAN = Show(1429, "Attack on Titan", "Attack on Titan (2013)", kind=MediaKind.ANIME,
             aliases=("Shingeki no Kyojin", "進撃の巨人"), year=2013, first_air_date="2013-04-07")
POKEMON = Show(60572, "Pokémon", "Pokémon (1997)", kind=MediaKind.ANIME, year=1997)


def breaking_bad_episodes() -> list[Episode]:
    titles = ["Pilot", "Cat's in the Bag...", "...And the Bag's in the River", "Cancer Man",
              "Gray Matter", "Crazy Handful of Nothin'", "A No-Rough-Stuff-Type Deal"]
    episodes = [Episode(1396, 1, n, absolute=n, title=t, air_date=f"2008-0{1 + n // 4}-{n + 10}")
                for n, t in enumerate(titles, start=1)]
    special = Episode(1396, 0, 1, title="Good Cop / Bad Cop", air_date="2009-02-17",
                      kind=EpisodeKind.SPECIAL)
    upcoming = Episode(1396, 2, 1, absolute=8, title="Seven Thirty-Seven", air_date="2999-01-01")
    return [*episodes, special, upcoming]


def titan_episodes() -> list[Episode]:
    season1 = [Episode(1429, 1, n, absolute=n, title=f"S1 Episode {n}", air_date="2013-04-07")
               for n in range(1, 26)]
    season2 = [Episode(1429, 2, n, absolute=25 + n, title=f"S2 Episode {n}",
                       air_date="2017-04-01") for n in range(1, 13)]
    return season1 + season2


def office_episodes(show: Show) -> list[Episode]:
    return [Episode(show.tmdb_id, 1, n, title=f"{show.sys_name} {n}", air_date="2005-03-24")
            for n in range(1, 7)]


@contextmanager
def storage_of(app: App, *, read_only: bool = False) -> Iterator[Storage]:
    storage = app.open_storage(read_only=read_only)
    try:
        yield storage
    finally:
        storage.close()


class Site:
    """A test's folders and config: ``incoming``, ``tv``, ``anime``, ``movies``, a database."""

    def __init__(self, root: Path, library_root: Path | None = None) -> None:
        self.root = root
        self.incoming = root / "incoming"
        library = library_root or root / "library"
        self.tv, self.anime, self.movies = library / "tv", library / "anime", library / "movies"
        for folder in (self.incoming, self.tv, self.anime, self.movies):
            folder.mkdir(parents=True)
        self.config = root / "sync2nas.ini"
        self.routing: dict[str, str] = {"rename": "true", "on_conflict": "skip"}
        # no stand-in unless a test asks for one (use_tmdb): a closed local port, never TMDB
        self.tmdb: dict[str, str] = {"api_key": "dummy", "base_url": "http://127.0.0.1:9",
                                     "retries": "0", "cache_ttl": "0"}
        self.write_config()

    def write_config(self, **routing: str) -> None:
        self.routing.update(routing)
        extra = "".join(f"{key} = {value}\n" for key, value in self.routing.items())
        tmdb = "".join(f"{key} = {value}\n" for key, value in self.tmdb.items())
        self.config.write_text(
            "[SFTP]\nhost = 127.0.0.1\nusername = nobody\npaths = /downloads\n"
            f"[TMDB]\n{tmdb}"
            f"[Database]\ntype = sqlite\n[SQLite]\ndb_file = {self.root / 'db.sqlite'}\n"
            f"[Transfers]\nincoming = {self.incoming}\n"
            f"[Routing]\ntv_path = {self.tv}\nanime_tv_path = {self.anime}\n"
            f"movie_path = {self.movies}\n{extra}",
            encoding="utf-8",
        )

    def use_tmdb(self, stub: StubTmdb) -> None:
        """Point [TMDB] at ``stub``: no cache (every lookup reaches it), no retries."""
        self.tmdb = {"api_key": STUB_API_KEY, "base_url": stub.base_url, "cache_ttl": "0",
                     "retries": "0"}
        self.write_config()

    def app(self) -> App:
        return App.load(self.config, environ={})

    def add_shows(self, *shows: Show) -> None:
        episodes = {BREAKING_BAD.tmdb_id: breaking_bad_episodes(), TITAN.tmdb_id: titan_episodes(),
                    OFFICE_US.tmdb_id: office_episodes(OFFICE_US),
                    OFFICE_UK.tmdb_id: office_episodes(OFFICE_UK)}
        with storage_of(self.app()) as storage:
            for show in shows:
                storage.add_show(show)
                storage.upsert_episodes(show.tmdb_id, episodes.get(show.tmdb_id, []))

    def put(self, relative: str, content: bytes | None = None, folder: Path | None = None) -> Path:
        """Create a file below ``folder`` (default: incoming); content defaults to its name."""
        path = (folder or self.incoming) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(relative.encode() * 3 if content is None else content)
        return path

    def cli(self, run_cli, *args: str):
        return run_cli("--config", str(self.config), *args)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by relative path, with its content."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


@pytest.fixture
def tmdb(site: Site) -> Iterator[StubTmdb]:
    """The TMDB stub, with ``site`` configured to use it; every request checked against
    TMDB's OpenAPI spec."""
    with StubTmdb() as stub:
        site.use_tmdb(stub)
        yield stub
        problems = [p for request in stub.requests for p in spec_problems(request)]
    assert not problems, problems


@pytest.fixture
def shm_site(tmp_path: Path) -> Iterator[Site]:
    """A site whose library is on /dev/shm, another filesystem than incoming."""
    shm = Path("/dev/shm")
    assert shm.is_dir() and os.stat(shm).st_dev != os.stat(tmp_path).st_dev, (
        "the cross-filesystem tests need /dev/shm on its own tmpfs"
    )
    library = Path(tempfile.mkdtemp(dir=shm))
    yield Site(tmp_path, library)
    shutil.rmtree(library)


@pytest.fixture
def small_site(tmp_path: Path) -> Iterator[Site]:
    """A site whose library is a 1 MiB tmpfs: another filesystem, and one that fills up."""
    library = tmp_path / "small-library"
    library.mkdir()
    with mounted_tmpfs(library, "1m"):
        yield Site(tmp_path, library)
