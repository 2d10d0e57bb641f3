"""Where FIT-Connect lives and what the connection checks keep: environments, stored
secrets, verification runs and rendered PDFs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from checklist.models.onboarding import Environment, Onboarding
from fitconnect.environments import host_of, is_fitko_host, known_api_version
from portal.models import ApiToken

# The addresses a stored secret is sent to (the token URL) or used with: a stored secret is
# bound to their hosts as they were when it was stored (``StoredSecret.bound_hosts``).
SECRET_HOST_FIELDS = ("token_url", "submission_base", "routing_base")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL, lower case, without a default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return url.strip().lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


class FitConnectEnvironment(models.Model):
    """Where one FIT-Connect environment lives. Site operators keep this up to date."""

    key = models.SlugField(
        _("key"),
        max_length=20,
        unique=True,
        help_text=_("Short name in addresses, e.g. test or sandbox. Do not change it later."),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Shown to people. Empty: the name of the stage (Test, Reference, Production)."),
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=Environment.choices,
        default=Environment.TEST,
        help_text=_(
            "Which FITKO stage this environment is tested for: it appears in that stage's step "
            "and its passed checks tick that stage's items."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    allow_private_addresses = models.BooleanField(
        _("local and private addresses allowed"),
        default=False,
        help_text=_(
            "Only for a local stand-in such as the portal's sandbox: plain http and loopback or "
            "private addresses are then accepted for this environment and its callbacks."
        ),
    )
    token_url = models.URLField(
        _("token URL"),
        max_length=300,
        help_text=_(
            "FITKO's token URLs are attested only by third-party SDKs, not by a FITKO page; "
            "the sources of each seeded value are listed below."
        ),
    )
    submission_base = models.URLField(
        _("Submission API base URL"),
        max_length=300,
        help_text=_(
            "Without the version. FITKO officially names only the test host; the hosts of "
            "version 2 are attested only by third-party SDKs."
        ),
    )
    api_version = models.CharField(
        _("Submission API version"),
        max_length=2,
        choices=[("v1", "v1"), ("v2", "v2")],
        default="v1",
        help_text=_(
            "Version 1: paths /v1/…, serviceType, services. Version 2: paths /v2/…, "
            "publicService, publicServices and cty in the encrypted parts (third-party sources "
            "only). The new FITKO hosts serve version 2, submission-api-testing version 1."
        ),
    )
    routing_base = models.URLField(
        _("Routing API base URL"),
        max_length=300,
        blank=True,
        help_text=_(
            "The reference environment has no Routing API of its own; FITKO points to "
            "the test or production routing."
        ),
    )
    routing_prefix = models.CharField(_("Routing API version prefix"), max_length=20, default="/v1")
    ssp_jwks_url = models.URLField(
        _("JWKS URL of the Self-Service-Portal"),
        max_length=300,
        blank=True,
        help_text=_("Verifies the signed addressing information (destinationSignature)."),
    )
    self_signed_allowed = models.BooleanField(_("self-signed certificates allowed"), default=False)
    test_submission_allowed = models.BooleanField(_("test submissions allowed"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    # The sign-off's evidence rules (``checklist.signoff_evidence``).
    evidence_max_age_days = models.PositiveSmallIntegerField(
        _("connection check valid for (days)"),
        default=30,
        help_text=_(
            "A declaration of readiness needs a passed connection check against this "
            "environment that is at most this old."
        ),
    )
    hand_evidence_allowed = models.BooleanField(
        _("hand evidence allowed"),
        default=False,
        help_text=_(
            "Only where the portal cannot reach this environment (e.g. network rules): "
            "readiness may then be declared on items ticked by hand with a reason. The "
            "sign-off and the PDF say so."
        ),
    )
    hand_evidence_reason = models.CharField(
        _("why hand evidence is allowed"),
        max_length=500,
        blank=True,
        help_text=_("Shown with every sign-off that relies on it."),
    )
    # How long a conformance run waits for the Fachverfahren's answer to each case: a real
    # Fachverfahren may fetch new submissions only every few minutes.
    conformance_timeout_s = models.PositiveIntegerField(
        _("conformance run: wait for answers (seconds)"),
        default=600,
        help_text=_(
            "How long a conformance run waits for the Fachverfahren's answer to each case "
            "before it reports the case as without answer."
        ),
    )

    class Meta:
        verbose_name = _("FIT-Connect environment")
        verbose_name_plural = _("FIT-Connect environments")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_local(self) -> bool:
        """Marked local (a sandbox): internal addresses and plain http are called. Never in
        production, even if a row were saved so without validation."""
        return self.allow_private_addresses and not self.is_production

    def clean(self) -> None:
        super().clean()
        if self.allow_private_addresses and self.is_production:
            raise ValidationError(
                {
                    "allow_private_addresses": _(
                        "A production environment cannot be local: the portal calls production "
                        "only at public addresses over https://."
                    )
                }
            )
        if self.hand_evidence_allowed and not self.hand_evidence_reason.strip():
            raise ValidationError(
                {
                    "hand_evidence_reason": _(
                        "Please say why the portal cannot check this environment: every "
                        "sign-off that relies on hand evidence shows it."
                    )
                }
            )
        if self.evidence_max_age_days < 1:
            raise ValidationError({"evidence_max_age_days": _("Please enter at least one day.")})
        known = known_api_version(self.submission_base)
        if known is not None and known != self.api_version:
            raise ValidationError(
                {
                    "api_version": _(
                        "This host serves Submission API version %(version)s; FITKO's hosts "
                        "and versions are not combined otherwise."
                    )
                    % {"version": known[1:]}
                }
            )

    @property
    def endpoints(self) -> list[str]:
        """Return the addresses the checks call (without the callback)."""
        return [
            url
            for url in (self.token_url, self.submission_base, self.routing_base, self.ssp_jwks_url)
            if url
        ]

    @property
    def secret_hosts(self) -> dict[str, str]:
        """Return the hosts a stored secret of this environment is bound to, by field."""
        return {
            name: origin_of(getattr(self, name))
            for name in SECRET_HOST_FIELDS
            if getattr(self, name)
        }

    @property
    def foreign_hosts(self) -> list[str]:
        """Return the hosts of a FITKO stage's own environment that are not FITKO's."""
        if self.stands_in:
            return []
        return sorted({host_of(url) for url in self.endpoints if not is_fitko_host(url)})

    @property
    def label(self) -> str:
        return self.name or str(Environment(self.stage).label)

    @property
    def step(self) -> int:
        return Environment(self.stage).step

    @property
    def is_production(self) -> bool:
        return self.stage == Environment.PRODUCTION

    @property
    def stands_in(self) -> bool:
        """True for an environment other than FITKO's own one of its stage (e.g. a sandbox)."""
        return self.key != self.stage


