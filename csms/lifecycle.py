"""Lifecycle events: what happened in a lower layer, for the layers above to act on.

A domain service publishes a typed event (a frozen dataclass); subscribers,
registered by upper apps in their AppConfig.ready(), are called in this
process once the transaction that caused the event commits, so none acts on
a change that was rolled back. A subscriber does little itself; one that
fails is logged and never stops the others or the service that published.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[type, list[Callable]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event) -> None:
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event) -> None:
    for handler in list(_subscribers[type(event)]):
        try:
            handler(event)
        except Exception:
            logger.exception("subscriber %s failed on %s", getattr(handler, "__qualname__", handler), event)
