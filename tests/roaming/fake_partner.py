"""A fake eMSP behind roaming.client's HTTP session: its versions, version details and credentials endpoints,
and its tokens sender's real-time authorization (POST tokens/{uid}/authorize), answered from `authorizations`.

Mounted as a requests transport adapter on `roaming.client.session` for its base URL, so our client runs
its real path (headers, timeouts, JSON, the request log) and the test reads what the partner received.
"""

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import unquote

import requests
from requests.adapters import BaseAdapter

BASE = "http://emsp.test"
VERSIONS_URL = f"{BASE}/ocpi/versions"
DETAILS_URL = f"{BASE}/ocpi/2.2.1"
CREDENTIALS_URL = f"{BASE}/ocpi/2.2.1/credentials"
TOKENS_URL = f"{BASE}/ocpi/2.2.1/tokens"
ROLES = [
    {"role": "EMSP", "country_code": "NL", "party_id": "EXA", "business_details": {"name": "Example eMSP"}},
    {"role": "EMSP", "country_code": "BE", "party_id": "EXB", "business_details": {"name": "Example eMSP BE"}},
]


def envelope(data, status_code=1000, message="Success"):
    return {"data": data, "status_code": status_code, "status_message": message, "timestamp": "2026-01-01T00:00:00Z"}


@dataclass
class FakePartner(BaseAdapter):
    """Accepts the tokens in `tokens` (clear text); records every request it got."""

    tokens: set[str] = field(default_factory=set)
    modules: tuple[str, ...] = ("credentials", "locations", "tokens", "commands")
    reachable: bool = True
    raw: bool = False
    # The token its credentials endpoint hands us when we register with it (its "token C").
    issued_token: str = "emsp-token-for-voltstack"
    received: list[requests.PreparedRequest] = field(default_factory=list)
    registered_with: dict | None = None
    # uid → the AuthorizationInfo it answers a real-time authorization with; other uids are 2004 (HTTP 404).
    authorizations: dict[str, dict | list] = field(default_factory=dict)
    slow: bool = False  # its real-time authorization times out

    def __post_init__(self):
        super().__init__()

    def presented_token(self, request) -> str:
        value = request.headers["Authorization"].removeprefix("Token ")
        return value if self.raw else base64.b64decode(value).decode()

    def send(self, request, **kwargs):
        self.received.append(request)
        if not self.reachable:
            raise requests.ConnectionError("connection refused")
        if self.presented_token(request) not in self.tokens:
            return self._answer(request, 401, envelope(None, 2000, "Unknown token"))
        if request.method == "POST" and request.url.startswith(TOKENS_URL + "/"):
            return self._authorize(request)
        if request.url == VERSIONS_URL:
            return self._answer(request, 200, envelope([{"version": "2.1.1", "url": f"{BASE}/ocpi/2.1.1"},
                                                        {"version": "2.2.1", "url": DETAILS_URL}]))  # fmt: skip
        if request.url == DETAILS_URL:
            endpoints = [
                {"identifier": module, "role": role, "url": f"{BASE}/ocpi/2.2.1/{module}"}
                for module in self.modules
                for role in (("SENDER", "RECEIVER") if module == "credentials" else ("RECEIVER",))
            ]
            return self._answer(request, 200, envelope({"version": "2.2.1", "endpoints": endpoints}))
        if request.url == CREDENTIALS_URL and request.method == "POST":
            self.registered_with = json.loads(request.body)
            self.tokens.add(self.issued_token)
            body = {"token": self.issued_token, "url": VERSIONS_URL, "roles": ROLES}
            return self._answer(request, 200, envelope(body))
        if request.url == CREDENTIALS_URL and request.method == "PUT":
            return self._update_credentials(request)
        if request.url == CREDENTIALS_URL and request.method == "DELETE":
            self.registered_with = None
            return self._answer(request, 200, envelope(None))
        return self._answer(request, 404, envelope(None, 2000, "Not found"))

    def authorize_requests(self) -> list[requests.PreparedRequest]:
        return [r for r in self.received if r.method == "POST" and r.url.startswith(TOKENS_URL + "/")]

    def _authorize(self, request):
        if self.slow:
            raise requests.Timeout("read timed out")
        uid = unquote(request.url.removeprefix(TOKENS_URL + "/").partition("/authorize")[0])
        info = self.authorizations.get(uid)
        if info is None:
            return self._answer(request, 404, envelope(None, 2004, "Unknown Token"))
        return self._answer(request, 200, envelope(info))

    def _update_credentials(self, request):
        """Our PUT of new credentials: it keeps them, and answers with its own token (unchanged)."""
        self.registered_with = json.loads(request.body)
        body = {"token": self.issued_token, "url": VERSIONS_URL, "roles": ROLES}
        return self._answer(request, 200, envelope(body))

    def _answer(self, request, status, body):
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass
