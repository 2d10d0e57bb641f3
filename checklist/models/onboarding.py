"""Onboardings (Anbindungsvorhaben): recorded decisions, checklist state, sign-offs, audit trail.

Facts are stored (who ticked what when, which values were signed); progress, step status and
sign-off validity are derived from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fitconnect.constants import BUNDID_REPLY_CHANNEL, service_identifier
from portal.models import ApiToken, Organisation

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class Environment(models.TextChoices):
    """FITKO's three stages; each is tested and signed off in one step."""

    TEST = "test", _("Test")
    REFERENCE = "reference", _("Reference")
    PRODUCTION = "production", _("Production")

    @property
    def step(self) -> int:
        return ENVIRONMENT_STEP[self]

    @classmethod
    def of_step(cls, step: int) -> Environment | None:
        """Return the stage signed off in the step, or None (steps 1 and 2)."""
        return next((env for env, number in ENVIRONMENT_STEP.items() if number == step), None)


# The step in which each environment is tested and signed off.
ENVIRONMENT_STEP = {Environment.TEST: 3, Environment.REFERENCE: 4, Environment.PRODUCTION: 5}


# Stored by checklist.summary; see Onboarding.
SUMMARY_FIELDS = (
    "progress_done",
    "progress_total",
    "progress_percent",
    "current_step",
    "signoff_test",
    "signoff_reference",
    "signoff_production",
    "next_action",
    "next_action_item",
    "data_facts",
    "done_items",
)


# The provider choice of an authority that connects its Fachverfahren itself.
IN_HOUSE = "in_house"


