"""The simulator stands on its own: `python -m simulator` loads no Django, no Celery and no Voltstack app.

import-linter checks the import statements; these tests check what a fresh
interpreter actually loads, so an import hidden in a function or pulled in by
a third-party package is caught too. Each runs in a subprocess: this test
process has Django loaded already.
"""

import subprocess
import sys
from pathlib import Path

from tests.simulator.bare_support import bare_server

ROOT = Path(__file__).resolve().parents[2]
BARE_CSMS = ROOT / "bench" / "bare_csms.py"
FOREIGN = {
    "django",
    "celery",
    "rest_framework",
    "channels",
    "accounts",
    "billing",
    "csms",
    "roaming",
    "sessions",
    "stations",
}
# Every module of the package imported, then the top-level packages loaded that the simulator must not need.
IMPORT_ALL = f"""
import importlib, pkgutil, sys
import simulator
for module in pkgutil.walk_packages(simulator.__path__, "simulator."):
    if module.name != "simulator.__main__":
        importlib.import_module(module.name)
print(sorted({{name.split(".")[0] for name in sys.modules}} & set({sorted(FOREIGN)!r})))
"""


def python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """A fresh interpreter in the repository root, without the test run's Django settings."""
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def loaded_modules(importtime_log: str) -> set[str]:
    """The modules a `python -X importtime` run imported, from its stderr."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")}


def test_every_simulator_module_imports_without_django_or_an_app() -> None:
    result = python("-c", IMPORT_ALL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_python_m_simulator_help_exits_0_without_loading_django() -> None:
    result = python("-X", "importtime", "-m", "simulator", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: python -m simulator" in result.stdout
    loaded = loaded_modules(result.stderr)
    assert "simulator.cli" in loaded  # the log is read right
    assert {name.split(".")[0] for name in loaded} & FOREIGN == set()


def test_python_m_simulator_charges_against_a_bare_csms() -> None:
    """The README's standalone command, sped up, against bench/bare_csms.py: no Django on either side."""
    with bare_server(BARE_CSMS) as url:
        result = python(
            "-m",
            "simulator",
            *("--stations", "2", "--connectors", "2", "--sessions", "2", "--url", url),
            *("--session-seconds", "0.5", "--meter-interval", "0.2", "--speedup", "60"),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stations: 2/2 booted" in result.stdout, result.stdout
    assert "sessions completed: 4" in result.stdout, result.stdout
    assert "failure:" not in result.stdout, result.stdout
    assert "SIM-0002 session started on connector 2" in result.stdout, result.stdout
