"""ID numbers at rest: AES-GCM ciphertext beside an HMAC blind index.

The blind index (HMAC-SHA256 of the normalised number) is what uniqueness
and look-ups use; the ciphertext is only opened for a role allowed to see
the full number, and each opening is audited by the caller.
"""
import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app


def _key(name, purpose):
    return _derived_key(current_app.config.get(name), purpose, current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=16)  # an import of 10,000 rows asks 20,000 times for the same two keys
def _derived_key(configured, purpose, secret):
    if configured:
        return base64.urlsafe_b64decode(configured)
    # development: derive from SECRET_KEY (production refuses the default key)
    return hashlib.sha256(purpose + b"|" + secret.encode()).digest()


@functools.lru_cache(maxsize=16)
def _cipher(key):
    return AESGCM(key)


def normalise_id_number(value):
    return (value or "").strip().upper()


def blind_index(value):
    key = _key("ID_NUMBER_HMAC_KEY", b"id-number-index")
    return hmac.new(key, normalise_id_number(value).encode(), hashlib.sha256).hexdigest()


def encrypt(value):
    nonce = os.urandom(12)
    data = _cipher(_key("ID_NUMBER_ENC_KEY", b"id-number-enc")).encrypt(nonce, value.encode(), None)
    return base64.b64encode(nonce + data).decode()


def decrypt(token):
    raw = base64.b64decode(token)
    return _cipher(_key("ID_NUMBER_ENC_KEY", b"id-number-enc")).decrypt(raw[:12], raw[12:], None).decode()


def mask_id_number(value):
    """110105199001010022 -> 110105********002X style: keep 6 + last 4."""
    value = normalise_id_number(value)
    if len(value) <= 8:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