class Onboarding(models.Model):
    """Connecting one Fachverfahren of an authority to FIT-Connect."""

    authority = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="onboardings",
        limit_choices_to={"kind": Organisation.Kind.AUTHORITY},
        verbose_name=_("authority"),
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="provided_onboardings",
        limit_choices_to={"kind": Organisation.Kind.PROVIDER},
        null=True,
        blank=True,
        verbose_name=_("IT service provider"),
    )
    in_house = models.BooleanField(
        _("in-house"),
        default=False,
        help_text=_("The authority connects the Fachverfahren itself, without a service provider."),
    )
    name = models.CharField(_("Fachverfahren"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=100, unique=True)
    product = models.CharField(_("product and vendor"), max_length=200, blank=True)
    responsible_name = models.CharField(_("name"), max_length=150, blank=True)
    responsible_email = models.EmailField(_("e-mail address"), blank=True)
    responsible_phone = models.CharField(_("phone"), max_length=50, blank=True)
    technical_name = models.CharField(_("name"), max_length=150, blank=True)
    technical_email = models.EmailField(_("e-mail address"), blank=True)
    technical_phone = models.CharField(_("phone"), max_length=50, blank=True)
    organisational_name = models.CharField(_("name"), max_length=150, blank=True)
    organisational_email = models.EmailField(_("e-mail address"), blank=True)
    organisational_phone = models.CharField(_("phone"), max_length=50, blank=True)
    target_go_live = models.DateField(_("target go-live date"), null=True, blank=True)
    metadata_versions = models.JSONField(_("metadata versions"), default=list, blank=True)
    catalogue_version = models.PositiveIntegerField(_("checklist catalogue version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The summary the overview sorts and filters on in SQL. ``checklist.summary`` derives it
    # from the facts above and below and stores it in the same transaction as every change;
    # a test recomputes it from scratch and compares.
    progress_done = models.PositiveIntegerField(default=0, editable=False)
    progress_total = models.PositiveIntegerField(default=0, editable=False)
    progress_percent = models.PositiveSmallIntegerField(default=0, editable=False)
    current_step = models.PositiveSmallIntegerField(
        null=True, default=1, editable=False, help_text="None once all five steps are done."
    )
    signoff_test = models.CharField(max_length=20, blank=True, editable=False)
    signoff_reference = models.CharField(max_length=20, blank=True, editable=False)
    signoff_production = models.CharField(max_length=20, blank=True, editable=False)
    next_action = models.CharField(max_length=20, blank=True, editable=False)
    next_action_item = models.CharField(max_length=100, blank=True, editable=False)
    # What the Leistungen and environment records say for the checklist's conditions and
    # data-bound items, so that a tick needs neither of them.
    data_facts = models.JSONField(default=dict, editable=False)
    # The keys of the items ticked (``ItemState.done``), sorted: progress, current step and
    # next action after a tick are derived from these without loading the item states.
    done_items = models.JSONField(default=list, editable=False)
    # The due dates the authority set (``StepDeadline`` rows) as {"step": "YYYY-MM-DD"}, so
    # that pages need no query for them; ``checklist.deadlines`` keeps it in step with them.
    explicit_due_dates = models.JSONField(default=dict, editable=False)
    # Rises with every write to anything the onboarding's pages show: the onboarding, its
    # items, comments, Leistungen, records, deadlines, sign-offs, secrets and runs, the
    # people and organisations involved, the environments. Database triggers raise it
    # (migration 0013), so that no code path can forget to; ``checklist.page_cache`` keys
    # rendered page parts on it.
    revision = models.BigIntegerField(default=0, editable=False)

    if TYPE_CHECKING:
        leistungen: RelatedManager[Leistung]
        environments: RelatedManager[EnvironmentRecord]
        item_states: RelatedManager[ItemState]
        signoffs: RelatedManager[SignOff]
        audit_events: RelatedManager[AuditEvent]
        deadlines: RelatedManager[StepDeadline]

    class Meta:
        verbose_name = _("onboarding")
        verbose_name_plural = _("onboardings")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(in_house=True, provider__isnull=False),
                name="onboarding_in_house_has_no_provider",
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="onboarding_name"),
            models.Index(fields=["authority", "name"], name="onboarding_authority_name"),
            models.Index(fields=["provider", "name"], name="onboarding_provider_name"),
            # The dashboard's overdue and blocked ones, the earliest target go-live first:
            # read in order until twenty are found, not all sorted (7 ms at 10,000).
            models.Index(fields=["target_go_live", "name"], name="onboarding_go_live_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def provider_decided(self) -> bool:
        return self.in_house or self.provider_id is not None

    def lock(self) -> None:
        """Serialise changes to this onboarding until the transaction ends (row lock).

        Reads the summary fields afresh: another change may have stored them meanwhile.
        """
        locked = (
            Onboarding.objects.select_for_update()
            .filter(pk=self.pk)
            .values(*SUMMARY_FIELDS, "catalogue_version")
            .first()
        )
        for name, value in (locked or {}).items():
            setattr(self, name, value)


class Leistung(models.Model):
    """A service citizens can apply for, with its data schema, regions and reply channels."""

    class SchemaKind(models.TextChoices):
        FIM = "fim", _("FIM")
        XOEV = "xoev", _("XÖV")

    class MimeType(models.TextChoices):
        JSON = "application/json", "application/json"
        XML = "application/xml", "application/xml"

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="leistungen")
    # A 14-digit Leistungsschlüssel, or another unique URN for a service without one.
    key = models.CharField(_("Leistungsschlüssel"), max_length=200)
    name = models.CharField(_("name of the service"), max_length=200)
    schema_kind = models.CharField(_("data schema"), max_length=10, choices=SchemaKind.choices)
    schema_uri = models.CharField(_("schema URI"), max_length=200)
    mime_type = models.CharField(_("MIME type"), max_length=30, choices=MimeType.choices)
    regions = models.JSONField(_("regions (ARS)"), default=list)
    reply_fitconnect = models.BooleanField(_("FIT-Connect"), default=False)
    process_standards = models.JSONField(_("process standards"), default=list, blank=True)
    reply_elster = models.BooleanField(_("ELSTER"), default=False)
    reply_fink = models.BooleanField(_("FINK"), default=False)
    reply_email = models.BooleanField(_("e-mail"), default=False)
    email_pgp = models.BooleanField(_("PGP-encrypted"), default=False)
    reply_demail = models.BooleanField(_("De-Mail (legacy)"), default=False)
    reply_bundid = models.BooleanField(_("BundID mailbox"), default=False)
    # A minimal valid instance document the provider uploads for an XML (XSD) schema: the
    # conformance run sends it and derives its invalid-data cases from it. Not recorded
    # for FIT-Connect (no sign-off freezes it); ``services.set_xml_template`` writes it.
    xml_template = models.TextField(_("XML template for the conformance run"), blank=True)

    # Declared once; tests/checklist/test_field_lists.py holds every use to them.
    # What a person records: the form edits these, the audit names each change.
    RECORDED_FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "schema_kind",
        "schema_uri",
        "mime_type",
        "regions",
        "reply_fitconnect",
        "process_standards",
        "reply_elster",
        "reply_fink",
        "reply_email",
        "email_pgp",
        "reply_demail",
        "reply_bundid",
    )
    # Recorded but neither frozen by a sign-off nor checked against FIT-Connect, and why.
    NOT_FROZEN: ClassVar[dict[str, str]] = {
        "process_standards": "a planning note for step 1; FIT-Connect does not carry it",
    }

    class Meta:
        verbose_name = _("service (Leistung)")
        verbose_name_plural = _("services (Leistungen)")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "key"], name="leistung_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    @property
    def urn(self) -> str:
        """Return the service identifier FIT-Connect uses (``services[].identifier``)."""
        return service_identifier(self.key)

    @property
    def has_leika_key(self) -> bool:
        """Whether the service has a Leistungsschlüssel (the Routing API needs one)."""
        return not self.key.startswith("urn:")

    def reply_channel_labels(self) -> list[str]:
        """Return the reply channels in words; an empty list means a reply by letter."""
        labels = []
        if self.reply_fitconnect:
            labels.append(f"FIT-Connect ({', '.join(self.process_standards)})")
        if self.reply_elster:
            labels.append("ELSTER")
        if self.reply_fink:
            labels.append("FINK")
        if self.reply_email:
            labels.append(
                str(_("E-mail (PGP-encrypted)") if self.email_pgp else _("E-mail (not encrypted)"))
            )
        if self.reply_demail:
            labels.append(str(_("De-Mail (legacy)")))
        if self.reply_bundid:
            labels.append(str(_("BundID mailbox")))
        return labels

    def frozen_values(self) -> dict[str, Any]:
        """What a sign-off freezes of it and the checks compare: the recorded fields but
        ``NOT_FROZEN``, the reply_* fields as FIT-Connect's ``replyChannels``."""
        values: dict[str, Any] = {}
        for name in self.RECORDED_FIELDS:
            if name in self.NOT_FROZEN or name.startswith("reply_") or name == "email_pgp":
                continue
            value = getattr(self, name)
            values[name] = list(value) if name == "regions" else value
        values["reply_channels"] = self.reply_channels()
        return values

    def reply_channels(self) -> dict[str, dict[str, Any]]:
        """Return the reply channels as FIT-Connect names them in ``replyChannels``."""
        channels: dict[str, dict[str, Any]] = {}
        if self.reply_fitconnect:
            channels["fitConnect"] = {"processStandards": list(self.process_standards)}
        if self.reply_elster:
            channels["elster"] = {}
        if self.reply_fink:
            channels["fink"] = {}
        if self.reply_email:
            channels["eMail"] = {"usePgp": self.email_pgp}
        if self.reply_demail:
            channels["deMail"] = {}
        if self.reply_bundid:
            channels[BUNDID_REPLY_CHANNEL] = {}
        return channels


