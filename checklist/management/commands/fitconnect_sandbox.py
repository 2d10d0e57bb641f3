"""Run the local FIT-Connect sandbox in the foreground until Ctrl+C."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fitconnect import demo
from fitconnect.sandbox import FAULT_MODES, Sandbox, parse_fault, urls


class Command(BaseCommand):
    help = (
        "Start a local stand-in for FIT-Connect's test environment (token, Submission API, "
        "Routing API, SSP keys, a simulated Fachverfahren). Stop it with Ctrl+C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=demo.SANDBOX_HOST)
        parser.add_argument("--port", type=int, default=demo.SANDBOX_PORT)
        parser.add_argument(
            "--fault",
            default=None,
            help=f"Answer every request with a fault: {', '.join(FAULT_MODES)}.",
        )
        parser.add_argument(
            "--state-file",
            default="var/sandbox-state.json",
            help="Where the generated keys are kept between runs (relative to the project).",
        )
        parser.add_argument(
            "--process-delay",
            type=float,
            default=0.2,
            help="Seconds before the simulated Fachverfahren answers a submission.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError(f"--port must be a number from 0 to 65535, not {options['port']}.")
        if not 0 <= options["process_delay"] <= 3600:
            raise CommandError("--process-delay must be a number of seconds from 0 to 3600.")
        fault = options["fault"]
        try:
            fault = parse_fault(fault) if fault else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        state_file = Path(options["state_file"])
        if not state_file.is_absolute():
            state_file = Path(settings.BASE_DIR) / state_file
        self._log_requests()
        if not state_file.exists():
            self.stdout.write("Generating the sandbox keys (RSA-4096), a few seconds …")
        try:
            sandbox = Sandbox(
                state_file=state_file, fault=fault, process_delay=options["process_delay"]
            )
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot use the state file {state_file}: {error}") from error
        try:
            sandbox.serve_forever(options["host"], options["port"], ready=self._announce(fault))
        except KeyboardInterrupt:
            pass  # Ctrl+C; the server has already shut down gracefully
        except (OSError, OverflowError, UnicodeError) as error:
            address = f"{options['host']}:{options['port']}"
            raise CommandError(f"Cannot serve on {address}: {error}") from error
        # Also when serving ends without KeyboardInterrupt: uvicorn handles SIGINT itself
        # and re-raises it afterwards, which does nothing where SIGINT is ignored.
        self.stdout.write("Sandbox stopped.")

    def _announce(self, fault: str | None) -> Callable[[str], None]:
        def ready(base: str) -> None:
            lines = [f"FIT-Connect sandbox on {base}", ""]
            lines += [f"  {name:<16}{url}" for name, url in urls(base).items()]
            lines += [
                "",
                f"  destination     {demo.DESTINATION_ID}",
                f"  subscriber      client_id {demo.SUBSCRIBER_CLIENT_ID}",
                f"  sender          client_id {demo.SENDER_CLIENT_ID}",
                "  (secrets: fitconnect/demo.py)",
                f"  fault mode      {fault or 'none'}; per request: {base}/fault/<mode>/<path>",
                "",
                "Stop with Ctrl+C.",
            ]
            self.stdout.write("\n".join(lines))
            self.stdout.flush()

        return ready

    @staticmethod
    def _log_requests() -> None:
        """Log one line per request (method, path, status) to stderr."""
        sandbox_logger = logging.getLogger("fitconnect.sandbox")
        if not any(getattr(h, "sandbox_handler", False) for h in sandbox_logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
            handler.sandbox_handler = True  # type: ignore[attr-defined]
            sandbox_logger.addHandler(handler)
        sandbox_logger.setLevel(logging.INFO)
        sandbox_logger.propagate = False
