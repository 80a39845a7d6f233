"""Lifecycle events of billing, for the layers above (roaming pushes tariffs to its partners).

Published through csms.lifecycle once the change commits; subscribers register
in their app's AppConfig.ready().
"""

from dataclasses import dataclass

from csms import lifecycle


@dataclass(frozen=True)
class TariffChanged:
    """A tariff was created, edited (its elements and prices too), assigned elsewhere or deleted.

    Subscribers read the tariff's current state themselves: it may now be published or not, or be gone."""

    tariff_pk: int
    tariff_id: str


def tariff_changed(*, tariff_pk: int, tariff_id: str) -> None:
    """Announce, after commit, that what the tariff charges or where it applies changed."""
    lifecycle.publish(TariffChanged(tariff_pk=tariff_pk, tariff_id=tariff_id))
