"""sync2nas-jellyfin, installed as a real distribution, against a local stand-in
for Jellyfin and Plex."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from sync2nas_core import App, RoutePlan, Show
from sync2nas_core.cli import build_cli

API_KEY, TOKEN = "jf-key-123", "plex-token-456"


class StandIn(BaseHTTPRequestHandler):
    """Answers like Jellyfin and Plex on the endpoints the plugin uses."""

    requests: list[tuple[str, str, dict]] = []

    def log_message(self, *args) -> None:
        pass

    def reply(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self) -> bool:
        jellyfin = self.headers.get("Authorization") == f'MediaBrowser Token="{API_KEY}"'
        return jellyfin or self.headers.get("X-Plex-Token") == TOKEN

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.requests.append(("GET", url.path, parse_qs(url.query)))
        if not self.authorized():
            return self.reply(401)
        answers = {
            "/System/Info": {"ServerName": "living-room", "Version": "10.10.3"},
            "/identity": {"MediaContainer": {"machineIdentifier": "abc", "version": "1.41"}},
            "/library/sections": {"MediaContainer": {"Directory": [
                {"key": "1", "Location": [{"path": "/library/movies"}]},
                {"key": "2", "Location": [{"path": "/library/tv"}]},
            ]}},
            "/library/sections/2/refresh": {},
        }
        self.reply(200, answers[url.path]) if url.path in answers else self.reply(404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", self.path, body))
        self.reply(204 if self.authorized() else 401)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No test reads the developer's config or SYNC2NAS_* variables."""
    for variable in [v for v in os.environ if v.startswith("SYNC2NAS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    StandIn.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def environment(url: str, api_key: str = API_KEY) -> dict[str, str]:
    return {
        "SYNC2NAS_JELLYFIN__URL": url, "SYNC2NAS_JELLYFIN__API_KEY": api_key,
        "SYNC2NAS_PLEX__URL": url, "SYNC2NAS_PLEX__TOKEN": TOKEN,
    }


def test_installed_distribution_is_listed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_cli(), ["plugins", "--json"])
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["jellyfin"]["distribution"] == "sync2nas-jellyfin"
    assert rows["jellyfin"]["status"] == "loaded"
    assert "sync2nas_file_routed" in rows["jellyfin"]["hooks"]


def test_jellyfin_test_command_checks_both_servers(stand_in, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_cli(), ["jellyfin", "test"], env=environment(stand_in))
    assert result.exit_code == 0, result.output
    assert "Jellyfin: OK (living-room, version 10.10.3)" in result.stdout
    assert "Plex: OK (machine abc, version 1.41)" in result.stdout


def test_a_refused_key_fails_without_showing_it(stand_in, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_cli(), ["-vv", "jellyfin", "test"],
                                env=environment(stand_in, api_key="wrong-key-789"))
    assert result.exit_code == 1
    assert "Jellyfin: FAILED:" in result.stderr and "refused the key (HTTP 401)" in result.stderr
    assert "wrong-key-789" not in result.output


def test_routed_file_is_announced_to_both(stand_in, monkeypatch, tmp_path):
    for name, value in environment(stand_in).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    app = App.load()
    show = Show(tmdb_id=1396, name="Breaking Bad", sys_name="Breaking Bad (2008)")
    destination = "/library/tv/Breaking Bad (2008)/Season 01/Breaking Bad - S01E01.mkv"
    app.notify("file_routed", plan=RoutePlan("/incoming/bb.mkv", destination, show))
    assert ("POST", "/Library/Media/Updated",
            {"Updates": [{"Path": destination, "UpdateType": "Created"}]}) in StandIn.requests
    refresh = [r for r in StandIn.requests if r[1] == "/library/sections/2/refresh"]
    assert refresh == [("GET", "/library/sections/2/refresh",
                        {"path": ["/library/tv/Breaking Bad (2008)/Season 01"]})]


def test_a_server_that_is_down_never_breaks_the_sync(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("SYNC2NAS_JELLYFIN__URL", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.chdir(tmp_path)
    app = App.load()
    show = Show(tmdb_id=1, name="Show", sys_name="Show")
    app.notify("file_routed", plan=RoutePlan("/in/a.mkv", "/library/tv/Show/a.mkv", show))
    assert "plugin 'jellyfin' (distribution sync2nas-jellyfin" in caplog.text
    assert "did not answer" in caplog.text
