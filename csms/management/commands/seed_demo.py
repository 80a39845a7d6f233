"""Demo data for a newcomer's first `make run`; safe to run again.

The demo operator gets a random password when it is created, printed this
once and kept nowhere in plain text (DEMO_OPERATOR_PASSWORD chooses one
instead); running again never resets it. Each demo station has its own RFID
card, `<station>-TAG`, which is what `manage.py simulate` presents by default.
"""

import os
import secrets
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.models import BillingAccount, InvoiceIssuer, PriceComponent, Tariff, TariffAssignment, TariffElement
from sessions.models import AuthorizationStatus, IdTag
from stations.models import ChargingStation, ConnectorType, DataTransferVendor, Location
from stations.services.connections import provision_station

DEMO_STATION_PASSWORD = "demo-station-password"
DEMO_STATIONS = [("DEMO-0001", 2, 22_000), ("DEMO-0002", 2, 22_000), ("DEMO-0003", 1, 150_000)]
OPERATOR = "operator"
# The demo fleet `make run` simulates so the dashboard moves (DEMO_FLEET=0 turns it off): prefix,
# stations, EVSEs each, OCPP version, and the site they stand at. Their cards are `<station>-TAG` too.
DEMO_FLEET = [
    ("FLEET-", 4, 2, "1.6", ("Voltstack Demo Park", "Tempelhofer Damm 1", "12101", "52.473000", "13.403000")),
    ("MALL-", 3, 2, "2.0.1", ("Voltstack Demo Mall", "Schönhauser Allee 80", "10439", "52.545000", "13.412000")),
]


def fleet_station_ids() -> list[str]:
    return [f"{prefix}{n:04d}" for prefix, count, _, _, _ in DEMO_FLEET for n in range(1, count + 1)]


def station_tag(charge_point_id: str) -> str:
    """The demo card of one station: the simulator's default `--id-tag {station}-TAG`."""
    return f"{charge_point_id}-TAG"