class EnvironmentRecord(models.Model):
    """What the service provider set up in one FIT-Connect environment. Never a secret."""

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="environments"
    )
    environment = models.CharField(_("environment"), max_length=20)
    # The environment row by its key, for joining both in one query (see
    # ``checklist.environments.with_records``). No column and no constraint: a record stays
    # when a site operator removes its environment.
    fitconnect_environment = models.ForeignObject(
        "checklist.FitConnectEnvironment",
        on_delete=models.DO_NOTHING,
        from_fields=["environment"],
        to_fields=["key"],
        related_name="records",
        null=True,
        editable=False,
    )
    client_id = models.CharField(_("Subscriber client ID"), max_length=200, blank=True)
    destination_id = models.UUIDField(_("Zustellpunkt ID"), null=True, blank=True)
    encryption_kid = models.CharField(_("encryption key ID (kid)"), max_length=64, blank=True)
    signature_kid = models.CharField(_("signature key ID (kid)"), max_length=64, blank=True)
    callback_url = models.URLField(_("callback URL"), max_length=500, blank=True)
    certificate_expiry = models.DateField(_("certificate valid until"), null=True, blank=True)

    # Declared once (tests/checklist/test_field_lists.py): what the provider records (the
    # form edits them, the audit names each change, a sign-off freezes all of them).
    RECORDED_FIELDS: ClassVar[tuple[str, ...]] = (
        "client_id",
        "destination_id",
        "encryption_kid",
        "signature_kid",
        "callback_url",
        "certificate_expiry",
    )

    class Meta:
        verbose_name = _("environment record")
        verbose_name_plural = _("environment records")
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding", "environment"], name="environment_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.environment}"

    @property
    def is_configured(self) -> bool:
        return bool(self.client_id and self.destination_id)

    @classmethod
    def frozen_values_of(cls, record: EnvironmentRecord | None) -> dict[str, Any]:
        """What a sign-off freezes of a record (all of ``RECORDED_FIELDS``), as text; empty
        values where nothing is recorded yet."""
        values: dict[str, Any] = {}
        for name in cls.RECORDED_FIELDS:
            value = getattr(record, name) if record is not None else None
            if name == "certificate_expiry":
                values[name] = value.isoformat() if value else None
            else:
                values[name] = str(value) if value else ""
        return values


