"""Small clients for the two media servers' "something changed" endpoints."""

from __future__ import annotations

from pathlib import PurePath

import requests

TIMEOUT = 10


class ServerError(Exception):
    """A media server refused or did not answer; the message says which and why."""


class _Server:
    """What both clients share: one session, a timeout, errors that name the server."""

    name = "server"

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise ServerError(f"{self.name} at {self.url} did not answer: {exc}") from None
        if response.status_code in (401, 403):
            status = response.status_code
            raise ServerError(f"{self.name} at {self.url} refused the key (HTTP {status})")
        if response.status_code >= 400:
            raise ServerError(f"{self.name} at {self.url}: HTTP {response.status_code} on {path}")
        return response


class JellyfinServer(_Server):
    name = "Jellyfin"

    def __init__(self, url: str, api_key: str) -> None:
        super().__init__(url, {"Authorization": f'MediaBrowser Token="{api_key}"'})

    def describe(self) -> str:
        info = self.request("GET", "/System/Info").json()
        return f"{info.get('ServerName', '?')}, version {info.get('Version', '?')}"

    def file_added(self, path: str) -> None:
        body = {"Updates": [{"Path": path, "UpdateType": "Created"}]}
        self.request("POST", "/Library/Media/Updated", json=body)


class PlexServer(_Server):
    name = "Plex"

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, {"X-Plex-Token": token, "Accept": "application/json"})

    def describe(self) -> str:
        container = self.request("GET", "/identity").json()["MediaContainer"]
        machine, version = container.get("machineIdentifier", "?"), container.get("version", "?")
        return f"machine {machine}, version {version}"

    def section_for(self, path: str) -> str | None:
        """The key of the library section whose folder holds ``path``."""
        sections = self.request("GET", "/library/sections").json()["MediaContainer"]
        target = PurePath(path)
        for section in sections.get("Directory", []):
            for location in section.get("Location", []):
                if PurePath(location["path"]) in (target, *target.parents):
                    return str(section["key"])
        return None

    def file_added(self, path: str) -> None:
        key = self.section_for(path)
        if key is None:
            raise ServerError(f"Plex at {self.url} has no library section holding {path}")
        folder = str(PurePath(path).parent)
        self.request("GET", f"/library/sections/{key}/refresh", params={"path": folder})
