"""The asynchronous results of commands and charging-profile requests, POSTed to the partner's response_url.

Shared by the Commands and ChargingProfiles modules: whatever the charger answered is recorded on the
Command row as the result object (`record`), and `deliver` POSTs it to the party that asked (OCPI-to-*,
so a hub routes it to that party rather than to its own first role). A partner that cannot take it (down,
timing out, not 2xx) gets it again after a backoff (OCPI_PUSH_RETRY_BASE doubling up to
OCPI_PUSH_RETRY_MAX, as the push queue does), found by the beat (`due`), until OCPI_PUSH_MAX_ATTEMPTS; a
partner that answers with an error envelope refused it, which no retry mends: failed, for operators.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from roaming import client
from roaming.models import Command
from roaming.parties import party_pair
from roaming.secrets import decrypt


def record(*, command_id: int, result: str, body: dict[str, Any], message: str = "") -> None:
    """The charger's answer as the result object we owe the partner; due at once."""
    Command.objects.filter(pk=command_id).update(
        state=Command.State.ANSWERED,
        result=result,
        result_body=body,
        message=message[:255],
        next_attempt_at=timezone.now(),
    )


def deliver(*, command_id: int) -> bool:
    """POST the result to the response_url; whether the partner took it (False: tried again later)."""
    command = Command.objects.select_related("partner").get(pk=command_id)
    if command.state != Command.State.ANSWERED:
        return command.state == Command.State.DELIVERED
    partner = command.partner
    command.attempts += 1
    if not partner.their_token_encrypted:
        _save(command, state=Command.State.FAILED, error="the partner is no longer registered")
        return False
    try:
        client.call(
            "POST",
            command.response_url,
            token=decrypt(partner.their_token_encrypted),
            partner=partner,
            raw=partner.tokens_raw,
            body=command.result_body,
            to_party=party_pair(command.from_party),
        )
    except client.PartnerRefused as refusal:
        _save(command, state=Command.State.FAILED, error=f"refused: {refusal}")
        return False
    except client.PartnerUnavailable as failure:
        given_up = command.attempts >= settings.OCPI_PUSH_MAX_ATTEMPTS
        _save(command, state=Command.State.FAILED if given_up else Command.State.ANSWERED, error=str(failure))
        return False
    command.delivered_at = timezone.now()
    _save(command, state=Command.State.DELIVERED, error="")
    return True


def _save(command: Command, *, state: str, error: str) -> None:
    command.state = state
    command.last_error = error[:255]
    backoff = min(settings.OCPI_PUSH_RETRY_BASE * 2 ** (command.attempts - 1), settings.OCPI_PUSH_RETRY_MAX)
    command.next_attempt_at = timezone.now() + timedelta(seconds=backoff)
    command.save(update_fields=["state", "last_error", "attempts", "next_attempt_at", "delivered_at"])


def due() -> list[int]:
    """The results whose next POST is due."""
    ready = Command.objects.filter(state=Command.State.ANSWERED, next_attempt_at__lte=timezone.now())
    return list(ready.order_by("id").values_list("pk", flat=True))
