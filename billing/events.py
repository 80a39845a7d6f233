"""Lifecycle events of billing, for the layers above (roaming sends a sealed session's CDR and pushes tariffs).

Published through csms.lifecycle once the change commits; subscribers are registered in their app's
AppConfig.ready(), and billing never imports them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from csms import lifecycle


@dataclass(frozen=True)
class ChargeDetailRecordSealed:
    """A stopped session's charge detail record is sealed: its totals are final.

    Published each time the seal step runs for a session that has a record (a resumed chain runs it again),
    so a subscriber acts once per record, keyed by `record_id`, and never misses one to a crash between the
    seal and the publish."""

    transaction_id: int
    record_id: int


@dataclass(frozen=True)
class TariffChanged:
    """A tariff was created, edited (its elements and prices too), assigned elsewhere or deleted.

    Subscribers read the tariff's current state themselves: it may now be published or not, or be gone."""

    tariff_pk: int
    tariff_id: str
    # The locations where the change moved which tariff a connector charges (an assignment added, moved or
    # removed); empty when only what the tariff charges changed.
    location_ids: tuple[int, ...] = ()


def tariff_changed(*, tariff_pk: int, tariff_id: str, location_ids: Iterable[int] = ()) -> None:
    """Announce, after commit, that what the tariff charges or where it applies changed."""
    lifecycle.publish(TariffChanged(tariff_pk=tariff_pk, tariff_id=tariff_id, location_ids=tuple(sorted(location_ids))))
