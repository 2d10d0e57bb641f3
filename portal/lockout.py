"""Sign-in limits: per account and, higher, per client IP across accounts.

django-axes counts failed sign-ins for each combination in ``AXES_LOCKOUT_PARAMETERS``:
``[["username", "ip_address"], "ip_address"]``, the address at one IP and the IP alone.
Axes compares both with one limit; this handler gives the IP its own, higher one
(``LOGIN_FAILURE_LIMIT_PER_IP``), so one password tried across many accounts from one IP
(password spraying) is stopped while an office behind one NAT address is not locked out
by a colleague's typos.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def _failures(attempts: Any) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class PortalLockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Return the account's failures, or the account limit once the IP reached its own."""
        per_account, per_ip = self.get_user_attempts(request, credentials)
        account = _failures(per_account)
        if _failures(per_ip) >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """After a successful sign-in clear that account's failures, not the IP's others."""
        per_account = self.filter_user_attempts(request, credentials)[0]
        count, _ = per_account.delete()
        return int(count)
