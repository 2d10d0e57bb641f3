"""2. Destination: active, and matching what was recorded, field by field."""

from __future__ import annotations

from typing import Any

from fitconnect.checks.base import Check, Failed, Outcome, RunContext, region_matches
from fitconnect.checks.fixes import DESTINATION, Fix, fix
from fitconnect.constants import BUNDID_REPLY_CHANNEL, service_identifier
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import Text, define

NO_SERVICES = define(
    "destination.no_services",
    gettext_noop(
        "The response does not have the expected structure: the destination contains no list "
        "of services (%(field)s)."
    ),
)
OTHER_VERSION = define(
    "destination.other_version",
    gettext_noop(
        "The destination lists its services under %(found)s, which Submission API %(version)s "
        "does not use. Is the API version of this environment set correctly?"
    ),
)
DIFFERS = define(
    "destination.differs",
    gettext_noop("The destination differs from the recorded data in %(count)d point(s)."),
)
DIFFERENCE = define(
    "destination.difference",
    gettext_noop("%(field)s: recorded %(recorded)s – in the destination %(configured)s"),
)
EXTRA_SERVICES = define(
    "destination.extra_services",
    gettext_noop(
        "The destination is active and matches, but offers further services that are not "
        "recorded here: %(services)s."
    ),
)
OK = define(
    "destination.ok", gettext_noop("The destination is active and matches all recorded data.")
)
COMPARE = define(
    "destination.fix_compare",
    gettext_noop(
        "Compare the destination in the Self-Service-Portal with the data recorded here and "
        "correct whichever is wrong."
    ),
)

# What the rows of the comparison are called.
FIELD_STATUS = define("field.destination_status", gettext_noop("Status of the destination"))
FIELD_ENCRYPTION_KID = define("field.encryption_kid", gettext_noop("Encryption key ID (kid)"))
FIELD_SERVICE = define("field.service", gettext_noop("Service %(key)s"))
FIELD_SCHEMA = define("field.service_schema", gettext_noop("Service %(key)s: schema"))
FIELD_REGIONS = define("field.service_regions", gettext_noop("Service %(key)s: regions"))
FIELD_REPLY = define(
    "field.service_reply_channels", gettext_noop("Service %(key)s: reply channels")
)
FIELD_METADATA = define("field.metadata_versions", gettext_noop("Metadata versions"))

# The values, in words.
NOT_OFFERED = define("value.not_offered", gettext_noop("not offered"))
NONE_GIVEN = define("value.none", gettext_noop("none"))
SCHEMA = define("value.schema", gettext_noop("%(uri)s (%(mime)s)"))
LETTER = define("value.letter", gettext_noop("Letter"))
STATUSES = {
    "created": define("value.status_created", gettext_noop("created, not yet active")),
    "active": define("value.status_active", gettext_noop("active")),
    "inactive": define("value.status_inactive", gettext_noop("inactive")),
    "decommissioned": define("value.status_decommissioned", gettext_noop("decommissioned")),
}
EMAIL_PGP = define("value.email_pgp", gettext_noop("E-mail (PGP-encrypted)"))
EMAIL_PLAIN = define("value.email_plain", gettext_noop("E-mail (not encrypted)"))
DEMAIL = define("value.demail", gettext_noop("De-Mail"))
BUNDID = define("value.bundid", gettext_noop("BundID mailbox"))
FITCONNECT = define("value.fitconnect_channel", gettext_noop("FIT-Connect (%(standards)s)"))


def status_words(status: Any) -> Text | str:
    known = STATUSES.get(str(status)) if status is not None else None
    if known is not None:
        return known()
    return NONE_GIVEN() if status in (None, "") else str(status)


def channel_words(channels: dict[str, Any]) -> list[Text | str]:
    """Return reply channels as people call them; none at all means a reply by letter."""
    words: list[Text | str] = []
    for name, value in sorted(channels.items()):
        options = value if isinstance(value, dict) else {}
        if name == "fitConnect":
            standards = [str(s) for s in options.get("processStandards", [])]
            words.append(FITCONNECT(standards=standards or NONE_GIVEN()))
        elif name == "eMail":
            words.append(EMAIL_PGP() if options.get("usePgp") else EMAIL_PLAIN())
        elif name == "deMail":
            words.append(DEMAIL())
        elif name == BUNDID_REPLY_CHANNEL:
            words.append(BUNDID())
        elif name in ("elster", "fink"):
            words.append(name.upper())
        else:
            words.append(name)
    return words or [LETTER()]


