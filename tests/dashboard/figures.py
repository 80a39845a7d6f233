"""Built fixtures for the figures' tests (overview, analytics, rollups): stations, sessions, CDRs, statuses."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from billing.models import ChargeDetailRecord
from sessions.models import AuthorizationStatus, Transaction
from stations.models import ChargingStation, Connector, StatusEvent
from stations.services.connections import provision_station


def station(charge_point_id: str, *, evses: int = 1, online: bool = True, created_at: datetime | None = None, **fields):
    made = provision_station(charge_point_id=charge_point_id, password="figures-station-pw", evse_count=evses)
    changes = {"connection_channel": f"proc!{charge_point_id}" if online else "", **fields}
    if created_at is not None:
        changes["created_at"] = created_at
    ChargingStation.objects.filter(pk=made.pk).update(**changes)
    made.refresh_from_db()
    return made


def connectors(made: ChargingStation) -> list[Connector]:
    return list(Connector.objects.filter(evse__station=made).order_by("evse__number"))


def session(made: ChargingStation, *, start: datetime, stop: datetime | None, wh: int, evse: int = 1, power_w=None):
    connector = Connector.objects.get(evse__station=made, evse__number=evse)
    return Transaction.objects.create(
        station=made,
        connector=connector,
        id_tag_value="FIG-TAG",
        authorization_status=AuthorizationStatus.ACCEPTED,
        status=Transaction.Status.COMPLETED if stop else Transaction.Status.ACTIVE,
        meter_start_wh=1_000,
        meter_stop_wh=1_000 + wh if stop else None,
        last_meter_wh=1_000 + wh,
        last_power_w=power_w,
        started_at=start,
        stopped_at=stop,
    )


def cdr(tx: Transaction, *, amount: str, currency: str = "EUR") -> ChargeDetailRecord:
    money = Decimal(amount)
    zero = Decimal(0)
    return ChargeDetailRecord.objects.create(
        transaction=tx,
        tariff_snapshot={},
        currency=currency,
        start_date_time=tx.started_at,
        end_date_time=tx.stopped_at,
        total_cost_excl_vat=money,
        total_cost_incl_vat=money * Decimal("1.19"),
        total_fixed_cost_excl_vat=zero,
        total_fixed_cost_incl_vat=zero,
        total_energy_wh=tx.energy_wh,
        total_energy_cost_excl_vat=money,
        total_energy_cost_incl_vat=money * Decimal("1.19"),
        total_time=tx.stopped_at - tx.started_at,
        total_time_cost_excl_vat=zero,
        total_time_cost_incl_vat=zero,
        total_parking_time=timedelta(0),
        total_parking_cost_excl_vat=zero,
        total_parking_cost_incl_vat=zero,
        total_reservation_cost_excl_vat=zero,
        total_reservation_cost_incl_vat=zero,
        charging_periods=[],
    )


def status(made: ChargingStation, connector: Connector | None, status: str, previous: str, at: datetime):
    return StatusEvent.objects.create(
        station=made, connector=connector, status=status, previous_status=previous, timestamp=at
    )


def staff(username: str, *, group: str | None = None, permissions: tuple[str, ...] = ()):
    user = get_user_model().objects.create_user(username=username, password="figures-pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    for label in permissions:
        app_label, codename = label.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user