class StoredSecret(models.Model):
    """A client secret stored encrypted (Fernet) at the user's request. Never shown again."""

    class Kind(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber client secret")
        SENDER = "sender", _("Sender client")
        CALLBACK = "callback", _("Callback secret")

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="secrets")
    environment = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    client_id = models.CharField(max_length=200, blank=True)
    ciphertext = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The environment's token, submission and routing hosts (``secret_hosts``) when the
    # secret was stored or last confirmed: it is never sent while they differ.
    bound_hosts = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding", "environment", "kind"], name="stored_secret_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.environment} – {self.kind} (verschlüsselt)"

    def is_bound_to(self, environment: FitConnectEnvironment) -> bool:
        """Whether the environment still has the hosts the secret was stored for."""
        return bool(self.bound_hosts) and self.bound_hosts == environment.secret_hosts


class VerificationRun(models.Model):
    """One run of the connection checks against one environment, kept as evidence."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("All checks passed")
        WARNING = "warning", _("Passed with warnings")
        FAILED = "failed", _("Failed")
        ABORTED = "aborted", _("Aborted")

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="verification_runs"
    )
    environment = models.CharField(max_length=20)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_by_token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    results = models.JSONField(default=list)
    # The evidence of where the run went: every host it called, and what it stood for.
    hosts = models.JSONField(_("hosts"), default=list, blank=True)
    api_version = models.CharField(_("Submission API version"), max_length=2, blank=True)
    rehearsal = models.BooleanField(
        _("rehearsal"),
        default=False,
        help_text=_("Run against a stand-in (e.g. the sandbox): it ticks no checklist item."),
    )
    # Demo material (``manage.py seed_demo``): stands for a check the demo cannot make
    # offline against FITKO's stages; every page, e-mail and PDF that shows it says so.
    demo = models.BooleanField(
        _("demo material"),
        default=False,
        help_text=_("Made by the demo data, not by a real check."),
    )
    # Secrets typed for this run only, Fernet-encrypted, for the background worker; emptied
    # when the run finishes and unreadable after RUN_SECRETS_TTL (verification.py).
    secrets_ciphertext = models.TextField(blank=True, editable=False)
    changed_items = models.JSONField(default=list, editable=False)
    # The background task's lease (portal.leases): empty while queued; a passed one means
    # its worker was lost.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.environment} – {self.started_at:%Y-%m-%d %H:%M}"


class ConformanceRun(models.Model):
    """One conformance run against one environment (``checklist.conformance``), kept as
    evidence: each case's state (``fitconnect.conformance``, messages as codes), stored after
    every step so that the page shows progress and the worker can resume it."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        PASSED = "passed", _("All cases passed")
        FAILED = "failed", _("Failed")
        NO_ANSWER = "no_answer", _("Not every case answered yet")
        INCOMPLETE = "incomplete", _("Not every case could be run")
        ABORTED = "aborted", _("Aborted")

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="conformance_runs"
    )
    environment = models.CharField(max_length=20)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_by_token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    # case name -> its state (``fitconnect.conformance.runner``), in the battery's order.
    cases = models.JSONField(default=dict)
    hosts = models.JSONField(_("hosts"), default=list, blank=True)
    api_version = models.CharField(_("Submission API version"), max_length=2, blank=True)
    rehearsal = models.BooleanField(
        _("rehearsal"),
        default=False,
        help_text=_("Run against a stand-in (e.g. the sandbox): it ticks no checklist item."),
    )
    changed_items = models.JSONField(default=list, editable=False)
    # The background task's lease (portal.leases): empty while queued; a passed one means
    # its worker was lost.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.onboarding} – {self.environment} – {self.started_at:%Y-%m-%d %H:%M}"


