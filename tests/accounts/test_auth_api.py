"""Sign-up, sign-in, refresh, sign-out and the profile, through DRF's test client."""

import pytest
from django.contrib.auth import get_user_model

from sessions.models import IdTag
from tests.api_fixtures import client_for, driver, operator  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "a-fine-password-42"


def sign_in(client, email="dana@example.com", password=PASSWORD):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


def test_sign_up_creates_the_driver_with_an_app_token_and_signs_in():
    reply = client_for().post(
        "/api/v1/auth/signup", {"email": " Dana@Example.com ", "password": PASSWORD, "last_name": "Kim"}, format="json"
    )
    assert reply.status_code == 201
    profile = reply.json()["profile"]
    assert (profile["email"], profile["last_name"]) == ("dana@example.com", "Kim")
    token = IdTag.objects.get(owner__email="dana@example.com")
    assert (token.token_type, token.id_tag, token.allow_concurrent_transactions) == (
        "APP_USER",
        profile["app_token"],
        True,
    )
    me = client_for()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {reply.json()['tokens']['access']}")
    assert me.get("/api/v1/me").json()["email"] == "dana@example.com"


def test_sign_up_names_the_field_of_each_problem(driver):
    weak = client_for().post("/api/v1/auth/signup", {"email": "new@example.com", "password": "12345678"}, format="json")
    assert weak.status_code == 400 and weak.json()["code"] == "validation_error"
    assert {e["code"] for e in weak.json()["fields"]["password"]} >= {
        "password_too_common",
        "password_entirely_numeric",
    }
    bad_email = client_for().post("/api/v1/auth/signup", {"email": "not-an-email", "password": PASSWORD}, format="json")
    assert list(bad_email.json()["fields"]) == ["email"]
    taken = client_for().post("/api/v1/auth/signup", {"email": "DANA@example.com", "password": PASSWORD}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    assert get_user_model().objects.count() == 1


def test_sign_in_refuses_wrong_passwords_and_operator_accounts(driver, operator):
    assert set(sign_in(client_for()).json()) == {"access", "refresh"}
    wrong = sign_in(client_for(), password="wrong-password")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    staff = sign_in(client_for(), email="ops@example.com", password="operator-password-42")
    assert (staff.status_code, staff.json()["code"]) == (401, "invalid_credentials")


def test_operators_tokens_and_anonymous_requests_are_refused(operator):
    anonymous = client_for().get("/api/v1/sessions")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    staff = client_for(operator).get("/api/v1/sessions")
    assert (staff.status_code, staff.json()["code"]) == (403, "permission_denied")
    garbage = client_for()
    garbage.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert garbage.get("/api/v1/me").json()["code"] == "token_not_valid"


def test_refresh_rotates_and_a_used_refresh_token_is_dead(driver):
    tokens = sign_in(client_for()).json()
    fresh = client_for().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert fresh.status_code == 200 and fresh.json()["refresh"] != tokens["refresh"]
    reused = client_for().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert (reused.status_code, reused.json()["code"]) == (401, "token_not_valid")


def test_sign_out_revokes_the_refresh_token_and_everywhere_revokes_all(driver):
    phone, tablet = sign_in(client_for()).json(), sign_in(client_for()).json()
    client = client_for(driver)
    assert client.post("/api/v1/auth/logout", {"refresh": phone["refresh"]}, format="json").status_code == 204
    refresh = lambda t: (
        client_for().post("/api/v1/auth/token/refresh", {"refresh": t["refresh"]}, format="json").status_code
    )
    assert refresh(phone) == 401 and refresh(tablet) == 200
    laptop = sign_in(client_for()).json()
    client.post("/api/v1/auth/logout", {"refresh": laptop["refresh"], "everywhere": True}, format="json")
    assert refresh(laptop) == 401


def test_profile_edits_names_but_not_the_email(driver):
    client = client_for(driver)
    reply = client.patch("/api/v1/me", {"first_name": "Dana", "email": "evil@example.com"}, format="json")
    assert reply.status_code == 200 and (reply.json()["first_name"], reply.json()["email"]) == (
        "Dana",
        "dana@example.com",
    )
    assert client.put("/api/v1/me", {"first_name": "X"}, format="json").json()["code"] == "method_not_allowed"


def test_password_change_checks_the_current_password_and_the_rules(driver):
    client = client_for(driver)
    wrong = client.post(
        "/api/v1/me/password", {"current_password": "nope", "new_password": "brand-new-secret-9"}, format="json"
    )
    assert wrong.json()["code"] == "wrong_password"
    weak = client.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "short"}, format="json")
    assert "new_password" in weak.json()["fields"]
    ok = client.post(
        "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "brand-new-secret-9"}, format="json"
    )
    assert ok.status_code == 200
    fresh = client_for().post("/api/v1/auth/token/refresh", {"refresh": ok.json()["refresh"]}, format="json")
    assert fresh.status_code == 200  # this device stays signed in with the new pair
    assert sign_in(client_for(), password="brand-new-secret-9").status_code == 200


def test_sign_in_is_throttled_per_client(driver):
    client = client_for()
    codes = [sign_in(client, password="guess").status_code for _ in range(21)]
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    throttled = sign_in(client)
    assert throttled.json()["code"] == "throttled" and int(throttled.headers["Retry-After"]) > 0


def test_refreshing_for_a_deleted_account_is_a_401(driver):
    tokens = sign_in(client_for()).json()
    driver.delete()
    gone = client_for().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert (gone.status_code, gone.json()["code"]) == (401, "token_not_valid")


def test_passwords_and_tokens_are_taken_as_typed(driver):
    """DRF trims text: " a-fine-password-42 " signed in as the password itself, and a whitespace
    token (schema-valid, found by schemathesis) was answered 400 blank instead of signing out."""
    assert sign_in(client_for(), password=f" {PASSWORD} ").status_code == 401
    assert sign_in(client_for()).status_code == 200
    assert client_for(driver).post("/api/v1/auth/logout", {"refresh": "\u00a0"}, format="json").status_code == 204
