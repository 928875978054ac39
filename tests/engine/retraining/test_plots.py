from __future__ import annotations

import io

from PIL import Image

from engine.retraining.plots import retrain_png


def test_the_retrain_picture_is_a_png() -> None:
    png = retrain_png(
        "elf",
        [(0.1 * i, 3.0 - 0.01 * i) for i in range(100)],
        [(2.5, 2.4), (5.0, 2.2), (7.5, 2.1)],
        [4, 5, 5, 6, 6, 6, 7, 8],
        [3, 5, 6, 6, 7, 9],
        old_val=2.15,
    )
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(png) < 500_000
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        assert img.size == (900, 360)


def test_an_empty_run_still_draws() -> None:
    png = retrain_png("elf", [], [], [5, 6], [])
    assert png.startswith(b"\x89PNG")
