"""The drivers' view of stations, shaped after OCPI 2.2.1 Locations, EVSEs and Connectors.

OCPI puts EVSEs inside a Location; drivers search for chargers, so here the
station is the object and its location is nested. Field names and enum
values are OCPI's, so roaming partners' stations fit the same shape.
"""

import re
from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from csms.api.filters import StrictQuerySerializer
from stations.models import ConnectorFormat, ConnectorType, PowerType
from stations.selectors.search import BoundingBox, ConnectorFilter, GeoPoint, haversine_m
from stations.selectors.status import EvseStatus, ocpi_evse_status

# The names drivers know, for the connector_type filter; OCPI values are accepted as they are.
CONNECTOR_ALIASES = {
    "CCS2": ConnectorType.TYPE2_CABLE,
    "TYPE2": ConnectorType.TYPE2,
    "CHADEMO": ConnectorType.CHADEMO,
    "TYPE1": ConnectorType.TYPE1,
    "CCS1": ConnectorType.CCS1,
    "SCHUKO": ConnectorType.DOMESTIC_F,
    **{value: value for value in ConnectorType.values},
}
EVSE_STATUSES = [status.value for status in EvseStatus]
MAX_SUBSCRIPTIONS = 500


# ------------------------------------------------------------------ query parameters


def _any_case(name: str) -> str:
    return "".join(f"[{c}{c.lower()}]" if c.isalpha() else re.escape(c) for c in name)


_CONNECTOR_NAME = "|".join(_any_case(name) for name in CONNECTOR_ALIASES)


@extend_schema_field(
    {"type": "string", "pattern": rf"^\s*({_CONNECTOR_NAME})\s*(,\s*({_CONNECTOR_NAME})\s*)*$", "maxLength": 200}
)
class ConnectorTypesField(serializers.CharField):
    """A comma-separated list of connector types (any case), read as OCPI ConnectorType values."""

    def to_internal_value(self, data) -> tuple[str, ...]:
        text = super().to_internal_value(data)
        if len(text) > self.max_length:  # checked here: the validators see the parsed tuple
            raise serializers.ValidationError(f"At most {self.max_length} characters.", code="max_length")
        names = [name.strip().upper() for name in text.split(",")]
        if not all(names):
            raise serializers.ValidationError("Name a connector type between each pair of commas.", code="invalid")
        unknown = [name for name in names if name not in CONNECTOR_ALIASES]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown connector type {', '.join(unknown)}; use {', '.join(CONNECTOR_ALIASES)}.",
                code="invalid_choice",
            )
        return tuple(dict.fromkeys(CONNECTOR_ALIASES[name] for name in names))


class ConnectorQuerySerializer(StrictQuerySerializer):
    connector_type = ConnectorTypesField(
        required=False,
        max_length=200,
        help_text="Comma-separated: CCS2, TYPE2, CHADEMO, TYPE1, CCS1, SCHUKO or OCPI ConnectorType values; any of them",
    )
    min_power_kw = serializers.FloatField(
        required=False, default=0, min_value=0, max_value=10_000, help_text="A connector of at least this power"
    )

    def connector_filter(self, attrs: dict, *, available_only: bool = False) -> ConnectorFilter:
        return ConnectorFilter(
            standards=attrs.get("connector_type", ()),
            min_power_w=round(attrs["min_power_kw"] * 1000),
            available_only=available_only,
        )


@extend_schema_field({"type": "number", "format": "double", "minimum": 0, "exclusiveMinimum": True, "maximum": 500})
class RadiusField(serializers.FloatField):
    """Kilometres in (0, 500]: DRF's min_value can only include its bound."""

    def to_internal_value(self, data) -> float:
        value = super().to_internal_value(data)
        if value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.", code="min_value")
        return value


class StationSearchSerializer(ConnectorQuerySerializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude of the search centre (WGS 84)")
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude of the search centre")
    radius_km = RadiusField(
        required=False, default=10, max_value=500, help_text="Greater than 0, at most 500; default 10"
    )
    available_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only stations online with a matching connector Available now",
    )

    def validate(self, attrs: dict) -> dict:
        return {
            "origin": GeoPoint(attrs["lat"], attrs["lon"]),
            "radius_km": attrs["radius_km"],
            "connectors": self.connector_filter(attrs, available_only=attrs["available_only"]),
        }


