"""Stations, sessions and a recorder of what alerts publish to the dashboard socket."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import register_driver
from alerts.models import Alert
from sessions.id_tokens import issue_app_token
from sessions.models import DriverSession
from stations.services.connections import provision_station


@pytest.fixture
def station(db):
    return provision_station(charge_point_id="CP-ALERT", password="a-long-station-password", evse_count=2)


@pytest.fixture
def connector(station):
    return station.evses.get(number=1).connectors.get()


@pytest.fixture
def published(monkeypatch):
    """Every alert_changed message sent to the dashboard group, in order (sent after commit, as csms.live does)."""
    sent: list[dict] = []

    def publish(groups, event):
        assert groups == ["dashboard"]
        sent.append(event)

    monkeypatch.setattr("alerts.services.live.publish", publish)
    return sent


@pytest.fixture
def driver(db):
    return register_driver(email="alerts-driver@example.com", password="a-fine-password-42")


@pytest.fixture
def remote_start(driver, connector):
    """A driver session on the station's EVSE 1, ended in `state` with `error_code`."""

    def make(state: str, error_code: str = "", minutes_ago: int = 5) -> DriverSession:
        session = DriverSession.objects.create(
            driver=driver,
            id_tag=issue_app_token(driver=driver),
            station=connector.evse.station,
            connector=connector,
            state=state,
            error_code=error_code,
        )
        DriverSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
        return session

    return make


def active(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule=rule, state__in=Alert.ACTIVE_STATES))