class PdfExport(models.Model):
    """A checklist PDF, kept by the SHA-256 of the HTML it shows: unchanged content is served
    again at once; new content is rendered by the background worker (``checklist.tasks``).
    """

    onboarding = models.ForeignKey(
        Onboarding,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pdf_exports",
        help_text="Empty for the blank checklist.",
    )
    content_sha256 = models.CharField(max_length=64, unique=True)
    html = models.TextField(blank=True)  # what to render; emptied once rendered
    pdf = models.BinaryField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)
    # The background task's lease (portal.leases): empty while queued; a passed one means
    # its worker was lost.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.onboarding or 'blank'} – {self.content_sha256[:12]}"

    @property
    def ready(self) -> bool:
        return self.rendered_at is not None


class TrustedCertificate(models.Model):
    """A V-PKI certificate the reference and production key checks trust (or chain through)."""

    class Kind(models.TextChoices):
        ANCHOR = "anchor", _("Trust anchor (root)")
        INTERMEDIATE = "intermediate", _("Intermediate certificate")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    pem = models.TextField(_("certificate (PEM)"))
    name = models.CharField(_("name"), max_length=300, editable=False)
    fingerprint = models.CharField(
        _("SHA-256 fingerprint"), max_length=64, unique=True, editable=False
    )
    not_after = models.DateTimeField(_("valid until"), editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("V-PKI certificate")
        verbose_name_plural = _("V-PKI certificates")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name