def offered_channels(channels: dict[str, Any]) -> dict[str, Any]:
    """Return what a ``replyChannels`` object offers, as FITKO defines it.

    A channel is offered by its key (Submission API 1.1.3 ``ReplyChannel``: ``deMail``,
    ``elster``, ``eMail``, ``fink``; ``fitConnect`` and the BundID mailbox: docs/fitko-facts.md
    §4 and §9). Of a channel's fields only those FITKO defines say what is offered: ``usePgp``
    of ``eMail`` (left out: no PGP is signalled) and the ``processStandards`` of
    ``fitConnect`` (a list whose order means nothing). Other fields change nothing.
    """
    offered: dict[str, Any] = {}
    for name, value in channels.items():
        options = value if isinstance(value, dict) else {}
        if name == "eMail":
            offered[name] = options.get("usePgp") is True
        elif name == "fitConnect":
            standards = options.get("processStandards")
            offered[name] = frozenset(map(str, standards if isinstance(standards, list) else []))
        else:
            offered[name] = True
    return offered


def _services(ctx: RunContext, destination: dict[str, Any], evidence: dict[str, Any]) -> list[Any]:
    wanted = ctx.target.services_field
    services = destination.get(wanted)
    if isinstance(services, list):
        return services
    other = "publicServices" if wanted == "services" else "services"
    if isinstance(destination.get(other), list):
        raise Failed(
            OTHER_VERSION(found=other, version=ctx.target.api_version),
            evidence=evidence,
            conclusive=False,
        )
    raise Failed(NO_SERVICES(field=wanted), evidence=evidence, conclusive=False)


def _listed(values: list[str]) -> list[str] | Text:
    return values or NONE_GIVEN()


def run(ctx: RunContext) -> Outcome:
    expected = ctx.expected
    destination, evidence = ctx.destination()
    diff: list[dict[str, Any]] = []

    def compare(field: Text, recorded: Any, configured: Any, ok: bool) -> None:
        diff.append({"field": field, "recorded": recorded, "configured": configured, "match": ok})

    status = destination.get("status")
    compare(FIELD_STATUS(), STATUSES["active"](), status_words(status), status == "active")
    configured_kid = destination.get("encryptionKid")
    compare(
        FIELD_ENCRYPTION_KID(),
        expected.encryption_kid or NONE_GIVEN(),
        str(configured_kid) if configured_kid else NONE_GIVEN(),
        not expected.encryption_kid or configured_kid == expected.encryption_kid,
    )
    services = _services(ctx, destination, evidence)
    by_identifier = {str(s.get("identifier")): s for s in services if isinstance(s, dict)}
    for service in expected.services:
        configured = by_identifier.get(service_identifier(service.key))
        if configured is None:
            compare(FIELD_SERVICE(key=service.key), service.name, NOT_OFFERED(), False)
            continue
        schemas = [
            (s.get("schemaUri"), s.get("mimeType"))
            for s in configured.get("submissionSchemas", [])
            if isinstance(s, dict)
        ]
        compare(
            FIELD_SCHEMA(key=service.key),
            SCHEMA(uri=service.schema_uri, mime=service.mime_type),
            [SCHEMA(uri=str(uri), mime=str(mime)) for uri, mime in schemas] or NONE_GIVEN(),
            (service.schema_uri, service.mime_type) in schemas,
        )
        regions = [str(r) for r in configured.get("regions", [])]
        compare(
            FIELD_REGIONS(key=service.key),
            _listed(list(service.regions)),
            _listed(regions),
            all(any(region_matches(r, ars) for r in regions) for ars in service.regions),
        )
        channels = configured.get("replyChannels")
        channels = channels if isinstance(channels, dict) else {}
        compare(
            FIELD_REPLY(key=service.key),
            channel_words(service.reply_channels),
            channel_words(channels),
            offered_channels(channels) == offered_channels(service.reply_channels),
        )
    recorded = {service_identifier(s.key) for s in expected.services}
    extra = sorted(set(by_identifier) - recorded)
    versions = [str(v) for v in destination.get("metadataVersions", [])]
    compare(
        FIELD_METADATA(),
        _listed(list(expected.metadata_versions)),
        _listed(versions),
        bool(versions) and set(expected.metadata_versions) <= set(versions),
    )
    evidence = evidence | {"diff": diff, "destination_status": status}
    mismatches = [d for d in diff if not d["match"]]
    if mismatches:
        return Outcome(
            "failed",
            DIFFERS(count=len(mismatches)),
            evidence,
            [
                DIFFERENCE(field=d["field"], recorded=d["recorded"], configured=d["configured"])
                for d in mismatches
            ],
        )
    if extra:
        return Outcome("warning", EXTRA_SERVICES(services=extra), evidence)
    return Outcome("ok", OK(), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [fix(COMPARE(), DESTINATION)]


CHECK = Check("destination", gettext_lazy("Destination"), run, fixes=fixes)
