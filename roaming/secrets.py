"""Encryption of the partners' tokens we must keep in clear to call them.

The key is derived from SECRET_KEY (HKDF, its own context string), so no second secret needs managing and
csms/secrets.py's guard already keeps a code-written SECRET_KEY out of deployments. Rotating SECRET_KEY
makes the stored tokens unreadable: the partners' credentials must then be updated (PUT) again.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_CONTEXT = b"voltstack roaming partner tokens v1"


@cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    return _fernet(settings.SECRET_KEY).decrypt(value.encode()).decode()


def token_hash(token: str) -> str:
    """The lookup key of a token we issued: SHA-256 is enough, the tokens are long random strings."""
    return hashlib.sha256(token.encode()).hexdigest()
