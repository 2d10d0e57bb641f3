"""Encrypt client secrets at rest with Fernet (AES-128-CBC + HMAC-SHA-256)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.SECRET_ENCRYPTION_KEY
    if not key:
        # Derived from SECRET_KEY: rotating SECRET_KEY makes stored secrets unreadable.
        digest = hashlib.sha256(f"anbindungsportal-secrets:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str, *, ttl: int | None = None) -> str | None:
    """Return the plain text, or None when the token is invalid, foreign or expired."""
    try:
        return _fernet().decrypt(token.encode(), ttl=ttl).decode()
    except (InvalidToken, ValueError):
        return None
