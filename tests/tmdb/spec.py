"""TMDB's OpenAPI spec (paths and parameter names), to check requests against."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sync2nas_plugins.tmdb.stub import StubRequest

SPEC = json.loads((Path(__file__).with_name("openapi_paths.json")).read_text())["paths"]
#: The v3 key travels as a query parameter; the spec documents only the header.
AUTH_PARAMS = {"api_key"}


def _template(path: str) -> str | None:
    """The spec path template ``/3/...`` that ``path`` matches, if any."""
    for template, methods in SPEC.items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if "get" in methods and re.fullmatch(pattern, path):
            return template
    return None


def spec_problems(request: StubRequest) -> list[str]:
    """Why ``request`` is not a request the real TMDB API documents (empty: it is)."""
    template = _template(f"/3{request.path}")
    if template is None:
        return [f"{request.path}: no such path in the TMDB spec"]
    allowed = set(SPEC[template]["get"]) | AUTH_PARAMS
    problems = [f"{request.path}: parameter {name!r} not in the spec"
                for name in request.params if name not in allowed]
    for item in filter(None, request.params.get("append_to_response", "").split(",")):
        if _template(f"/3{request.path}/{item}") is None:
            problems.append(f"{request.path}: append_to_response item {item!r} is no sub-path")
    return problems
