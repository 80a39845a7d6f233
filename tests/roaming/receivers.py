"""A fake eMSP with receivers for every module it lists: each call under /ocpi/2.2.1/<module>/ is answered
1000 and kept, so a test reads what a partner received (method, path under the module, body)."""

import json

import pytest
import requests

from roaming import client
from tests.roaming.fake_partner import BASE, FakePartner, envelope

MODULES_URL = f"{BASE}/ocpi/2.2.1/"


class Receivers(FakePartner):
    def send(self, request, **kwargs):
        module, _, rest = request.url.removeprefix(MODULES_URL).partition("/")
        if not request.url.startswith(MODULES_URL) or not rest or module == "credentials":
            return super().send(request, **kwargs)
        self.received.append(request)
        if not self.reachable:
            raise requests.ConnectionError("connection refused")
        return self._answer(request, 200, envelope(None))

    def calls(self, module: str) -> list[tuple[str, str, dict | None]]:
        prefix = f"{MODULES_URL}{module}/"
        return [
            (r.method, r.url.removeprefix(prefix), json.loads(r.body) if r.body else None)
            for r in self.received
            if r.url.startswith(prefix)
        ]


@pytest.fixture
def receivers():
    fake = Receivers(tokens={"emsp-token", "token-b"}, modules=("credentials", "locations", "tariffs"))
    client.session.mount(BASE, fake)
    yield fake
    client.session.adapters.pop(BASE, None)
