"""The button format: what bot.actions builds, it reads back; nothing else reads as a press."""

from __future__ import annotations

import pytest

from bot import actions
from bot.actions import MAX_DATA_BYTES, Act, Confirm, Press

TOKEN = "AbCdEfGhIjKlMnOpQrSt_-"  # the shape of storage's tokens: 22 URL-safe characters


@pytest.mark.parametrize(
    ("data", "press"),
    [
        (actions.save(TOKEN, 3), Press(Act.SAVE, TOKEN, index=3)),
        (actions.more(TOKEN), Press(Act.MORE, TOKEN)),
        (actions.style(TOKEN, "elf"), Press(Act.STYLE, TOKEN, style="elf")),
        (actions.page(2), Press(Act.PAGE, page=2)),
        (actions.confirm(TOKEN, Confirm.ONE), Press(Act.CONFIRM, TOKEN, confirm=Confirm.ONE)),
    ],
)
def test_what_is_built_reads_back(data: str, press: Press) -> None:
    assert actions.parse(data) == press
    assert actions.act_of(data) is press.act
    assert len(data.encode("ascii")) <= MAX_DATA_BYTES


@pytest.mark.parametrize(
    "data",
    [
        "", "fav", f"fav:{TOKEN}", f"fav:{TOKEN}:x", f"fav:{TOKEN}:1:2", f"more:{TOKEN}:1",
        f"style:{TOKEN}:", f"style:{TOKEN}:Élf", f"confirm:{TOKEN}:some", "favs:0", "favs:x",
        "favs:²", "more:bad/token", f"zap:{TOKEN}", "fav:" + "9" * 100 + ":0",
    ],
)  # fmt: skip
def test_anything_else_is_not_a_press(data: str) -> None:
    assert actions.parse(data) is None


def test_a_payload_over_the_smallest_platform_limit_is_never_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        actions.style(TOKEN, "x" * 40)
