"""Every error the drivers' API answers carries an ErrorCode, with the status and meaning the schema documents."""

import inspect
import re

import pytest
import rest_framework_simplejwt.authentication
from rest_framework import exceptions
from rest_framework.test import APIClient
from rest_framework_simplejwt import exceptions as jwt_exceptions

from csms.api.errors import ApiError, ErrorCode, error_body
from sessions.api_errors import SESSION_ERRORS
from stations.services.connections import provision_station
from tests.api_fixtures import client_for, driver  # noqa: F401

LIBRARY_EXCEPTIONS = [
    cls
    for module in (exceptions, jwt_exceptions)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if issubclass(cls, exceptions.APIException)
    and cls is not exceptions.APIException  # the base, never raised
    and cls.__module__ == module.__name__
]
CONSTRUCTOR_ARGS = {exceptions.MethodNotAllowed: ("PUT",), exceptions.UnsupportedMediaType: ("text/plain",)}


def error_code_enum(schema: dict, component: str) -> dict:
    code = schema["components"]["schemas"][component]["properties"]["code"]
    ref = code["allOf"][0]["$ref"] if "allOf" in code else code["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.fixture
def api_schema(db) -> dict:
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_the_schema_lists_exactly_the_error_codes_with_their_meaning(api_schema):
    enum = error_code_enum(api_schema, "Error")
    assert enum["enum"] == [code.value for code in ErrorCode]
    for code in ErrorCode:
        assert f"* `{code}` - {code.label}" in enum["description"]
    assert error_code_enum(api_schema, "ErrorState")["enum"] == [code.value for code in SESSION_ERRORS]


@pytest.mark.parametrize("cls", LIBRARY_EXCEPTIONS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_library_exception_answers_an_error_code(cls):
    assert type(error_body(cls(*CONSTRUCTOR_ARGS.get(cls, ())))["code"]) is ErrorCode


def test_every_code_simplejwt_authentication_raises_is_named():
    raised = re.findall(r'code="(\w+)"', inspect.getsource(rest_framework_simplejwt.authentication))
    assert {"user_not_found", "user_inactive"} <= set(raised)
    for code in raised:
        assert type(error_body(exceptions.AuthenticationFailed(code=code))["code"]) is ErrorCode


def test_a_library_code_nobody_named_is_a_bug_not_an_answer():
    with pytest.raises(LookupError, match="made_up"):
        error_body(exceptions.PermissionDenied(code="made_up"))


def test_a_session_only_code_is_never_an_answer():
    with pytest.raises(ValueError):
        ApiError(ErrorCode.START_TIMEOUT, "The station did not start.")


@pytest.fixture
def station(db):
    station = provision_station(charge_point_id="ERR-1", password="a-long-station-password", evse_count=1)
    station.connection_channel = "specific.fake!channel"  # online, as far as the database knows
    station.save()
    return station


def refusals(driver, station):
    """Real requests each refused for its own reason, with the code it must answer."""
    anonymous, signed_in = client_for(), client_for(driver)
    signed_in.post("/api/v1/sessions", {"station_id": "ERR-1", "evse_id": 1}, format="json")
    yield (
        ErrorCode.INVALID_CREDENTIALS,
        anonymous.post("/api/v1/auth/token", {"email": driver.email, "password": "not-the-password"}, format="json"),
    )
    yield (
        ErrorCode.EMAIL_TAKEN,
        anonymous.post("/api/v1/auth/signup", {"email": driver.email, "password": "a-fine-password-42"}, format="json"),
    )
    yield ErrorCode.VALIDATION_ERROR, anonymous.post("/api/v1/auth/token", {}, format="json")
    yield ErrorCode.PARSE_ERROR, anonymous.post("/api/v1/auth/token", "{", content_type="application/json")
    yield ErrorCode.UNSUPPORTED_MEDIA_TYPE, anonymous.post("/api/v1/auth/token", "a=b", content_type="text/plain")
    yield ErrorCode.NOT_ACCEPTABLE, signed_in.get("/api/v1/sessions", HTTP_ACCEPT="text/html")
    yield ErrorCode.METHOD_NOT_ALLOWED, signed_in.put("/api/v1/sessions", {}, format="json")
    yield ErrorCode.NOT_AUTHENTICATED, anonymous.get("/api/v1/sessions")
    yield ErrorCode.TOKEN_NOT_VALID, anonymous.get("/api/v1/sessions", HTTP_AUTHORIZATION="Bearer not-a-token")
    yield ErrorCode.BAD_AUTHORIZATION_HEADER, anonymous.get("/api/v1/sessions", HTTP_AUTHORIZATION="Bearer a b")
    yield ErrorCode.NOT_FOUND, signed_in.get("/api/v1/sessions/999999")
    yield ErrorCode.NOT_FOUND, signed_in.get("/api/v1/no-such-endpoint")
    yield (
        ErrorCode.STATION_NOT_FOUND,
        signed_in.post("/api/v1/sessions", {"station_id": "NOPE", "evse_id": 1}, format="json"),
    )
    yield (
        ErrorCode.CONNECTOR_OCCUPIED,
        signed_in.post("/api/v1/sessions", {"station_id": "ERR-1", "evse_id": 1}, format="json"),
    )
    pending = signed_in.get("/api/v1/sessions").json()["results"][0]["id"]
    yield ErrorCode.SESSION_NOT_ACTIVE, signed_in.post(f"/api/v1/sessions/{pending}/stop")
    driver.is_active = False
    driver.save()
    yield ErrorCode.USER_INACTIVE, signed_in.get("/api/v1/sessions")


def test_real_refusals_answer_their_documented_code_and_status(driver, station, api_schema):
    documented = error_code_enum(api_schema, "Error")["description"]
    seen = []
    for expected, response in refusals(driver, station):
        body = response.json()
        assert (body["code"], response.status_code) == (expected, expected.http_status), body
        assert f"* `{body['code']}` - {expected.label}" in documented
        seen.append(expected)
    assert len(seen) == 16
