"""gunicorn's settings for the portal: ``gunicorn -c gunicorn.conf.py`` (see README).

gunicorn reads this file by itself when started in the project directory. The variables
below change the defaults; gunicorn's own command-line options override both.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from portal.requestlog import HEALTH_PATH, redact_path


def _cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "portal.wsgi:application"
proc_name = "anbindungsportal"
# Behind a load balancer on another machine: GUNICORN_BIND=0.0.0.0:8000.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Processes from the CPU count; threads, so that a connection check waiting for
# FIT-Connect (up to a minute for a test submission) does not block a whole process.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * _cpus() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A worker process that stops answering gunicorn for this long is restarted (with
# threads a long request does not count); on shutdown requests get this long to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Keep connections from a load balancer open a little longer than gunicorn's 2 s.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle processes now and then, staggered, so that no slow leak grows for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):  # noqa: S108 – heartbeat files off a possibly slow disk
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Access log to stdout (GUNICORN_ACCESS_LOG= switches it off; the portal logs every request
# itself on portal.requests, with the user). Path without query string, tokens redacted,
# the request id that the portal echoes; /healthz probes are left out.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
# gunicorn 25+ opens a control socket in the home directory by default; two instances on
# one machine would share it. Nobody here uses gunicornc.
control_socket_disable = True


class PortalLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, without /healthz probes and with tokens in paths redacted."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return
        super().access(resp, req, environ, request_time)

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        atoms["q"] = ""
        atoms["r"] = f"{atoms.get('m')} {atoms['U']} {atoms.get('H')}"
        return atoms


logger_class = PortalLogger
