"""A priced site, two partners and their tokens, and sessions as the CSMS stores them, for the Sessions and
CDRs senders' tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from roaming.models import Partner
from roaming.secrets import encrypt, token_hash
from sessions.models import IdTag, MeterValue, Transaction
from stations.models import Location
from stations.services.connections import provision_station
from tests.roaming.fake_partner import BASE

START = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
TOKEN_C = "token-c-of-the-emsp"
OTHER_TOKEN_C = "token-c-of-another-emsp"


def site():
    """A site with a two-EVSE station and a tariff: 0.50 flat (20 % VAT), 0.25/kWh (10 % VAT)."""
    location = Location.objects.create(
        name="Depot", address="Hauptstr. 1", city="Berlin", postal_code="10115", latitude=52.5, longitude=13.4
    )
    station = provision_station(charge_point_id="CP-OCPI", password="a-long-station-password", location=location,
                                evse_count=2)  # fmt: skip
    tariff = Tariff.objects.create(tariff_id="STD")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("0.50"), step_size=1, vat=Decimal(20))
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.25"), step_size=1, vat=Decimal(10))
    TariffAssignment.objects.create(tariff=tariff, location=location)
    return station


def partner(name: str, token_c: str, *, country_code: str, party_id: str, roles=()) -> Partner:
    return Partner.objects.create(
        name=name,
        status=Partner.Status.REGISTERED,
        country_code=country_code,
        party_id=party_id,
        roles=list(roles),
        our_token_hash=token_hash(token_c),
        their_token_encrypted=encrypt(f"token-for-{name}"),
        endpoints={m: {"RECEIVER": f"{BASE}/ocpi/2.2.1/{m}"} for m in ("credentials", "sessions", "cdrs")},
    )


def token(uid: str, issuer: str, **fields) -> IdTag:
    return IdTag.objects.create(id_tag=uid, issuer_party=issuer, contract_id=f"{uid}-C", issuer_name="eMSP", **fields)


def stored_session(station, tag: IdTag, *, n: int = 0, minutes: int = 60, kwh: int = 20, stopped=True) -> Transaction:
    """A session of `kwh` charged evenly over `minutes` on EVSE 1, the n-th hour after START."""
    start = START + timedelta(hours=n)
    connector = station.evses.get(number=1).connectors.get()
    tx = Transaction.objects.create(
        station=station,
        connector=connector,
        id_tag=tag,
        id_tag_value=tag.id_tag,
        authorization_status="Accepted",
        started_at=start,
        stopped_at=start + timedelta(minutes=minutes) if stopped else None,
        status=Transaction.Status.COMPLETED if stopped else Transaction.Status.ACTIVE,
        meter_start_wh=1_000_000,
        meter_stop_wh=1_000_000 + kwh * 1000 if stopped else None,
        last_meter_wh=1_000_000 + kwh * 500,
    )
    for part in (1, 2) if stopped else (1,):
        MeterValue.objects.create(
            station=station,
            connector=connector,
            transaction=tx,
            timestamp=start + timedelta(minutes=minutes * part / 2),
            measurand="Energy.Active.Import.Register",
            value=Decimal(1_000_000 + kwh * 500 * part),
            raw_value=str(1_000_000 + kwh * 500 * part),
        )
    return tx
