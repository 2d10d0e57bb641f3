"""Bounded parsing of ids and keys from addresses and query strings.

Database ids are 64-bit: a larger number in a URL must answer "not found", not overflow
the database driver. Keys (environments, checklist items, secret kinds) are short ASCII
words: anything else, a NUL byte or another control character above all (PostgreSQL
refuses NUL in a string), answers "not found" before any query.
"""

from __future__ import annotations

import re

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


# Environment keys are slugs (max. 20), item keys look like ``step2.sender_client``
# (max. 100 in the database), secret kinds are words.
KEY_PATTERN = "[A-Za-z0-9_.-]{1,100}"
_KEY = re.compile(KEY_PATTERN)


def is_key(text: str) -> bool:
    """Whether ``text`` can be the key of an environment, an item or a secret kind."""
    return _KEY.fullmatch(text) is not None


class KeyConverter:
    """``<key:environment>``: letters, digits, ``_``, ``.`` and ``-``, up to 100."""

    regex = KEY_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
