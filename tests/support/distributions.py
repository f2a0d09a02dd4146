"""Fake installed distributions: a ``.dist-info`` folder with ``entry_points.txt``
on ``sys.path``, so plugin discovery runs through real ``importlib.metadata``."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path


class FakeSite:
    """A folder on sys.path that distributions can be installed into."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def install(
        self,
        distribution: str,
        modules: dict[str, str],
        entry_points: dict[str, str],
        version: str = "1.0",
    ) -> None:
        """Write the modules and a dist-info whose entry points (group sync2nas) name them."""
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        lines = ["[sync2nas]", *(f"{name} = {target}" for name, target in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        importlib.invalidate_caches()

    def remove_modules(self) -> None:
        for module in self.modules:
            sys.modules.pop(module, None)
