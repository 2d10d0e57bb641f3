"""What every page carries: CSP, htmx with CSRF header, landmarks, footer, languages."""

from __future__ import annotations

import re
from typing import Any

from django.template import Context, Template
from django.test import Client
from django.urls import reverse, set_script_prefix

from tests.conftest import World


def test_pages_send_a_strict_csp_and_scripts_carry_its_nonce(world: World, client_for: Any) -> None:
    response = client_for("authority_admin").get(reverse("home"))
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx and the portal script should be loaded"
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag
        assert "src=" in tag  # no inline scripts
    assert "htmx" in html
    assert re.search(r'<body hx-headers=\'\{"x-csrftoken": "[^"]+"\}\'[ >]', html)


def test_layout_has_skip_link_landmarks_one_h1_and_footer_links(
    world: World, client_for: Any
) -> None:
    html = client_for("authority_admin").get(reverse("home")).content.decode()
    assert '<html lang="de">' in html
    assert '<a class="skip-link" href="#main">Zum Inhalt springen</a>' in html
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html
    assert "<nav" in html
    assert html.count("<h1") == 1
    for name in ["imprint", "privacy", "accessibility"]:
        assert f'href="{reverse(name)}"' in html
    assert "Impressum" in html
    assert "Erklärung zur Barrierefreiheit" in html
    assert 'role="status" aria-live="polite"' in html


def test_accessibility_statement_names_a_feedback_contact(client: Client, settings: Any) -> None:
    html = client.get(reverse("accessibility")).content.decode()
    assert "Feedback und Kontakt" in html
    assert f'href="mailto:{settings.PORTAL_ACCESSIBILITY_EMAIL}"' in html
    assert "Schlichtungsstelle" in html


def test_english_can_be_chosen_and_german_restored(world: World, client_for: Any) -> None:
    client = client_for("authority_admin")
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Welcome, Anna Amtmann" in html
    assert "Sign-offs waiting for your approval" in html
    back = client.post(
        reverse("set_language"), {"language": "de", "next": reverse("home")}, follow=True
    )
    assert "Willkommen, Anna Amtmann" in back.content.decode()


def test_unknown_pages_answer_in_german_with_a_way_back(client: Client, db: None) -> None:
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html
    assert f'href="{reverse("home")}"' in html


def test_static_pages_are_public(client: Client, db: None) -> None:
    for name in ["imprint", "privacy", "accessibility"]:
        assert client.get(reverse(name)).status_code == 200


def test_german_is_spoken_even_to_an_english_browser(client: Client, db: None) -> None:
    response = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="de">' in response.content.decode()
    assert response["Content-Language"] == "de"


def test_the_frames_links_follow_the_script_prefix_in_force() -> None:
    """The frame's addresses are reversed once per script prefix (``portal.templatetags
    .frame_urls``): a portal served below a path links below it, one at the root at the root."""
    page = Template("{% load frame_urls %}{% frame_url 'imprint' %} {% url 'imprint' %}")
    try:
        for prefix in ("/portal/", "/", "/anderswo/", "/portal/"):
            set_script_prefix(prefix)
            cached, reversed_now = page.render(Context()).split()
            assert cached == reversed_now == f"{prefix}impressum/"
    finally:
        set_script_prefix("/")
