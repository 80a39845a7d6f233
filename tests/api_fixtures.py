"""Drivers and operators for in-process API tests (DRF's APIClient, no server)."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.services import register_driver

_addresses = itertools.count(1)


def client_for(user=None) -> APIClient:
    """A client from its own address, so throttling counts each test apart."""
    client = APIClient(REMOTE_ADDR=f"10.0.{next(_addresses) // 250}.{next(_addresses) % 250 + 1}")
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def new_driver(email: str, password: str):
    """A driver whose throttle counters start at zero (user ids repeat across tests, the cache does not forget)."""
    user = register_driver(email=email, password=password)
    cache.delete_many([f"throttle_{scope}_{user.pk}" for scope in ("auth", "session_start")])
    return user


@pytest.fixture
def driver(db):
    return new_driver("dana@example.com", "a-fine-password-42")


@pytest.fixture
def other_driver(db):
    return new_driver("sam@example.com", "another-password-42")


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_user("ops", "ops@example.com", "operator-password-42", is_staff=True)
