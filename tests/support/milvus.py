"""Settings for a fresh embedded Milvus (milvus-lite) database."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def milvus_settings(tmp_path: Path) -> dict[str, Any]:
    """The [Milvus] section of a new, empty milvus-lite database under ``tmp_path``."""
    return {"uri": str(tmp_path / "sync2nas.milvus.db"), "host": None, "port": 19530}
