"""Models to and from the JSON ``doc`` stored in each row."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    MediaKind,
    Show,
)


def to_doc(model: Any) -> str:
    """A model dataclass as JSON (enums are str subclasses and encode as their value)."""
    return json.dumps(dataclasses.asdict(model))


def show(doc: str) -> Show:
    data = json.loads(doc)
    return Show(**{**data, "aliases": tuple(data["aliases"]), "kind": MediaKind(data["kind"])})


def episode(doc: str) -> Episode:
    data = json.loads(doc)
    return Episode(**{**data, "kind": EpisodeKind(data["kind"])})


def download(doc: str) -> DownloadRecord:
    data = json.loads(doc)
    return DownloadRecord(**{**data, "state": DownloadState(data["state"])})


def inventory(doc: str) -> InventoryRecord:
    data = json.loads(doc)
    return InventoryRecord(**{**data, "episodes": tuple(data["episodes"])})


def event(doc: str) -> Event:
    return Event(**json.loads(doc))
