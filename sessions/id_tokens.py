"""The id tokens a driver owns: RFID cards, and the one token of the app; and tokens other parties issued.

When the app starts a session, the CSMS sends the app token as the idTag
(OCPP 1.6) / idToken (2.0.1), so the transaction the charger opens is known
to be the driver's.

A roaming partner (an eMSP) tells us of the tokens it issued to its drivers; each is kept as an IdTag
naming its issuer, so a charger presenting it is answered by the one authorization rule
(sessions.authorization). Its id tag is the uid the charger reads (an RFID card's UID), up to 36
characters: an OCPP 2.0.1 charger reads that many, a 1.6 charger only 20, so a longer uid can only be
used at 2.0.1 chargers (1.6 local lists leave it out).
"""

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from sessions.models import AuthorizationStatus, IdTag

# OCPP 1.6 idTag is at most 20 characters.
APP_TOKEN_PREFIX = "APP"
APP_TOKEN_LENGTH = 20


class IdTokenTaken(Exception):
    """The card number is registered already (to someone, maybe this driver)."""


class AppTokenNotRemovable(Exception):
    pass


def issue_app_token(*, driver) -> IdTag:
    """The driver's app token, created once. A driver may charge two cars at once
    from the app, so it allows concurrent sessions."""
    existing = IdTag.objects.filter(owner=driver, token_type=IdTag.TokenType.APP).first()
    if existing is not None:
        return existing
    uid = APP_TOKEN_PREFIX + secrets.token_hex(APP_TOKEN_LENGTH).upper()[: APP_TOKEN_LENGTH - len(APP_TOKEN_PREFIX)]
    return IdTag.objects.create(
        id_tag=uid,
        owner=driver,
        token_type=IdTag.TokenType.APP,
        id_token_type=IdTag.IdTokenType.CENTRAL,
        allow_concurrent_transactions=True,
    )


def register_card(*, driver, uid: str) -> IdTag:
    """Register an RFID card by its uid (as the reader reports it, upper-case hex)."""
    try:
        with transaction.atomic():
            return IdTag.objects.create(
                id_tag=uid.strip().upper(),
                owner=driver,
                token_type=IdTag.TokenType.RFID,
                id_token_type=IdTag.IdTokenType.ISO14443,
            )
    except IntegrityError:
        raise IdTokenTaken(uid) from None


def remove_card(*, token: IdTag) -> None:
    """Unregister a card: it is blocked and leaves the account, and its past
    sessions stay in the driver's history."""
    if token.token_type == IdTag.TokenType.APP:
        raise AppTokenNotRemovable(token.id_tag)
    IdTag.objects.filter(pk=token.pk).update(owner=None, status=AuthorizationStatus.BLOCKED)


@dataclass(frozen=True)
class IssuedToken:
    """A token another party issued, whole, as its issuer describes it now."""

    issuer_party: str  # "CC*PID"
    id_tag: str
    token_type: str  # IdTag.TokenType
    id_token_type: str  # IdTag.IdTokenType
    contract_id: str
    issuer_name: str
    whitelist: str  # sessions.models.Whitelist
    valid: bool
    last_updated: datetime
    visual_number: str = ""
    issuer_group: str = ""
    language: str = ""


def keep_issued_token(*, token: IssuedToken) -> IdTag:
    """Keep a partner's token as its issuer sends it, whole (a new one, or replacing what we had).
    A uid we know from another issuer (or as ours) is refused: a charger presents
    only the uid, so two issuers' tokens with one uid could not be told apart."""
    fields = asdict(token)
    with transaction.atomic():
        tag = IdTag.objects.select_for_update().filter(id_tag=token.id_tag).first()
        if tag is None:
            try:
                with transaction.atomic():
                    return IdTag.objects.create(**fields)
            except IntegrityError:  # the same uid, kept by a concurrent request a moment ago
                tag = IdTag.objects.select_for_update().get(id_tag=token.id_tag)
        if tag.issuer_party != token.issuer_party:
            raise IdTokenTaken(token.id_tag)
        for name, value in fields.items():
            setattr(tag, name, value)
        tag.save(update_fields=list(fields))
        return tag
