"""Sync2NAS core: hook specs, plugin manager, config, models and the storage contract.

Plugins import what they need from here and nothing from each other::

    from sync2nas_core import hookimpl, ConfigSection, ConfigKey, StorageBackend
"""

from .app import App
from .config import ConfigError
from .files import rename_noreplace
from .hookspecs import hookimpl
from .locks import LockedError
from .metadata import Metadata, MetadataError
from .models import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    Identification,
    InventoryRecord,
    ListingDiff,
    MediaKind,
    ParsedName,
    RemoteEntry,
    RoutePlan,
    Show,
)
from .names import (
    INVALID_CHARS,
    MAX_NAME_BYTES,
    RESERVED_NAMES,
    free_name,
    is_reserved,
    printable,
    replace_invalid,
    safe_name,
    shorten,
    truncate_utf8,
)
from .pipeline import Downloaded, Pipeline, RunSummary
from .records import from_record, name_key, to_record, utc_now, utc_stamp
from .signals import StopFlag, Stoppable, stop_on_signals
from .sources import DownloadSummary, RouteOutcome, Router, Source, SourceListing
from .storage import (
    SCHEMA_VERSION,
    ReadOnlyError,
    SchemaError,
    ShowExistsError,
    Storage,
    StorageError,
)
from .text import plural
from .titles import starts_words, title_words
from .types import (
    ConfigKey,
    ConfigSection,
    MetadataProvider,
    RouterType,
    SourceType,
    StorageBackend,
    StorageOptions,
)
from .validators import existing_file, format_template, http_url

__all__ = [
    "App",
    "ConfigError",
    "DownloadSummary",
    "Downloaded",
    "LockedError",
    "Pipeline",
    "RouteOutcome",
    "Router",
    "RouterType",
    "RunSummary",
    "Source",
    "StopFlag",
    "Stoppable",
    "SourceListing",
    "SCHEMA_VERSION",
    "ConfigKey",
    "ConfigSection",
    "DownloadRecord",
    "DownloadState",
    "Episode",
    "EpisodeKind",
    "Event",
    "INVALID_CHARS",
    "Identification",
    "InventoryRecord",
    "ListingDiff",
    "MAX_NAME_BYTES",
    "MediaKind",
    "Metadata",
    "MetadataError",
    "MetadataProvider",
    "ParsedName",
    "RESERVED_NAMES",
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
    "existing_file",
    "format_template",
    "free_name",
    "from_record",
    "hookimpl",
    "http_url",
    "is_reserved",
    "name_key",
    "rename_noreplace",
    "plural",
    "printable",
    "replace_invalid",
    "safe_name",
    "stop_on_signals",
    "shorten",
    "starts_words",
    "title_words",
    "to_record",
    "truncate_utf8",
    "utc_now",
    "utc_stamp",
]
