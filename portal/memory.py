"""Handing memory back to the operating system after a large piece of work.

Rendering a PDF builds a large tree of boxes, fonts and images in the background worker.
Python frees those objects afterwards, but glibc's allocator keeps the freed pages for the
process, so a long-running worker stays as large as its largest render. ``release`` runs
the garbage collector and asks glibc to give free pages back (``malloc_trim``); elsewhere
(musl, macOS) only the collector runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def release() -> bool:
    """Collect garbage and return free heap pages to the system; whether glibc trimmed."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
