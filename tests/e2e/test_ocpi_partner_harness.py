"""The independent OCPI eMSP (tests/e2e/ocpi_partner) proved without Voltstack: the test plays
the CPO, with a tiny HTTP server of its own for the calls the partner makes back."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.ocpi_partner.fixture import request

pytestmark = pytest.mark.e2e

CPO_TOKEN = "cpo-token-for-the-partner"
CPO_ROLE = {"role": "CPO", "country_code": "DE", "party_id": "VST", "business_details": {"name": "Test CPO"}}


def token(value: str) -> dict:
    return {"Authorization": f"Token {base64.b64encode(value.encode()).decode()}"}


def location(location_id: str = "LOC1") -> dict:
    connector = {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
    connector.update(max_voltage=230, max_amperage=32, last_updated="2026-12-01T10:00:00Z")
    evse = {"uid": "7", "evse_id": "DE*VST*E00001*1", "status": "AVAILABLE", "connectors": [connector]}
    return {
        "country_code": "DE",
        "party_id": "VST",
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.520008", "longitude": "13.404954"},
        "evses": [{**evse, "last_updated": "2026-12-01T10:00:00Z"}],
        "time_zone": "Europe/Berlin",
        "last_updated": "2026-12-01T10:00:00Z",
    }


def ocpi(data) -> dict:
    return {"data": data, "status_code": 1000, "status_message": "Success", "timestamp": "2026-12-04T00:00:00Z"}


class FakeCpo:
    """Just enough CPO for the partner's calls: versions, details, credentials, a two-page
    locations list, the tokens and commands receivers. It records what it was sent."""

    def __init__(self):
        self.calls: list[dict] = []
        self.partner_token: str | None = None  # the partner's token B, once it has POSTed it
        cpo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.answer()

            def do_PUT(self):
                self.answer()

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                cpo.calls.append({"method": self.command, "path": self.path, "auth": self.headers["Authorization"]})
                status, payload, headers = cpo.route(self.command, self.path, body)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.versions_url = f"{self.base}/ocpi/versions"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method: str, path: str, body):
        base = self.base
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/ocpi/2.2.1/credentials"},
            {"identifier": "locations", "role": "SENDER", "url": f"{base}/ocpi/2.2.1/locations"},
            {"identifier": "tokens", "role": "RECEIVER", "url": f"{base}/ocpi/2.2.1/tokens"},
            {"identifier": "commands", "role": "RECEIVER", "url": f"{base}/ocpi/2.2.1/commands"},
        ]
        if path == "/ocpi/versions":
            return 200, ocpi([{"version": "2.2.1", "url": f"{base}/ocpi/2.2.1"}]), {}
        if path == "/ocpi/2.2.1":
            return 200, ocpi({"version": "2.2.1", "endpoints": endpoints}), {}
        if path == "/ocpi/2.2.1/credentials" and method == "POST":
            self.partner_token = body["token"]
            return 200, ocpi({"token": CPO_TOKEN, "url": self.versions_url, "roles": [CPO_ROLE]}), {}
        if path.startswith("/ocpi/2.2.1/locations"):
            if "offset=2" in path:
                return 200, ocpi([{"id": "LOC3", "country_code": "DE"}]), {"X-Total-Count": "3"}
            link = f'<{base}/ocpi/2.2.1/locations?offset=2&limit=2>; rel="next"'
            headers = {"X-Total-Count": "3", "Link": f"<{base}/ocpi/versions>; rel=index, {link}"}
            return 200, ocpi([location("LOC1"), location("LOC2")]), headers
        if path.startswith("/ocpi/2.2.1/tokens/") and method == "PUT":
            return 200, ocpi(None), {}
        if path == "/ocpi/2.2.1/commands/START_SESSION":
            return 200, ocpi({"result": "ACCEPTED", "timeout": 30}), {}
        return 404, {"status_code": 2000, "status_message": "unknown"}, {}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_cpo():
    cpo = FakeCpo()
    yield cpo
    cpo.close()


def test_a_cpo_registers_with_the_partner_and_pushes_a_location(ocpi_partner, fake_cpo):
    assert request("GET", ocpi_partner.versions_url, headers=token("token-a"))[0] == 401  # unknown yet
    ocpi_partner.control("POST", "/token_a", {"token": "token-a"})

    status, versions = request("GET", ocpi_partner.versions_url, headers=token("token-a"))
    assert status == 200 and versions["status_code"] == 1000
    assert versions["data"] == [{"version": "2.2.1", "url": f"{ocpi_partner.base_url}/ocpi/2.2.1/details"}]
    status, details = request("GET", versions["data"][0]["url"], headers=token("token-a"))
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["data"]["endpoints"]}
    for module in ("credentials", "locations", "sessions", "cdrs", "tariffs"):
        assert (module, "RECEIVER") in endpoints, module
    assert ("tokens", "SENDER") in endpoints and ("commands", "SENDER") in endpoints

    ours = {"token": "token-b-from-the-cpo", "url": fake_cpo.versions_url, "roles": [CPO_ROLE]}
    status, answer = request("POST", endpoints["credentials", "RECEIVER"], ours, token("token-a"))
    assert status == 200 and answer["status_code"] == 1000, answer
    token_c = answer["data"]["token"]
    assert token_c != "token-a"
    assert answer["data"]["roles"][0] | {"business_details": None} == {
        "role": "EMSP", "country_code": "NL", "party_id": "EMS", "business_details": None,
    }  # fmt: skip
    # It fetched our versions and details with the token we gave it.
    assert [(c["path"], c["auth"]) for c in fake_cpo.calls] == [
        ("/ocpi/versions", token("token-b-from-the-cpo")["Authorization"]),
        ("/ocpi/2.2.1", token("token-b-from-the-cpo")["Authorization"]),
    ]
    assert request("POST", endpoints["credentials", "RECEIVER"], ours, token("token-a"))[0] == 401  # spent

    locations_url = endpoints["locations", "RECEIVER"] + "DE/VST/LOC1"
    assert request("PUT", locations_url, location(), token("token-a"))[0] == 403
    status, answer = request("PUT", locations_url, location(), token(token_c))
    assert status == 200 and answer["status_code"] == 1000, answer
    malformed = {key: value for key, value in location().items() if key != "coordinates"}
    assert request("PUT", endpoints["locations", "RECEIVER"] + "DE/VST/LOC2", malformed, token(token_c))[0] == 422

    state = ocpi_partner.control("GET", "/state")
    assert list(state["objects"]["locations"]) == ["DE/VST/LOC1"]
    assert state["objects"]["locations"]["DE/VST/LOC1"]["evses"][0]["evse_id"] == "DE*VST*E00001*1"
    pushes = [(e["method"], e["path"], e["status"]) for e in state["log"]]
    assert pushes[-2:] == [
        ("PUT", "/ocpi/emsp/2.2.1/locations/DE/VST/LOC1", 200),
        ("PUT", "/ocpi/emsp/2.2.1/locations/DE/VST/LOC2", 422),
    ]
    assert state["log"][-2]["body"]["id"] == "LOC1"

    ocpi_partner.restart()  # "partner down, then up": it still knows the CPO and the location
    status, answer = request("GET", locations_url, headers=token(token_c))
    assert status == 200 and answer["data"][0]["id"] == "LOC1"


def test_the_partner_registers_with_a_cpo_pulls_pushes_and_commands(ocpi_partner, fake_cpo):
    registered = ocpi_partner.control("POST", "/register", {"versions_url": fake_cpo.versions_url, "token_a": "A"})
    assert registered["registered"] and registered["token_c"] == CPO_TOKEN
    assert registered["token_b"] == fake_cpo.partner_token
    # Its token B now opens its own API to the CPO.
    assert request("GET", ocpi_partner.versions_url, headers=token(fake_cpo.partner_token))[0] == 200

    pulled = ocpi_partner.control("GET", "/pull/locations?limit=2")
    assert pulled["ids"] == ["LOC1", "LOC2", "LOC3"] and pulled["count"] == 3
    assert [p["url"].split("/ocpi/2.2.1/")[1] for p in pulled["pages"]] == [
        "locations?limit=2",
        "locations?offset=2&limit=2",
    ]
    assert [e["id"] for e in pulled["errors"]] == ["LOC3"]  # the page-2 object lacks most fields

    rfid = {"country_code": "NL", "party_id": "EMS", "uid": "0102030405", "type": "RFID", "contract_id": "NL-EMS-1"}
    rfid.update(issuer="Partner", valid=True, whitelist="ALLOWED", last_updated="2026-12-01T10:00:00Z")
    assert ocpi_partner.control("POST", "/tokens", rfid)["http_status"] == 200
    sent = ocpi_partner.control("POST", "/commands/START_SESSION", {"token": rfid, "location_id": "LOC1"})
    assert sent["response"]["data"]["result"] == "ACCEPTED"
    assert sent["request"]["response_url"] == f"{ocpi_partner.base_url}/ocpi/emsp/2.2.1/commands/{sent['uid']}"

    result = {"result": "ACCEPTED"}
    status, answer = request("POST", sent["request"]["response_url"], result, token(fake_cpo.partner_token))
    assert status == 200 and answer["status_code"] == 1000, answer
    assert ocpi_partner.control("GET", "/state")["commands"][sent["uid"]]["result"]["result"] == "ACCEPTED"
    assert [(c["method"], c["path"]) for c in fake_cpo.calls][-2:] == [
        ("PUT", "/ocpi/2.2.1/tokens/NL/EMS/0102030405?type=RFID"),
        ("POST", "/ocpi/2.2.1/commands/START_SESSION"),
    ]
