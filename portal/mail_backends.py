"""A development e-mail backend that prints e-mails readably (decoded, umlauts intact)."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import EmailMessage as MimeMessage
from typing import Any

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ReadableConsoleBackend(ConsoleBackend):
    """Print sender, recipients, subject and the plain-text part as a person reads them.

    Django's console backend prints the raw MIME message, where German text appears as
    quoted-printable or base64. The HTML alternative is only mentioned.
    """

    def write_message(self, message: Any) -> None:
        mime = message.message()
        lines = [
            f"{name}: {make_header(decode_header(str(mime[name])))}"
            for name in ("From", "To", "Subject", "Date")
            if mime[name]
        ]
        text, has_html = _parts(mime)
        self.stream.write("\n".join(lines) + "\n\n" + text.rstrip() + "\n")
        if has_html:
            self.stream.write("\n[Also sent as HTML]\n")
        self.stream.write("-" * 79 + "\n")


def _parts(mime: MimeMessage) -> tuple[str, bool]:
    text, has_html = "", False
    for part in mime.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and not text:
            payload = part.get_payload(decode=True)
            charset = part.get_content_charset() or "utf-8"
            text = payload.decode(charset, "replace") if isinstance(payload, bytes) else ""
        elif kind == "text/html":
            has_html = True
    return text, has_html
