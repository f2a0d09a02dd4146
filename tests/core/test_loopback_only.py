"""The test suite's own guard: nothing in this process reaches beyond 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
import requests


def test_an_address_or_name_beyond_loopback_is_refused():
    with pytest.raises(OSError, match="tests reach only 127.0.0.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.themoviedb.org/3/configuration", timeout=2)


def test_loopback_is_reachable():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
