"""The live map: the page, the markers in view as JSON, and a station's popup."""

import math

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path

from dashboard.access import staff_page
from dashboard.selectors.live_map import MapView, map_view, network_extent, station_popup
from dashboard.views.base import render_page
from stations.selectors.search import BoundingBox

MAX_ZOOM = 20
EXTENT_MARGIN = 0.01  # degrees around the network, so a lone station does not open at street level


@staff_page
def live_map(request: HttpRequest) -> HttpResponse:
    return render_page(request, "dashboard/map.html", {"leaflet_overrides": _leaflet_overrides()})


def _leaflet_overrides() -> dict:
    """django-leaflet reads LEAFLET_CONFIG once at import; tiles and centre are read here per page so the
    setting is what it says now. The map opens on the network's stations, else on the configured centre."""
    config = settings.LEAFLET_CONFIG
    overrides = {key: config.get(key) for key in ("DEFAULT_CENTER", "DEFAULT_ZOOM")} | {
        "TILES": config.get("TILES", [])
    }
    extent = network_extent()
    if extent is not None:
        min_lon, min_lat, max_lon, max_lat = extent
        overrides |= {
            "SPATIAL_EXTENT": tuple(
                round(value, 6)
                for value in (
                    min_lon - EXTENT_MARGIN,
                    min_lat - EXTENT_MARGIN,
                    max_lon + EXTENT_MARGIN,
                    max_lat + EXTENT_MARGIN,
                )
            ),
            "DEFAULT_CENTER": None,
            "DEFAULT_ZOOM": None,
        }
    return overrides


@staff_page
def map_data(request: HttpRequest) -> JsonResponse:
    try:
        box = _bounding_box(request.GET.get("bbox", ""))
        zoom = _zoom(request.GET.get("zoom", ""))
    except ValueError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse(_as_json(map_view(box=box, zoom=zoom)))


def _bounding_box(text: str) -> BoundingBox:
    """min_lon,min_lat,max_lon,max_lat in degrees; min_lon > max_lon crosses the antimeridian."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(value) for value in values):
        raise ValueError("bbox must be min_lon,min_lat,max_lon,max_lat in degrees")
    min_lon, lat_a, max_lon, lat_b = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= lat_a <= 90 and -90 <= lat_b <= 90):
        raise ValueError("bbox: longitudes must be within ±180 and latitudes within ±90")
    return BoundingBox(min_lon, min(lat_a, lat_b), max_lon, max(lat_a, lat_b))


def _zoom(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_ZOOM:
        raise ValueError(f"zoom must be a whole number from 0 to {MAX_ZOOM}")
    return int(text)


def _as_json(view: MapView) -> dict:
    return {
        "zoom": view.zoom,
        "states": view.states,
        "stations": [
            {
                "id": station.id,
                "charge_point_id": station.charge_point_id,
                "lat": station.latitude,
                "lon": station.longitude,
                "state": station.state,
            }
            for station in view.stations
        ],
        "clusters": [
            {
                "lat": cluster.latitude,
                "lon": cluster.longitude,
                "count": cluster.count,
                "worst": cluster.worst.value,
                "states": {state.value: count for state, count in cluster.states.items()},
            }
            for cluster in view.clusters
        ],
    }


@staff_page
def map_popup(request: HttpRequest, station_id: int) -> HttpResponse:
    popup = station_popup(station_id=station_id)
    if popup is None:
        raise Http404("No such station on the map.")
    return render(request, "dashboard/map_popup.html", {"popup": popup, "station": popup.station})


urlpatterns = [
    path("map/", live_map, name="map"),
    path("map/data.json", map_data, name="map-data"),
    path("map/stations/<int:station_id>/popup", map_popup, name="map-popup"),
]
