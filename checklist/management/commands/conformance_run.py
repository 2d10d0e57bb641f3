"""Run the conformance battery of an onboarding from the shell (fitconnect.conformance).

The portal acts as the Sender (the Sender client stored for the environment, or
FITCONNECT_SENDER_ID / FITCONNECT_SENDER_SECRET) and prints one line per case; it exits 1 if
a case failed, as ``verify_onboarding`` does. A case without an answer within ``--timeout``
seconds (default: the environment's ``conformance_timeout_s``) is "no answer", not a failure.
The run is stored like one started in the portal (``checklist.conformance``): it is shown on
the step page and, against a FITKO stage, ticks or reopens the rejection item.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from checklist import conformance, verification
from checklist.management.lookup import (
    environment_named,
    onboarding_named,
    secrets_from_environment,
)
from fitconnect.messages import render

SYMBOLS = {
    "passed": "✔ ok      ",
    "failed": "✘ Fehler  ",
    "no_answer": "… keine Antwort",
    "skipped": "– übersprungen",
    "error": "! Störung ",
}
ENVIRONMENT_VARIABLES = {
    "sender_id": "FITCONNECT_SENDER_ID",
    "sender_secret": "FITCONNECT_SENDER_SECRET",
}


class Command(BaseCommand):
    help = "Run the conformance battery against an onboarding's Zustellpunkt; exits 1 on a failure."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("onboarding", help="slug or numeric id")
        parser.add_argument(
            "--environment", required=True, help="key of the environment, e.g. test or sandbox"
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=None,
            help="seconds to wait for the Fachverfahren's answers (default: the environment's)",
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        onboarding = onboarding_named(options["onboarding"])
        key = options["environment"]
        environment = environment_named(key)
        record = onboarding.environments.filter(environment=key).first()
        if record is None or not record.destination_id:
            raise CommandError(
                f"The {key} environment of {onboarding.slug} has no Zustellpunkt ID recorded."
            )
        provided = secrets_from_environment(ENVIRONMENT_VARIABLES)
        credentials = verification.credentials_for(onboarding, key, provided)
        if not credentials.sender_id or not credentials.sender_secret:
            raise CommandError(
                "No Sender client: store it in the portal or set FITCONNECT_SENDER_ID and "
                "FITCONNECT_SENDER_SECRET."
            )
        run = conformance.start(onboarding, environment, None)

        def show(state: dict[str, Any]) -> None:
            if not options["json"]:
                line = f"{SYMBOLS[state['verdict']]} {render(state['sent'])}: "
                self.stdout.write(line + render(state["message"]))

        conformance.execute(run.pk, provided=provided, on_case=show, timeout=options["timeout"])
        run.refresh_from_db()
        results = [run.cases[case] for case in conformance.case_order(run) if case in run.cases]
        if options["json"]:
            shown = [
                {
                    "case": r["case"],
                    "party": r["party"],
                    "verdict": r["verdict"],
                    "sent": render(r["sent"]),
                    "expected": render(r["expected"]),
                    "received": render(r["received"]),
                    "message": render(r["message"]),
                }
                for r in results
            ]
            self.stdout.write(
                json.dumps(
                    {
                        "onboarding": onboarding.slug,
                        "environment": key,
                        "run": run.pk,
                        "status": run.status,
                        "results": shown,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        if any(r["verdict"] == "failed" for r in results):
            raise CommandError("At least one case failed.", returncode=1)
