"""App: the storage opened and closed in one place; a provider told about dry runs."""

from __future__ import annotations

import pytest

from sync2nas_core import (
    App,
    ConfigKey,
    ConfigSection,
    MetadataProvider,
    StorageError,
    builtin,
    hookimpl,
)
from sync2nas_core.plugins import create_plugin_manager


def _app_with(factory) -> App:
    class Provider:
        @hookimpl
        def sync2nas_config_sections(self):
            return [ConfigSection("Books", keys=(ConfigKey("shelf", default="a"),))]

        @hookimpl
        def sync2nas_metadata_providers(self):
            return [MetadataProvider("books", section="Books", factory=factory)]

    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""},
                                    builtins=[("core", builtin), ("books", Provider())])
    return App.from_parts(manager, {"Books": {"shelf": "b"}}, None)


def test_a_factory_with_read_only_is_told_about_a_dry_run():
    calls = []
    app = _app_with(lambda settings, *, read_only=False: calls.append(
        (settings["shelf"], read_only)))
    app.open_metadata("books", read_only=True)
    app.open_metadata("books")
    assert calls == [("b", True), ("b", False)]


def test_a_factory_written_before_read_only_existed_still_opens():
    calls = []
    app = _app_with(lambda settings: calls.append(settings["shelf"]) or "opened")
    assert app.open_metadata("books", read_only=True) == "opened"
    assert calls == ["b"]


def test_the_storage_is_closed_however_the_block_ends(tmp_path):
    app = App.load(raw={"SQLite": {"db_file": str(tmp_path / "db.sqlite")}}, environ={})
    with pytest.raises(RuntimeError), app.storage() as storage:
        assert storage.list_shows() == []
        raise RuntimeError("the command failed")
    with pytest.raises(StorageError):
        storage.list_shows()
    with app.storage(read_only=True) as reader:
        assert reader.read_only and reader.list_shows() == []
    with pytest.raises(StorageError):
        reader.list_shows()
