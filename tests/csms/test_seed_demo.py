"""The demo data: a random operator password per install, printed once, never reset; a card per station."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from billing.models import TariffAssignment
from csms.management.commands import runstack
from csms.management.commands.seed_demo import DEMO_STATION_PASSWORD, DEMO_STATIONS
from sessions.models import IdTag
from stations.models import ChargingStation

PRINTED = re.compile(r"operator login: operator / (\S+)  \(shown this once")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def operator_password_printed(output: str) -> str | None:
    match = PRINTED.search(output)
    return match.group(1) if match else None


@pytest.mark.django_db
def test_the_operator_password_is_random_printed_once_and_never_reset(monkeypatch):
    monkeypatch.delenv("DEMO_OPERATOR_PASSWORD", raising=False)
    first = seed()
    password = operator_password_printed(first)
    assert password and len(password) >= 16 and "voltstack-operator" not in first
    operator = get_user_model().objects.get(username="operator")
    assert operator.check_password(password) and password not in operator.password

    again = seed()
    assert operator_password_printed(again) is None and password not in again
    assert "operator login: operator (password unchanged" in again
    operator.refresh_from_db()
    assert operator.check_password(password)


@pytest.mark.django_db
def test_two_installs_get_different_operator_passwords(monkeypatch):
    monkeypatch.delenv("DEMO_OPERATOR_PASSWORD", raising=False)
    first = operator_password_printed(seed())
    get_user_model().objects.filter(username="operator").delete()
    assert operator_password_printed(seed()) != first


@pytest.mark.django_db
def test_demo_operator_password_chooses_it_and_is_not_printed(monkeypatch):
    monkeypatch.setenv("DEMO_OPERATOR_PASSWORD", "chosen-by-the-admin-42")
    output = seed()
    assert "chosen-by-the-admin-42" not in output and "DEMO_OPERATOR_PASSWORD" in output
    assert get_user_model().objects.get(username="operator").check_password("chosen-by-the-admin-42")


@pytest.mark.django_db
def test_each_demo_station_has_its_own_card_of_the_demo_driver():
    seed()
    tags = IdTag.objects.filter(id_tag__in=[f"{station}-TAG" for station, _, _ in DEMO_STATIONS])
    assert sorted(tag.id_tag for tag in tags) == ["DEMO-0001-TAG", "DEMO-0002-TAG", "DEMO-0003-TAG"]
    assert {tag.owner.username for tag in tags} == {"driver@example.com"}


@pytest.mark.django_db
def test_the_demo_fleet_make_run_simulates_stands_at_priced_sites_with_its_own_cards(monkeypatch, settings, tmp_path):
    """runstack's simulators present ids and cards that seed_demo made, at sites with the demo tariff."""
    seed()
    settings.VAR_DIR = tmp_path
    started = []
    monkeypatch.setattr(runstack.subprocess, "Popen", lambda command, **kwargs: started.append(command))
    runstack.Command()._demo_fleet("127.0.0.1", 8000)

    simulated = []
    for command in started:
        prefix, count = command[command.index("--prefix") + 1], int(command[command.index("--stations") + 1])
        assert command[command.index("--password") + 1] == DEMO_STATION_PASSWORD
        assert command[command.index("--url") + 1] == "ws://127.0.0.1:8000/ocpp"
        simulated += [f"{prefix}{n:04d}" for n in range(1, count + 1)]
    assert simulated == ["FLEET-0001", "FLEET-0002", "FLEET-0003", "FLEET-0004", "MALL-0001", "MALL-0002", "MALL-0003"]
    stations = ChargingStation.objects.filter(charge_point_id__in=simulated).select_related("location")
    assert stations.count() == len(simulated)
    assert all(s.check_password(DEMO_STATION_PASSWORD) for s in stations)
    assert IdTag.objects.filter(id_tag__in=[f"{s}-TAG" for s in simulated]).count() == len(simulated)
    priced = {a.location_id for a in TariffAssignment.objects.filter(tariff__tariff_id="DEMO-AC")}
    assert {s.location_id for s in stations} <= priced
