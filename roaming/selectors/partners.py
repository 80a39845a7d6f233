"""What operators see of each OCPI partner: its parties, endpoints, push queue and recent requests.

Every figure of the list is a subquery of one partner query, plus one query for the last requests
they point at, so the page costs the same few queries for three partners or three hundred.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from roaming.models import Partner, Push, RequestLog

ERROR_WINDOW = timedelta(hours=24)
RECENT_REQUESTS = 50
RECENT_FAILED_PUSHES = 20
OCPI_SUCCESS = 1000
BODIES = ("request_body", "response_body")  # the pages link to the admin for them


@dataclass(frozen=True)
class Party:
    role: str
    country_code: str
    party_id: str


@dataclass(frozen=True)
class Endpoint:
    module: str
    role: str
    url: str


@dataclass(frozen=True)
class PartnerSummary:
    partner: Partner
    parties: list[Party]
    endpoints: list[Endpoint]
    pending: int
    failed: int
    oldest_pending_at: datetime | None
    oldest_pending_age: timedelta | None
    last_error: str
    last_in: RequestLog | None
    last_out: RequestLog | None
    errors_24h: int

    @property
    def modules(self) -> list[str]:
        """Each module with the roles it has endpoints for, as "locations (RECEIVER)"."""
        roles: dict[str, list[str]] = {}
        for endpoint in self.endpoints:
            roles.setdefault(endpoint.module, []).append(endpoint.role)
        return [f"{module} ({', '.join(sorted(r))})" for module, r in sorted(roles.items())]


def failed_request() -> Q:
    """A request that went wrong: an error of ours (no answer, unreadable), an HTTP error or an OCPI status
    other than 1000 (2xxx client errors, 3xxx server errors)."""
    return (
        ~Q(error="") | Q(http_status__gte=400) | (Q(ocpi_status_code__isnull=False) & ~Q(ocpi_status_code=OCPI_SUCCESS))
    )


def _count(queryset: QuerySet) -> Coalesce:
    """A per-partner count as a subquery (counting through joins would multiply pushes by requests)."""
    counted = queryset.order_by().values("partner_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _annotated(partners: QuerySet[Partner], *, now: datetime) -> QuerySet[Partner]:
    pushes = Push.objects.filter(partner_id=OuterRef("pk"))
    requests = RequestLog.objects.filter(partner_id=OuterRef("pk"))
    latest = ("-created_at", "-id")
    return partners.annotate(
        pending_count=_count(pushes.filter(state=Push.State.PENDING)),
        failed_count=_count(pushes.filter(state=Push.State.FAILED)),
        oldest_pending_at=Subquery(pushes.filter(state=Push.State.PENDING).order_by("id").values("created_at")[:1]),
        last_push_error=Subquery(
            pushes.filter(state__in=[Push.State.PENDING, Push.State.FAILED])
            .exclude(last_error="")
            .order_by("-id")
            .values("last_error")[:1]
        ),
        last_in_id=Subquery(requests.filter(direction=RequestLog.Direction.IN).order_by(*latest).values("id")[:1]),
        last_out_id=Subquery(requests.filter(direction=RequestLog.Direction.OUT).order_by(*latest).values("id")[:1]),
        errors_24h=_count(requests.filter(failed_request(), created_at__gte=now - ERROR_WINDOW)),
    )


def _parties(partner: Partner) -> list[Party]:
    return [
        Party(
            role=str(r.get("role", "")),
            country_code=str(r.get("country_code", "")),
            party_id=str(r.get("party_id", "")),
        )
        for r in partner.roles
        if isinstance(r, dict)
    ]


def _endpoints(partner: Partner) -> list[Endpoint]:
    return [
        Endpoint(module=module, role=role, url=url)
        for module, roles in sorted(partner.endpoints.items())
        if isinstance(roles, dict)
        for role, url in sorted(roles.items())
    ]


def _summaries(partners: QuerySet[Partner]) -> list[PartnerSummary]:
    now = timezone.now()
    rows = list(_annotated(partners, now=now))
    request_ids = {pk for row in rows for pk in (row.last_in_id, row.last_out_id) if pk is not None}
    last = RequestLog.objects.defer(*BODIES).in_bulk(request_ids) if request_ids else {}
    return [
        PartnerSummary(
            partner=row,
            parties=_parties(row),
            endpoints=_endpoints(row),
            pending=row.pending_count,
            failed=row.failed_count,
            oldest_pending_at=row.oldest_pending_at,
            oldest_pending_age=now - row.oldest_pending_at if row.oldest_pending_at else None,
            last_error=row.last_push_error or "",
            last_in=last.get(row.last_in_id),
            last_out=last.get(row.last_out_id),
            errors_24h=row.errors_24h,
        )
        for row in rows
    ]


def partner_summaries() -> list[PartnerSummary]:
    """Every partner, by name, with its queue and requests at a glance."""
    return _summaries(Partner.objects.all())


def partner_summary(*, partner_id: int) -> PartnerSummary | None:
    found = _summaries(Partner.objects.filter(pk=partner_id))
    return found[0] if found else None


def failed_pushes(*, partner_id: int, limit: int = RECENT_FAILED_PUSHES) -> list[Push]:
    """The partner's latest failed pushes, newest first: what an operator may retry."""
    return list(Push.objects.filter(partner_id=partner_id, state=Push.State.FAILED).order_by("-id")[:limit])


def recent_requests(*, partner_id: int, limit: int = RECENT_REQUESTS) -> list[RequestLog]:
    """The partner's latest OCPI requests in and out, newest first, without their bodies."""
    return list(RequestLog.objects.filter(partner_id=partner_id).defer(*BODIES).order_by("-created_at", "-id")[:limit])


def failed_push_ids(*, partner_id: int, among: list[int] | None = None) -> list[int]:
    """The partner's failed pushes (those of `among` only, when given): what a retry may take up again."""
    failed = Push.objects.filter(partner_id=partner_id, state=Push.State.FAILED)
    if among is not None:
        failed = failed.filter(pk__in=among)
    return list(failed.order_by("id").values_list("pk", flat=True))
