"""The id tokens a driver owns: RFID cards, and the one token of the app.

When the app starts a session, the CSMS sends the app token as the idTag
(OCPP 1.6) / idToken (2.0.1), so the transaction the charger opens is known
to be the driver's.
"""

import secrets

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
