"""The worker hands memory back after large work (``portal.memory``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from portal import memory


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, trims glibc")
def test_memory_freed_by_python_goes_back_to_the_system() -> None:
    # Many objects of a kilobyte (too large for Python's own small-object allocator), as a
    # render leaves behind, then one that lives on above them on glibc's heap: when Python
    # frees the many, glibc keeps their pages for the process.
    garbage = [bytes(1000) + bytes([n % 256]) for n in range(150_000)]
    keep = bytes(1000) + b"kept"
    del garbage
    before = resident_mib()
    assert memory.release() is True
    after = resident_mib()
    assert before - after > 50, f"{before:.0f} MiB before, {after:.0f} MiB after"
    assert keep
