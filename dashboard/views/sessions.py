"""The Sessions pages: the filtered list (live in-progress part, paged history), its CSV export, one session.

Views stay thin: SessionFilterForm validates the GET parameters,
dashboard.selectors.sessions reads. Money (costs, CDR amounts, payments) is
shown only to users who may see it (dashboard.access.may_see_money).
"""

import csv
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path

from dashboard.access import may_see_money, staff_page
from dashboard.filters import SessionFilterForm
from dashboard.selectors import sessions as selectors
from dashboard.views.base import render_page


@staff_page
def session_list(request: HttpRequest) -> HttpResponse:
    form = SessionFilterForm(request.GET)
    context: dict = {"form": form, "in_progress": [], "more_in_progress": False, "page": None}
    if not form.is_valid():
        response = render_page(request, "dashboard/sessions.html", context)
        response.status_code = 400
        return response
    filters = form.filters()
    context["in_progress"], context["more_in_progress"] = selectors.in_progress(filters)
    context["page"] = selectors.history_page(
        filters, before=form.cleaned_data["before"], after=form.cleaned_data["after"]
    )
    context["query"] = _query_without_paging(request)
    return render_page(request, "dashboard/sessions.html", context)


@staff_page
def in_progress_fragment(request: HttpRequest) -> HttpResponse:
    """The in-progress table alone, re-fetched by sessions.js when a session starts or stops."""
    form = SessionFilterForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"detail": form.errors_text()}, status=400)
    rows, more = selectors.in_progress(form.filters())
    return render(
        request,
        "dashboard/sessions_in_progress.html",
        {"in_progress": rows, "more_in_progress": more, "may_see_money": may_see_money(request.user)},
    )


@staff_page
def sessions_csv(request: HttpRequest) -> HttpResponse:
    """Every session the filters match (paging ignored), streamed: an export of millions never sits in memory."""
    form = SessionFilterForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"detail": form.errors_text()}, status=400)
    lines = _csv_lines(selectors.export_rows(form.filters()), money=may_see_money(request.user))
    if isinstance(request, ASGIRequest):  # an ASGI server would first gather a sync iterator into a list
        lines = _in_chunks(lines)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sessions.csv"'
    return response


@staff_page
def session_page(request: HttpRequest, transaction_id: int) -> HttpResponse:
    row = _row_or_404(transaction_id)
    money = may_see_money(request.user)
    context = {
        "row": row,
        "breakdown": selectors.cdr_breakdown(transaction_id) if not row.running else None,
        "payment": selectors.payment_summary(transaction_id) if money else None,
    }
    return render_page(request, "dashboard/session.html", context, socket=f"/ws/dashboard/stations/{row.station_id}")


@staff_page
def session_data(request: HttpRequest, transaction_id: int) -> JsonResponse:
    """The session page's JSON twin: its figures now and its readings, re-read when the session is priced anew."""
    row = selectors.session_row(transaction_id)
    if row is None:
        return JsonResponse({"detail": "No such session."}, status=404)
    series = selectors.readings(transaction_id, meter_start_wh=row.meter_start_wh)
    data = {
        "id": row.pk,
        "running": row.running,
        "started_at": _iso(row.started_at),
        "stopped_at": _iso(row.stopped_at),
        "stop_reason": row.stop_reason,
        "energy_wh": row.energy_wh,
        "power_w": row.power_w,
        "soc_percent": row.soc_percent,
        "duration_s": int(row.duration.total_seconds()),
        "cdr_state": row.cdr_state,
        "series": {name: [{"t": _iso(r.at), "v": r.value} for r in readings] for name, readings in series.items()},
    }
    if may_see_money(request.user):
        data["cost"] = {
            "currency": row.currency,
            "excl_vat": _money(row.cost_excl_vat, row.currency) or None,
            "incl_vat": _money(row.cost_incl_vat, row.currency) or None,
            "final": row.cdr_state != selectors.CdrState.RUNNING,
        }
    return JsonResponse(data)


def _row_or_404(transaction_id: int) -> selectors.SessionRow:
    row = selectors.session_row(transaction_id)
    if row is None:
        raise Http404("No such session.")
    return row


def _query_without_paging(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    return query.urlencode()


CSV_COLUMNS = [
    "transaction_id",
    "started_at",
    "stopped_at",
    "station",
    "evse",
    "connector",
    "id_token",
    "driver_email",
    "energy_kwh",
    "duration_s",
    "stop_reason",
    "cdr_state",
]
CSV_MONEY_COLUMNS = ["currency", "cost_excl_vat", "cost_incl_vat", "payment"]


class _Echo:
    """csv.writer writes each row here and gets it back, to be streamed."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[selectors.SessionRow], *, money: bool) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS + (CSV_MONEY_COLUMNS if money else []))
    for row in rows:
        values = [
            row.pk,
            _iso(row.started_at),
            _iso(row.stopped_at) or "",
            row.charge_point_id,
            row.evse_number,
            row.connector_number,
            row.token,
            row.driver_email,
            "" if row.energy_kwh is None else f"{row.energy_kwh:.3f}",
            int(row.duration.total_seconds()),
            row.stop_reason,
            row.cdr_state,
        ]
        if money:
            values += [row.currency, _money(row.cost_excl_vat, row.currency), _money(row.cost_incl_vat, row.currency)]
            values.append(row.payment_state)
        yield writer.writerow(values)


async def _in_chunks(lines: Iterator[str], size: int = 500) -> AsyncIterator[str]:
    """The lines, read from the database on the request's own thread a chunk at a time, for an ASGI server."""
    take = sync_to_async(lambda: "".join(islice(lines, size)), thread_sensitive=True)
    while chunk := await take():
        yield chunk


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _money(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None else selectors.amount_text(amount, currency)


urlpatterns = [
    path("sessions/", session_list, name="sessions"),
    path("sessions/in-progress/", in_progress_fragment, name="sessions-in-progress"),
    path("sessions.csv", sessions_csv, name="sessions-csv"),
    path("sessions/<int:transaction_id>/", session_page, name="session"),
    path("sessions/<int:transaction_id>/data.json", session_data, name="session-data"),
]