# Decimal degrees within range, written as patterns so the schema tells clients what is valid.
_LONGITUDE = r"-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)"
_LATITUDE = r"-?(90(\.0+)?|[1-8]?\d(\.\d+)?)"


class ClusterQuerySerializer(ConnectorQuerySerializer):
    bbox = serializers.RegexField(
        rf"^{_LONGITUDE},{_LATITUDE},{_LONGITUDE},{_LATITUDE}$",
        max_length=200,
        error_messages={
            "invalid": "Give min_lon,min_lat,max_lon,max_lat: longitudes within ±180, latitudes within ±90."
        },
        help_text=(
            "The map's view: min_lon,min_lat,max_lon,max_lat (WGS 84 degrees). min_lon greater than max_lon "
            "crosses the antimeridian."
        ),
    )
    zoom = serializers.IntegerField(
        min_value=0,
        max_value=20,
        help_text="The map's zoom level: 0 (world) to 20. A box too large for it is gridded at a lower zoom.",
    )

    def validate_bbox(self, value: str) -> BoundingBox:
        min_lon, lat_a, max_lon, lat_b = (float(part) for part in value.split(","))
        return BoundingBox(min_lon, min(lat_a, lat_b), max_lon, max(lat_a, lat_b))

    def validate(self, attrs: dict) -> dict:
        return {"box": attrs["bbox"], "zoom": attrs["zoom"], "connectors": self.connector_filter(attrs)}


# ------------------------------------------------------------------ stations


class TariffSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217")
    text = serializers.CharField(help_text="For people, e.g. '0.49 EUR/kWh + 0.10 EUR/min after 2 h'")


class ConnectorSerializer(serializers.Serializer):
    id = serializers.CharField(source="number", help_text="The connector's number within its EVSE")
    standard = serializers.ChoiceField(choices=ConnectorType.choices, help_text="OCPI ConnectorType")
    format = serializers.ChoiceField(choices=ConnectorFormat.choices)
    power_type = serializers.ChoiceField(choices=PowerType.choices)
    max_electric_power = serializers.IntegerField(source="max_power_w", help_text="W")
    max_power_kw = serializers.SerializerMethodField()
    tariff = serializers.SerializerMethodField(help_text="What charging here costs you; null when not known")

    def get_max_power_kw(self, connector) -> float:
        return connector.max_power_w / 1000

    def get_tariff(self, connector) -> TariffSerializer(allow_null=True):
        tariff = self.context.get("tariffs", {}).get(connector.pk)
        return None if tariff is None else TariffSerializer(tariff).data


class EvseStatusSerializer(serializers.Serializer):
    uid = serializers.SerializerMethodField(help_text="Unique across all EVSEs")
    evse_id = serializers.IntegerField(
        source="number", help_text="The EVSE number on the charger (OCPP 1.6: the connector number)"
    )
    status = serializers.SerializerMethodField()

    def get_uid(self, evse) -> str:
        return str(evse.pk)

    def get_status(self, evse) -> serializers.ChoiceField(choices=EVSE_STATUSES):
        return evse_status(evse)


class EvseSerializer(EvseStatusSerializer):
    connectors = ConnectorSerializer(many=True, source="connectors.all")


class CoordinatesSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class RegularHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="1 Monday … 7 Sunday")
    period_begin = serializers.CharField(help_text="HH:MM, local time")
    period_end = serializers.CharField(help_text="HH:MM, local time")


class ExceptionalPeriodSerializer(serializers.Serializer):
    period_begin = serializers.DateTimeField()
    period_end = serializers.DateTimeField()


class HoursSerializer(serializers.Serializer):
    """OCPI Hours."""

    twentyfourseven = serializers.BooleanField()
    regular_hours = RegularHoursSerializer(many=True, required=False)
    exceptional_openings = ExceptionalPeriodSerializer(many=True, required=False)
    exceptional_closings = ExceptionalPeriodSerializer(many=True, required=False)


class LocationSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-3")
    time_zone = serializers.CharField(help_text="IANA, e.g. Europe/Berlin")
    opening_times = serializers.SerializerMethodField()

    def get_opening_times(self, location) -> HoursSerializer:
        return location.opening_hours or {"twentyfourseven": True}


class BusinessDetailsSerializer(serializers.Serializer):
    name = serializers.CharField()
    website = serializers.URLField(required=False)


