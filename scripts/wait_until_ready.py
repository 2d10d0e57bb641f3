"""Wait until the portal, its background worker and the sandbox answer (for ``make run``).

    wait_until_ready.py HEALTH_URL SANDBOX_URL [--timeout SECONDS] [--pid PID ...]

Succeeds once HEALTH_URL (the portal's ``/healthz``) answers 200 with a live worker and
SANDBOX_URL answers 200. Fails with a message naming what did not answer when the time is
up or when one of the given processes (those ``make run`` started) has ended. Standard
library only: it runs before anything else is known to work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def answers(url: str) -> dict[str, object] | None:
    """The JSON body of a 200 answer (an empty dict for another body); None otherwise."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URLs)
            if response.status != 200:
                return None
            try:
                body = json.loads(response.read())
            except ValueError:
                return {}
            return body if isinstance(body, dict) else {}
    except (OSError, urllib.error.URLError):
        return None


def running(pid: int) -> bool:
    """Whether the process still runs (an ended child that was not yet reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def missing(health_url: str, sandbox_url: str) -> list[str]:
    """What does not answer yet, in words.

    The portal is asked only once the sandbox answers (it takes longest, making its keys):
    the development server prints a line for every request, and fewer probes mean fewer.
    """
    if answers(sandbox_url) is None:
        return [f"the FIT-Connect sandbox ({sandbox_url})"]
    health = answers(health_url)
    if health is None:
        return [f"the portal ({health_url})"]
    if health.get("worker") != "ok":
        return ["the background worker (no heartbeat yet)"]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("health_url")
    parser.add_argument("sandbox_url")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--pid", type=int, action="append", default=[])
    options = parser.parse_args()
    print("Waiting for the portal, the worker and the sandbox to answer …", flush=True)
    deadline = time.monotonic() + options.timeout
    while True:
        waiting = missing(options.health_url, options.sandbox_url)
        if not waiting:
            return 0
        ended = [pid for pid in options.pid if not running(pid)]
        if ended:
            print(
                "A process of make run ended before everything answered (its messages are "
                f"above); still not answering: {', '.join(waiting)}.",
                file=sys.stderr,
            )
            return 1
        if time.monotonic() > deadline:
            print(
                f"No answer after {options.timeout:.0f} seconds from {', '.join(waiting)}. "
                "The messages above say why; a port in use? Try make run PORT=8001 "
                "SANDBOX_PORT=8766.",
                file=sys.stderr,
            )
            return 1
        time.sleep(1)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
