"""Handing the memory a serving process has freed back to the system.

glibc keeps freed memory in the heap, resident, and returns pages only from the heap's top. A
serving process makes and drops a stepper's tables (half a megabyte to a megabyte each) as
requests go round the styles, and reading a models folder leaves its file's buffers behind; the
holes they leave stay resident, and how many depends on the order things happened in. Measured
with the shipped model (benchmarks/sampling.py's `resident_mb` loop, 2026-12-08): 42.4–45.4 MB after
sampling every style once; 40.6–41.1 MB with a release after loading and every EVERY steppers
dropped (37.7 with one after every request, which would cost each request 0.3 ms: the time one
`malloc_trim(0)` takes). Where the C library has no `malloc_trim` (musl, macOS) `release` does
nothing.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable

EVERY = 8  # steppers dropped between two releases: 0.3 ms per 8 rebuilt steps, under 1%


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError, TypeError):  # no such C library or function (or Windows)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()
_lock = threading.Lock()
_dropped = 0


def release() -> bool:
    """Hand every free page of the heap back to the system; False where the C library cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def dropped(count: int = 1) -> bool:
    """Note `count` large objects freed (steppers); every EVERY of them, release. Returns whether
    this call released."""
    global _dropped
    with _lock:
        before, _dropped = _dropped, _dropped + count
        due = before // EVERY != _dropped // EVERY
    return release() if due else False
