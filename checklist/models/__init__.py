"""The checklist app's models: onboardings and their checklist (``onboarding``), and what the
FIT-Connect connection checks need and keep (``fitconnect``).
"""

from checklist.models.archive import ArchiveCopy
from checklist.models.coverage import (
    ExpectedLeistung,
    ExpectedRegion,
    RoutingAnswer,
    RoutingComparison,
)
from checklist.models.exports import FileExport, SavedFilter
from checklist.models.fitconnect import (
    ConformanceRun,
    FitConnectEnvironment,
    PdfExport,
    StoredSecret,
    TrustedCertificate,
    VerificationRun,
)
from checklist.models.onboarding import (
    ENVIRONMENT_STEP,
    IN_HOUSE,
    SUMMARY_FIELDS,
    AuditEvent,
    Comment,
    Environment,
    EnvironmentRecord,
    ItemState,
    Leistung,
    Onboarding,
    SignOff,
    StepDeadline,
)

__all__ = [
    "ENVIRONMENT_STEP",
    "IN_HOUSE",
    "SUMMARY_FIELDS",
    "ArchiveCopy",
    "AuditEvent",
    "Comment",
    "ConformanceRun",
    "Environment",
    "EnvironmentRecord",
    "ExpectedLeistung",
    "ExpectedRegion",
    "FileExport",
    "FitConnectEnvironment",
    "ItemState",
    "Leistung",
    "Onboarding",
    "PdfExport",
    "RoutingAnswer",
    "RoutingComparison",
    "SavedFilter",
    "SignOff",
    "StepDeadline",
    "StoredSecret",
    "TrustedCertificate",
    "VerificationRun",
]
