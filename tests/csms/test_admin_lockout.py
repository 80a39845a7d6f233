"""Issue 9 item 3: the admin login locks a username out of an address after five wrong passwords (django-axes)."""

import itertools

import pytest
from django.urls import reverse

from tests.api_fixtures import client_for, driver  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "op-password-123"
_spoofed = (f"198.51.100.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """PBKDF2's deliberate slowness would make dozens of logins a minute's work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user("op", "op@example.com", PASSWORD, is_staff=True)


def log_in(client, password: str, address: str = "192.0.2.10", username: str = "op"):
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=next(_spoofed))


def test_the_sixth_guess_is_refused_even_with_the_right_password(client, operator):
    guesses = [log_in(client, f"guess-{n}").status_code for n in range(5)]
    assert guesses == [200] * 4 + [429]  # the form with its error, until the fifth failure locks
    locked = log_in(client, PASSWORD)
    assert locked.status_code == 429 and b"Account locked" in locked.content
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client, operator, django_user_model):
    django_user_model.objects.create_user("other", "other@example.com", PASSWORD, is_staff=True)
    for n in range(5):
        log_in(client, f"guess-{n}")
    assert log_in(client, PASSWORD, address="192.0.2.11").status_code == 302  # the operator's own office
    client.logout()
    assert log_in(client, PASSWORD, username="other").status_code == 302


def test_a_right_password_before_the_limit_resets_the_count(client, operator):
    for n in range(4):
        log_in(client, f"guess-{n}")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for n in range(4):
        log_in(client, f"guess-{n}")
    assert log_in(client, PASSWORD).status_code == 302


def test_the_drivers_sign_in_is_not_locked_by_the_admins_lock(driver):
    """Drivers are limited by the API's throttle instead, which answers JSON."""
    client = client_for()
    for _ in range(6):
        client.post("/api/v1/auth/token", {"email": driver.email, "password": "guess"}, format="json")
    assert (
        client.post(
            "/api/v1/auth/token", {"email": driver.email, "password": "a-fine-password-42"}, format="json"
        ).status_code
        == 200
    )