class ItemState(models.Model):
    """The state of one catalogue item in one onboarding: ticked or not, by whom, a note."""

    # What a tick or an untick writes (by hand, by a connection check or a conformance run).
    DONE_FIELDS = [
        "done",
        "done_by",
        "done_by_token",
        "done_at",
        "done_by_run",
        "done_by_conformance",
        "hand_reason",
    ]

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="item_states")
    key = models.CharField(max_length=100)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Ticked through the API: the organisation's token instead of a person.
    done_by_token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_run = models.ForeignKey(
        "VerificationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Ticked by a passed conformance run (a rejection item, ``checklist.conformance``).
    done_by_conformance = models.ForeignKey(
        "ConformanceRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Why a check item was ticked by hand instead of by a connection check: shown to the
    # approver and in the PDF (``checklist.signoff_evidence``). Emptied when a run ticks it.
    hand_reason = models.TextField(_("reason for ticking by hand"), blank=True, max_length=2000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_items",
        verbose_name=_("assigned to"),
        help_text=_("A person of the responsible side; nobody means the whole side."),
    )

    if TYPE_CHECKING:
        comments: RelatedManager[Comment]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "key"], name="item_state_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.key}"


class StepDeadline(models.Model):
    """A due date the authority set for one step; steps without one follow the go-live date."""

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="deadlines")
    step = models.PositiveSmallIntegerField(_("step"))
    due_date = models.DateField(_("due date"))

    class Meta:
        verbose_name = _("due date")
        verbose_name_plural = _("due dates")
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "step"], name="step_deadline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.step}: {self.due_date}"


