"""Side-by-side pull speed: OpenSSH's ``sftp`` client against ``sync2nas download-from-remote``.

Starts a private sshd on 127.0.0.1 (see tests/support/sshd.py), builds three trees
and pulls each with both clients, alternating, printing the ratio ours/OpenSSH
(speed, so > 1.0 means we are faster):

- one big file (default 1 GiB),
- many small files (default 2,000 x 50 kB in 40 folders),
- listing many files (default 20,000 in 400 folders): OpenSSH ``ls -l`` per
  folder against the steady state of an unattended run, ``download-from-remote``
  when every file is already recorded (list + storage diff, nothing to pull).

Each client first runs once untimed (``--warmup``). Each timed run starts with its
output folder empty and the disk settled (``sync``), outside the timing.

Quick run: ``python bench/sftp.py --big-mib 128 --small-files 300 --list-files 2000``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.sshd import Sshd  # noqa: E402

SYNC2NAS = str(Path(sys.executable).with_name("sync2nas"))
ENV = {**os.environ, "SYNC2NAS_LOAD_PLUGINS": "sftp,storage_sqlite"}


def build(root: Path, args: argparse.Namespace) -> None:
    """The three remote trees: big/, small/, listing/."""
    (root / "big").mkdir(parents=True)
    chunk = os.urandom(1 << 20)
    with open(root / "big" / "one.bin", "wb") as handle:
        for index in range(args.big_mib):
            handle.write(chunk[index % 256:] + chunk[:index % 256])
    for index in range(args.small_files):
        folder = root / "small" / f"d{index % 40:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05}.bin").write_bytes(os.urandom(args.small_kb * 1000))
    folders = max(1, args.list_files // 50)
    for index in range(args.list_files):
        folder = root / "listing" / f"d{index % folders:03}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05}.bin").write_bytes(b"x")


class Bench:
    def __init__(self, server: Sshd, work: Path) -> None:
        self.server, self.work = server, work
        self.known_hosts = work / "known_hosts"
        self.known_hosts.write_text(server.known_hosts_line())
        self.key = server.client_keys["ed25519"]

    def openssh(self, batch: str) -> None:
        subprocess.run(
            ["sftp", "-q", "-b", "-", "-i", str(self.key), "-P", str(self.server.port),
             "-o", f"UserKnownHostsFile={self.known_hosts}", f"{self.server.user}@127.0.0.1"],
            input=batch, text=True, check=True, stdout=subprocess.DEVNULL,
        )

    def config(self, remote: Path, incoming: Path) -> Path:
        path = self.work / "bench.ini"
        path.write_text(
            f"[SFTP]\nhost = 127.0.0.1\nport = {self.server.port}\n"
            f"username = {self.server.user}\nssh_key_path = {self.key}\npaths = {remote}\n"
            f"known_hosts = {self.known_hosts}\nmin_age = 0\nexclude = *.never\n\n"
            f"[Database]\ntype = sqlite\n\n[SQLite]\ndb_file = {self.work / 'bench.db'}\n\n"
            f"[Transfers]\nincoming = {incoming}\n"
        )
        return path

    def prepare(self, remote: Path, *, bootstrap: bool = False) -> None:
        """Empty incoming and database; ``bootstrap``: record every remote file first."""
        (self.work / "bench.db").unlink(missing_ok=True)
        config = self.config(remote, self.fresh("ours"))
        if bootstrap:
            self.sync2nas(config, "bootstrap-downloads")

    def ours(self, remote: Path) -> None:
        self.sync2nas(self.config(remote, self.work / "ours"), "download-from-remote")

    def sync2nas(self, config: Path, *args: str) -> None:
        subprocess.run([SYNC2NAS, "--config", str(config), *args], env=ENV, check=True,
                       stdout=subprocess.DEVNULL)

    def fresh(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return path


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def settled(action: Callable[[], None]) -> float:
    """``action``'s time, started on a quiet disk: the previous run's output was deleted
    before, and ``sync`` waited for the disk to finish with it (its write-back and, on a
    filesystem mounted with ``discard``, the trims of what was deleted). Otherwise a run
    that fsyncs its files pays for the previous run's backlog, one that does not never."""
    os.sync()
    return timed(action)


def compare(name: str, unit: str, amount: float, openssh: Callable[[], None],
            ours: Callable[[], None], prepare_theirs: Callable[[], None],
            prepare_ours: Callable[[], None], repeat: int, warmup: int) -> None:
    """Run each client ``warmup`` times untimed, then alternate them ``repeat`` times;
    print medians and the speed ratio."""
    for _ in range(warmup):
        prepare_theirs()
        openssh()
        prepare_ours()
        ours()
    times: dict[str, list[float]] = {"openssh": [], "ours": []}
    for _ in range(repeat):
        prepare_theirs()
        times["openssh"].append(settled(openssh))
        prepare_ours()
        times["ours"].append(settled(ours))
    theirs, mine = (statistics.median(times[k]) for k in ("openssh", "ours"))
    spread = "  ".join(f"{k} " + "/".join(f"{t:.2f}" for t in times[k]) + " s" for k in times)
    print(f"{name:<22} OpenSSH {amount / theirs:9.1f} {unit}  ours {amount / mine:9.1f} {unit}"
          f"  ratio ours/OpenSSH {theirs / mine:5.2f}   ({spread})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--small-kb", type=int, default=50)
    parser.add_argument("--list-files", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per client (median)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs per client first (the first writes into never "
                             "used disk space, which a VM's thin-provisioned disk makes slow)")
    parser.add_argument("--only", choices=("big", "small", "list"), action="append")
    parser.add_argument("--workdir", type=Path, default=None, help="where the trees go")
    args = parser.parse_args()
    only = set(args.only or ("big", "small", "list"))
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="sync2nas-bench-") as tmp:
        work = Path(tmp)
        remote = work / "remote"
        build(remote, args)
        with Sshd(work / "sshd") as server:
            bench = Bench(server, work)
            theirs = work / "theirs"
            get = f"get -r {{}} {theirs}\n".format
            if "big" in only:
                compare(f"{args.big_mib} MiB file", "MB/s", args.big_mib * 1.048576,
                        lambda: bench.openssh(get(remote / "big")),
                        lambda: bench.ours(remote / "big"),
                        lambda: bench.fresh("theirs"),
                        lambda: bench.prepare(remote / "big"), args.repeat, args.warmup)
            if "small" in only:
                compare(f"{args.small_files} small files", "files/s", args.small_files,
                        lambda: bench.openssh(get(remote / "small")),
                        lambda: bench.ours(remote / "small"),
                        lambda: bench.fresh("theirs"),
                        lambda: bench.prepare(remote / "small"), args.repeat, args.warmup)
            if "list" in only:
                folders = sorted(p for p in (remote / "listing").iterdir())
                batch = "".join(f"ls -l {p}\n" for p in [remote / "listing", *folders])
                compare(f"listing {args.list_files} files", "files/s", args.list_files,
                        lambda: bench.openssh(batch),
                        lambda: bench.ours(remote / "listing"),
                        lambda: None,
                        lambda: bench.prepare(remote / "listing", bootstrap=True),
                        args.repeat, args.warmup)


if __name__ == "__main__":
    main()
