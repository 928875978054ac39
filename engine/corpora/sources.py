"""Where the built-in corpora come from: the data files of installed PyPI packages, read
offline (faker's per-locale lists, `names`, wyrdbound-rng, dnd-name-generator, pynames).

`BUILTIN` maps each corpus name to its one-line description and its reader, which yields raw
(name, label) pairs; engine.corpora.corpus cleans them. Each licence is named in the README.
"""

from __future__ import annotations

import importlib
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

import yaml

Reader = Callable[[], Iterable[tuple[str, str]]]
# Each package a corpus comes from, with the licence its distribution carries (read from the
# package: pynames' metadata also lists a "proprietary" classifier, but the LICENSE file it ships
# is the BSD 3-Clause text).
LICENCES = {
    "faker": "MIT",
    "names": "MIT",
    "wyrdbound-rng": "MIT",
    "dnd-name-generator": "MIT",
    "pynames": "BSD-3-Clause",
}
SURNAMES_TOP = 20_000
# The fantasy styles: wyrdbound-rng's ancestries, then the tabletop races of two more packages.
ANCESTRIES = ("elf", "dwarf", "halfling", "goblin", "human")
FANTASY = (*ANCESTRIES, "dnd-elf", "orc", "tiefling", "dragonborn")


def _english() -> Iterable[tuple[str, str]]:
    from faker.providers.person.en import Provider

    yield from ((n, "female") for n in Provider.first_names_female)
    yield from ((n, "male") for n in Provider.first_names_male)


def _surnames() -> Iterable[tuple[str, str]]:
    # names' census file: "SMITH   1.006  1.006  1", most frequent first.
    text = resources.files("names").joinpath("dist.all.last").read_text("ascii")
    for line in text.splitlines()[:SURNAMES_TOP]:
        if line.strip():
            yield line.split()[0].title(), ""


def _ancestry(ancestry: str) -> Callable[[], Iterable[tuple[str, str]]]:
    def load() -> Iterable[tuple[str, str]]:
        data = resources.files("wyrdbound_rng").joinpath("data")
        for gender in ("female", "male"):
            doc = yaml.safe_load(data.joinpath(f"ancestry-{ancestry}-{gender}.yaml").read_text())
            yield from ((str(n), gender) for n in doc["names"])

    return load


_WORDS = re.compile(r"[ \-']")


def proper(name: str, *, particles: bool = False) -> bool:
    """A name of capitalised words ("Ana Belén", "Ann-Kathrin", "Sant'Elia"), with lowercase
    particles after the first word when `particles` ("Bakov nad Jizerou"). Filters faker's
    lists, which also hold initials ("Hans D."), numerals ("Koch II") and notes ("auch ...").
    In a script without capitals (Hebrew, Thai, Devanagari) a word is letters and the marks
    written on them ("अंकिता")."""
    return all(
        _word(w)
        and (
            not _cased(w)
            or (len(w) > 1 and w == w.capitalize())
            or (particles and i > 0 and w.islower())
        )
        for i, w in enumerate(_WORDS.split(name))
    )


def _word(w: str) -> bool:
    return (
        bool(w)
        and unicodedata.category(w[0]).startswith("L")
        and all(unicodedata.category(c)[0] in "LM" for c in w)
    )


def _cased(w: str) -> bool:
    return w[0].lower() != w[0].upper()


def _faker_first(locale: str) -> Reader:
    """The first styles' first names, in faker's own order, which their train/validation
    splits were drawn in (the shipped model learned those splits)."""
    return first_names(locale, faker_order=True)


def _faker_last(locale: str) -> Reader:
    """The first styles' family names, in faker's own order (see _faker_first)."""
    return family_names(locale, faker_order=True)


def _icelandic_patronymics() -> Iterable[tuple[str, str]]:
    # faker's is_IS holds fathers' names in the genitive ("Jóns", "Sigurðar"); a patronymic
    # adds -son for a son and -dóttir for a daughter.
    from faker.providers.person.is_IS import Provider

    for stem in Provider.last_names_without_suffix:
        yield f"{stem}dóttir", "female"
        yield f"{stem}son", "male"


# label: the faker address providers whose town list it takes (every list of 200 or more;
# Russia's and Ukraine's are `city_names`, in Cyrillic)
TOWN_LISTS = {
    "belgian": ("nl_BE",),
    "czech": ("cs_CZ",),
    "danish": ("da_DK",),
    "dutch": ("nl_NL",),
    "finnish": ("fi_FI",),
    "german": ("de_DE", "de_AT", "de_CH"),
    "indian": ("en_IN",),
    "italian": ("it_IT",),
    "polish": ("pl_PL",),
    "romanian": ("ro_RO",),
    "russian": ("ru_RU",),
    "slovak": ("sk_SK",),
    "ukrainian": ("uk_UA",),
}
TOWNS_PER_COUNTRY = 2000  # Italy's 16,559 would drown the rest


