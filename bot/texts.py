"""Reply texts. Command help lives here so /help and the README agree."""

from __future__ import annotations

from bot.requests import MAX_COUNT, MAX_PARTY

EXAMPLE = "/name elf Eld 0.7"  # five elf names that start with Eld, a little tamer than usual
WELCOME = (
    "Hi! I invent names with a neural network trained on lists of real ones.\n"
    f"Try {EXAMPLE} for elf names that start with Eld, /name dwarf female, or just /name. "
    "Send /help for everything I can do."
)

# command -> (one line for the list, the full help)
HELP: dict[str, tuple[str, str]] = {
    "name": (
        "invent names",
        "/name [prefix] [temperature] [count] [style] [female|male|neutral] [new] [full] "
        "[options]\n"
        "  /name Eld 0.7 → names starting with Eld at temperature 0.7\n"
        "  /name elf female 8 → 8 female elf names (f and m work too)\n"
        "  /name half-elf → between elf and human; /name elf:70+dwarf:30 → a weighted blend "
        "(up to 4 styles)\n"
        "  /name neutral → names that sound neither female nor male (gender=n)\n"
        "  /name like=Legolas → new names that sound like Legolas (like=favs: like your "
        "favourites), in the style they fit best unless you name one\n"
        "  /name towns polish → Polish towns (country=polish)\n"
        "  /table elf (or /name elf table; on Discord /name table:True) → a numbered d20 table\n"
        "A number with a decimal point is the temperature (0.1–3: low is safe, high is wild); "
        f"a whole number is the count (1–{MAX_COUNT}), in any order (1.0 is a temperature, 1 a "
        "count). A style's name or female/male (f/m) picks those; to start names with such "
        "a word, write prefix=elf or prefix=F.\n"
        "Options: style=elf gender=f|m|n|any len=4-8 ends=iel contains=ar prefix=Eld count=5 "
        "like=Legolas "
        "temp=0.8, the word new (only names not in the training list; on by default for the "
        "fantasy races from t=0.5) and the word "
        "full (given name and family name, where the style has family names). "
        "🔄 under a reply never repeats a name it already showed.",
    ),
    "table": (
        "a numbered table of names to roll on",
        "/table [style] [count] [options]: a numbered table a GM can paste into notes, 20 names "
        "(a d20) unless a count is given, e.g. /table elf or /table dwarf female 12; every "
        "option of /name works. /name elf table is the same.",
    ),
    "npc": (
        "one character's full name, race and gender",
        "/npc [race] [gender]: one full name with its race and gender, e.g. /npc dwarf female "
        "or /npc half-elf; without a race, one is drawn. Fantasy races get clan and family "
        "names (a dwarf's Ironfist, an elf's house), cultures their countries' family names.",
    ),
    "party": (
        "a party of characters, one full name each",
        f"/party elf dwarf halfling human (up to {MAX_PARTY} members, blends too: half-elf), "
        "or /party 4 for a random mix: one full name per member, each line naming its race "
        "and gender, with ⭐ to save each and 🔄 for a new party.",
    ),
    "styles": (
        "the styles I know",
        "/styles [group|style]: the styles in groups (fantasy, cultures, family names, places), "
        "each with three sample names; /styles cultures describes every style of a group; "
        "/styles greek tells one style in full: where its names come from (and the licence), "
        "its genders, its family names and five samples.",
    ),
    "rate": (
        "how name-like a name is",
        "/rate <name> [style] [female|male]: how name-like it is, e.g. /rate Aragorn elf or "
        "/rate Mary Jane female (a full name is rated word by word).",
    ),
    "fav": (
        "save a favourite",
        "/fav <name> [#tag …] [— note]: save a name (or press ⭐ under a reply), e.g. "
        "/fav Marianne Dashwood #book2 — elder sister, sensible (a -, : or — starts the note). "
        "A typed name is marked with the style it fits best. Case does not matter: Nina and "
        "nina are one favourite.",
    ),
    "favs": (
        "your favourites",
        "/favs [#tag] [page]: your favourites, newest first, numbered, with their tags and "
        "notes; /favs #book2 lists those tagged #book2.",
    ),
    "note": (
        "a note on a favourite",
        "/note <name or number> — <text>: write a favourite's note (up to 500 characters), e.g. "
        "/note Eldrin — a wandering bard, or /note 2 — the villain; /note <name> alone clears it.",
    ),
    "tag": (
        "tag a favourite",
        "/tag <name or number> #tag … [-#tag …]: add tags to a favourite, or take them off, "
        "e.g. /tag Eldrin #book2 -#draft. A tag is one word (letters, digits, _ and -), at most "
        "32 characters.",
    ),
    "unfav": (
        "forget a favourite",
        "/unfav <name> or /unfav <number from /favs> forgets one; /unfav all asks, then "
        "forgets them all.",
    ),
    "export": (
        "favourites as a file",
        "/export [csv|md|txt]: your favourites as a file, with style, tags, note and date: CSV "
        "(the default) for a spreadsheet, md for Markdown notes, txt for names alone.",
    ),
    "settings": (
        "your defaults",
        "/settings shows your defaults; /settings temperature=0.8 style=dwarf count=5 "
        "gender=f|m|n|any new=yes|no sets any of them (a style may be a blend: "
        "style=half-elf). In a group (a Discord server), an admin's "
        "/settings chat style=elf sets its defaults; each member's own settings still win. "
        "/settings chat filter=off relaxes the filter of offensive names for the group "
        "(/settings filter=off for yourself, in private).",
    ),
    "reset": ("forget your defaults", "/reset: forget your defaults."),
    "help": ("this help", "/help [command]: all commands, or one in detail."),
    "start": ("say hello", "/start: say hello."),
    "retrain": (
        "retrain a style (admins)",
        "/retrain <style> with a .txt file attached (one name per line, optionally "
        "name<TAB>label; at most 2 MB, at least 50 names), or /retrain <style> corpus=<built-in> "
        "(english, surnames, elf, dwarf, halfling, goblin, human). Options: seconds=N, force "
        "(adopt even if not better). A new style name creates a style (a name within two "
        "letters of an existing style asks first; the word new says it is meant); an existing "
        "one is replaced only if the new model is better. /retrain status, /retrain cancel, "
        "/retrain remove <style> (an added style; shipped ones stay).",
    ),
    "rollback": (
        "undo a retrain (admins)",
        "/rollback <style>: serve the style's previous model again.",
    ),
    "audit": ("recent admin actions (admins)", "/audit: the last retrains, rollbacks, refusals."),
    "stats": ("usage figures (admins)", "/stats: names served, users, favourites (admins)."),
}

