"""The recipes of the shipped styles, and which style gives a style its family names."""

from __future__ import annotations

import pytest

from engine.corpora.recipes import FAMILY, STYLES, family_style, no_family_message


@pytest.mark.parametrize(
    ("style", "family"),
    [
        ("english", "surnames"),
        ("russian", "russian-surnames"),
        ("greek", "greek-surnames"),
        ("elf", None),
        ("gnome", None),
        ("tiefling", None),
    ],
)
def test_family_style(style: str, family: str | None) -> None:
    assert family_style(style) == family


def test_no_family_message_names_the_styles_that_have_family_names() -> None:
    message = no_family_message("elf")
    assert message.startswith("the elf style has no family names, so no full names")
    assert all(style in message for style in FAMILY)


def test_a_recipe_keeps_the_style_s_own_network_command_from_scratch() -> None:
    command = STYLES["elf"].command("out/elf.pt")
    assert command[:5] == ["namesmith", "train", "--corpus", "elf", "--out"]
    assert command[command.index("--max-steps") + 1] == "4000"
    assert command[-1] == "--from-scratch"


def test_every_shipped_style_has_a_share_of_the_shared_training() -> None:
    from engine.corpora.recipes import BUDGET

    assert set(BUDGET) == set(STYLES) and min(BUDGET.values()) > 0


@pytest.mark.parametrize(
    ("style", "has"),
    [("orc", True), ("dragonborn", True), ("dnd-elf", True), ("tiefling", False),
     ("thai", True), ("danish", False)],
)  # fmt: skip
def test_which_styles_have_full_names(style: str, has: bool) -> None:
    from engine.corpora.recipes import has_family_names

    assert has_family_names(style) is has
