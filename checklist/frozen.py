"""What a sign-off freezes, in words: a snapshot grouped for people, and what differs.

A snapshot (``OnboardingState.snapshot``) is plain JSON data; a clerk reads it here as
groups of labelled values (the services with their keys, schemas, regions and reply
channels; the Zustellpunkt and client; the keys with their expiry; the callback; the API
version) and compares two of them row by row: what the previous stage approved, or what the
last approval of this stage froze. The hash stays for the record (PDF, details element).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from checklist.evidence import DASH, format_date, words
from checklist.models import Leistung
from fitconnect.constants import BUNDID_REPLY_CHANNEL


@dataclass(frozen=True)
class FrozenRow:
    label: str
    value: str


@dataclass(frozen=True)
class FrozenGroup:
    title: str
    rows: tuple[FrozenRow, ...]


@dataclass(frozen=True)
class Difference:
    """One value that differs between two snapshots: where, what it was, what it is."""

    group: str
    label: str
    before: str
    after: str


def _date(iso: Any) -> str:
    return format_date(str(iso)) if iso else DASH


def reply_channel_words(channels: Any) -> str:
    """Return FIT-Connect's ``replyChannels`` as people name them; none is a letter."""
    if not isinstance(channels, dict) or not channels:
        return _("Letter")
    words = []
    for name, options in channels.items():
        options = options if isinstance(options, dict) else {}
        if name == "fitConnect":
            standards = ", ".join(options.get("processStandards") or [])
            words.append(f"FIT-Connect ({standards})" if standards else "FIT-Connect")
        elif name == "eMail":
            words.append(
                _("E-mail (PGP-encrypted)")
                if options.get("usePgp")
                else _("E-mail (not encrypted)")
            )
        elif name == "elster":
            words.append("ELSTER")
        elif name == "fink":
            words.append("FINK")
        elif name == "deMail":
            words.append(_("De-Mail (legacy)"))
        elif name == BUNDID_REPLY_CHANNEL:
            words.append(_("BundID mailbox"))
        else:
            words.append(str(name))
    return ", ".join(words)


def _schema(values: dict[str, Any]) -> str:
    raw = str(values.get("schema_kind", ""))
    kind = (
        str(Leistung.SchemaKind(raw).label)
        if raw in Leistung.SchemaKind.values
        else words(values.get("schema_kind"))
    )
    return f"{kind}: {words(values.get('schema_uri'))} ({words(values.get('mime_type'))})"


def groups(snapshot: dict[str, Any] | None) -> list[FrozenGroup]:
    """Return what the snapshot freezes, grouped and labelled in the reader's language."""
    if not snapshot:
        return []
    found: list[FrozenGroup] = []
    for key, values in sorted((snapshot.get("leistungen") or {}).items()):
        values = values if isinstance(values, dict) else {}
        found.append(
            FrozenGroup(
                _("Service %(key)s: %(name)s") % {"key": key, "name": words(values.get("name"))},
                (
                    FrozenRow(_("Data schema"), _schema(values)),
                    FrozenRow(_("Regions (ARS)"), words(values.get("regions"))),
                    FrozenRow(
                        _("Reply channels"), reply_channel_words(values.get("reply_channels"))
                    ),
                ),
            )
        )
    record = snapshot.get("environment_record") or {}
    found.append(
        FrozenGroup(
            _("Zustellpunkt and client"),
            (
                FrozenRow(_("Zustellpunkt ID"), words(record.get("destination_id"))),
                FrozenRow(_("Subscriber client ID"), words(record.get("client_id"))),
                FrozenRow(_("Metadata versions"), words(snapshot.get("metadata_versions"))),
            ),
        )
    )
    found.append(
        FrozenGroup(
            _("Keys"),
            (
                FrozenRow(_("Encryption key ID (kid)"), words(record.get("encryption_kid"))),
                FrozenRow(_("Signature key ID (kid)"), words(record.get("signature_kid"))),
                FrozenRow(_("Certificate valid until"), _date(record.get("certificate_expiry"))),
            ),
        )
    )
    interface = [FrozenRow(_("Callback URL"), words(record.get("callback_url")))]
    if "api_version" in snapshot:
        version = str(snapshot.get("api_version") or "")
        interface.append(
            FrozenRow(
                _("Submission API version"),
                _("Version %(number)s") % {"number": version[1:]} if version else DASH,
            )
        )
    found.append(FrozenGroup(_("Callback and interface"), tuple(interface)))
    return found


def differences(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Difference]:
    """Return the values that differ between two snapshots, row by row in words.

    A service only one of them has appears with a dash on the other side. A row that only
    a newer snapshot has in a group both have (the API version, frozen since snapshots name
    it) is not a difference.
    """
    old = {(g.title, r.label): r.value for g in groups(before) for r in g.rows}
    new = {(g.title, r.label): r.value for g in groups(after) for r in g.rows}
    both = {group for group, _label in old} & {group for group, _label in new}
    order = list(new) + [key for key in old if key not in new]
    return [
        Difference(group, label, old.get((group, label), DASH), new.get((group, label), DASH))
        for group, label in order
        if old.get((group, label), DASH) != new.get((group, label), DASH)
        and not (group in both and ((group, label) in old) != ((group, label) in new))
    ]
