"""A PDF export someone waits for is not queued behind slower work in the worker."""

from __future__ import annotations

from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from checklist import tasks
from portal.mail import send_mail_task
from tests.conftest import World

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_worker_takes_a_pdf_before_checks_and_e_mails_queued_earlier(world: World) -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        tasks.run_checks.enqueue(1)
        send_mail_task.enqueue("Betreff", "Text", ["anna@musterstadt.example"])
        tasks.render_pdf.enqueue(1)
        taken = DBTaskResult.objects.ready().get_locked()
    assert taken is not None
    assert taken.task_path == "checklist.tasks.render_pdf"
