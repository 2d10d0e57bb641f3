"""E-mails go out from the background worker (``manage.py db_worker``), never in a request.

A request only enqueues a task: its answer does not wait for the mail server, and a slow or
unreachable server does not show in the page. ``send_mail_task`` sends a ready message;
``send_password_reset`` does the whole reset (look-up, link, message) in the worker, so that
the request does the same for known and unknown addresses.
"""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation


@task
def send_mail_task(subject: str, body: str, recipients: list[str]) -> None:
    """Send one plain-text e-mail from the portal's sender address."""
    send_mail(subject, body, None, recipients)


@task
def send_password_reset(
    email: str,
    domain: str,
    use_https: bool,
    language: str,
    subject_template_name: str,
    email_template_name: str,
) -> None:
    """Send the reset link to the active account with this address, if there is one."""
    form = PasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(
            domain_override=domain,
            use_https=use_https,
            subject_template_name=subject_template_name,
            email_template_name=email_template_name,
        )
