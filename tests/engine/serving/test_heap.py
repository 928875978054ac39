"""engine.serving.heap: free heap pages handed back to the system, now and then."""

from __future__ import annotations

import ctypes
import platform

import pytest

from engine.serving import heap


def test_release_hands_pages_back_where_the_c_library_can() -> None:
    if platform.libc_ver()[0] == "glibc":
        assert heap._TRIM is not None
    assert heap.release() is (heap._TRIM is not None)


def test_release_does_nothing_without_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    class Musl:  # a C library without malloc_trim: ctypes raises AttributeError
        def __getattr__(self, name: str) -> object:
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", lambda _name: Musl())
    assert heap._malloc_trim() is None
    monkeypatch.setattr(heap, "_TRIM", None)
    assert heap.release() is False


@pytest.mark.parametrize(
    ("counts", "released"),
    [
        ([1] * 7, [False] * 7),
        ([1] * 8, [False] * 7 + [True]),
        ([1] * 17, ([False] * 7 + [True]) * 2 + [False]),
        ([3, 3, 3], [False, False, True]),  # 9 crosses 8 once
        ([20], [True]),  # crossing several at once releases once
    ],
)
def test_every_eighth_object_dropped_releases_once(
    monkeypatch: pytest.MonkeyPatch, counts: list[int], released: list[bool]
) -> None:
    calls: list[None] = []

    def release() -> bool:
        calls.append(None)
        return True

    monkeypatch.setattr(heap, "_dropped", 0)
    monkeypatch.setattr(heap, "release", release)
    assert [heap.dropped(c) for c in counts] == released
    assert len(calls) == sum(released)
