"""Sync2NAS core: hook specs, plugin manager, config, models and the storage contract.

Plugins import what they need from here and nothing from each other::

    from sync2nas_core import hookimpl, ConfigSection, ConfigKey, StorageBackend
"""

from .app import App
from .hookspecs import hookimpl
from .locks import LockedError
from .metadata import Metadata, MetadataError
from .models import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    ListingDiff,
    MediaKind,
    ParsedName,
    RemoteEntry,
    RoutePlan,
    Show,
)
from .pipeline import Downloaded, Pipeline, RunSummary
from .records import from_record, name_key, to_record, utc_now, utc_stamp
from .sources import DownloadSummary, RouteOutcome, Router, Source, SourceListing
from .storage import (
    SCHEMA_VERSION,
    ReadOnlyError,
    SchemaError,
    ShowExistsError,
    Storage,
    StorageError,
)
from .types import (
    ConfigKey,
    ConfigSection,
    MetadataProvider,
    RouterType,
    SourceType,
    StorageBackend,
    StorageOptions,
)

__all__ = [
    "App",
    "DownloadSummary",
    "Downloaded",
    "LockedError",
    "Pipeline",
    "RouteOutcome",
    "Router",
    "RouterType",
    "RunSummary",
    "Source",
    "SourceListing",
    "SCHEMA_VERSION",
    "ConfigKey",
    "ConfigSection",
    "DownloadRecord",
    "DownloadState",
    "Episode",
    "EpisodeKind",
    "Event",
    "InventoryRecord",
    "ListingDiff",
    "MediaKind",
    "Metadata",
    "MetadataError",
    "MetadataProvider",
    "ParsedName",
    "ReadOnlyError",
    "RemoteEntry",
    "RoutePlan",
    "SchemaError",
    "Show",
    "ShowExistsError",
    "SourceType",
    "Storage",
    "StorageBackend",
    "StorageError",
    "StorageOptions",
    "from_record",
    "hookimpl",
    "name_key",
    "to_record",
    "utc_now",
    "utc_stamp",
]
