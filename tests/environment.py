"""Loaded by pytest before Django starts (``-p tests.environment`` in pyproject.toml).

The tests run with DEBUG off, as in production, so they need a secret key. Transport
security that a plain-HTTP test server cannot satisfy is switched off here; a separate
test checks the production values.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Two-factor sign-in is on in production; its tests switch it on (tests/portal/test_mfa.py),
# the others sign in with one step as the demo does.
os.environ.setdefault("MFA_REQUIRED", "false")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
