"""The versions endpoints and the gate in front of every OCPI endpoint: tokens, 401, request ids, the log."""

import base64
import uuid

import pytest
from django.test import RequestFactory

from roaming.auth import ocpi_view
from roaming.envelope import ocpi_response
from roaming.models import RequestLog
from tests.roaming.conftest import auth

pytestmark = pytest.mark.django_db


def test_versions_lists_2_2_1(client, pending_partner):
    _, token_a = pending_partner
    response = client.get("/ocpi/versions", **auth(token_a))
    assert response.status_code == 200
    assert response.json()["data"] == [{"version": "2.2.1", "url": "http://127.0.0.1:8000/ocpi/2.2.1"}]


def test_version_details_list_our_credentials_endpoint_both_roles(client, pending_partner):
    _, token_a = pending_partner
    data = client.get("/ocpi/2.2.1", **auth(token_a)).json()["data"]
    assert data["version"] == "2.2.1"
    url = "http://127.0.0.1:8000/ocpi/2.2.1/credentials"
    assert {"identifier": "credentials", "role": "SENDER", "url": url} in data["endpoints"]
    assert {"identifier": "credentials", "role": "RECEIVER", "url": url} in data["endpoints"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(auth("nobody's token"), id="unknown"),
        pytest.param({"HTTP_AUTHORIZATION": "Bearer x"}, id="other-scheme"),
        pytest.param({"HTTP_AUTHORIZATION": "Token "}, id="empty"),
    ],
)
@pytest.mark.parametrize("path", ["/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials"])
def test_an_unknown_or_missing_token_is_401_in_the_envelope(client, db, headers, path):
    response = client.get(path, **headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 2000 and body["data"] is None and body["timestamp"].endswith("Z")
    assert body["status_message"]
    row = RequestLog.objects.get()
    assert (row.direction, row.http_status, row.partner) == ("in", 401, None)


def test_request_ids_are_echoed_or_made_up(client, pending_partner):
    _, token_a = pending_partner
    echoed = client.get("/ocpi/versions", HTTP_X_REQUEST_ID="r-42", HTTP_X_CORRELATION_ID="c-42", **auth(token_a))
    assert (echoed["X-Request-ID"], echoed["X-Correlation-ID"]) == ("r-42", "c-42")
    made_up = client.get("/ocpi/versions")
    uuid.UUID(made_up["X-Request-ID"])
    uuid.UUID(made_up["X-Correlation-ID"])
    logged = RequestLog.objects.order_by("id")
    assert [(r.request_id, r.correlation_id) for r in logged][0] == ("r-42", "c-42")
    assert logged[1].request_id == made_up["X-Request-ID"]


def test_token_a_is_refused_by_modules_other_than_versions_and_credentials(pending_partner):
    partner, token_a = pending_partner

    @ocpi_view()
    def locations(request, caller):
        return ocpi_response([])

    header = "Token " + base64.b64encode(token_a.encode()).decode()
    response = locations(RequestFactory().get("/ocpi/2.2.1/locations", HTTP_AUTHORIZATION=header))
    assert response.status_code == 401
    row = RequestLog.objects.get()
    assert (row.partner, row.error) == (partner, "token A outside versions and credentials")