class Comment(models.Model):
    item = models.ForeignKey(ItemState, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("comment"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class SignOff(models.Model):
    """One round of the four-eyes sign-off of an environment.

    A provider member declares the environment ready; a different authority member
    approves (freezing a snapshot and its SHA-256) or sends it back with a reason. The
    newest row per environment is the current state.
    """

    class State(models.TextChoices):
        DECLARED = "declared", _("Ready for sign-off")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="signoffs")
    environment = models.CharField(max_length=20, choices=Environment.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DECLARED)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    declared_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    snapshot = models.JSONField(null=True, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_changes = models.JSONField(default=list, blank=True)
    # The evidence as it stood when declared, replaced when approved (in the site's
    # language, as the record keeps it): ``checklist.signoff_evidence.Evidence.as_data``.
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-declared_at", "-pk"]
        indexes = [models.Index(fields=["onboarding", "environment", "-declared_at"])]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.environment} – {self.state}"

    @property
    def is_valid(self) -> bool:
        return self.state == self.State.APPROVED and self.invalidated_at is None


class AuditEvent(models.Model):
    """Who changed what, when, from which value to which. Never a secret.

    ``subject`` is a reference resolved for display in the reader's language:
    ``item:<key>``, ``onboarding.<field>``, ``leistung.<key>.<field>``,
    ``environment.<env>.<field>`` or ``signoff:<env>``.

    Tamper-evident: each entry carries the hash of its content and of the entry before it
    (``checklist.audit_chain``), and the database refuses to change or delete entries.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Onboarding created")
        FIELD_CHANGED = "field_changed", _("Value changed")
        PROVIDER_CHANGED = "provider_changed", _("Service provider assigned")
        LEISTUNG_ADDED = "leistung_added", _("Service added")
        LEISTUNG_REMOVED = "leistung_removed", _("Service removed")
        ITEM_TICKED = "item_ticked", _("Item ticked")
        ITEM_TICKED_WITH_REASON = "item_ticked_reason", _("Check item ticked by hand with a reason")
        ITEM_UNTICKED = "item_unticked", _("Item unticked")
        NOTE_CHANGED = "note_changed", _("Note changed")
        COMMENT_ADDED = "comment_added", _("Comment added")
        ITEM_ASSIGNED = "item_assigned", _("Item assigned")
        DUE_DATE_CHANGED = "due_date_changed", _("Due date changed")
        SIGNOFF_DECLARED = "signoff_declared", _("Declared ready for sign-off")
        SIGNOFF_APPROVED = "signoff_approved", _("Sign-off approved")
        SIGNOFF_RETURNED = "signoff_returned", _("Sign-off sent back")
        SIGNOFF_INVALIDATED = "signoff_invalidated", _("Sign-off invalid – check again")
        CATALOGUE_UPDATED = "catalogue_updated", _("Checklist catalogue updated")
        SECRET_STORED = "secret_stored", _("Secret stored encrypted")
        SECRET_DELETED = "secret_deleted", _("Stored secret deleted")
        VERIFICATION_RUN = "verification_run", _("Connection checked")
        HOSTS_CHANGED = "hosts_changed", _("Addresses of an environment changed")
        HOSTS_CONFIRMED = "hosts_confirmed", _("New addresses confirmed for the stored secrets")
        CONFORMANCE_RUN = "conformance_run", _("Conformance checked")
        CONFORMANCE_TICKED = "conformance_ticked", _("Item ticked by a conformance run")
        CONFORMANCE_REOPENED = "conformance_reopened", _("Item reopened by a conformance run")
        REMINDED = "reminded", _("Reminder sent")
        ARCHIVE_COPY = "archive_copy", _("Archive copy stored")
        OUTAGE_RECORDED = "outage_recorded", _("Outage recorded")
        OUTAGE_DEACTIVATED = "outage_deactivated", _("Zustellpunkt deactivated for an outage")

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # A change made through the API names the organisation's token instead of a person.
    api_token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A change a connection check made (an item it ticked or reopened): the run is the actor.
    run = models.ForeignKey(
        "VerificationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set before the entry is sealed (its hash covers it), not by the database.
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    subject = models.CharField(max_length=300, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    # The chain of the onboarding's entries (checklist.audit_chain): the SHA-256 of the
    # entry before and of this entry's canonical content including it.
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The head of an onboarding's chain (its newest entry), which every change
            # reads: found at once however long the Protokoll grows, whatever plan a
            # prepared statement gets.
            models.Index(fields=["onboarding", "id"], name="auditevent_chain_head"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.subject}"
