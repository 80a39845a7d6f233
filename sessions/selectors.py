"""Reads for the drivers' API (a driver sees only their own sessions and tokens), and of tokens others issued."""

from django.db.models import QuerySet

from sessions.charging_needs import Needs, Source
from sessions.models import DriverSession, EvChargingNeeds, IdTag


def driver_sessions(*, driver) -> QuerySet[DriverSession]:
    return DriverSession.objects.filter(driver=driver).select_related(
        "station", "connector__evse", "transaction__id_tag"
    )


def id_token_types(*, id_tags: list[str]) -> dict[str, str]:
    """The OCPP 2.0.1 type of each id tag, as stored; a tag we do not know is one the CSMS
    vouches for itself (Central), like a token an operator types into a remote start."""
    stored = dict(IdTag.objects.filter(id_tag__in=id_tags).values_list("id_tag", "id_token_type"))
    return {tag: stored.get(tag, IdTag.IdTokenType.CENTRAL) for tag in id_tags}


def driver_id_tokens(*, driver) -> QuerySet[IdTag]:
    return IdTag.objects.filter(owner=driver).order_by("created_at", "pk")


def issued_token(*, issuer_party: str, id_tag: str) -> IdTag | None:
    """A token the party named "CC*PID" issued, by its uid; None when that party issued none with it."""
    return IdTag.objects.filter(issuer_party=issuer_party, id_tag=id_tag).first()


def charging_needs(transaction_ids) -> dict[int, Needs]:
    """The needs of each transaction someone told anything about (the driver through the app, or the car);
    a transaction nobody told of is left out. The driver's word wins over the car's, field by field."""
    ids = list(transaction_ids)
    drivers = {
        row["transaction_id"]: row
        for row in DriverSession.objects.filter(transaction_id__in=ids).values(
            "transaction_id", "departure_at", "energy_wanted_wh"
        )
    }
    cars = {row.transaction_id: row for row in EvChargingNeeds.objects.filter(transaction_id__in=ids)}
    needs = {}
    for tx_id in ids:
        driver, car = drivers.get(tx_id, {}), cars.get(tx_id)
        departure = _first((driver.get("departure_at"), Source.DRIVER), (car and car.departure_at, Source.CAR))
        energy = _first((driver.get("energy_wanted_wh"), Source.DRIVER), (car and car.energy_wh, Source.CAR))
        if car is None and departure[1] is None and energy[1] is None:
            continue
        needs[tx_id] = Needs(
            departure_at=departure[0],
            departure_source=departure[1],
            energy_wh=energy[0],
            energy_source=energy[1],
            energy_transfer=car and car.energy_transfer,
            min_current_a=car and car.min_current_a,
            max_current_a=car and car.max_current_a,
            max_power_w=car and car.max_power_w,
        )
    return needs


def _first(*told):
    """The first (value, source) whose value is known; (None, None) when none is."""
    return next(((value, source) for value, source in told if value is not None), (None, None))
