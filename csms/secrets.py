"""The secrets that protect a deployment, and the guard that keeps code-written ones out of it.

A value written in the code is public: anyone can sign a driver's token with
it, or a Stripe event. So no secret has a default here. Outside the embedded
mode (DATABASE_URL set: a real database means a real deployment) each entry
point (manage.py, the ASGI app, the Celery worker and beat) calls
`require_deployment_secrets()` before it starts, and refuses to run while a
secret is unset or is one of the values this code base ever shipped.

In the embedded mode (`make run` on a bare machine) and for tooling that only
imports the settings (pytest), a secret missing from the environment is a
random value generated once and kept in VAR_DIR/secrets.json (mode 0600), so
tokens and sessions survive a restart and every process of one install
agrees on them.

DEBUG plays no part: it is off by default, so "DEBUG off" cannot tell a
deployment from a newcomer's `make run` with nothing set.
"""

import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

REQUIRED = ("SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
# Values that were written in this code base as defaults: public, so never a secret.
PUBLIC_VALUES = frozenset({"insecure-embedded-default-change-me", "whsec_voltstack_dev"})
SECRETS_FILE = "secrets.json"
# The webhook secret keeps Stripe's prefix, so it reads like the one the dashboard shows.
_PREFIXES = {"STRIPE_WEBHOOK_SECRET": "whsec_"}


def is_embedded(environ: Mapping[str, str] = os.environ) -> bool:
    """No DATABASE_URL: the install runs on its own SQLite file, as `make run` does."""
    return not environ.get("DATABASE_URL")


def deployment_secret_problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """One line naming the first secret that cannot protect this deployment, or None."""
    if is_embedded(environ):
        return None
    for name in REQUIRED:
        value = environ.get(name, "").strip()
        if not value:
            return (
                f"{name} is not set: set it in the environment (DATABASE_URL is set, so this is not the embedded mode)"
            )
        if value in PUBLIC_VALUES:
            return f"{name} is a value written in the code: set a secret of your own"
    return None


def require_deployment_secrets() -> None:
    """Exit (status 78, EX_CONFIG) with one line on stderr if a secret cannot protect this deployment."""
    problem = deployment_secret_problem()
    if problem is not None:
        print(f"voltstack: refusing to start: {problem}", file=sys.stderr)
        raise SystemExit(78)


def setting(name: str, var_dir: Path) -> str:
    """The secret from the environment, else the install's own random value (generated on first use)."""
    return os.environ.get(name) or embedded_secrets(var_dir)[name]


def embedded_secrets(var_dir: Path) -> dict[str, str]:
    """The install's random secrets, created once; concurrent first starts agree on one file."""
    path = var_dir / SECRETS_FILE
    stored = _read(path)
    if all(name in stored for name in REQUIRED):
        return stored
    generated = {name: _PREFIXES.get(name, "") + secrets.token_urlsafe(48) for name in REQUIRED}
    _write_once(path, {**generated, **stored})
    return _read(path)


def _read(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def _write_once(path: Path, values: dict[str, str]) -> None:
    """Write to a private temporary file, then link it in place: the first writer wins, nobody sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(values, file)
    try:
        if path.exists():  # an older file that lacks a secret added since: complete it
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
