"""The client's address behind load balancers and reverse proxies.

Behind a load balancer every request comes from the balancer's address. With
``FORWARDED_PROXY_COUNT`` set to the number of proxies in front of the app servers (each
appends the address it got the request from to ``X-Forwarded-For``), the client is the
entry that many places from the right; entries further left can be forged by the client
and are ignored. The sign-in rate limit (django-axes) counts failures per client this way.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count: int = settings.FORWARDED_PROXY_COUNT
    if not count:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-count] if len(hops) >= count else remote
