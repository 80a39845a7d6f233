"""`make run`: the whole system in one terminal, on embedded defaults unless configured.

Starts the embedded Redis (when REDIS_URL is unset), migrates, loads demo
data, then runs the ASGI server, a Celery worker and Celery beat as child
processes, prints where to look, and stops everything on Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from csms.embedded import port_open, start_redis


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the ASGI server, Celery worker and beat (and the embedded Redis if needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))

    def handle(self, *args, host: str, port: int, **options) -> None:
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the children too, like Ctrl-C
        children: list[subprocess.Popen] = []
        if not os.environ.get("REDIS_URL") and not port_open(settings.EMBEDDED_REDIS_PORT):
            self.stdout.write(f"starting embedded redis on 127.0.0.1:{settings.EMBEDDED_REDIS_PORT}")
            children.append(start_redis(settings.EMBEDDED_REDIS_PORT, Path(settings.VAR_DIR) / "redis"))
        try:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("seed_demo")
            bin_dir = Path(sys.executable).parent
            children += [
                subprocess.Popen([sys.executable, "-m", "csms.serve", "--host", host, "--port", str(port)]),
                subprocess.Popen(
                    [str(bin_dir / "celery"), "-A", "csms", "worker", "-l", "warning", "--concurrency", "2"]
                ),
                subprocess.Popen(
                    [
                        str(bin_dir / "celery"),
                        "-A",
                        "csms",
                        "beat",
                        "-l",
                        "warning",
                        "-s",
                        str(Path(settings.VAR_DIR) / "celerybeat-schedule"),
                    ]
                ),
            ]
            self._wait_until_up(host, port)
            self._print_urls(host, port)
            self._supervise(children)
        finally:
            self._stop(children)

    def _wait_until_up(self, host: str, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the ASGI server did not come up")

    def _print_urls(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        self.stdout.write(self.style.SUCCESS("\nVoltstack is running:"))
        self.stdout.write(
            f"  admin (operators)   {base}/admin/  login operator: its password was printed above when the demo "
            "data was first loaded (or is DEMO_OPERATOR_PASSWORD); `manage.py changepassword operator` sets a new one"
        )
        self.stdout.write(f"  drivers' API        {base}/api/v1/  (docs: {base}/api/docs/, {base}/api/redoc/)")
        self.stdout.write(
            f"  live sessions       ws://{host}:{port}/ws/v1/sessions/<id>, ws://{host}:{port}/ws/v1/stations"
        )
        self.stdout.write("  demo driver         driver@example.com / voltstack-driver  (POST /api/v1/auth/token)")
        self.stdout.write(f"  OCPP endpoint       ws://{host}:{port}/ocpp/<charge_point_id>  (ocpp1.6, ocpp2.0.1)")
        self.stdout.write(
            f"  try the chargers:   .venv/bin/python manage.py simulate --stations 3 --prefix DEMO- "
            f"--password demo-station-password --url ws://{host}:{port}/ocpp  (add --ocpp 2.0.1 for 2.0.1)"
        )
        self.stdout.write("Ctrl-C stops everything.\n")

    def _supervise(self, children: list[subprocess.Popen]) -> None:
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("a process exited; stopping the rest")
        except KeyboardInterrupt:
            self.stdout.write("\nstopping...")

    def _stop(self, children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
