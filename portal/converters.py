"""Bounded parsing of ids from addresses and query strings.

Database ids are 64-bit: a larger number in a URL must answer "not found", not overflow
the database driver.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(text: str) -> int | None:
    """Return ``text`` as a database id, or None unless it is 1 to 19 ASCII digits in range."""
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class IdConverter:
    """``<id:pk>``: like ``<int:pk>``, but a number beyond the database's range is no match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the pattern does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)
