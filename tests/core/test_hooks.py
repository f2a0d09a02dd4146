"""Every hook is documented (docstring and README) and has a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from sync2nas_core import hookspecs

ROOT = Path(__file__).parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("sync2nas_"))


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_complete_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc, f"{hook} has no docstring"
    assert "Example::" in doc and "@hookimpl" in doc, f"{hook} docstring has no example"
    parameters = [p for p in inspect.signature(getattr(hookspecs, hook)).parameters]
    for parameter in parameters:
        assert f":param {parameter}:" in doc, f"{hook} does not document {parameter}"
    if not hook.startswith(("sync2nas_file_", "sync2nas_show_", "sync2nas_register")):
        assert ":return:" in doc, f"{hook} does not document what it returns"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_readme_reference(hook):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"`{hook}\(", readme), f"README's hook reference lacks {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    this_file = Path(__file__).resolve()
    tests = [p for p in (ROOT / "tests").rglob("test_*.py") if p.resolve() != this_file]
    assert any(hook in p.read_text() for p in tests), f"no test mentions {hook}"
