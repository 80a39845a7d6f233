"""Who is asking: the client's address, as throttles and the admin's lock-out count it.

X-Forwarded-For is a header anyone can write. It tells the client's address
only when our own proxy wrote it, so it is read only when the peer (the
socket's other end) is one of TRUSTED_PROXIES; then the client is the
right-most hop that is not a trusted proxy (hops to its left were written by
the client, and may be anything). With no trusted proxies (the default) the
header is ignored. DRF's own throttles read the header unconditionally, so a
client rotating it was never throttled.
"""

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import ScopedRateThrottle

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(*, peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The peer, or behind trusted proxies the right-most X-Forwarded-For hop that is not one of them."""
    trusted = list(trusted)
    if not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
        if not _is_trusted(hop, trusted):
            # Our proxy wrote this hop; if it is no address, the proxy is misconfigured: count the proxy.
            return hop if _address(hop) is not None else peer
    return peer  # a chain of our own proxies only


def request_client_address(request: HttpRequest) -> str:
    """The client address of a Django (or DRF) request; also django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_address(
        peer=request.META.get("REMOTE_ADDR", ""),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"),
        trusted=settings.TRUSTED_PROXIES,
    )


class ClientScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle counting anonymous requests per client address as defined above."""

    def get_ident(self, request) -> str:
        return request_client_address(request)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(value: str, trusted: list[Network]) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in trusted)
