"""Create an API token for an organisation and print it once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.models import ApiToken, Organisation


class Command(BaseCommand):
    help = (
        "Create an API token for an organisation (by its short name) and print it once; "
        "only its SHA-256 is stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("organisation", help="short name (slug) of the organisation")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument(
            "--scope",
            nargs="+",
            required=True,
            choices=ApiToken.Scope.values,
            help="one or more permissions",
        )
        parser.add_argument(
            "--days", type=int, default=90, help="how many days the token is valid (default 90)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(
                f"There is no organisation {options['organisation']!r} (known: {known})."
            )
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("Give the token a name of 1 to 100 characters.")
        if not 1 <= options["days"] <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        if organisation.api_tokens.filter(name=name, revoked_at__isnull=True).exists():
            raise CommandError(f"{organisation.name} already has a token named {name!r}.")
        token, plain = ApiToken.create(
            organisation=organisation,
            name=name,
            scopes=options["scope"],
            valid_days=options["days"],
            created_by=None,
        )
        self.stderr.write(
            f"Created {token.name!r} for {organisation.name} "
            f"({', '.join(token.scopes)}), valid until {token.expires_at:%Y-%m-%d}. "
            "It is shown only now:"
        )
        self.stdout.write(plain)
