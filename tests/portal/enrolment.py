"""Opening the link that the first second factor of an account waits for (portal.mfa)."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse


def open_enrolment_link(client: Client) -> str:
    """Ask for the link on the set-up page, find it in the e-mail and open it; return it."""
    before = len(mail.outbox)
    client.post(reverse("mfa_setup"))
    assert len(mail.outbox) == before + 1
    message = mail.outbox[-1]
    found = re.search(r"https?://\S+/konto/zwei-faktor/bestaetigen/\S+/", message.body)
    assert found is not None, message.body
    link = found.group(0)
    client.get(link)
    return link
