"""The ``Sandbox`` object: set-up, and serving its app with uvicorn.

``start`` serves in a daemon thread (for tests), ``serve_forever`` in the calling thread
until Ctrl+C (for the management command). Either way the sandbox binds its socket itself,
so that a port in use fails in the caller, and runs the simulated Fachverfahren in a
thread of its own. Keys live in the state file and survive a restart; the rest is memory.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from fitconnect import demo

from . import fachverfahren, watch
from .app import HANG_UP, build_app
from .faults import parse_fault
from .keys import KeyPair
from .state import Area, Destination, Role, State
from .web import urls

STARTUP_TIMEOUT = 10.0


class _Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a way for the app to hang up (the close fault).

    ASGI has no message for "close the connection without an answer"; this puts the
    connection's ``close`` into the state of each request's scope, under ``HANG_UP``.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, HANG_UP: transport.close}


class Sandbox:
    """FIT-Connect's test environment on one local HTTP server, with fault injection."""

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        fault: str | None = None,
        process_delay: float = 0.2,
    ) -> None:
        self._state = State(
            state_file=state_file,
            fault=parse_fault(fault) if fault else None,
            process_delay=process_delay,
        )
        self._stopping = threading.Event()
        self.app = build_app(self._state, self._stopping)
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self.add_client(
            demo.SUBSCRIBER_CLIENT_ID,
            demo.SUBSCRIBER_CLIENT_SECRET,
            role="subscriber",
            destinations=[demo.DESTINATION_ID],
        )
        self.add_client(demo.SENDER_CLIENT_ID, demo.SENDER_CLIENT_SECRET, role="sender")

    # --- what it is ---

    @property
    def state_file(self) -> Path | None:
        return self._state.state_file

    @property
    def fault(self) -> str | None:
        """The fault mode of every request without a ``/fault/<mode>/`` prefix."""
        return self._state.fault

    @property
    def process_delay(self) -> float:
        return self._state.process_delay

    @property
    def base(self) -> str:
        """The base URL, such as ``http://127.0.0.1:8765``; empty before the first start."""
        return self._state.base

    @property
    def urls(self) -> dict[str, str]:
        return urls(self.base)

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """The bodies of the valid callbacks the simulated Fachverfahren received."""
        return self._state.callbacks

    @property
    def keys(self) -> dict[str, KeyPair]:
        """The sandbox's key pairs by role: auth, zustelldienst, ssp, encryption, signature."""
        return self._state.keys

    # --- set-up ---

    def add_destination(
        self,
        *,
        destination_id: str,
        services: list[dict[str, Any]],
        regions: list[str],
        encryption_key: dict[str, Any],
        signature_key: dict[str, Any],
        encryption_private_key: dict[str, Any] | None = None,
        signature_private_key: dict[str, Any] | None = None,
        name: str = "Sandbox-Zustellpunkt",
        status: str = "active",
        metadata_versions: list[str] | None = None,
        callback: dict[str, str] | None = None,
    ) -> Destination:
        """Register a destination; services as in ``demo.SERVICES``, regions as ARS.

        ``callback`` ({"url", "secret"}) receives a signed NEW_SUBMISSIONS callback for each
        submitted submission (``fitconnect.sandbox.callbacks``).

        The simulated Fachverfahren processes its submissions only when both private keys
        are given; without them a test can play the subscriber itself.
        """
        return self._state.add_destination(
            destination_id=destination_id,
            services=services,
            regions=regions,
            encryption_key=encryption_key,
            signature_key=signature_key,
            encryption_private_key=encryption_private_key,
            signature_private_key=signature_private_key,
            name=name,
            status=status,
            metadata_versions=metadata_versions,
            callback=callback,
        )

    def add_client(
        self,
        client_id: str,
        secret: str,
        *,
        role: Role,
        destinations: list[str] | tuple[str, ...] = (),
        scope: str | None = None,
    ) -> None:
        """Register an API client; a subscriber sees the submissions of its destinations."""
        self._state.add_client(client_id, secret, role=role, destinations=destinations, scope=scope)

    def add_area(self, area: Area) -> None:
        """Make another area findable through ``/areas`` and ``/routes?areaId=``."""
        self._state.add_area(area)

    # --- what the production watch needs ---

    def add_waiting_submission(self, destination_id: str, age_days: float) -> str:
        """Add a submission waiting for pickup since ``age_days`` days; return its id."""
        return watch.add_waiting_submission(self._state, destination_id, age_days)

    def set_destination_status(self, destination_id: str, status: str) -> None:
        """Set a Zustellpunkt's status, e.g. ``inactive``."""
        watch.set_status(self._state, destination_id, status)

    def expiring_key(self, name: str, days: int, *, kid: str | None = None) -> KeyPair:
        """Return one of the sandbox's key pairs (``encryption``, ``signature``) with a
        certificate that expires in ``days`` days, for a destination to serve."""
        return watch.expiring(self.keys[name], days, kid=kid)

    # --- life cycle ---

    def start(self, host: str = demo.SANDBOX_HOST, port: int = demo.SANDBOX_PORT) -> str:
        """Serve in a daemon thread (port 0 picks a free port); return the base URL."""
        server, sock = self._open(host, port)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="fitconnect-sandbox-http",
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError("The sandbox's HTTP server did not start.")
            time.sleep(0.01)
        return self.base

    def serve_forever(
        self,
        host: str = demo.SANDBOX_HOST,
        port: int = demo.SANDBOX_PORT,
        *,
        ready: Callable[[str], None] | None = None,
    ) -> None:
        """Serve in this thread until interrupted; ``ready`` gets the base URL first."""
        server, sock = self._open(host, port)
        try:
            if ready is not None:
                ready(self.base)
            server.run(sockets=[sock])
        finally:
            sock.close()
            self._close()

    def stop(self) -> None:
        """Stop serving and the simulated Fachverfahren; the state stays for a restart."""
        server = self._server
        if server is None:
            return
        self._stopping.set()  # cuts slow faults short, so that no answer holds up the exit
        server.should_exit = True
        self._close()

    def _open(self, host: str, port: int) -> tuple[uvicorn.Server, socket.socket]:
        if self._server is not None:
            raise RuntimeError("The sandbox is already running.")
        self._state.ensure_keys()  # generate or load the keys before the first request
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family)
        bound_port = sock.getsockname()[1]
        self._state.base = (
            f"http://[{host}]:{bound_port}" if ":" in host else f"http://{host}:{bound_port}"
        )
        config = uvicorn.Config(
            self.app,
            host=host,
            port=bound_port,
            http=_Protocol,
            ws="none",
            lifespan="off",
            loop="asyncio",
            proxy_headers=False,
            log_config=None,  # leave the process's logging alone; we log to our own logger
            log_level="warning",
            access_log=False,
            timeout_keep_alive=60,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._stopping.clear()
        worker = threading.Thread(
            target=fachverfahren.run,
            args=(self._state, self._stopping),
            name="fitconnect-sandbox-fachverfahren",
            daemon=True,
        )
        worker.start()
        self._threads = [worker]
        return self._server, sock

    def _close(self) -> None:
        with self._state.lock:
            self._server = None
            self._stopping.set()
            self._state.wakeup.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        self._threads = []
