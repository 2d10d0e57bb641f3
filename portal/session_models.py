"""The session row (``SESSION_ENGINE`` ``portal.sessions``), naming its user and device."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    """Django's database session, plus whom it signs in and the device that confirmed it.

    ``user`` and ``device_model``/``device_number`` repeat what the encoded session data
    says; the session store writes them with the data on every save, so that one statement
    reads the session together with the user, the memberships and the confirmed device
    (``portal.signed_in.load_session``). The decoded data still decides: where the columns
    disagree with it, the user is loaded on its own (``portal.backends.PortalBackend``).
    No foreign-key constraint: a session outliving its user signs nobody in, as before.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The confirmed second-factor device's model (``app_label.model_name``) and id.
    device_model = models.CharField(max_length=100, blank=True, default="")
    device_number = models.BigIntegerField(null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "portal_session"

    @classmethod
    def get_session_store_class(cls) -> Any:
        from portal.sessions import SessionStore  # the store imports the models

        return SessionStore