ADMIN_COMMANDS = frozenset({"retrain", "rollback", "audit", "stats"})  # the bot admins'


def menu(*, admin: bool) -> list[tuple[str, str]]:
    """(command, what it does) for a platform's command menu; the admins' only for admins."""
    return [(c, short) for c, (short, _) in HELP.items() if admin or c not in ADMIN_COMMANDS]


def help_all(*, admin: bool) -> str:
    """Every command in a line each, an example first; the admins' commands only for admins."""
    lines = [f"/{cmd} — {short}" for cmd, (short, _) in HELP.items()
             if admin or cmd not in ADMIN_COMMANDS]  # fmt: skip
    return (
        f"Try {EXAMPLE}: five elf names that start with Eld.\n"
        + "\n".join(lines)
        + "\nSend /help name for the details of /name."
    )


PLAIN_HINT = f"Send {EXAMPLE} (or just: elf) for names, /help for everything I can do."
REAL_MARK = "✓"  # beside a name that is in the style's list of real names


def real_legend(style: str) -> str:
    return f"{REAL_MARK} a real name from the {style} list; the others are invented"


CANNOT_SAVE = (
    "⚠️ Nothing can be saved right now: the bot's database does not accept changes (its "
    "operator is told). Names still work."
)
GONE_COMMAND = (
    "That command is not in this version of the bot any more (Discord's menu updates a little "
    "later); /help lists the commands there are."
)
SORRY = "Sorry, something went wrong on my side. Please try again."
EXPIRED = "That button has expired; send the command again."


def slow_down(limit: int, period: float) -> str:
    return f"Slow down a little: at most {limit} requests every {period:g} seconds."


def rating_words(percentile: float) -> str:
    if percentile >= 75:
        return "very name-like"
    if percentile >= 40:
        return "a plausible name"
    if percentile >= 10:
        return "unusual"
    return "not much like a name"


NO_BUTTONS = "(buttons are off for now: the bot cannot store anything at the moment)"
