"""Full names: a style's given names followed by names of its family-name style.

Which style gives a style its family names is `engine.styles.FAMILY` (english -> surnames,
russian -> russian-surnames, ...). Sampling takes the family model from its caller, or else loads
the packaged one here, once.
"""

from __future__ import annotations

import functools
from pathlib import Path

from engine import checkpoint
from engine.namemodel import NameModel
from engine.styles import FAMILY

PACKAGED = Path(__file__).parent / "models"


def family_style(style: str) -> str | None:
    """The style that gives `style` its family names, or None when it has none."""
    return FAMILY.get(style)


@functools.cache
def packaged_family(style: str) -> NameModel | None:
    """The packaged model of `style`'s family names, loaded once; None when there is none."""
    family = FAMILY.get(style)
    path = PACKAGED / f"{family}.pt"
    return checkpoint.load(path) if family and path.is_file() else None


def no_family_message(style: str) -> str:
    return (
        f"the {style} style has no family names, so no full names; "
        f"full names work for {', '.join(sorted(FAMILY))}"
    )
