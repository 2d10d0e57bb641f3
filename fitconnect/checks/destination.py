"""2. Destination: active, and matching what was recorded, field by field."""

from __future__ import annotations

import json
from typing import Any

from fitconnect.checks.base import Check, Failed, Outcome, RunContext, region_matches
from fitconnect.checks.fixes import DESTINATION, Fix, fix
from fitconnect.constants import service_identifier
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy


def run(ctx: RunContext) -> Outcome:
    expected = ctx.expected
    destination, evidence = ctx.destination()
    diff: list[dict[str, Any]] = []

    def compare(field_name: str, recorded: Any, configured: Any, ok: bool) -> None:
        diff.append(
            {"field": field_name, "recorded": recorded, "configured": configured, "match": ok}
        )

    status = destination.get("status")
    compare("status", "active", status, status == "active")
    compare(
        "encryptionKid",
        expected.encryption_kid,
        destination.get("encryptionKid"),
        not expected.encryption_kid or destination.get("encryptionKid") == expected.encryption_kid,
    )
    services = destination.get("services", destination.get("publicServices"))
    if not isinstance(services, list):
        raise Failed(
            _(
                "The response does not have the expected structure: the destination "
                "contains no list of services (services)."
            ),
            evidence=evidence,
        )
    by_identifier = {str(s.get("identifier")): s for s in services if isinstance(s, dict)}
    for service in expected.services:
        configured = by_identifier.get(service_identifier(service.key))
        label = _("Service %(key)s") % {"key": service.key}
        if configured is None:
            compare(label, service.name, None, False)
            continue
        schemas = [
            (s.get("schemaUri"), s.get("mimeType"))
            for s in configured.get("submissionSchemas", [])
            if isinstance(s, dict)
        ]
        compare(
            _("Service %(key)s: schema") % {"key": service.key},
            f"{service.schema_uri} ({service.mime_type})",
            "; ".join(f"{uri} ({mime})" for uri, mime in schemas) or None,
            (service.schema_uri, service.mime_type) in schemas,
        )
        regions = [str(r) for r in configured.get("regions", [])]
        compare(
            _("Service %(key)s: regions") % {"key": service.key},
            ", ".join(service.regions),
            ", ".join(regions) or None,
            all(any(region_matches(r, ars) for r in regions) for ars in service.regions),
        )
        channels = configured.get("replyChannels") or {}
        compare(
            _("Service %(key)s: reply channels") % {"key": service.key},
            json.dumps(service.reply_channels, sort_keys=True)
            if service.reply_channels
            else _("Letter"),
            json.dumps(channels, sort_keys=True) if channels else _("Letter"),
            channels == service.reply_channels,
        )
    recorded = {service_identifier(s.key) for s in expected.services}
    extra = sorted(set(by_identifier) - recorded)
    versions = [str(v) for v in destination.get("metadataVersions", [])]
    compare(
        "metadataVersions",
        ", ".join(expected.metadata_versions),
        ", ".join(versions) or None,
        bool(versions) and set(expected.metadata_versions) <= set(versions),
    )
    evidence = evidence | {"diff": diff, "destination_status": status}
    mismatches = [d for d in diff if not d["match"]]
    if mismatches:
        return Outcome(
            "failed",
            _("The destination differs from the recorded data in %(count)d point(s).")
            % {"count": len(mismatches)},
            evidence,
            [
                _("%(field)s: recorded %(recorded)s – in the destination %(configured)s")
                % {"field": d["field"], "recorded": d["recorded"], "configured": d["configured"]}
                for d in mismatches
            ],
        )
    if extra:
        return Outcome(
            "warning",
            _(
                "The destination is active and matches, but offers further services that "
                "are not recorded here: %(services)s."
            )
            % {"services": ", ".join(extra)},
            evidence,
        )
    return Outcome("ok", _("The destination is active and matches all recorded data."), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [
        fix(
            _(
                "Compare the destination in the Self-Service-Portal with the data recorded here "
                "and correct whichever is wrong."
            ),
            DESTINATION,
        )
    ]


CHECK = Check("destination", gettext_lazy("Destination"), run, fixes=fixes)
