"""A new user's first minutes: the demo data, the README's simulator command and the app agree.

The simulator runs as the README prints it (in a subprocess, as a user types it), sped up and
bounded, against a real server on the demo data: every demo station charges with its own card
and reports every EVSE the demo gave it, so the demo driver can start from the app on EVSE 2.
"""

import asyncio
import re
import shlex
import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from billing.models import ChargeDetailRecord
from csms.management.commands.seed_demo import DEMO_STATIONS
from sessions.models import DriverSession, Transaction
from tests.api_client import DriverApp
from tests.conftest import ROOT, eventually, server_env

pytestmark = pytest.mark.e2e

# Sessions of 3 s instead of 60 s, and a bound on the whole run (the test ends it sooner, with Ctrl-C).
FASTER = ["--session-seconds", "3", "--meter-interval", "1", "--speedup", "120", "--duration", "90"]


def readme_simulate_command() -> list[str]:
    """The `manage.py simulate` command of the README's quick start, as a user would copy it."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```\n(\.venv/bin/python manage\.py simulate .*?)\n```", text, re.S).group(1)
    return shlex.split(block.replace("\\\n", " "))


def run_simulator(url: str, *extra: str) -> subprocess.Popen:
    command = readme_simulate_command()
    assert command[:3] == [".venv/bin/python", "manage.py", "simulate"]
    command[command.index("--url") + 1] = url
    return subprocess.Popen(
        [sys.executable, *command[1:], *extra, *FASTER],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def completed_card_sessions() -> dict[str, int]:
    """Completed transactions started by the stations' own cards: station → energy."""
    txs = Transaction.objects.filter(status="completed", id_tag__id_tag__endswith="-TAG").select_related("station")
    return {tx.station.charge_point_id: tx.energy_wh for tx in txs}


@pytest.mark.timeout(300)  # a server, a worker and a simulator process start on a shared machine
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_readme_simulator_charges_on_every_demo_station_and_the_app_starts_on_evse_2(
    server, celery_worker, version
):
    await sync_to_async(call_command)("seed_demo")
    extra = ["--ocpp", version] if version == "2.0.1" else []
    simulator = run_simulator(server.ocpp_url, *extra)
    try:

        def each_station_charged():
            """one completed session with energy per demo station"""
            done = completed_card_sessions()
            return len(done) == len(DEMO_STATIONS) and all(done.values()) and done

        charged = await eventually(each_station_charged, timeout=60, interval=0.5)
        assert set(charged) == {station for station, _, _ in DEMO_STATIONS}
        count = await sync_to_async(Transaction.objects.filter(id_tag__id_tag__endswith="-TAG").count)()
        assert count == len(DEMO_STATIONS)  # one per station: no card was refused

        def each_session_sealed():
            """a charge detail record per demo station (sealed by the worker once billing hears of the stop)"""
            records = sorted(
                ChargeDetailRecord.objects.filter(transaction__id_tag__id_tag__endswith="-TAG").values_list(
                    "total_parking_time", "total_parking_cost_incl_vat"
                )
            )
            return len(records) == len(DEMO_STATIONS) and records

        parked = await eventually(each_session_sealed, timeout=30, interval=0.5)
        assert parked == [(timedelta(0), Decimal("0.00"))] * len(
            DEMO_STATIONS
        )  # a session that only charged parks for nothing

        app = DriverApp(server)
        signed_in = await app.post(
            "/api/v1/auth/token", {"email": "driver@example.com", "password": "voltstack-driver"}
        )
        assert signed_in.status == 200, signed_in.body
        app.access = signed_in.body["access"]
        started = await app.post("/api/v1/sessions", {"station_id": "DEMO-0001", "evse_id": 2})
        assert started.status == 202, started.body
        session_id = started.body["id"]

        def active():
            """the app session is charging on EVSE 2"""
            return DriverSession.objects.filter(pk=session_id, state="active", transaction__isnull=False).first()

        session = await eventually(active, timeout=30, interval=0.2)
        evse = await sync_to_async(lambda: session.connector.evse.number)()
        assert evse == 2
        stopped = await app.post(f"/api/v1/sessions/{session_id}/stop")
        assert stopped.status == 202, stopped.body
        await eventually(lambda: DriverSession.objects.filter(pk=session_id, state="completed").exists(), timeout=30)
    finally:
        simulator.send_signal(signal.SIGINT)  # Ctrl-C: the fleet stops tidily
        output, _ = await asyncio.to_thread(simulator.communicate, timeout=60)
    assert simulator.returncode == 0, output
    assert "stations: 3/3 booted" in output and "failure:" not in output, output
