"""Schemathesis against the drivers' API: generated requests for every documented operation
never get a 500, and every answer matches the schema (status, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken

from stations.services.connections import provision_station
from tests.api_fixtures import new_driver
from tests.billing.localstripe_server import localstripe, stripe_api  # noqa: F401


@pytest.fixture
def wsgi_app_in_test_transaction(db):
    """Django's WSGI app, minus closing the connection per request (as Django's test client does):
    the test's transaction, with its driver and station, must stay open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app_in_test_transaction):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app_in_test_transaction).include(path_regex="^/api/v1/")


@pytest.fixture
def driver_headers(wsgi_app_in_test_transaction, stripe_api) -> dict:
    """A signed-in driver, an online station to start sessions on, and a Stripe (localstripe) for cards."""
    station = provision_station(charge_point_id="SCHEMA-1", password="a-long-station-password", evse_count=2)
    station.connection_channel = "specific.fake!channel"
    station.save()
    driver = new_driver("schema@example.com", "a-fine-password-42")
    return {"Authorization": f"Bearer {RefreshToken.for_user(driver).access_token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, driver_headers):
    case.call_and_validate(headers=driver_headers)
