"""`sync2nas --help` stays cheap: neither the core nor any bundled plugin imports a
heavy library at start-up (the wall time itself is measured by bench/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["paramiko", "pymilvus", "psycopg2", "requests", "rich", "rapidfuzz", "numpy", "asyncssh"]

PROBE = """
import json, sys
from click.testing import CliRunner
from sync2nas_core.cli import build_cli
result = CliRunner().invoke(build_cli(), ["--help"])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)))
"""


def test_help_imports_no_heavy_library():
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert json.loads(output) == []


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "sync2nas_core", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "Commands:" in result.stdout