class Command(BaseCommand):
    help = "Create a demo location with stations, an operator login, a demo driver and id tags."

    def handle(self, *args, **options) -> None:
        operator_login = self._operator()
        driver = self._driver()
        location, _ = Location.objects.get_or_create(
            name="Voltstack Demo Depot",
            defaults={
                "address": "Friedrichstraße 1",
                "city": "Berlin",
                "postal_code": "10117",
                "country": "DEU",
                "latitude": Decimal("52.520008"),
                "longitude": Decimal("13.404954"),
                "time_zone": "Europe/Berlin",
            },
        )
        for charge_point_id, evses, power in DEMO_STATIONS:
            if not ChargingStation.objects.filter(charge_point_id=charge_point_id).exists():
                station = provision_station(
                    charge_point_id=charge_point_id,
                    password=DEMO_STATION_PASSWORD,
                    location=location,
                    evse_count=evses,
                    max_power_w=power,
                )
                if power > 50_000:
                    for evse in station.evses.all():
                        evse.connectors.update(standard=ConnectorType.TYPE2_CABLE)
        self._fleet()
        self._id_tags(driver)
        self._tariff(location)
        self._invoice_issuer()
        DataTransferVendor.objects.get_or_create(vendor_id="com.voltstack.demo", message_id="")
        self.stdout.write(operator_login)
        self.stdout.write(
            f"demo stations: {', '.join(s for s, _, _ in DEMO_STATIONS)} (password {DEMO_STATION_PASSWORD})"
        )
        fleet = ", ".join(f"{prefix}0001..{prefix}{count:04d} (OCPP {v})" for prefix, count, _, v, _ in DEMO_FLEET)
        self.stdout.write(f"demo fleet that `make run` simulates: {fleet}")
        cards = ", ".join(station_tag(s) for s, _, _ in DEMO_STATIONS)
        self.stdout.write(
            f"demo id tags: {cards} (one per station), DEMO-TAG-001 (accepted), DEMO-TAG-BLOCKED, DEMO-TAG-EXPIRED"
        )

    def _fleet(self) -> None:
        for prefix, count, evses, _, (name, address, postal_code, latitude, longitude) in DEMO_FLEET:
            site, _ = Location.objects.get_or_create(
                name=name,
                defaults={
                    "address": address,
                    "city": "Berlin",
                    "postal_code": postal_code,
                    "country": "DEU",
                    "latitude": Decimal(latitude),
                    "longitude": Decimal(longitude),
                    "time_zone": "Europe/Berlin",
                },
            )
            for number in range(1, count + 1):
                charge_point_id = f"{prefix}{number:04d}"
                if not ChargingStation.objects.filter(charge_point_id=charge_point_id).exists():
                    provision_station(
                        charge_point_id=charge_point_id,
                        password=DEMO_STATION_PASSWORD,
                        location=site,
                        evse_count=evses,
                        max_power_w=22_000,
                    )

    def _operator(self) -> str:
        """Create the operator once; the line that tells its login (the password only when we made it up)."""
        User = get_user_model()
        if User.objects.filter(username=OPERATOR).exists():
            return (
                f"operator login: {OPERATOR} (password unchanged; `manage.py changepassword {OPERATOR}` sets a new one)"
            )
        chosen = os.environ.get("DEMO_OPERATOR_PASSWORD")
        password = chosen or secrets.token_urlsafe(12)
        User.objects.create_superuser(OPERATOR, "operator@example.com", password)
        if chosen:
            return f"operator login: {OPERATOR} / the password in DEMO_OPERATOR_PASSWORD"
        return f"operator login: {OPERATOR} / {password}  (shown this once: note it down)"

    def _driver(self):
        """The demo driver is billed monthly by invoice, so the demo charges without reaching Stripe."""
        User = get_user_model()
        driver, created = User.objects.get_or_create(
            username="driver@example.com", defaults={"email": "driver@example.com"}
        )
        if created:
            driver.set_password("voltstack-driver")
            driver.save()
        BillingAccount.objects.get_or_create(
            driver=driver,
            defaults={
                "pays_by_invoice": True,
                "name": "Demo Fleet GmbH",
                "address": "Fleet Street 7\n10115 Berlin\nGermany",
            },
        )
        return driver

    def _invoice_issuer(self) -> None:
        """Invoices name their issuer's legal name, address and VAT id; the operator edits them in the admin."""
        InvoiceIssuer.objects.get_or_create(
            is_default=True,
            defaults={
                "name": "Voltstack Demo GmbH",
                "address": "Friedrichstraße 1\n10117 Berlin\nGermany",
                "vat_id": "DE000000000",
            },
        )

    def _tariff(self, location: Location) -> None:
        """At every demo site: 0.35 EUR/kWh and, after the car is full, 6 EUR/h for blocking the bay (plus 19 % VAT)."""
        tariff, created = Tariff.objects.get_or_create(tariff_id="DEMO-AC", defaults={"currency": "EUR"})
        if created:
            element = TariffElement.objects.create(tariff=tariff, position=0)
            PriceComponent.objects.create(
                element=element, type="ENERGY", price=Decimal("0.35"), vat=Decimal("19"), step_size=1
            )
            PriceComponent.objects.create(
                element=element, type="PARKING_TIME", price=Decimal("6.00"), vat=Decimal("19"), step_size=60
            )
            TariffAssignment.objects.create(tariff=tariff, location=location)
        for _, _, _, _, (name, *_) in DEMO_FLEET:
            TariffAssignment.objects.get_or_create(tariff=tariff, location=Location.objects.get(name=name))

    def _id_tags(self, driver) -> None:
        for charge_point_id in [s for s, _, _ in DEMO_STATIONS] + fleet_station_ids():
            IdTag.objects.get_or_create(id_tag=station_tag(charge_point_id), defaults={"owner": driver})
        IdTag.objects.get_or_create(id_tag="DEMO-TAG-001", defaults={"owner": driver})
        IdTag.objects.get_or_create(
            id_tag="DEMO-APP-001",
            defaults={
                "owner": driver,
                "token_type": IdTag.TokenType.APP,
                "id_token_type": IdTag.IdTokenType.CENTRAL,
                "allow_concurrent_transactions": True,
            },
        )
        IdTag.objects.get_or_create(id_tag="DEMO-TAG-BLOCKED", defaults={"status": AuthorizationStatus.BLOCKED})
        IdTag.objects.get_or_create(
            id_tag="DEMO-TAG-EXPIRED", defaults={"expires_at": timezone.now() - timedelta(days=1)}
        )
