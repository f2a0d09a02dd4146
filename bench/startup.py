"""How long `sync2nas --help` takes, against the floor of starting Python with click.

Prints the median wall time of each and the ratio (ours / floor). The target is
an absolute one: `sync2nas --help` under 0.5 s on this kind of machine.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

RUNS = 15


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sync2nas = shutil.which("sync2nas") or sys.exit("sync2nas is not on PATH; install it first")
    ours = median_seconds([sync2nas, "--help"])
    floor = median_seconds([sys.executable, "-c", "import click"])
    print(f"sync2nas --help      {ours * 1000:7.1f} ms (median of {RUNS})")
    print(f"python -c 'import click' {floor * 1000:7.1f} ms")
    print(f"ratio ours/floor     {ours / floor:7.2f}   target: < 500 ms absolute")


if __name__ == "__main__":
    main()
