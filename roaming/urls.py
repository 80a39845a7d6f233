from django.urls import path, re_path

from roaming.views import (
    cdrs,
    charging_profiles,
    commands,
    credentials,
    hub_client_info,
    locations,
    sessions,
    tariffs,
    tokens,
    unknown,
    versions,
)

app_name = "roaming"

urlpatterns = [
    path("versions", versions.versions, name="versions"),
    path("2.2.1", versions.version_details, name="version-details"),
    path("2.2.1/credentials", credentials.credentials, name="credentials"),
    path("2.2.1/locations", locations.location_list, name="locations"),
    path("2.2.1/locations/<str:location_id>", locations.location_detail, name="location"),
    path("2.2.1/locations/<str:location_id>/<str:evse_uid>", locations.location_detail, name="evse"),
    path(
        "2.2.1/locations/<str:location_id>/<str:evse_uid>/<str:connector_id>",
        locations.location_detail,
        name="connector",
    ),
    path("2.2.1/tariffs", tariffs.tariff_list, name="tariffs"),
    path("2.2.1/tokens", tokens.endpoint, name="tokens"),
    path("2.2.1/sessions", sessions.session_list, name="sessions"),
    path("2.2.1/cdrs", cdrs.cdr_list, name="cdrs"),
    path("2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>", tokens.token, name="token"),
    path("2.2.1/commands", commands.endpoint, name="commands"),
    path("2.2.1/commands/<str:command>", commands.command, name="command"),
    path("2.2.1/chargingprofiles", charging_profiles.endpoint, name="chargingprofiles"),
    path("2.2.1/chargingprofiles/<str:session_id>", charging_profiles.charging_profile, name="chargingprofile"),
    path("2.2.1/hubclientinfo", hub_client_info.endpoint, name="hubclientinfo"),
    path("2.2.1/hubclientinfo/<str:country_code>/<str:party_id>", hub_client_info.client_info, name="client-info"),
    # Last: a trailing slash, else the envelope's 404 for a path that is no endpoint of ours.
    re_path(r"^.*$", unknown.endpoint, name="unknown"),
]
