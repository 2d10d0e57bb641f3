"""The five steps of connecting a Fachverfahren to FIT-Connect, as FITKO's guide names them.

Source: https://docs.fitko.de/fit-connect/docs/organisation-tasks/leitfaden-fachverfahren-ueberblick/
The responsible person at the authority acts in steps 1 and 5; the IT service provider
in all five.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

GUIDE_URL = (
    "https://docs.fitko.de/fit-connect/docs/organisation-tasks/leitfaden-fachverfahren-ueberblick/"
)


@dataclass(frozen=True)
class Step:
    number: int
    title: str | Promise
    summary: str | Promise
    authority_acts: bool


STEPS: tuple[Step, ...] = (
    Step(
        1,
        _("Conceptual considerations"),
        _(
            "The authority decides which services (Leistungen) citizens can apply for online, "
            "notes their Leistungsschlüssel, chooses how the Fachverfahren answers (FIT-Connect, "
            "Elster, FINK, e-mail or letter) and which data schema (FIM or XÖV) it uses."
        ),
        True,
    ),
    Step(
        2,
        _("Implementing the receiving interface"),
        _(
            "The IT service provider creates a Subscriber client and a Zustellpunkt "
            "(destination) in FITKO's Self-Service-Portal, generates the keys and builds the "
            "interface that fetches, decrypts and confirms submissions."
        ),
        False,
    ),
    Step(
        3,
        _("Testing on the test environment"),
        _(
            "The connection is tested end to end on the FIT-Connect test environment: token, "
            "Zustellpunkt, keys and a real encrypted test submission. The authority signs off "
            "the result."
        ),
        False,
    ),
    Step(
        4,
        _("Testing on the reference environment"),
        _(
            "The same tests run on the reference environment (Referenzumgebung) with "
            "certificates from the administration PKI (V-PKI), followed by a second sign-off."
        ),
        False,
    ),
    Step(
        5,
        _("Going to production"),
        _(
            "The authority applies to FITKO for production access and accepts the terms of "
            "use; the production Zustellpunkt is created and published so that online services "
            "can find it."
        ),
        True,
    ),
)
