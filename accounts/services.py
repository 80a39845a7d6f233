"""Driver accounts: sign-up, profile, sign-out.

A driver is a Django user whose username is the e-mail address (lower-cased,
so one address is one account) and who is not staff: operators have their
own accounts for the admin.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from csms.api.websocket_auth import announce_access_revoked
from sessions.id_tokens import issue_app_token

User = get_user_model()


class EmailTaken(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def register_driver(*, email: str, password: str, first_name: str = "", last_name: str = ""):
    """Create the account and the app token the CSMS will start its sessions with.

    The password is checked against the configured validators (length,
    similarity to the e-mail, common and all-numeric passwords) first.
    """
    email = normalise_email(email)
    if User.objects.filter(username=email).exists():
        raise EmailTaken(email)
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same address, signed up at the same moment
        raise EmailTaken(email) from None
    issue_app_token(driver=user)
    return user


def sign_out(*, user, refresh_token: str, everywhere: bool = False) -> None:
    """Revoke the refresh token (and with `everywhere`, every one the driver holds).

    Access tokens are short-lived and not stored: they stop working when they
    expire (JWT_ACCESS_MINUTES).
    """
    try:
        token = RefreshToken(refresh_token)
    except TokenError:
        token = None  # already expired or revoked: signing out again is harmless
    if token is not None and str(token.get(api_settings.USER_ID_CLAIM)) == str(user.pk):
        token.blacklist()
    if everywhere:
        _revoke_all(user)


def change_password(*, user, current_password: str, new_password: str) -> bool:
    """False when the current password is wrong; revokes every refresh token the driver holds
    (the caller gets a fresh pair from the API)."""
    if not user.check_password(current_password):
        return False
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_all(user)
    return True


def _revoke_all(user) -> None:
    """Revoke every refresh token, and close the driver's live sockets: they would otherwise stream
    until the (stateless) access token expires."""
    for outstanding in OutstandingToken.objects.filter(user=user):
        BlacklistedToken.objects.get_or_create(token=outstanding)
    announce_access_revoked(user_id=user.pk)


def close_sockets_of_deactivated(*, user) -> None:
    """An account switched off (in the admin, or by any save) loses its live sockets at once."""
    if not user.is_active:
        announce_access_revoked(user_id=user.pk)
