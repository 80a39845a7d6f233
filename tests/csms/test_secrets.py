"""Issue 9 item 1: no secret written in the code protects anything.

Tokens signed with the key the code once shipped are refused; outside the
embedded mode every entry point refuses to start without secrets of its own;
the embedded mode keeps the random secrets it generated across restarts.
"""

import os
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from csms.asgi import application
from csms.embedded import free_port
from tests.api_fixtures import client_for, driver  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
OLD_SECRET_KEY = "insecure-embedded-default-change-me"
OLD_WEBHOOK_SECRET = "whsec_voltstack_dev"
GOOD = {"SECRET_KEY": "a-secret-of-this-deployment", "STRIPE_WEBHOOK_SECRET": "whsec_of_this_deployment"}


def access_token(user_id: int, key: str) -> str:
    """An access token as simplejwt issues them, signed with `key`."""
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex, "user_id": str(user_id)}
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_token_signed_with_the_old_code_default_is_refused_by_the_api(driver):
    forged = client_for()
    forged.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(driver.pk, OLD_SECRET_KEY)}")
    response = forged.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"
    genuine = client_for()
    genuine.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(driver.pk, settings.SECRET_KEY)}")
    assert genuine.get("/api/v1/me").json()["email"] == driver.email


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key, close_code", [(OLD_SECRET_KEY, 4401), (None, 4404)])
async def test_a_token_signed_with_the_old_code_default_is_refused_by_the_session_socket(driver, key, close_code):
    """The genuine token (None: our own key) gets past authentication to "no such session"; the forged one does not."""
    token = access_token(driver.pk, key or settings.SECRET_KEY)
    socket = WebsocketCommunicator(
        application, "/ws/v1/sessions/999999", headers=[(b"authorization", f"Bearer {token}".encode())]
    )
    await socket.connect()
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": close_code}
    await socket.disconnect()


def deployment_env(**secrets: str | None) -> dict[str, str]:
    """A process environment outside the embedded mode (DATABASE_URL set), with the given secrets."""
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update(DATABASE_URL="sqlite:////nonexistent/never-opened.sqlite3", REDIS_URL="redis://127.0.0.1:1/0")
    env.update({name: value for name, value in {**GOOD, **secrets}.items() if value is not None})
    return env


def entry_point_command(name: str, workdir: Path) -> list[str]:
    """How each entry point is started; beat gets a schedule file of its own (it rewrites the file it is given)."""
    return {
        "manage.py": [sys.executable, "manage.py", "check"],
        "asgi": [sys.executable, "-m", "csms.serve", "--port", str(free_port())],
        "celery worker": [sys.executable, "-m", "celery", "-A", "csms", "worker", "--pool", "solo"],
        "celery beat": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "csms",
            "beat",
            "-s",
            str(workdir / "celerybeat-schedule"),
        ],
    }[name]


ENTRY_POINTS = ["manage.py", "asgi", "celery worker", "celery beat"]
BAD_SECRETS = [
    ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": OLD_SECRET_KEY}, "SECRET_KEY is a value written in the code"),
    ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET is not set"),
    ({"STRIPE_WEBHOOK_SECRET": OLD_WEBHOOK_SECRET}, "STRIPE_WEBHOOK_SECRET is a value written in the code"),
]


# manage.py is tried with each bad secret; the other entry points (slower to start) with one of each kind.
CASES = [("manage.py", bad) for bad in BAD_SECRETS] + [
    (entry_point, bad) for entry_point in ENTRY_POINTS[1:] for bad in (BAD_SECRETS[0], BAD_SECRETS[3])
]


@pytest.mark.parametrize("entry_point, bad", CASES, ids=[f"{e}-{b[1]}" for e, b in CASES])
def test_every_entry_point_refuses_to_start_without_its_own_secrets(entry_point, bad, tmp_path):
    secrets, reason = bad
    run = subprocess.run(
        entry_point_command(entry_point, tmp_path),
        cwd=ROOT,
        env=deployment_env(**secrets),
        capture_output=True,
        text=True,
        timeout=60,
    )
    refusals = [line for line in (run.stdout + run.stderr).splitlines() if "refusing to start" in line]
    assert run.returncode == 78 and len(refusals) == 1 and reason in refusals[0], run.stdout + run.stderr
    if entry_point in ("manage.py", "asgi"):  # nothing else is said (Celery's logging may prefix its line)
        assert run.stderr.splitlines() == refusals and not run.stdout


def test_manage_py_starts_with_secrets_of_its_own(tmp_path):
    env = deployment_env() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr


def embedded_settings(var_dir: Path) -> list[str]:
    """SECRET_KEY and STRIPE_WEBHOOK_SECRET as a fresh process in the embedded mode (nothing set) sees them."""
    env = {k: v for k, v in os.environ.items() if k not in (*GOOD, "DATABASE_URL")} | {
        "VOLTSTACK_VAR_DIR": str(var_dir)
    }
    code = "from django.conf import settings; print(settings.SECRET_KEY); print(settings.STRIPE_WEBHOOK_SECRET)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "csms.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.split()


def test_the_embedded_mode_generates_its_secrets_once_and_keeps_them(tmp_path):
    first = embedded_settings(tmp_path / "install")
    assert embedded_settings(tmp_path / "install") == first  # a restart: same secrets, tokens stay valid
    secret_key, webhook_secret = first
    assert len(secret_key) >= 50 and secret_key != OLD_SECRET_KEY
    assert webhook_secret.startswith("whsec_") and webhook_secret != OLD_WEBHOOK_SECRET
    assert stat.S_IMODE((tmp_path / "install" / "secrets.json").stat().st_mode) == 0o600
    assert embedded_settings(tmp_path / "another-install") != first
