"""`make run`: the whole system in one terminal, on embedded defaults unless configured.

Starts the embedded Redis (when REDIS_URL is unset), migrates, loads demo
data, then runs the ASGI server, a Celery worker and Celery beat as child
processes, prints where to look, and stops everything on Ctrl-C.

So that the operators' dashboard it opens on is alive, it also runs the demo
fleet (seed_demo.DEMO_FLEET) through the charger simulator, charging in a
loop; DEMO_FLEET=0 leaves it out, and the demo stations DEMO-0001..0003 are
always left to the README's own simulator command.
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
from csms.management.commands.seed_demo import DEMO_FLEET, DEMO_STATION_PASSWORD

# A demo fleet session: 4 simulated minutes of charging then a minute free, over and over.
FLEET_SESSION = ["--sessions", "100000", "--session-seconds", "240", "--pause-seconds", "60", "--meter-interval", "10"]


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
            essential = list(children)
            if os.environ.get("DEMO_FLEET", "1") != "0":
                children += self._demo_fleet(host, port)
            self._print_urls(host, port)
            self._supervise(essential)
        finally:
            self._stop(children)

    def _demo_fleet(self, host: str, port: int) -> list[subprocess.Popen]:
        """One simulator per demo fleet, its chatter in var/demo-fleet-<prefix>.log rather than this terminal."""
        url = f"ws://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/ocpp"
        fleets = []
        for prefix, count, _, version, _ in DEMO_FLEET:
            log = open(Path(settings.VAR_DIR) / f"demo-fleet-{prefix.rstrip('-').lower()}.log", "a")
            command = [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "simulate",
                "--stations",
                str(count),
                "--prefix",
                prefix,
            ]
            command += ["--ocpp", version, "--password", DEMO_STATION_PASSWORD, "--url", url, *FLEET_SESSION]
            fleets.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        return fleets

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
            f"  dashboard           {base}/dashboard/  (map {base}/dashboard/map/; sign in as operator; "
            "the demo fleet charges there unless DEMO_FLEET=0)"
        )
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
            f"  OCPI 2.2.1          {settings.OCPI_BASE_URL}/ocpi/versions  (a partner's token A: admin, "
            "Roaming → Partners → Issue token A)"
        )
        self.stdout.write(
            f"  try the chargers:   .venv/bin/python manage.py simulate --stations 3 --prefix DEMO- "
            f"--password demo-station-password --url ws://{host}:{port}/ocpp  (add --ocpp 2.0.1 for 2.0.1)"
        )
        self.stdout.write("Ctrl-C stops everything.\n")

    def _supervise(self, children: list[subprocess.Popen]) -> None:
        """Until Ctrl-C, or until one of these (the server, worker, beat: not the demo fleet) exits."""
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("a process exited; stopping the rest")
        except KeyboardInterrupt:
            self.stdout.write("\nstopping...")

    def _stop(self, children: list[subprocess.Popen]) -> None:
        """Last started, first stopped: the fleet leaves before the server, and Redis outlives its users."""
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
