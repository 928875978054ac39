"""Family names for the fantasy styles that have no list of them: clan and family names made
by joining two words of our own lists (a dwarf's Ironfist, a halfling's Underbank, a goblin's
Mudtooth, an orc's Bloodtusk), and a house or clan named by another invented name of the same
style: an elf's "of House Caelith", a dragonborn's clan name or a rulebook elf's family name
written after the given name ("Krisinzerad Ghesarzerad").

Pure: no model here. The human style takes its family names from the English surnames
(engine.corpora.recipes.FAMILY); the cultures take theirs from their countries' lists.
"""

from __future__ import annotations

import random
import re

COMPOUNDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dwarf": (
        ("Iron", "Stone", "Fire", "Deep", "Gold", "Hammer", "Anvil", "Granite", "Copper",
         "Coal", "Flint", "Rock", "Battle", "Frost", "Grim", "Oak", "Steel", "Bronze", "Bright",
         "Black", "Red", "Broad", "Axe", "Forge", "Thunder", "Mountain"),
        ("fist", "beard", "helm", "forge", "delve", "shield", "axe", "brow", "hammer", "hand",
         "mantle", "hewer", "breaker", "born", "guard", "heart", "mane", "vein", "hold",
         "arm", "song"),
    ),
    "halfling": (
        ("Green", "Under", "Hill", "Brandy", "Good", "Tea", "Bramble", "Honey", "Apple", "Oak",
         "Thistle", "Meadow", "Butter", "Barley", "Hazel", "Moss", "Tall", "Little", "Warm",
         "Merry", "Clover", "Fern", "Pepper", "Quick"),
        ("foot", "bottle", "hill", "barrel", "leaf", "bank", "burrow", "brook", "field",
         "hearth", "kettle", "wick", "bough", "ridge", "whistle", "toes", "bloom", "dale"),
    ),
    "goblin": (
        ("Rot", "Skull", "Mud", "Grim", "Snag", "Bone", "Gut", "Stink", "Rust", "Black",
         "Bog", "Grub", "Sour", "Ash", "Crook", "Blight", "Muck", "Nail"),
        ("tooth", "gut", "nose", "ear", "claw", "eye", "fang", "knuckle", "belly", "grin",
         "spit", "hide", "bite", "gnaw", "scab"),
    ),
    "orc": (
        ("Blood", "Skull", "Bone", "Iron", "Black", "War", "Gore", "Storm", "Ash", "Red",
         "Broken", "Doom", "Grim", "Thunder", "Rage", "Night", "Burnt", "Wolf"),
        ("fang", "tusk", "axe", "fist", "maw", "hide", "jaw", "blade", "skull", "eye",
         "spear", "howl", "claw", "roar", "scar", "hammer"),
    ),
}  # fmt: skip
# A house or clan named by another invented name of the style, and how the two are written.
HOUSE_STYLES: dict[str, str] = {
    "elf": "of House {}",
    "dnd-elf": "{}",
    "dragonborn": "{}",
}
MADE = frozenset(COMPOUNDS) | frozenset(HOUSE_STYLES)


def compound(style: str, rng: random.Random) -> str:
    """A clan or family name for `style` (one of COMPOUNDS) from two of its words."""
    first, second = COMPOUNDS[style]
    while True:
        name = first[rng.randrange(len(first))] + second[rng.randrange(len(second))]
        if not re.search(r"(.)\1\1", name.casefold()):  # no "Tallleaf"
            return name


def house(style: str, name: str) -> str:
    """The family part of a full name for a style of HOUSE_STYLES: "of House Caelith"."""
    return HOUSE_STYLES[style].format(name)


def describe(style: str) -> str:
    """How a style's family names are made, for README-like answers and /styles."""
    if style in HOUSE_STYLES:
        return f"houses or clans named by another invented {style} name"
    return f"{style} clan names joined from two words of our lists"
