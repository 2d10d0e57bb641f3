"""The benchmark's browser: signing in through the real sign-in pages, password and the
authenticator app's code, and checking that every measured address answers 200.

``wrk`` counts only answers of 400 and above as errors: a redirect to the sign-in or to the
second-factor page would be measured as if it were the page. ``expect_ok`` asks each
address once, the way wrk will, and stops the benchmark if it does not answer 200.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import http.client
import re
import struct
import time
import urllib.parse
from dataclasses import dataclass

# The authenticator app's secret of the benchmark's accounts (RFC 6238's test key, hex).
TOTP_KEY = "3132333435363738393031323334353637383930"


def totp(key_hex: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows (RFC 6238, SHA-1, 30 s)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@dataclass
class Answer:
    status: int
    location: str
    content_type: str
    body: str
    cookies: dict[str, str]


class Browser:
    """Cookies, CSRF tokens and no automatic redirects: each answer is seen as it is."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        *,
        own_cookies: bool = True,
    ) -> Answer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if own_cookies and self.cookies and "Cookie" not in sent:
            sent["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.setdefault("Referer", f"http://{self.host}:{self.port}{path}")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        new: dict[str, str] = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                new[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        for name, value in new.items():
            if value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        content_type = response.getheader("Content-Type", "")
        text = raw.decode("utf-8", "replace") if content_type.startswith("text/") else ""
        return Answer(response.status, response.getheader("Location", ""), content_type, text, new)

    def form_token(self, page: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            raise SystemExit("no CSRF token in the form")
        return html.unescape(found.group(1))

    def page_token(self, path: str) -> str:
        """The CSRF token a page gives htmx (``hx-headers``), as the browser sends it."""
        answer = self.request("GET", path)
        found = re.search(r'"x-csrftoken": "([^"]+)"', answer.body)
        if answer.status != 200 or found is None:
            raise SystemExit(f"GET {path} answers {answer.status} without a CSRF token")
        return found.group(1)

    def sign_in(self, email: str, password: str, key_hex: str | None) -> None:
        """Sign in as a person does: the sign-in page, e-mail and password, then the code
        from the authenticator app on the second-factor page."""
        page = self.request("GET", "/anmelden/")
        answer = self.request(
            "POST",
            "/anmelden/",
            {
                "csrfmiddlewaretoken": self.form_token(page.body),
                "username": email,
                "password": password,
            },
        )
        if answer.status != 302:
            raise SystemExit(f"signing in as {email} failed (answer {answer.status})")
        if key_hex is None:
            return
        if not answer.location.endswith("/anmelden/zweiter-faktor/"):
            raise SystemExit(f"{email} was not asked for the second factor")
        for attempt in range(2):
            page = self.request("GET", "/anmelden/zweiter-faktor/")
            answer = self.request(
                "POST",
                "/anmelden/zweiter-faktor/",
                {"csrfmiddlewaretoken": self.form_token(page.body), "code": totp(key_hex)},
            )
            if answer.status == 302:
                return
            if attempt == 0:  # this code was used a moment ago: the app's next one
                time.sleep(31 - time.time() % 30)
        raise SystemExit(f"the second factor of {email} was refused")

    def expect_ok(
        self, method: str, path: str, headers: dict[str, str], content_type: str = ""
    ) -> None:
        """Stop the benchmark unless ``path`` answers 200 (and ``content_type``) to what
        wrk will send."""
        form = {"done": "1"} if method == "POST" else None
        answer = self.request(method, path, form, headers, own_cookies=False)
        if answer.status != 200 or not answer.content_type.startswith(content_type):
            raise SystemExit(
                f"{method} {path} answers {answer.status} {answer.content_type}"
                f"{' → ' + answer.location if answer.location else ''}: it would not measure "
                "the page"
            )
