"""OCPI 2.2.1 pagination of a sender's list: the query parameters and the headers that answer them.

`date_from` (inclusive) and `date_to` (exclusive) bound `last_updated`; `offset` and `limit` pick the page,
`limit` capped by the setting OCPI_PAGE_LIMIT, the cap we apply told in X-Limit. X-Total-Count counts
everything the filters let through, and `Link: <...>; rel="next"` is the next page with the same filters,
absent on the last page. Malformed parameters are the partner's error (2001), never a 500.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from roaming.envelope import INVALID_PARAMETERS, OcpiError


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None
    # The filters as the partner wrote them, carried unchanged into the next page's link.
    filters: dict[str, str]


def page_request(request: HttpRequest) -> PageRequest:
    """The list parameters of `request`; a malformed one raises OcpiError 2001."""
    params = request.GET
    filters = {name: params[name] for name in ("date_from", "date_to") if params.get(name)}
    return PageRequest(
        offset=_count(params.get("offset"), "offset", default=0, minimum=0),
        limit=min(
            _count(params.get("limit"), "limit", default=settings.OCPI_PAGE_LIMIT, minimum=1), settings.OCPI_PAGE_LIMIT
        ),
        date_from=_moment(filters.get("date_from"), "date_from"),
        date_to=_moment(filters.get("date_to"), "date_to"),
        filters=filters,
    )


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    headers: dict[str, str]

    def apply(self, response: HttpResponse) -> HttpResponse:
        for name, value in self.headers.items():
            response[name] = value
        return response


def paginate(request: HttpRequest, queryset: QuerySet, page: PageRequest) -> Page:
    """One page of `queryset` (already filtered and ordered) and its headers."""
    total = queryset.count()
    items = list(queryset[page.offset : page.offset + page.limit])
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    if page.offset + page.limit < total:
        query = urlencode({**page.filters, "offset": page.offset + page.limit, "limit": page.limit})
        headers["Link"] = f'<{settings.OCPI_BASE_URL}{request.path}?{query}>; rel="next"'
    return Page(items=items, headers=headers)


def _count(value: str | None, name: str, *, default: int, minimum: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise OcpiError(INVALID_PARAMETERS, f"{name} must be a whole number") from None
    if number < minimum:
        raise OcpiError(INVALID_PARAMETERS, f"{name} must be at least {minimum}")
    return number


def _moment(value: str | None, name: str) -> datetime | None:
    """An OCPI DateTime; one without a zone is UTC, as OCPI's times all are."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise OcpiError(INVALID_PARAMETERS, f"{name} is not an ISO 8601 date and time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
