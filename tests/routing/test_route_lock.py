"""Two routers on one database: the second stops at the ``route`` lock and files nothing.

Both are real processes; the first is held in the middle of its first move
(its ``safe_move`` waits for a file to appear), the second is the console script.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sync2nas_plugins.routing.mover import TEMP_PREFIX
from tests.routing.conftest import BREAKING_BAD, Site, tree

SYNC2NAS = str(Path(sys.executable).with_name("sync2nas"))

PAUSED_ROUTER = """
import sys, time
from pathlib import Path
from sync2nas_core.cli import main
from sync2nas_plugins.routing import router
moving, go = Path(sys.argv[1]), Path(sys.argv[2])
real = router.safe_move
def paused(*args, **kwargs):
    moving.touch()
    while not go.exists():
        time.sleep(0.02)
    return real(*args, **kwargs)
router.safe_move = paused
main(sys.argv[3:])
"""


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_second_router_stops_at_the_lock_and_files_nothing(site: Site, tmp_path: Path):
    site.add_shows(BREAKING_BAD)
    names = [f"Breaking.Bad.S01E0{n}.720p.mkv" for n in range(1, 4)]
    for name in names:
        site.put(name)
    library = site.tv.parent
    moving, go = tmp_path / "moving", tmp_path / "go"
    first = subprocess.Popen(
        [sys.executable, "-c", PAUSED_ROUTER, str(moving), str(go),
         "--config", str(site.config), "route-files"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(moving, first)
        before = tree(library), tree(site.incoming)
        second = subprocess.run([SYNC2NAS, "--config", str(site.config), "route-files"],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 1, second.stdout + second.stderr
        lock = f"{site.root / 'db.sqlite'}.route.lock"
        assert f"holds {lock} (pid {first.pid}); nothing was moved" in second.stderr
        assert (tree(library), tree(site.incoming)) == before
    finally:
        go.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert tree(site.incoming) == {}
    assert sorted(tree(library).values()) == sorted(name.encode() * 3 for name in names)
    assert not [path for path in tree(library) if TEMP_PREFIX in path]
