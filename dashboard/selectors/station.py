"""What one station's page shows: its header, EVSEs with the session running on each, the power of
those sessions over time, what it reported lately, its OCPP frames, and the admin's commands for it.

Live figures come from what the write side stored: the latest readings and the running cost on the
transaction (priced by billing once per batch of readings), so a page refreshed on every nudge
re-prices nothing. Power over time is read from the meter values: the sampled Power.Active.Import,
or, for a charger that samples only its energy register, the power its register's rises imply.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Length, Substr
from django.http import HttpRequest

from csms.ocpp.models import OcppMessage
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT
from sessions.models import MeterValue, Transaction
from stations.admin.commands import offered_to
from stations.models import ChargingStation, Connector, StatusEvent
from stations.selectors.connections import station_online
from stations.selectors.status import StationState, station_state

RECENT_ROWS = 50  # status events and OCPP frames listed
POWER_POINTS = 720  # a chart's points per session: two hours of 10 s samples
PAYLOAD_SHOWN = 4000  # characters of a frame shown; the admin's message log has all of it
# The meter that measures what the EV gets: the outlet (OCPP's default location, also when left out).
OUTLET = ("", "Outlet")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class RunningSession:
    """The session on one EVSE, with the figures an operator watches."""

    transaction_id: int
    power_w: int | None
    energy_wh: int | None
    soc_percent: int | None
    cost: Money | None
    driver: str  # the account's e-mail; empty for a card nobody owns
    id_token: str
    started_at: datetime
    power: list[tuple[datetime, int]]

    @property
    def power_kw(self) -> Decimal | None:
        return None if self.power_w is None else Decimal(self.power_w) / 1000

    @property
    def energy_kwh(self) -> Decimal | None:
        return None if self.energy_wh is None else Decimal(self.energy_wh) / 1000


@dataclass(frozen=True)
class EvseView:
    number: int
    connectors: list[Connector]
    session: RunningSession | None


@dataclass(frozen=True)
class StationPage:
    station: ChargingStation
    state: StationState
    online: bool
    time_zone: ZoneInfo
    evses: list[EvseView]

    @property
    def since(self) -> datetime | None:
        """When the station came online, or went offline."""
        return self.station.connected_at if self.online else self.station.disconnected_at

    @property
    def heartbeat_iso(self) -> str | None:
        """For the page's ticking "last heartbeat N s ago"."""
        return iso(self.station.last_heartbeat_at)

    @property
    def sessions(self) -> list[tuple[int, RunningSession]]:
        return [(evse.number, evse.session) for evse in self.evses if evse.session is not None]


def iso(moment: datetime | None) -> str | None:
    """UTC, to the second: what every browser's Date.parse reads."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def station_page(*, station_id: int) -> StationPage | None:
    """The station's live state, or None for an unknown id."""
    station = (
        ChargingStation.objects.select_related("location")
        .prefetch_related("evses__connectors")
        .filter(pk=station_id)
        .first()
    )
    if station is None:
        return None
    running = _running_sessions(station_id)
    evses = [
        EvseView(number=evse.number, connectors=list(evse.connectors.all()), session=running.get(evse.number))
        for evse in station.evses.all()
    ]
    return StationPage(
        station=station,
        state=station_state(station=station),
        online=station_online(station=station),
        time_zone=_time_zone(station),
        evses=evses,
    )


def _time_zone(station: ChargingStation) -> ZoneInfo:
    """The site's time zone, in which its operators read times; the network's for a station without a site."""
    name = station.location.time_zone if station.location else settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _running_sessions(station_id: int) -> dict[int, RunningSession]:
    """The active transaction of each EVSE (the newest, should a charger have left an older one open)."""
    running: dict[int, RunningSession] = {}
    transactions = (
        Transaction.objects.filter(station_id=station_id, status=Transaction.Status.ACTIVE)
        .select_related("connector__evse", "id_tag__owner", "driver_session__driver")
        .order_by("started_at")
    )
    for tx in transactions:
        running[tx.connector.evse.number] = _running_session(tx)
    return running


