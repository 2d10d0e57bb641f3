"""Every FIT-Connect identifier the portal uses, written once.

Sources: FITKO's documentation and specs, each named in ``docs/fitko-facts.md``.
"""

from __future__ import annotations

# OAuth scopes
RECEIVE_SCOPE = "https://schema.fitko.de/fit-connect/oauth/scopes/subscribe-destinations"
LEGACY_RECEIVE_SCOPE_PREFIX = "subscribe:destination:"
SEND_SCOPE_GERMANY = "send:region:DE"

# Identifiers of services (Leistungen) and regions (Gebiete)
LEIKA_URN_PREFIX = "urn:de:fim:leika:leistung:"
LEIKA_KEY_PATTERN = r"^99\d{12}$"  # routing-api.yaml leika-key
REGION_URN_PREFIX = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"

# Callbacks, events and problems
CALLBACK_TYPE_NEW_SUBMISSIONS = (
    "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
)
EVENT_PREFIX = "https://schema.fitko.de/fit-connect/events/"
SUBMISSION_PROBLEMS = "https://schema.fitko.de/fit-connect/submission-api/problems/"
# The Routing API's problem type URIs are not published; this prefix is a guess.
ROUTING_PROBLEMS = "https://schema.fitko.de/fit-connect/routing-api/problems/"
# The problem types of a rejection (reject-submission) are published with this prefix;
# Subscribers must take over their ``type`` and ``instance`` exactly
# (https://docs.fitko.de/fit-connect/docs/receiving/verification/, docs/fitko-facts.md §12).
EVENT_PROBLEMS = "https://schema.fitko.de/fit-connect/events/problems/"

# JSON schemas (``{version}`` is a semantic version such as 1.2.0)
METADATA_SCHEMA = "https://schema.fitko.de/fit-connect/metadata/{version}/metadata.schema.json"
SET_PAYLOAD_SCHEMA = (
    "https://schema.fitko.de/fit-connect/set-payload/{version}/set-payload.schema.json"
)

# Reply channel "BundID" (Postfach of the BundID / Zentrales Bürgerpostfach): FITKO lists it
# in https://docs.fitko.de/fit-connect/docs/metadata/replyChannel/; the key is the one FITKO's
# Java SDK writes (``ReplyChannel.ofIdBundDeMailbox``). Not in Submission API spec 1.1.3.
BUNDID_REPLY_CHANNEL = "idBundDeMailbox"


def service_identifier(key: str) -> str:
    """Return a service's identifier: the Leistungsschlüssel URN, or the service's own URN.

    A service without a Leistungsschlüssel may be named by another unique URN for a transition
    period (https://git.fitko.de/fit-connect/docs/-/commit/63712b671f45e5c9d1acf37ed28f0ffa4067953c).
    """
    return key if key.startswith("urn:") else f"{LEIKA_URN_PREFIX}{key}"
