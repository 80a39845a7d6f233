"""The addresses we hand to others (OCPI partners, alert e-mails) follow where `make run` serves."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def settings_under(**env: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings as s; print(s.OCPI_BASE_URL, s.ALERTS_BASE_URL)"
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "OCPI_BASE_URL", "ALERTS_BASE_URL")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "csms.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_a_port_of_make_run_is_the_port_partners_are_told():
    assert settings_under(PORT="8793") == ["http://127.0.0.1:8793", "http://127.0.0.1:8793"]
    assert settings_under(HOST="0.0.0.0") == ["http://127.0.0.1:8000", "http://127.0.0.1:8000"]
    assert settings_under(PORT="8793", OCPI_BASE_URL="https://ocpi.example.com/")[0] == "https://ocpi.example.com"
