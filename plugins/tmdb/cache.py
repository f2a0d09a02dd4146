"""On-disk cache of TMDB answers, so re-running a bootstrap costs no requests."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``<user cache dir>/sync2nas/tmdb``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("sync2nas")) / "tmdb"


class ResponseCache:
    """JSON bodies stored one file per request, fresh for ``ttl`` seconds.

    ``read_only`` (a dry run) answers from what is stored and stores nothing.
    """

    def __init__(self, directory: Path, ttl: float, *, read_only: bool = False) -> None:
        self.directory = Path(directory)
        self.ttl = ttl
        self.read_only = read_only

    @staticmethod
    def key(base_url: str, path: str, params: Mapping[str, Any], credential: str) -> str:
        """A stable name for one request: everything that changes the answer goes in,
        the credential too (so a wrong key misses), and only a hash comes out."""
        text = json.dumps([base_url, path, sorted(params.items()), credential],
                          ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        """The stored body if it is younger than ``ttl``, else None (unreadable = absent)."""
        file = self._file(key)
        try:
            entry = json.loads(file.read_text(encoding="utf-8"))
            fresh = time.time() - float(entry["stored"]) < self.ttl
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return entry["body"] if fresh else None

    def put(self, key: str, body: Any) -> None:
        """Store ``body`` atomically (not when read-only); a cache that cannot be
        written is only logged."""
        if self.read_only:
            return
        file = self._file(key)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        except OSError as exc:
            log.warning("TMDB cache %s is not writable: %s", self.directory, exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"stored": time.time(), "body": body}, handle, ensure_ascii=False)
            os.replace(tmp, file)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            log.warning("TMDB cache %s is not writable: %s", self.directory, exc)
