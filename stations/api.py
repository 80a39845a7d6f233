"""The drivers' station search: stations near a point, clusters for a map, a station, the EVSE on a QR code."""

from collections.abc import Sequence

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from billing.selectors import tariff_summaries
from csms.api.errors import ErrorCode, ErrorSerializer, listed
from stations.models import ChargingStation
from stations.selectors.search import listed_station, search_stations, station_clusters
from stations.serializers import (
    ClusterListSerializer,
    ClusterQuerySerializer,
    StationDistanceSerializer,
    StationEvseSerializer,
    StationSearchSerializer,
    StationSerializer,
)

CHARGE_POINT_ID = OpenApiParameter(
    "charge_point_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The charge point id (on the charger's QR code)",
)
EVSE_NUMBER = OpenApiParameter(
    "evse_number",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The EVSE number (OCPP 1.6: the connector number)",
)


@extend_schema(tags=["stations"])
class StationViewSet(viewsets.GenericViewSet):
    queryset = ChargingStation.objects.none()  # for the schema; requests use the selectors
    serializer_class = StationSerializer
    lookup_field = "charge_point_id"
    lookup_value_regex = "[^/]+"  # charge point ids are any string OCPP allows in a URL path

    @extend_schema(
        summary="Stations near a point, nearest first",
        parameters=[StationSearchSerializer],
        responses={200: StationDistanceSerializer(many=True)},
        description=(
            "Accepted stations with a location within `radius_km` of (`lat`, `lon`), with every EVSE and "
            "connector, sorted by distance; `distance_m` is the exact great-circle distance. "
            f"{listed(ErrorCode.VALIDATION_ERROR)} names each invalid parameter in `fields`."
        ),
    )
    def list(self, request):
        query = _valid(StationSearchSerializer, request)
        page = self.paginate_queryset(search_stations(**query))
        context = self._context(page, origin=query["origin"])
        return self.get_paginated_response(StationDistanceSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="Stations on a map, counted per grid cell",
        parameters=[ClusterQuerySerializer],
        responses={200: ClusterListSerializer},
        description=(
            "Cells are 64 px at the zoom level (a quarter of a map tile). A cell holding one station names it "
            "in `station_id`, so the app can show a pin. A box that would need more than 10,000 cells at the "
            "zoom asked is gridded at the highest zoom that stays within, named in `zoom`."
        ),
    )
    @action(detail=False)
    def clusters(self, request):
        zoom, clusters = station_clusters(**_valid(ClusterQuerySerializer, request))
        return Response(ClusterListSerializer({"zoom": zoom, "clusters": clusters}).data)

    @extend_schema(
        summary="A station with its EVSEs and connectors",
        parameters=[CHARGE_POINT_ID],
        responses={
            200: StationSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description=f"{listed(ErrorCode.NOT_FOUND)}: no such station, or not accepted yet"
            ),
        },
    )
    def retrieve(self, request, charge_point_id: str):
        station = _station(charge_point_id)
        return Response(StationSerializer(station, context=self._context([station])).data)

    @extend_schema(
        summary="The EVSE a QR code names",
        parameters=[CHARGE_POINT_ID, EVSE_NUMBER],
        responses={
            200: StationEvseSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description=f"{listed(ErrorCode.NOT_FOUND)}: no such station or EVSE"
            ),
        },
    )
    @action(detail=True, url_path=r"evses/(?P<evse_number>\d+)")
    def evse(self, request, charge_point_id: str, evse_number: str):
        station = _station(charge_point_id)
        evse = next((evse for evse in station.evses.all() if evse.number == int(evse_number)), None)
        if evse is None:
            raise exceptions.NotFound("This station has no such EVSE.")
        context = self._context([station])
        return Response(StationEvseSerializer({"station": station, "evse": evse}, context=context).data)

    def _context(self, stations: Sequence[ChargingStation], **extra) -> dict:
        """Tariffs for every connector shown, fetched at once for the whole page."""
        ids = [
            connector.pk for station in stations for evse in station.evses.all() for connector in evse.connectors.all()
        ]
        return {"tariffs": tariff_summaries(connector_ids=ids, user=self.request.user), **extra}


def _valid(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _station(charge_point_id: str) -> ChargingStation:
    station = listed_station(charge_point_id=charge_point_id)
    if station is None:
        raise exceptions.NotFound("No such station.")
    return station


router = SimpleRouter(trailing_slash=False)
router.register("stations", StationViewSet, basename="station")
urlpatterns = router.urls
