import base64

import pytest

from roaming import client
from roaming.models import Partner
from roaming.secrets import token_hash
from roaming.services import registration
from tests.roaming.fake_partner import BASE, FakePartner


@pytest.fixture
def emsp():
    """The fake eMSP, reachable at tests.roaming.fake_partner.BASE through our client's session."""
    partner = FakePartner(tokens={"token-b"})
    client.session.mount(BASE, partner)
    yield partner
    client.session.adapters.pop(BASE, None)


@pytest.fixture
def pending_partner(db):
    """A partner an operator issued a token A for: (partner, token A)."""
    partner = Partner.objects.create(name="Example eMSP")
    return partner, registration.issue_token_a(partner=partner)


def auth(token: str) -> dict[str, str]:
    """The header a 2.2.1 partner sends, as Django's test client takes it."""
    return {"HTTP_AUTHORIZATION": f"Token {base64.b64encode(token.encode()).decode()}"}


TOKEN_C = "token-c-of-the-emsp"


@pytest.fixture
def registered(db):
    """A registered eMSP calling us with the token C we issued it: the headers it sends."""
    Partner.objects.create(name="Registered eMSP", status=Partner.Status.REGISTERED, our_token_hash=token_hash(TOKEN_C))
    return auth(TOKEN_C)
