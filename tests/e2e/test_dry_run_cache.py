"""`run --dry-run` asks TMDB through the router but writes no cache entry."""

from __future__ import annotations

from sync2nas_plugins.tmdb.stub import StubTmdb
from tests.e2e.conftest import Site


def test_a_dry_run_asks_tmdb_but_writes_no_cache_entry(sqlite_site: Site, tmdb: StubTmdb):
    site = sqlite_site
    cache = site.work / "tmdb-cache"
    site.sections["TMDB"].update(cache_ttl=3600, cache_dir=cache)
    site.write_config()
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    site.incoming.mkdir()
    (site.incoming / "Breaking.Bad.S01E02.720p.mkv").write_bytes(b"two")

    result = site.sync2nas("run", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "would move" in result.stdout and tmdb.count("/search/tv") == 1
    assert not cache.exists()
    assert site.sync2nas("run").returncode == 0
    assert list(cache.rglob("*.json"))  # a real run does cache
