"""The tariffs partners see, and which of them each connector charges (billing decides both)."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from billing.models import Tariff
from billing.selectors import general_tariffs, published_tariffs


def roaming_tariffs(*, date_from: datetime | None = None, date_to: datetime | None = None) -> QuerySet[Tariff]:
    """billing's published tariffs whose last_updated is in [date_from, date_to), oldest pk first."""
    queryset = published_tariffs()
    if date_from is not None:
        queryset = queryset.filter(updated_at__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(updated_at__lt=date_to)
    return queryset


def connector_tariff_ids(*, connector_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per connector pk, the OCPI ids of the tariffs it charges every driver now (OCPI's Connector.tariff_ids)."""
    return {pk: [tariff.tariff_id] for pk, tariff in general_tariffs(connector_ids=connector_ids).items()}
