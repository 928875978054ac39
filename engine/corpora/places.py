"""Names of places and things a game table needs — taverns, inns, ships, shops — made from
templates over word lists kept here, with invented proper names where they fit ("Thorgrim's
Rest"). Pure: the proper names come from the caller (engine.serving.generator samples them
from a style), so this module needs no model.

The lists are ours, written for this purpose: common English words, no source to credit.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

ADJECTIVES = (
    "Gilded", "Silver", "Golden", "Crimson", "Black", "White", "Grey", "Green", "Red", "Blue",
    "Old", "Merry", "Drunken", "Laughing", "Sleeping", "Prancing", "Wandering", "Hidden",
    "Broken", "Rusty", "Crooked", "Jolly", "Lucky", "Brazen", "Howling", "Singing", "Dancing",
    "Wild", "Bold", "Weary", "Thirsty", "Hungry", "Lonely", "Salty", "Iron", "Copper",
    "Stone", "Oaken", "Velvet", "Frozen", "Burning", "Shining", "Silent", "Roaring", "Twin",
    "Three", "Seven", "Royal", "Humble", "Painted",
)  # fmt: skip
CREATURES = (
    "Stag", "Boar", "Bear", "Wolf", "Fox", "Hare", "Hound", "Raven", "Crow", "Owl", "Falcon",
    "Swan", "Goose", "Rooster", "Bull", "Ox", "Goat", "Ram", "Horse", "Pony", "Mare", "Lion",
    "Griffin", "Dragon", "Wyvern", "Unicorn", "Serpent", "Eel", "Salmon", "Pike", "Badger",
    "Otter", "Toad", "Kraken", "Mermaid", "Giant", "Goblin", "Knight", "Friar", "Maiden",
    "Piper", "Fiddler", "Jester", "Hermit", "Sailor", "Miller",
)  # fmt: skip
THINGS = (
    "Tankard", "Flagon", "Cask", "Barrel", "Anchor", "Lantern", "Candle", "Crown", "Shield",
    "Sword", "Axe", "Hammer", "Anvil", "Plough", "Wheel", "Bell", "Harp", "Lute", "Horn",
    "Key", "Kettle", "Cauldron", "Cup", "Goblet", "Boot", "Hat", "Cloak", "Rose", "Thistle",
    "Oak", "Acorn", "Apple", "Moon", "Star", "Sun", "Compass", "Quill", "Feather", "Bridge",
    "Gate", "Tower", "Mill",
)  # fmt: skip
RESTS = ("Rest", "Retreat", "Respite", "Hearth", "Haven", "Hall", "Lodge", "Table", "Cellar")
INN_WORDS = ("Inn", "Lodge", "House", "Hostel", "Roadhouse", "Arms")
SEA_NOUNS = (
    "Wave", "Tide", "Gull", "Storm", "Wind", "Star", "Dawn", "Maiden", "Serpent", "Wyvern",
    "Dolphin", "Albatross", "Petrel", "Kraken", "Fortune", "Venture", "Spray", "Current",
    "Horizon", "Tempest", "Mist", "Pearl", "Harpoon", "Narwhal",
)  # fmt: skip
SEA_ADJECTIVES = (
    "Sea", "Storm", "Salt", "Swift", "Grey", "Black", "Silver", "Crimson", "Restless",
    "Wandering", "Bold", "Dauntless", "Fearless", "Northern", "Southern", "Morning", "Evening",
    "Golden", "Merry", "Lucky",
)  # fmt: skip
WARES = (
    "Blades", "Arms", "Armour", "Potions", "Remedies", "Curios", "Oddities", "Trinkets",
    "Maps", "Books", "Scrolls", "Candles", "Cloth", "Leathers", "Boots", "Hats", "Spices",
    "Herbs", "Provisions", "Tools", "Locks", "Lanterns", "Bows", "Arrows", "Saddles", "Brews",
)  # fmt: skip
TRADES = (
    "Smithy", "Emporium", "Outfitters", "Apothecary", "Alchemist", "Bazaar", "Trading Post",
    "Workshop", "Mercantile", "Goods", "Supplies", "Wares",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlaceKind:
    """A kind of place: what /styles says of it, and the styles its proper names come from."""

    name: str
    description: str
    proper_styles: tuple[str, ...]


KINDS: dict[str, PlaceKind] = {
    k.name: k
    for k in (
        PlaceKind("tavern", "tavern names: The Gilded Stag, Thorgrim's Rest", ("human", "dwarf")),
        PlaceKind("inn", "inn names: The Weary Boar Inn, Aldric's Lodge", ("human", "halfling")),
        PlaceKind(
            "ship", "ship names: Sea Wyvern, The Restless Gull, Lady Elowen", ("human", "elf")
        ),
        PlaceKind("shop", "shop names: Brenna's Curios, The Iron Anvil Smithy", ("human", "dwarf")),
    )
}
PROPER_PER_NAME = 1  # invented proper names drawn per place name asked for (not all are used)


def _pick(rng: random.Random, words: Sequence[str]) -> str:
    return words[rng.randrange(len(words))]


def make(kind: str, count: int, proper: Sequence[str], rng: random.Random) -> list[str]:
    """Up to `count` distinct names of `kind`, using the invented `proper` names where a
    template wants one. Deterministic for a given `rng`."""
    names: list[str] = []
    tries = 0
    while len(names) < count and tries < count * 50:
        tries += 1
        who = proper[rng.randrange(len(proper))] if proper else None
        name = _one(kind, who, rng)
        if name not in names:
            names.append(name)
    return names


def _one(kind: str, who: str | None, rng: random.Random) -> str:
    adj, creature, thing = _pick(rng, ADJECTIVES), _pick(rng, CREATURES), _pick(rng, THINGS)
    roll = rng.random()
    if kind == "tavern":
        if who and roll < 0.25:
            return f"{who}'s {_pick(rng, RESTS)}"
        if roll < 0.45:
            return f"The {creature} and {thing}"
        return f"The {adj} {_pick(rng, (creature, thing))}"
    if kind == "inn":
        if who and roll < 0.25:
            return f"{who}'s {_pick(rng, INN_WORDS)}"
        if roll < 0.5:
            return f"The {adj} {creature} Inn"
        return f"The {creature} and {thing}"
    if kind == "ship":
        if who and roll < 0.25:
            return f"{_pick(rng, ('Lady', 'Queen', 'Old', 'Saint'))} {who}"
        if roll < 0.6:
            return f"{_pick(rng, SEA_ADJECTIVES)} {_pick(rng, SEA_NOUNS)}"
        return f"The {_pick(rng, SEA_ADJECTIVES)} {_pick(rng, SEA_NOUNS)}"
    if kind == "shop":
        if who and roll < 0.4:
            return f"{who}'s {_pick(rng, WARES)}"
        if roll < 0.7:
            return f"The {adj} {thing} {_pick(rng, TRADES)}"
        return f"{_pick(rng, WARES)} of the {adj} {creature}"
    raise ValueError(f"unknown kind of place {kind!r}")
