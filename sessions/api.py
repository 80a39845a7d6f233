"""The drivers' sessions and id tokens: start, watch, stop, history, cards."""

import csv

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from csms.api.errors import ApiError, ErrorCode, ErrorSerializer
from csms.api.filters import StrictFilterSet, UtcDateTimeFilter
from sessions import api_errors, charging_needs, driver_sessions, id_tokens, selectors
from sessions.models import DriverSession, IdTag
from sessions.serializers import (
    ChargingNeedsSerializer,
    IdTokenSerializer,
    RegisterCardSerializer,
    SessionSerializer,
    StartSessionSerializer,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) per start: a retried request with the same key returns the same session.",
)


class SessionFilter(StrictFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DriverSession.State.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    station_id = django_filters.CharFilter(field_name="station__charge_point_id")

    class Meta:
        model = DriverSession
        fields = ["state", "created_after", "created_before", "station_id"]


CSV_COLUMNS = [
    "id",
    "state",
    "station_id",
    "evse_id",
    "started_at",
    "stopped_at",
    "duration_s",
    "energy_kwh",
    "soc_percent",
]

START_ERRORS = (
    "`station_not_found`, `connector_not_found` (404); `station_offline`, `connector_occupied`, "
    "`connector_reserved`, `connector_faulted`, `connector_unavailable` (409); `idempotency_key_reused` (422); "
    "`payment_method_required`, `payment_declined` (402: where a tariff applies, the driver's saved card is "
    "pre-authorised before the charger is asked); `payment_provider_unavailable` (503). "
    "Once accepted (202, state `pending`) the session becomes `active` when the charger reports the start, "
    "or `failed` with `error.code` one of `station_offline`, `station_not_responding`, `station_rejected`, "
    "`station_error`, `start_timeout`, `authorization_rejected`."
)


@extend_schema_view(
    list=extend_schema(summary="Session history, newest first"),
    retrieve=extend_schema(summary="A session now: state, power, energy, SoC, duration, cost so far"),
)
@extend_schema(tags=["sessions"])
class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = DriverSession.objects.none()  # for the schema; requests use get_queryset
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    throttle_scope = "session_start"

    def get_queryset(self):
        return selectors.driver_sessions(driver=self.request.user).select_related("payment")  # billing's, shown here

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.action == "create" else []

    @extend_schema(
        summary="Start charging",
        request=StartSessionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: SessionSerializer,
            402: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            422: ErrorSerializer,
            503: ErrorSerializer,
        },
        description=START_ERRORS,
    )
    def create(self, request):
        data = StartSessionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and len(key) > 255:
            raise ApiError(ErrorCode.VALIDATION_ERROR, "Idempotency-Key is longer than 255 characters.")
        values = data.validated_data
        power = values.get("max_power_kw")
        start = driver_sessions.StartRequest(
            charge_point_id=values["charge_point_id"],
            evse_number=values["evse_number"],
            connector_number=values.get("connector_number"),
            max_power_w=None if power is None else round(power * 1000),
            departure_at=values.get("departure_at"),
            energy_wanted_wh=values.get("energy_wanted_wh"),
        )
        try:
            session, created = driver_sessions.request_start(driver=request.user, request=start, idempotency_key=key)
        except driver_sessions.SessionRefused as refused:
            raise api_errors.refusal(code=refused.code, message=refused.message)
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(self._fresh(session), status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        summary="Stop charging",
        request=None,
        responses={202: SessionSerializer, 409: ErrorSerializer},
        description=(
            "The session is `stopping` until the charger reports the stop, then `completed`. Stopping again is "
            "harmless. `session_not_active` (409) for a pending or failed session. If the charger refuses, the "
            "session is `active` again with `error.code` set."
        ),
    )
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        try:
            session = driver_sessions.request_stop(session=self.get_object())
        except driver_sessions.SessionRefused as refused:
            raise api_errors.refusal(code=refused.code, message=refused.message)
        return Response(self._fresh(session), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Change the departure time or the energy needed",
        request=ChargingNeedsSerializer,
        responses={200: SessionSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        description=(
            "While the session is pending or active: smart charging plans to the new values (null clears one; "
            "a field left out stays as it is). `session_ended` (409) once it is stopping, completed or failed."
        ),
    )
    def partial_update(self, request, pk=None):
        session = self.get_object()
        data = ChargingNeedsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = charging_needs.change_driver_needs(session=session, **data.validated_data)
        except charging_needs.NeedsRefused as refused:
            raise api_errors.refusal(code=refused.code, message=refused.message)
        return Response(self._fresh(session))

    @extend_schema(
        summary="Session history as CSV",
        filters=True,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per session")},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        rows = SessionSerializer(self.filter_queryset(self.get_queryset())[:10_000], many=True).data
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sessions.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS + ["currency", "cost_incl_vat"])
        for row in rows:
            cost = row["cost"] or {}
            writer.writerow([row[column] for column in CSV_COLUMNS] + [cost.get("currency"), cost.get("incl_vat")])
        return response

    def _fresh(self, session: DriverSession) -> dict:
        return SessionSerializer(self.get_queryset().get(pk=session.pk)).data


@extend_schema_view(
    list=extend_schema(summary="My id tokens: RFID cards and the app token"),
    create=extend_schema(
        summary="Register an RFID card",
        request=RegisterCardSerializer,
        responses={201: IdTokenSerializer, 409: ErrorSerializer},
        description="`id_token_taken` (409) when the card is registered already.",
    ),
    destroy=extend_schema(
        summary="Unregister an RFID card",
        responses={204: None, 409: ErrorSerializer},
        description="The card is blocked. `app_token_not_removable` (409) for the app token.",
    ),
)
@extend_schema(tags=["id tokens"])
class IdTokenViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    queryset = IdTag.objects.none()  # for the schema; requests use get_queryset
    serializer_class = IdTokenSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.driver_id_tokens(driver=self.request.user)

    def create(self, request):
        data = RegisterCardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = id_tokens.register_card(driver=request.user, uid=data.validated_data["uid"])
        except id_tokens.IdTokenTaken:
            raise ApiError(ErrorCode.ID_TOKEN_TAKEN, "This card is registered already.")
        return Response(IdTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, token):
        try:
            id_tokens.remove_card(token=token)
        except id_tokens.AppTokenNotRemovable:
            raise ApiError(ErrorCode.APP_TOKEN_NOT_REMOVABLE, "The app's own token cannot be removed.")
