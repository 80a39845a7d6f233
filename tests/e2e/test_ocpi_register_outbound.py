"""An operator registers us with the independent eMSP, given its versions URL and a token A it issued:
the partner checks our versions with the token we send before it answers our POST, so that token must
work from the moment it is sent; afterwards the partner uses it to pull our locations."""

import pytest
from asgiref.sync import sync_to_async

from roaming.models import Partner
from roaming.services import registration
from stations.models import Location
from stations.services.connections import provision_station

pytestmark = pytest.mark.e2e

TOKEN_A = "token-a-the-emsp-issued-for-us"


async def test_we_register_with_the_partner_and_it_calls_us_back_with_our_token(ocpi_server, ocpi_partner, settings):
    settings.OCPI_BASE_URL = ocpi_server.http_url  # the admin's process sends the server's own URL
    location = await sync_to_async(Location.objects.create)(name="Depot", latitude=52.52, longitude=13.405)
    await sync_to_async(provision_station)(charge_point_id="CP-OUT", password="a-long-password", location=location)
    await ocpi_partner.acontrol("POST", "/token_a", {"token": TOKEN_A})

    partner = await sync_to_async(registration.register_with_partner)(
        name="Partner eMSP", versions_url=ocpi_partner.versions_url, token_a=TOKEN_A
    )

    assert (partner.status, partner.country_code, partner.party_id) == (Partner.Status.REGISTERED, "NL", "EMS")
    # The partner's callback to our versions, made while our POST waited, was served with our new token.
    stored = await sync_to_async(Partner.objects.get)(pk=partner.pk)
    assert stored.our_token_hash and not stored.pending_token_hash
    pulled = await ocpi_partner.acontrol("GET", "/pull/locations")
    assert pulled["pages"][0]["status_code"] == 1000 and pulled["errors"] == [] and pulled["ids"] == [str(location.pk)]
