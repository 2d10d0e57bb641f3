"""Run the FIT-Connect connection checks of an onboarding from the shell.

Secrets come from stored (encrypted) secrets, from the environment variables
FITCONNECT_SUBSCRIBER_SECRET, FITCONNECT_SENDER_ID, FITCONNECT_SENDER_SECRET and
FITCONNECT_CALLBACK_SECRET, or from a prompt; never from arguments.
"""

from __future__ import annotations

import getpass
import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from checklist import verification
from checklist.management.lookup import (
    environment_named,
    onboarding_named,
    secrets_from_environment,
)
from fitconnect.checks import CheckResult

SYMBOLS = {
    "ok": "✔ ok      ",
    "warning": "! Warnung ",
    "failed": "✘ Fehler  ",
    "skipped": "– übersprungen",
}
ENVIRONMENT_VARIABLES = {
    "subscriber_secret": "FITCONNECT_SUBSCRIBER_SECRET",
    "sender_id": "FITCONNECT_SENDER_ID",
    "sender_secret": "FITCONNECT_SENDER_SECRET",
    "callback_secret": "FITCONNECT_CALLBACK_SECRET",
}


class Command(BaseCommand):
    help = "Check an onboarding's FIT-Connect connection; exits 1 if a check fails."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("onboarding", help="slug or numeric id")
        parser.add_argument(
            "--environment", required=True, help="key of the environment, e.g. test or sandbox"
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        onboarding = onboarding_named(options["onboarding"])
        environment = options["environment"]
        target = environment_named(environment)
        record = onboarding.environments.filter(environment=environment).first()
        if record is None or not record.client_id or not record.destination_id:
            raise CommandError(
                f"The {environment} environment of {onboarding.slug} has no client ID or "
                "Zustellpunkt ID recorded."
            )
        provided = secrets_from_environment(ENVIRONMENT_VARIABLES)
        credentials = verification.credentials_for(onboarding, environment, provided)
        _usable, withheld = verification.usable_secrets(onboarding, environment)
        if withheld:
            self.stderr.write(
                "The addresses of this environment have changed since its secrets were "
                "stored; they are used again only after a member confirms the new addresses "
                "in the portal."
            )
        if not credentials.subscriber_secret:
            if not sys.stdin.isatty():
                raise CommandError(
                    "No Subscriber client secret: store it in the portal or set "
                    "FITCONNECT_SUBSCRIBER_SECRET."
                )
            provided["subscriber_secret"] = getpass.getpass(
                "Client secret of the Subscriber client: "
            )

        def show(result: CheckResult) -> None:
            if not options["json"]:
                self.stdout.write(f"{SYMBOLS[result.status]} {result.title}: {result.message}")
                for line in result.details:
                    self.stdout.write(f"             {line}")
                for fix in result.fixes:
                    self.stdout.write(f"             → {fix['text']} {fix['url']}")

        run, _changed = verification.run_verification(
            onboarding, target, None, provided=provided, on_result=show
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "onboarding": onboarding.slug,
                        "environment": environment,
                        "status": run.status,
                        "results": run.results,
                    },
                    ensure_ascii=False,
                    indent=2,
                    default=str,
                )
            )
        if any(r["status"] == "failed" for r in run.results):
            raise CommandError("At least one check failed.", returncode=1)