class StationSummarySerializer(serializers.Serializer):
    id = serializers.CharField(source="charge_point_id", help_text="The charge point id, as on the charger's QR code")
    name = serializers.SerializerMethodField()
    operator = serializers.SerializerMethodField(
        help_text="Roaming partners' stations name their operator; ours are null"
    )
    is_online = serializers.BooleanField(source="is_connected")
    coordinates = CoordinatesSerializer(source="location", allow_null=True)
    location = LocationSerializer(allow_null=True)
    last_updated = serializers.SerializerMethodField(help_text="The last change of anything shown")

    def get_name(self, station) -> str:
        return station.location.name if station.location else station.charge_point_id

    def get_operator(self, station) -> BusinessDetailsSerializer(allow_null=True):
        return None

    def get_last_updated(self, station) -> datetime:
        connectors = [connector for evse in station.evses.all() for connector in evse.connectors.all()]
        moments = [station.created_at, station.status_updated_at, station.connected_at, station.disconnected_at]
        moments += [connector.status_updated_at for connector in connectors]
        return max(moment for moment in moments if moment)


class StationSerializer(StationSummarySerializer):
    evses = EvseSerializer(many=True, source="evses.all")
    tariff_summary = serializers.SerializerMethodField(help_text="The distinct tariffs of its connectors")

    def get_tariff_summary(self, station) -> TariffSerializer(many=True):
        tariffs = self.context.get("tariffs", {})
        found = [tariffs[c.pk] for evse in station.evses.all() for c in evse.connectors.all() if c.pk in tariffs]
        summaries = [TariffSerializer(tariff).data for tariff in found]
        return list({(s["currency"], s["text"]): s for s in summaries}.values())


class StationDistanceSerializer(StationSerializer):
    distance_m = serializers.SerializerMethodField(help_text="Great-circle distance from the search centre, in metres")

    def get_distance_m(self, station) -> int:
        here = GeoPoint(float(station.location.latitude), float(station.location.longitude))
        return round(haversine_m(self.context["origin"], here))


class StationEvseSerializer(serializers.Serializer):
    """What a QR code names: the station and one of its EVSEs."""

    station = StationSummarySerializer()
    evse = EvseSerializer()


class ClusterSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Stations in the cell")
    latitude = serializers.FloatField(help_text="The stations' centre")
    longitude = serializers.FloatField()
    available = serializers.IntegerField(help_text="Stations with an available EVSE")
    busy = serializers.IntegerField(help_text="Stations online with none available: in use, reserved or out of order")
    unknown = serializers.IntegerField(help_text="Stations offline, or not reporting a status yet")
    station_id = serializers.CharField(
        source="charge_point_id",
        allow_null=True,
        help_text="The station's charge point id, when the cell holds only one: show a pin",
    )


class ClusterListSerializer(serializers.Serializer):
    zoom = serializers.IntegerField(
        help_text="The zoom the cells were made for: the one asked, or lower for a large box"
    )
    clusters = ClusterSerializer(many=True)


# ------------------------------------------------------------------ live status


class StationStatusSerializer(serializers.Serializer):
    """One station's whole live state, as the WebSocket sends it."""

    id = serializers.CharField(source="charge_point_id")
    is_online = serializers.BooleanField(source="is_connected")
    evses = EvseStatusSerializer(many=True, source="evses.all")
    available_evses = serializers.SerializerMethodField()
    total_evses = serializers.SerializerMethodField()

    def get_available_evses(self, station) -> int:
        return sum(evse_status(evse) == EvseStatus.AVAILABLE for evse in station.evses.all())

    def get_total_evses(self, station) -> int:
        return len(station.evses.all())


class SubscriptionSerializer(serializers.Serializer):
    """A client message on the station stream."""

    subscribe = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=MAX_SUBSCRIPTIONS, required=False
    )
    unsubscribe = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=MAX_SUBSCRIPTIONS, required=False
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError('Send {"subscribe": [station ids]} or {"unsubscribe": [station ids]}.')
        return attrs


def evse_status(evse) -> EvseStatus:
    station = evse.station
    return ocpi_evse_status(
        connector_statuses=[connector.status for connector in evse.connectors.all()],
        station_online=station.is_connected,
        station_status=station.status,
    )