def _running_session(tx: Transaction) -> RunningSession:
    power = power_series(transaction_id=tx.pk)
    power_now = tx.last_power_w
    if power_now is None and power:  # no power sampled: what the register's last rise implies
        power_now = power[-1][1]
    return RunningSession(
        transaction_id=tx.pk,
        power_w=power_now,
        energy_wh=tx.energy_wh,
        soc_percent=tx.last_soc_percent,
        cost=Money(tx.cost_incl_vat, tx.cost_currency) if tx.cost_currency and tx.cost_incl_vat is not None else None,
        driver=_driver_email(tx),
        id_token=tx.id_tag_value,
        started_at=tx.started_at,
        power=power,
    )


def _driver_email(tx: Transaction) -> str:
    """Whose session it is: the card's owner, or the app user who started it."""
    if tx.id_tag is not None and tx.id_tag.owner is not None:
        return tx.id_tag.owner.email
    driver_session = getattr(tx, "driver_session", None)
    return driver_session.driver.email if driver_session is not None else ""


def power_series(*, transaction_id: int) -> list[tuple[datetime, int]]:
    """The session's power in W over time, oldest first: the last POWER_POINTS of it."""
    outlet = MeterValue.objects.filter(transaction_id=transaction_id, phase="", location__in=OUTLET)
    sampled = list(
        outlet.filter(measurand=POWER_IMPORT).order_by("-timestamp").values_list("timestamp", "value")[:POWER_POINTS]
    )
    if sampled:
        return [(at, int(value)) for at, value in reversed(sampled)]
    register = list(
        outlet.filter(measurand=ENERGY_REGISTER)
        .order_by("-timestamp")
        .values_list("timestamp", "value")[: POWER_POINTS + 1]
    )
    return _power_from_register(list(reversed(register)))


def _power_from_register(readings: list[tuple[datetime, Decimal]]) -> list[tuple[datetime, int]]:
    """Mean power between consecutive register readings (Wh → W), at the later one. A fall (a meter
    reset) implies no power: that interval is left out rather than drawn negative."""
    points = []
    for (before, wh_before), (after, wh_after) in zip(readings, readings[1:], strict=False):
        seconds = (after - before).total_seconds()
        if seconds > 0 and wh_after >= wh_before:
            points.append((after, int((wh_after - wh_before) * 3600 / Decimal(seconds))))
    return points


def status_events(*, station_id: int) -> QuerySet[StatusEvent]:
    """The station's latest status reports, newest first, each with its connector and EVSE."""
    return StatusEvent.objects.filter(station_id=station_id).select_related("connector__evse")[:RECENT_ROWS]


def message_log(*, charge_point_id: str) -> QuerySet[OcppMessage]:
    """The station's latest OCPP frames, newest first, each payload cut at PAYLOAD_SHOWN characters
    (a frame may be 256 KiB; the admin's log shows it whole)."""
    return (
        OcppMessage.objects.filter(charge_point_id=charge_point_id)
        .defer("payload")
        .annotate(payload_head=Substr("payload", 1, PAYLOAD_SHOWN), payload_length=Length("payload"))
        .order_by("-created_at", "-id")[:RECENT_ROWS]
    )


@dataclass(frozen=True)
class StationCommand:
    name: str  # the admin action's name
    label: str
    allowed: bool  # whether the admin runs it for this user

    @property
    def immediate(self) -> bool:
        """Sent at the press, with no form of the admin's to fill in first (those end in "…")."""
        return not self.label.endswith("…")


def station_commands(*, request: HttpRequest, station: ChargingStation) -> list[StationCommand]:
    """The charger commands of the stations' admin, read from its own action registry so that a new
    admin command shows up here too; each allowed when the admin would offer it to this user.

    Only actions that command a charger (`permissions=["command"]`) are listed: deleting, accepting
    or rejecting stations are the changelist's bulk business, not one station's page's. Commands of
    another OCPP version than the station's are left out (a 1.6 charger has no GetVariables)."""
    station_admin = admin.site.get_model_admin(ChargingStation)
    offered = station_admin.get_actions(request)
    commands = []
    for action in station_admin.actions or []:
        found = station_admin.get_action(action)
        if found is None:
            continue
        func, name, description = found
        if tuple(getattr(func, "allowed_permissions", ())) == ("command",) and offered_to(func, station.ocpp_version):
            commands.append(StationCommand(name=name, label=str(description), allowed=name in offered))
    return commands
