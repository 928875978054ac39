"""How a Reply fits Discord's limits, without the SDK: a table of cases, no network."""

from __future__ import annotations

import pytest

from bot.actions import Act
from bot.adapters.discord.layout import RowKind, chunks, rows
from bot.reply import Action


def _actions(saves: int, styles: int = 6) -> tuple[Action, ...]:
    out = [Action(Act.SAVE, f"N{i}", f"fav:1:{i}") for i in range(saves)]
    out.append(Action(Act.MORE, "more like this", "more:1"))
    return (*out, *(Action(Act.STYLE, f"s{i}", f"style:1:s{i}") for i in range(styles)))


@pytest.mark.parametrize(
    ("saves", "kinds"),
    [
        (1, ["buttons", "buttons", "style_menu"]),
        (5, ["buttons", "buttons", "style_menu"]),
        (15, ["buttons"] * 4 + ["style_menu"]),
        (16, ["save_menu", "buttons", "style_menu"]),
        (20, ["save_menu", "buttons", "style_menu"]),
        (30, ["save_menu", "save_menu", "buttons", "style_menu"]),
    ],
)
def test_layout_fits_discords_rows(saves: int, kinds: list[str]) -> None:
    laid = rows(_actions(saves))
    assert [r.kind.value for r in laid] == kinds
    assert sum(len(r.actions) for r in laid) == saves + 7  # every action is somewhere
    assert all(len(r.actions) <= 5 for r in laid if r.kind is RowKind.BUTTONS)
    assert all(len(r.actions) <= 25 for r in laid)


@pytest.mark.parametrize("saves", [5, 20])
def test_of_77_styles_offered_the_first_25_make_the_one_menu(saves: int) -> None:
    """78 styles once made a reply of six rows, which Discord refuses."""
    laid = rows(_actions(saves, styles=77))
    menus = [r for r in laid if r.kind is RowKind.STYLE_MENU]
    assert len(laid) <= 5 and len(menus) == 1
    assert [a.label for a in menus[0].actions] == [f"s{i}" for i in range(25)]


def test_long_text_is_split_at_lines_within_2000_characters() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(60))
    pieces = chunks(text)
    assert all(len(p) <= 2000 for p in pieces)
    assert "\n".join(pieces) == text
    assert chunks("y" * 4500) == ["y" * 2000, "y" * 2000, "y" * 500]
