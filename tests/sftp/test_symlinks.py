"""Remote symlinks: ``[SFTP] follow_symlinks = inside|all|none``, and loops, on a real sshd."""

from __future__ import annotations

import time

from .conftest import Site


def build_links(site: Site) -> None:
    """tv/ holds a file and links staying inside tv/; secret/ (beside tv/) is reached by a
    folder link and a file link; tv/etc leads to /etc, like the seedbox link that pulled
    1,157 files."""
    site.add("tv/show/ep.mkv", 1000)
    site.add("secret/passwd.mkv", 2000)
    site.add("secret/deeper/shadow.mkv", 3000)
    (site.remote / "tv/inside.mkv").symlink_to(site.remote / "tv/show/ep.mkv")
    (site.remote / "tv/alias").symlink_to("show")
    (site.remote / "tv/loot").symlink_to(site.remote / "secret")
    (site.remote / "tv/leak.mkv").symlink_to("../secret/passwd.mkv")
    (site.remote / "tv/etc").symlink_to("/etc")


def test_symlinks_leaving_the_remote_path_are_reported_and_skipped(site: Site) -> None:
    build_links(site)

    result = site.run("download-from-remote")

    assert result.exit_code == 0, result.output
    assert site.local_files().keys() == {"tv/show/ep.mkv", "tv/inside.mkv"}
    assert set(site.records()) == {str(site.remote / "tv/show/ep.mkv"),
                                   str(site.remote / "tv/inside.mkv")}
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert sorted(line.split(":")[1].strip() for line in warnings) == [
        f"{site.remote}/tv/{name}" for name in ("etc", "leak.mkv", "loot")
    ]
    assert all("outside" in line and "follow_symlinks = inside" in line for line in warnings)


def test_follow_symlinks_none_skips_every_symlink(site: Site) -> None:
    build_links(site)
    site.write_config(follow_symlinks="none")

    result = site.run("download-from-remote")

    assert result.exit_code == 0, result.output
    assert site.local_files().keys() == {"tv/show/ep.mkv"}
    assert "warning" not in result.output


def test_follow_symlinks_all_follows_links_out_of_the_remote_path(site: Site) -> None:
    build_links(site)
    (site.remote / "tv/etc").unlink()
    site.write_config(follow_symlinks="all")

    result = site.run("download-from-remote")

    assert result.exit_code == 0, result.output
    assert site.local_files().keys() == {
        "tv/show/ep.mkv", "tv/inside.mkv", "tv/leak.mkv", "tv/loot/passwd.mkv",
        "tv/loot/deeper/shadow.mkv",
    }
    assert "warning" not in result.output


def test_a_symlink_loop_through_folders_outside_the_path_is_cut(site: Site) -> None:
    site.add("one/a.mkv", 10)
    site.add("two/b.mkv", 10)
    (site.remote / "one/next").symlink_to(site.remote / "two")
    (site.remote / "two/back").symlink_to(site.remote / "one")
    site.add("tv/c.mkv", 10)
    (site.remote / "tv/start").symlink_to(site.remote / "one")
    site.write_config(follow_symlinks="all")

    started = time.monotonic()
    result = site.run("download-from-remote")

    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert site.local_files().keys() == {"tv/c.mkv", "tv/start/a.mkv", "tv/start/next/b.mkv"}
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {site.remote}/tv/start/next/back: symlink loop "
                        f"(to {site.remote}/one), skipped"]