def _towns() -> Iterable[tuple[str, str]]:
    for label, locales in TOWN_LISTS.items():
        towns: list[str] = []
        for locale in locales:
            provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
            towns += getattr(provider, "cities", None) or provider.city_names
        towns = sorted(set(towns))  # faker builds Italy's list from a set: its order varies
        step = max(1, -(-len(towns) // TOWNS_PER_COUNTRY))  # every step-th: spread, repeatable
        yield from ((t, label) for t in towns[::step] if proper(t, particles=True))


# --- cultures: faker's per-locale lists beyond the first few -----------------------------------


@dataclass(frozen=True, slots=True)
class Culture:
    """One of faker's locales as a style: its first names (by gender where faker has them) and,
    where the locale has enough of them, its family names as `<style>-surnames`."""

    style: str
    locale: str
    people: str  # "Greek", "Kenyan"
    script: str = ""  # "in Greek script"; empty for the Latin alphabet
    surnames: bool = False
    romanised: bool = False  # faker's romanisation of the locale, not its own script
    note: str = ""  # anything a user should know about the list

    @property
    def description(self) -> str:
        written = f", {self.script}" if self.script else ""
        roman = ", romanised" if self.romanised else ""
        note = f"; {self.note}" if self.note else ""
        return f"{self.people} first names{written}{roman} (faker's {self.locale} lists{note})"

    @property
    def surname_description(self) -> str:
        written = f", {self.script}" if self.script else ""
        return f"{self.people} family names{written} (faker's {self.locale} list)"


CULTURES = (
    Culture("arabic", "ar_AA", "Arabic", "in Arabic script", surnames=True),
    Culture("armenian", "hy_AM", "Armenian", "in Armenian script", surnames=True),
    Culture("azerbaijani", "az_AZ", "Azerbaijani"),
    Culture("brazilian", "pt_BR", "Brazilian"),
    Culture("bulgarian", "bg_BG", "Bulgarian", "in Cyrillic"),
    Culture("chilean", "es_CL", "Chilean", surnames=True),
    Culture(
        "chinese", "zh_TW", "Chinese (Taiwanese)", romanised=True,
        note="Wade-Giles spellings, no genders",
    ),
    Culture("colombian", "es_CO", "Colombian", surnames=True),
    Culture("croatian", "hr_HR", "Croatian", surnames=True),
    Culture("czech", "cs_CZ", "Czech", surnames=True),
    Culture("danish", "da_DK", "Danish"),
    Culture("dutch", "nl_NL", "Dutch", surnames=True, note="names given in the Netherlands"),
    Culture("finnish", "fi_FI", "Finnish", surnames=True),
    Culture("georgian", "ka_GE", "Georgian", "in Georgian script", surnames=True),
    Culture("greek", "el_GR", "Greek", "in Greek script", surnames=True),
    Culture("hebrew", "he_IL", "Israeli", "in Hebrew script", surnames=True),
    Culture("hindi", "hi_IN", "Hindi", "in Devanagari"),
    Culture("hungarian", "hu_HU", "Hungarian"),
    Culture("indian", "en_IN", "Indian", romanised=True, surnames=True),
    Culture("indonesian", "id_ID", "Indonesian"),
    Culture(
        "irish", "ga_IE", "Irish", surnames=True,
        note="names given in Ireland, Irish-language forms among them",
    ),
    Culture(
        "kenyan", "en_KE", "Kenyan", surnames=True,
        note="Kenyan and English names, as given in Kenya",
    ),
    Culture("latvian", "lv_LV", "Latvian"),
    Culture("mexican", "es_MX", "Mexican", surnames=True),
    Culture("nepali", "ne_NP", "Nepali", "in Devanagari"),
    Culture("norwegian", "no_NO", "Norwegian"),
    Culture("pakistani", "en_PK", "Pakistani", romanised=True, note="no genders"),
    Culture("portuguese", "pt_PT", "Portuguese"),
    Culture("romanian", "ro_RO", "Romanian"),
    Culture("slovak", "sk_SK", "Slovak", surnames=True),
    Culture("slovenian", "sl_SI", "Slovenian"),
    Culture("swahili", "sw", "Swahili"),
    Culture("swedish", "sv_SE", "Swedish", surnames=True),
    Culture("tamil", "ta_IN", "Tamil", "in Tamil script"),
    Culture("thai", "th_TH", "Thai", "in Thai script", surnames=True),
    Culture("turkish", "tr_TR", "Turkish"),
)  # fmt: skip


def shipped_locales() -> frozenset[str]:
    """The faker locales whose people's names some style learns."""
    first = {"en", "ru_RU", "de_DE", "fr_FR", "es_ES", "it_IT", "is_IS"}
    return frozenset({*first, *(c.locale for c in CULTURES)})


def _names(provider: object, attr: str, faker_order: bool = False) -> list[str]:
    """A faker list by name, sorted (some are built from sets, whose order follows the hash
    seed) unless `faker_order` (for lists known to be lists); empty when the locale lacks it."""
    found = getattr(provider, attr, None)
    if not isinstance(found, (list, tuple, dict)):
        return []
    if faker_order:
        return [n for n in found if isinstance(n, str)]
    return sorted({n for n in found if isinstance(n, str)})


def _romanised(name: str) -> str:
    """faker's romanisations are capitals ("CHIA-HAO"): written as names are ("Chia-Hao")."""
    return "-".join(part.capitalize() for part in name.split("-"))


def first_names(locale: str, *, romanised: bool = False, faker_order: bool = False) -> Reader:
    """A faker locale's first names, by gender where it has them, sorted unless `faker_order`;
    its romanisation when `romanised` and the locale has one."""

    def load() -> Iterable[tuple[str, str]]:
        people = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if romanised and _names(people, "first_romanized_names"):
            names = [_romanised(n) for n in _names(people, "first_romanized_names")]
            # a syllable may be one letter ("I-Chun"), which proper() reads as an initial
            yield from ((n, "") for n in names if all(s.isalpha() for s in n.split("-")))
            return
        yield from _by_gender(people, "first_names", faker_order)

    return load


def _by_gender(people: object, kind: str, faker_order: bool) -> Iterable[tuple[str, str]]:
    """A faker list (`first_names`, `last_names`) by gender where the locale has both, else
    without labels; proper names only."""
    female = _names(people, f"{kind}_female", faker_order)
    male = _names(people, f"{kind}_male", faker_order)
    if female and male:
        yield from ((n, "female") for n in female if proper(n))
        yield from ((n, "male") for n in male if proper(n))
    else:
        yield from ((n, "") for n in _names(people, kind, faker_order) if proper(n))


def family_names(locale: str, *, faker_order: bool = False) -> Reader:
    """A faker locale's family names, sorted unless `faker_order`; by gender where the
    language has gendered forms (Novák, Nováková)."""

    def load() -> Iterable[tuple[str, str]]:
        people = importlib.import_module(f"faker.providers.person.{locale}").Provider
        yield from _by_gender(people, "last_names", faker_order)

    return load


# --- races of the tabletop game: name-part pools of two packages -------------------------------
DND_ELF_PER_GENDER = 1500


def _pools(race: str) -> Reader:
    """Every name dnd-name-generator can make for `race`: each leading sound, optional middle
    and ending of its pools, per gender, capitalised as it does."""

    def load() -> Iterable[tuple[str, str]]:
        from dnd_name_generator.engine import DATA

        for key, gender in (("f", "female"), ("m", "male")):
            pools = DATA[race][key]
            for a in pools["start"]:
                for b in pools["mid"]:
                    for c in pools["end"]:
                        name = a + b + c
                        yield name[:1].upper() + name[1:].lower(), gender

    return load


def _dnd_elf() -> Iterable[tuple[str, str]]:
    """Names drawn (seeded) from pynames' D&D elven tables, by its templates and their weights:
    a prefix and one or two suffixes; the rare apostrophe form is capitalised ("Ae'Ravel")."""
    doc = json.loads(
        resources.files("pynames")
        .joinpath("generators/fixtures/elven_dnd_names_tables.json")
        .read_text("utf-8")
    )
    tables = {k: [row["languages"]["en"] for row in v] for k, v in doc["tables"].items()}
    rng = random.Random(1337)
    for key, gender in (("f", "female"), ("m", "male")):
        templates = [t for t in doc["templates"].values() if key in t["genders"]]
        weights = [t["probability"] for t in templates]
        for _ in range(DND_ELF_PER_GENDER):
            (template,) = rng.choices(templates, weights)
            name = "".join(rng.choice(tables[part]) for part in template["template"])
            yield name[:1].upper() + name[1:], gender


BUILTIN: dict[str, tuple[str, Reader]] = {
    "english": ("English first names by gender (faker's en lists)", _english),
    "surnames": (f"English surnames (the {SURNAMES_TOP:,} commonest US census names)", _surnames),
    "elf": (
        "Fantasy elves in a Welsh/Brythonic register: compounds of Welsh name elements and names "
        "from the Mabinogion (wyrdbound-rng)",
        _ancestry("elf"),
    ),
    "dwarf": (
        "Fantasy dwarves in an Old Norse register: Norse name compounds, saga names and the "
        "Dvergatal of the Poetic Edda (wyrdbound-rng)",
        _ancestry("dwarf"),
    ),
    "human": (
        "Fantasy humans in a Frankish/Norman register: medieval Western European compounds and "
        "Latin-Christian names (wyrdbound-rng)",
        _ancestry("human"),
    ),
    "halfling": (
        "Fantasy halflings as medieval English pet-forms and diminutives (-kin, -ot, -et, -ie) "
        "from manorial and poll-tax rolls (wyrdbound-rng)",
        _ancestry("halfling"),
    ),
    "goblin": (
        "Fantasy goblins: an invented harsh phonology with no real-world source (wyrdbound-rng)",
        _ancestry("goblin"),
    ),
    "russian": (
        "Russian first names by gender, in Cyrillic (faker's ru_RU lists; only 401 names, so "
        "inventions are rougher)",
        _faker_first("ru_RU"),
    ),
    "russian-surnames": (
        "Russian family names in their female and male forms, in Cyrillic (faker's ru_RU lists)",
        _faker_last("ru_RU"),
    ),
    "german": (
        "First names given in Germany by gender, immigrant names included (faker's de_DE lists)",
        _faker_first("de_DE"),
    ),
    "german-surnames": ("German family names (faker's de_DE list)", _faker_last("de_DE")),
    "french": (
        "French first names by gender (faker's fr_FR lists; only 215 names, so inventions "
        "are rougher)",
        _faker_first("fr_FR"),
    ),
    "french-surnames": ("French family names (faker's fr_FR list)", _faker_last("fr_FR")),
    "spanish": (
        "Spanish first names by gender, compound names included (faker's es_ES lists)",
        _faker_first("es_ES"),
    ),
    "spanish-surnames": ("Spanish family names (faker's es_ES list)", _faker_last("es_ES")),
    "italian": (
        "Italian first names by gender (faker's it_IT lists; 458 names)",
        _faker_first("it_IT"),
    ),
    "italian-surnames": ("Italian family names (faker's it_IT list)", _faker_last("it_IT")),
    "icelandic": (
        "Icelandic first names by gender, from the official register's stock (faker's is_IS lists)",
        _faker_first("is_IS"),
    ),
    "icelandic-patronymics": (
        "Icelandic patronymics: a father's name + -son or -dóttir (faker's is_IS list)",
        _icelandic_patronymics,
    ),
    "towns": (
        "Real town and village names of thirteen countries, by country (faker's address lists)",
        _towns,
    ),
    "dnd-elf": (
        "Fantasy elves as the tabletop rulebooks write them (Aelar, Naivara): drawn from "
        "pynames' D&D elven name tables, prefix + suffixes",
        _dnd_elf,
    ),
    "orc": (
        "Fantasy orcs: every name dnd-name-generator's orc sound pools make, by gender",
        _pools("Orc"),
    ),
    "tiefling": (
        "Fantasy tieflings in a Greek-infernal register: every name dnd-name-generator's "
        "tiefling sound pools make, by gender",
        _pools("Tiefling"),
    ),
    "dragonborn": (
        "Fantasy dragonborn: every name dnd-name-generator's dragonborn sound pools make, "
        "by gender",
        _pools("Dragonborn"),
    ),
    **{c.style: (c.description, first_names(c.locale, romanised=c.romanised)) for c in CULTURES},
    **{
        f"{c.style}-surnames": (c.surname_description, family_names(c.locale))
        for c in CULTURES
        if c.surnames
    },
}


def shipped_source(style: str, description: str) -> str | None:
    """The package a style's names come from when it is the built-in one (its description is
    the built-in corpus's), None for a style retrained on a user's list."""
    if style not in BUILTIN or description != BUILTIN[style][0]:
        return None
    return source_of(style)


def source_of(corpus_name: str) -> str:
    """The package a built-in corpus comes from (a key of LICENCES)."""
    if corpus_name == "surnames":
        return "names"
    if corpus_name in ANCESTRIES:
        return "wyrdbound-rng"
    if corpus_name == "dnd-elf":
        return "pynames"
    if corpus_name in ("orc", "tiefling", "dragonborn"):
        return "dnd-name-generator"
    if corpus_name in BUILTIN:
        return "faker"
    raise KeyError(corpus_name)
