"""E-mails leave from the background worker: a request only queues them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from portal.mail import send_mail_task
from tests.conftest import make_user

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_is_queued_in_the_request_and_sent_by_the_worker() -> None:
    make_user("anna@musterstadt.example", "Anna Amtmann")
    with override_settings(TASKS=DATABASE_TASKS):
        known = Client().post(reverse("password_reset"), {"email": "Anna@Musterstadt.example"})
        unknown = Client().post(reverse("password_reset"), {"email": "niemand@example.org"})
        # Both requests did the same: queue one task each, send nothing, answer alike.
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
        assert mail.outbox == []
        assert DBTaskResult.objects.count() == 2
        run_worker()
    assert [m.to for m in mail.outbox] == [["anna@musterstadt.example"]]
    assert "/passwort-neu/" in mail.outbox[0].body
    assert "Passwort" in mail.outbox[0].subject  # German, the language of the request


@pytest.mark.django_db(transaction=True)
def test_the_reset_mail_keeps_the_language_of_the_request() -> None:
    make_user("anna@musterstadt.example", "Anna Amtmann")
    with override_settings(TASKS=DATABASE_TASKS):
        client = Client()
        client.cookies["django_language"] = "en"
        client.post(reverse("password_reset"), {"email": "anna@musterstadt.example"})
        run_worker()
    assert "password" in mail.outbox[0].subject.lower()
    assert "Passwort" not in mail.outbox[0].subject


def test_send_mail_task_sends_one_plain_message(db: None) -> None:
    send_mail_task.enqueue("Betreff", "Text", ["bernd@musterstadt.example"])
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [
        ("Betreff", "Text", ["bernd@musterstadt.example"])
    ]
