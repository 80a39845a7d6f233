"""Issue 9 item 3: X-Forwarded-For is believed only from our own proxies, so rotating it evades no throttle."""

import ipaddress
import itertools

import pytest
from django.core.cache import cache

from csms.api.throttling import client_address
from tests.api_fixtures import client_for, driver  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
_spoofed = (f"198.51.100.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """PBKDF2's deliberate slowness would make 40 sign-ins a minute's work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(
    "peer, forwarded_for, expected",
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not our proxy: the header is the client's own words
        ("10.1.1.1", "198.51.100.1", "198.51.100.1"),
        ("10.1.1.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a hop the client wrote before ours is ignored
        ("10.1.1.1", "198.51.100.1, 10.2.2.2", "198.51.100.1"),  # two proxies of ours
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("10.1.1.1", "10.2.2.2", "10.1.1.1"),  # only our proxies: the nearest one
        ("10.1.1.1", "not-an-address", "10.1.1.1"),  # a misconfigured proxy: count the proxy
    ],
)
def test_the_client_address(peer, forwarded_for, expected):
    assert client_address(peer=peer, forwarded_for=forwarded_for, trusted=PROXIES) == expected


def sign_in(client, **headers):
    body = {"email": "dana@example.com", "password": "a wrong guess"}
    return client.post("/api/v1/auth/token", body, format="json", **headers)


def fresh_client(address: str):
    """A client whose throttle counter starts at zero (the cache outlives the test database)."""
    cache.delete(f"throttle_auth_{address}")
    return client_for()


def test_rotating_x_forwarded_for_is_still_throttled(driver):
    client = fresh_client("192.0.2.40")
    codes = [
        sign_in(client, REMOTE_ADDR="192.0.2.40", HTTP_X_FORWARDED_FOR=next(_spoofed)).status_code for _ in range(40)
    ]
    assert codes[:20] == [401] * 20 and codes[20:] == [429] * 20


def test_behind_a_trusted_proxy_each_client_is_counted_apart_and_cannot_spoof(driver, settings):
    settings.TRUSTED_PROXIES = PROXIES
    client = fresh_client("192.0.2.41")
    fresh_client("192.0.2.42")

    def guess(real_client: str) -> int:
        forwarded = f"{next(_spoofed)}, {real_client}"  # what the client claimed, then what our proxy saw
        return sign_in(client, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [guess("192.0.2.41") for _ in range(21)] == [401] * 20 + [429]
    assert guess("192.0.2.42") == 401  # another client behind the same proxy is not throttled for it
